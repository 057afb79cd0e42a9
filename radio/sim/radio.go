package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// ErrTxPowerRange is wrapped in the *radio.OpError SetTxPower returns for
// a power outside the radio's range.
var ErrTxPowerRange = errors.New("transmit power out of range")

// Radio is one simulated radio with its AP interface.
type Radio struct {
	b    *Backend
	spec RadioSpec
	info radio.Info
	hub  *hub

	mu       sync.Mutex
	channel  int
	width    int
	txPower  float64
	enabled  bool
	up       bool
	load     float64
	sw       *switchOp         // the switch under way, if any
	nop      map[int]time.Time // channel → end of its non-occupancy period
	stations map[string]stationEntry
	// counters are the survey's cumulative counters by frequency.
	counters map[int]radio.SurveyEntry
	// btmSent counts the transition requests sent (dialog tokens, draws).
	btmSent int

	// uplink is the radio RadioSpec.Uplink names (when hasUplink), up1
	// what the radio last saw of it (guarded by mu).
	uplink    uplinkRef
	hasUplink bool
	up1       uplinkState
}

var _ radio.Radio = (*Radio)(nil)

type stationEntry struct {
	a      association
	joined time.Time
}

func newRadio(b *Backend, i int, rs RadioSpec) *Radio {
	name := rs.name(i)
	up, hasUp, _ := parseUplink(rs.Uplink) // checked by Home.Validate
	return &Radio{
		uplink: up, hasUplink: hasUp,
		b:    b,
		spec: rs,
		info: radio.Info{
			Name:      name,
			Interface: rs.iface(i),
			MAC:       radioMAC(b.home.Seed, b.cfg.Node, name),
			Caps:      capabilities(rs),
		},
		hub:      newHub(),
		channel:  rs.Channel,
		width:    rs.Width,
		txPower:  rs.TxPower.Initial,
		enabled:  true,
		up:       true,
		load:     rs.BaseLoad,
		nop:      map[int]time.Time{},
		stations: map[string]stationEntry{},
		counters: map[int]radio.SurveyEntry{},
	}
}

// resume takes over a previously published state when it fits the spec.
func (r *Radio) resume(ps RadioState) bool {
	if ps.Band != r.spec.Band {
		return false
	}
	if _, ok := block(r.spec.Band, r.spec.Channels, r.spec.Widths, ps.Channel, ps.Width); !ok {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.channel, r.width = ps.Channel, ps.Width
	if ps.TxPowerDBm >= r.spec.TxPower.Min && ps.TxPowerDBm <= r.spec.TxPower.Max {
		r.txPower = ps.TxPowerDBm
	}
	r.enabled = ps.Enabled
	r.up = ps.Enabled
	return true
}

// published is the radio as the air shows it.
func (r *Radio) published() RadioState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return RadioState{
		Name: r.info.Name, Band: r.spec.Band, Channel: r.channel, Width: r.width,
		TxPowerDBm: r.txPower, BSSID: r.info.MAC.String(), SSID: r.spec.SSID,
		Enabled: r.enabled, Up: r.up, Load: math.Round(r.load*1e6) / 1e6,
	}
}

// span is the radio's current spectrum; the caller holds r.mu.
func (r *Radio) spanLocked() span {
	s, ok := block(r.spec.Band, r.spec.Channels, r.spec.Widths, r.channel, r.width)
	if !ok {
		return looseBlock(r.spec.Band, r.channel, r.width)
	}
	return s
}

func (r *Radio) opErr(op string, err error) error {
	return &radio.OpError{Op: op, Radio: r.info.Name, Err: err}
}

// emitLocked publishes an event about the current channel; the caller
// holds r.mu.
func (r *Radio) emitLocked(kind radio.EventKind) {
	r.hub.publish(radio.Event{
		Kind: kind, Radio: r.info.Name, Time: r.b.cfg.Clock.Now(),
		Channel: r.channel, FreqMHz: radio.ChannelFreq(r.spec.Band, r.channel), Width: r.width,
	})
}

