package node

import (
	"context"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/history"
	"github.com/uspmesh/uspmesh/radio"
)

// The home's history (package history): every Config.HistoryPeriod the
// node samples its radios (channel, busy and own airtime over the
// period, noise, clients) and their clients (RSSI, rates, the share of
// retries over the period), and records mesh events: radar and channel
// switches from the radios' event streams (a switch the stream missed is
// seen in the next sample), leader changes and nodes lost and found from
// Device.X_USPMESH_Mesh. as the sample finds it. The history lives in
// memory and in <state dir>/history/; history_usp.go serves it.

// DefaultHistoryPeriod and DefaultHistoryFlashEvery are the defaults
// of Config.HistoryPeriod and Config.HistoryFlashEvery.
const (
	DefaultHistoryPeriod     = 10 * time.Second
	DefaultHistoryFlashEvery = time.Minute
)

// historyRadio is one radio the sampler reads.
type historyRadio struct {
	name string
	r    radio.Radio
}

// sampler takes the samples and events of one node.
type sampler struct {
	n      *Node
	h      *history.History
	log    *slog.Logger
	radios []historyRadio
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex // guards the fields below
	// prevSurvey is each radio's in-use survey entry at the last sample.
	prevSurvey map[string]radio.SurveyEntry
	// prevTx is each client's (TxRetries, TxPackets) at the last sample.
	prevTx map[string][2]uint64
	// channel is each radio's channel at the last sample or event.
	channel map[string]int
	leader  string
	nodes   map[string]string // Node row EndpointID → Status
	first   bool              // no mesh state read yet
	clients *clientWindow
}

// startHistory opens the history and starts sampling radios.
func (n *Node) startHistory(radios []radio.Radio) error {
	cfg := history.DefaultConfig(filepath.Join(n.cfg.StateDir, historyDir))
	cfg.FlashEvery = time.Duration(n.cfg.HistoryFlashEvery)
	cfg.Logger = n.log.With("sub", "history")
	h, err := history.Open(cfg)
	if err != nil {
		// The history is not worth a node that does not start: it runs
		// in memory only.
		cfg.Logger.Warn("history kept in memory only: its directory cannot be used", "err", err)
		cfg.Dir = ""
		if h, err = history.Open(cfg); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(n.base)
	s := &sampler{n: n, h: h, log: cfg.Logger, cancel: cancel, prevSurvey: map[string]radio.SurveyEntry{},
		prevTx: map[string][2]uint64{}, channel: map[string]int{}, nodes: map[string]string{}, first: true,
		clients: newClientWindow(clientWindowSpan)}
	for _, r := range radios {
		info, err := r.Info(ctx)
		if err != nil {
			s.log.Warn("radio left out of the history", "err", err)
			continue
		}
		s.radios = append(s.radios, historyRadio{info.Name, r})
	}
	for _, hr := range s.radios {
		s.wg.Go(func() { s.watch(ctx, hr) })
	}
	// The first timer waits before New returns: a test on a fake clock
	// counts it among the node's timers from the start.
	first := n.deps.Clock.After(time.Duration(n.cfg.HistoryPeriod))
	s.wg.Go(func() { s.loop(ctx, first) })
	n.hist.Store(s)
	return nil
}

// stopHistory stops sampling and writes what waits for flash.
func (n *Node) stopHistory() error {
	s := n.hist.Load()
	if s == nil {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	return s.h.Close()
}

// loop samples when next fires, then every period, until ctx ends.
func (s *sampler) loop(ctx context.Context, next <-chan time.Time) {
	period := time.Duration(s.n.cfg.HistoryPeriod)
	for {
		select {
		case <-ctx.Done():
			return
		case <-next:
		}
		s.sample(ctx)
		next = s.n.deps.Clock.After(period)
	}
}

// watch records one radio's radar and channel-switch events.
func (s *sampler) watch(ctx context.Context, hr historyRadio) {
	for ev := range hr.r.Events(ctx) {
		var kind history.EventKind
		switch ev.Kind {
		case radio.EventRadarDetected:
			kind = history.EventRadar
		case radio.EventChannelSwitched:
			kind = history.EventChannelSwitched
			s.mu.Lock()
			seen := s.channel[hr.name] == ev.Channel // a sample found the switch first
			s.channel[hr.name] = ev.Channel
			s.mu.Unlock()
			if seen {
				continue
			}
		default:
			continue
		}
		t := ev.Time
		if t.IsZero() {
			t = s.n.deps.Clock.Now()
		}
		s.addEvent(history.Event{Time: t, Kind: kind, Radio: hr.name, Channel: ev.Channel})
	}
}

func (s *sampler) addEvent(ev history.Event) {
	if err := s.h.AddEvent(ev); err != nil {
		s.log.Warn("history event not kept", "event", ev.Kind, "err", err)
	}
}

// sample reads every radio and the mesh state once.
func (s *sampler) sample(ctx context.Context) {
	now := s.n.deps.Clock.Now()
	smp := history.Sample{Time: now}
	for _, hr := range s.radios {
		rs, cs, err := s.readRadio(ctx, hr, now)
		if err != nil {
			s.log.Debug("radio not sampled", "radio", hr.name, "err", err)
			continue
		}
		smp.Radios = append(smp.Radios, rs)
		smp.Clients = append(smp.Clients, cs...)
	}
	if err := s.h.AddSample(smp); err != nil {
		s.log.Warn("history sample not kept", "err", err)
	}
	s.meshEvents(ctx, now)
	s.publishClients(ctx, smp)
}

// readRadio samples one radio and its clients.
func (s *sampler) readRadio(ctx context.Context, hr historyRadio, now time.Time) (history.RadioSample, []history.ClientSample, error) {
	st, err := hr.r.State(ctx)
	if err != nil {
		return history.RadioSample{}, nil, err
	}
	rs := history.RadioSample{Radio: hr.name, Channel: st.Channel}
	if survey, err := hr.r.Survey(ctx); err == nil {
		s.airtime(hr.name, survey, &rs)
	}
	stations, err := hr.r.Stations(ctx)
	if err != nil {
		stations = nil
	}
	rs.Clients = len(stations)
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.channel[hr.name]; ok && prev != st.Channel && st.Channel != 0 {
		// A switch the event stream did not report.
		s.addEvent(history.Event{Time: now, Kind: history.EventChannelSwitched, Radio: hr.name, Channel: st.Channel})
	}
	s.channel[hr.name] = st.Channel
	cs := make([]history.ClientSample, 0, len(stations))
	for _, sta := range stations {
		mac := sta.MAC.String()
		c := history.ClientSample{Radio: hr.name, MAC: sta.MAC, RSSI: sta.SignalDBm, TxRateMbps: sta.TxBitrateKbps / 1000,
			RxRateMbps: sta.RxBitrateKbps / 1000}
		if p, ok := s.prevTx[mac]; ok && sta.TxPackets > p[1] && sta.TxRetries >= p[0] {
			c.RetryPct = int(100 * (sta.TxRetries - p[0]) / (sta.TxPackets - p[1]))
		}
		s.prevTx[mac] = [2]uint64{sta.TxRetries, sta.TxPackets}
		cs = append(cs, c)
	}
	return rs, cs, nil
}

// airtime sets rs's noise, busy and own airtime from the in-use survey
// entry: over the period since the last sample when the counters moved
// on, else as the counters stand.
func (s *sampler) airtime(name string, survey []radio.SurveyEntry, rs *history.RadioSample) {
	for _, e := range survey {
		if !e.InUse {
			continue
		}
		rs.NoiseDBm = e.NoiseDBm
		s.mu.Lock()
		p, ok := s.prevSurvey[name]
		s.prevSurvey[name] = e
		s.mu.Unlock()
		d := e
		if ok && p.FreqMHz == e.FreqMHz && e.ActiveTime > p.ActiveTime && e.BusyTime >= p.BusyTime {
			d = radio.SurveyEntry{ActiveTime: e.ActiveTime - p.ActiveTime, BusyTime: e.BusyTime - p.BusyTime,
				RxTime: e.RxTime - p.RxTime, TxTime: e.TxTime - p.TxTime}
		}
		if d.ActiveTime > 0 {
			rs.BusyPct = int(100 * d.BusyTime / d.ActiveTime)
			rs.OwnPct = int(100 * max(d.RxTime+d.TxTime, 0) / d.ActiveTime)
		}
		return
	}
}

// meshEvents records leader changes and nodes lost and found, as
// Device.X_USPMESH_Mesh. shows them now.
func (s *sampler) meshEvents(ctx context.Context, now time.Time) {
	p, err := path.Parse(meshRoot)
	if err != nil {
		return
	}
	res, err := s.n.model.Get(ctx, p, 0, nil)
	if err != nil {
		return
	}
	leader := ""
	nodes := map[string]string{}
	rows := map[string]map[string]string{}
	for _, ov := range res {
		for _, pv := range ov.Params {
			switch {
			case ov.Path == meshRoot && pv.Name == "Leader":
				leader = pv.Value
			case strings.HasPrefix(ov.Path, meshRoot+"Node."):
				if rows[ov.Path] == nil {
					rows[ov.Path] = map[string]string{}
				}
				rows[ov.Path][pv.Name] = pv.Value
			}
		}
	}
	for _, r := range rows {
		if id := r["EndpointID"]; id != "" {
			nodes[id] = r["Status"]
		}
	}
	s.mu.Lock()
	var evs []history.Event
	if leader != s.leader && leader != "" {
		evs = append(evs, history.Event{Time: now, Kind: history.EventLeaderChanged, Subject: leader})
	}
	s.leader = leader
	for _, id := range slices.Sorted(maps.Keys(nodes)) {
		st := nodes[id]
		prev, known := s.nodes[id]
		switch {
		case st == "Lost" && prev != "Lost" && (known || !s.first):
			evs = append(evs, history.Event{Time: now, Kind: history.EventNodeLost, Subject: id})
		case st != "Lost" && (prev == "Lost" || !known && !s.first):
			evs = append(evs, history.Event{Time: now, Kind: history.EventNodeFound, Subject: id})
		}
	}
	s.nodes, s.first = nodes, false
	s.mu.Unlock()
	for _, ev := range evs {
		s.addEvent(ev)
	}
}

// historyRoot is the object that serves the history.
const historyRoot = meshRoot + "History."