// Info returns the radio's identity and capabilities.
func (r *Radio) Info(ctx context.Context) (radio.Info, error) {
	if err := ctx.Err(); err != nil {
		return radio.Info{}, r.opErr("info", err)
	}
	info := r.info
	info.MAC = slices.Clone(info.MAC)
	info.Caps.Channels = slices.Clone(info.Caps.Channels)
	info.Caps.Widths = slices.Clone(info.Caps.Widths)
	info.Caps.Standards = slices.Clone(info.Caps.Standards)
	return info, nil
}

// State returns the radio's operating state.
func (r *Radio) State(ctx context.Context) (radio.State, error) {
	if err := ctx.Err(); err != nil {
		return radio.State{}, r.opErr("state", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return radio.State{
		Enabled:       r.enabled,
		Up:            r.up,
		Channel:       r.channel,
		FreqMHz:       radio.ChannelFreq(r.spec.Band, r.channel),
		Width:         r.width,
		CenterFreqMHz: r.spanLocked().centerMHz,
		TxPowerDBm:    r.txPower,
		SSID:          r.spec.SSID,
		BSSID:         slices.Clone(r.info.MAC),
		Switching:     r.sw != nil,
		Unavailable:   r.unavailableLocked(),
		Uplink:        r.uplinkLocked(),
	}, nil
}

// unavailableLocked lists the channels in their non-occupancy period,
// ascending; nil when there are none.
func (r *Radio) unavailableLocked() []int {
	now := r.b.cfg.Clock.Now()
	var out []int
	for c, until := range r.nop {
		if now.Before(until) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// Survey reports every channel of the radio with cumulative counters, as
// a driver does: each read adds one SurveyWindow measured on the medium
// as it is now (see the package's model constants), so the busy share
// between two reads is ΔBusyTime/ΔActiveTime. Reads advance the counters,
// not the clock: equal homes read alike give equal counters.
func (r *Radio) Survey(ctx context.Context) ([]radio.SurveyEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, r.opErr("survey", err)
	}
	heard := r.b.home.emitters(r.b.view.snapshot(), r.b.cfg.Node, r.spec.Band)
	r.mu.Lock()
	defer r.mu.Unlock()
	load := r.load
	if !r.up {
		load = 0
	}
	window := survey(r.info.Caps, r.spanLocked(), r.channel, load, heard, r.b.cfg.SurveyWindow)
	return r.accumulateLocked(window), nil
}

// accumulateLocked adds one survey window to the radio's cumulative
// counters and returns them: like a driver's, ActiveTime, BusyTime,
// RxTime and TxTime only grow (by one SurveyWindow of listening per read,
// at the medium's state at the read), and InUse and the noise are the
// read's. The caller holds r.mu.
func (r *Radio) accumulateLocked(window []radio.SurveyEntry) []radio.SurveyEntry {
	out := make([]radio.SurveyEntry, len(window))
	for i, w := range window {
		c := r.counters[w.FreqMHz]
		c.FreqMHz, c.Channel, c.InUse, c.NoiseDBm = w.FreqMHz, w.Channel, w.InUse, w.NoiseDBm
		c.ActiveTime += w.ActiveTime
		c.BusyTime += w.BusyTime
		c.RxTime += w.RxTime
		c.TxTime += w.TxTime
		r.counters[w.FreqMHz] = c
		out[i] = c
	}
	return out
}

// Scan reports the BSSes heard on the requested frequencies (all the
// radio's channels when none are named), strongest first.
func (r *Radio) Scan(ctx context.Context, req radio.ScanRequest) ([]radio.BSS, error) {
	if err := ctx.Err(); err != nil {
		return nil, r.opErr("scan", err)
	}
	r.mu.Lock()
	enabled := r.enabled
	r.mu.Unlock()
	if !enabled {
		return nil, r.opErr("scan", radio.ErrDown)
	}
	freqs := req.FreqsMHz
	if len(freqs) == 0 {
		for _, c := range r.info.Caps.Channels {
			freqs = append(freqs, c.FreqMHz)
		}
	}
	var out []radio.BSS
	for _, e := range r.b.home.emitters(r.b.view.snapshot(), r.b.cfg.Node, r.spec.Band) {
		f := radio.ChannelFreq(r.spec.Band, e.channel)
		if e.rssi < SensitivityDBm || !slices.Contains(freqs, f) {
			continue
		}
		out = append(out, radio.BSS{
			BSSID: e.bssid, SSID: e.ssid, Channel: e.channel, FreqMHz: f, Width: e.width,
			SignalDBm:   int(math.Round(e.rssi)),
			Utilization: utilization(e),
			Security:    security,
		})
	}
	slices.SortFunc(out, func(a, b radio.BSS) int {
		if a.SignalDBm != b.SignalDBm {
			return b.SignalDBm - a.SignalDBm
		}
		return bytes.Compare(a.BSSID, b.BSSID)
	})
	return out, nil
}

// Stations reports the clients associated to the radio, by MAC.
func (r *Radio) Stations(ctx context.Context) ([]radio.Station, error) {
	if err := ctx.Err(); err != nil {
		return nil, r.opErr("stations", err)
	}
	now := r.b.cfg.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]radio.Station, 0, len(r.stations))
	for _, se := range r.stations {
		se.a = r.currentLocked(se.a, now)
		st := r.b.home.station(r.b.home.Seed, se.a, r.b.cfg.Node, r.b.ap.Pos, r.width, max(now.Sub(se.joined), 0))
		out = append(out, dipped(st, se.a, r.width, now))
		out[len(out)-1].Caps = se.a.client.caps()
	}
	slices.SortFunc(out, func(a, b radio.Station) int { return bytes.Compare(a.MAC, b.MAC) })
	return out, nil
}

// setStations replaces the radio's clients with those assoc gives it,
// emitting join and leave events when notify is set, and reports whether
// the radio's load changed.
func (r *Radio) setStations(assoc map[string]association, now time.Time, notify bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := map[string]stationEntry{}
	load := r.spec.BaseLoad
	for mac, a := range assoc {
		if a.node != r.b.cfg.Node || a.radio != r.info.Name {
			continue
		}
		se, ok := r.stations[mac]
		if !ok {
			se.joined = now
			if notify {
				r.stationEventLocked(radio.EventStationJoined, a.client.MAC, now)
			}
		}
		se.a = a
		next[mac] = se
		load += a.client.airtime(a.rssi, r.width)
	}
	for mac, se := range r.stations {
		if _, ok := next[mac]; !ok && notify {
			r.stationEventLocked(radio.EventStationLeft, se.a.client.MAC, now)
		}
	}
	r.stations = next
	load = min(load, 1)
	changed := math.Abs(load-r.load) > 1e-9
	r.load = load
	return changed
}

func (r *Radio) stationEventLocked(kind radio.EventKind, mac string, now time.Time) {
	hw, _ := net.ParseMAC(mac)
	r.hub.publish(radio.Event{
		Kind: kind, Radio: r.info.Name, Time: now, Station: hw,
		Channel: r.channel, FreqMHz: radio.ChannelFreq(r.spec.Band, r.channel), Width: r.width,
	})
}

// SetTxPower sets the transmit power within the radio's range.
func (r *Radio) SetTxPower(ctx context.Context, dBm float64) error {
	if err := ctx.Err(); err != nil {
		return r.opErr("set-txpower", err)
	}
	tp := r.spec.TxPower
	if math.IsNaN(dBm) || dBm < tp.Min || dBm > tp.Max {
		return r.opErr("set-txpower", fmt.Errorf("%v dBm outside [%v, %v]: %w", dBm, tp.Min, tp.Max, ErrTxPowerRange))
	}
	if r.b.closed() {
		return r.opErr("set-txpower", radio.ErrDown)
	}
	r.mu.Lock()
	r.txPower = dBm
	r.mu.Unlock()
	r.b.publishLogged()
	r.mu.Lock()
	r.emitLocked(radio.EventTxPowerChanged)
	r.mu.Unlock()
	return nil
}

// Events streams the radio's events until ctx ends or the backend closes.
func (r *Radio) Events(ctx context.Context) <-chan radio.Event {
	return r.hub.subscribe(ctx)
}

// utilization is a scan result's BSS Load channel utilisation in percent,
// -1 when the BSS advertises none.
func utilization(e emitter) int {
	if !e.bssLoad {
		return -1
	}
	return int(math.Round(e.load * 100))
}
