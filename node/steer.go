package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/bind"
)

// The Agent's side of client steering. The leader decides (package
// leader, steer.go); this Agent executes on its own radios:
//
//   - Device.WiFi.AccessPoint.{i}.X_USPMESH_Steer() sends an 802.11v BSS
//     transition request through the radio's radio.Steerer and waits for
//     the station's answer (EventTransitionResponse) up to
//     steerAnswerTimeout. It is a synchronous command, so the leader
//     reads the outcome in the Operate response. Term is admitted by the
//     node's fence like X_USPMESH_Switch()'s: a stale term is 7002.
//   - Device.WiFi.AccessPoint.{i}.X_USPMESH_Deny() refuses a station for
//     a bounded time (legacy clients), fenced alike.
//   - Both run at most steerMaxPerHour times per station in any hour
//     (then 7002), whatever leader asks.
//   - Every refresh it writes the AssociatedDevice rows' X_USPMESH_BTM,
//     _BeaconReport, _Bands, _Standards from the radio's StationCaps and
//     asks 802.11k-capable stations for a beacon report; the reports'
//     BSSs and levels become X_USPMESH_Seen. These are the signals other
//     BSSs of the mesh give the client that the policy compares: the
//     level the client hears each BSS's beacons at (downlink). The
//     report includes the client's own BSS, and the leader takes its
//     level there from the same report, so one scale is compared (the
//     AP's SignalStrength is uplink, lower by the difference of the AP's
//     and the client's transmit power). Clients without 802.11k have no
//     Seen: the policy then has nothing to compare and leaves them.
//
// A transition response from a station no X_USPMESH_Steer() is waiting
// for (not asked, or answering after the wait) is ignored, logged at
// debug level and counted in Device.X_USPMESH_Mesh.Steering.UnsolicitedResponses.

// steerAnswerTimeout bounds X_USPMESH_Steer()'s wait for the station's
// answer. Stations answer within tens of milliseconds (the radio lab's
// took 92 ms); a client that has not answered in 3 s will not. It stays
// below the mesh Controller's 5 s request timeout, so the leader reads
// NoAnswer rather than losing the response.
const steerAnswerTimeout = 3 * time.Second

// steerMaxPerHour is the Agent's own bound on the steering commands it
// runs for one station in any hour: the policy's hourly limit (4), kept
// here as well because the leader's memory of its attempts does not
// survive a leader change, and a deposed or faulty leader must not pester
// a client either. A command beyond it is refused with 7002.
const steerMaxPerHour = 4

// seenMaxAge drops beacon report entries older than this from
// X_USPMESH_Seen: the policy's MaxAge is 15 s.
const seenMaxAge = 30 * time.Second

// steerRadio is one radio of the node that can steer.
type steerRadio struct {
	name string
	r    radio.Radio
	s    radio.Steerer // nil when the radio cannot steer
}

// seenEntry is one BSS a station's beacon report heard.
type seenEntry struct {
	dbm float64
	at  time.Time
}

// steering is the Agent's steering state.
type steering struct {
	n      *Node
	log    *slog.Logger
	radios []steerRadio
	period time.Duration
	cancel context.CancelFunc
	wg     sync.WaitGroup

	unsolicited atomic.Uint64

	mu sync.Mutex
	// waiting: radio name + "/" + station MAC → the X_USPMESH_Steer()
	// waiting for its answer.
	waiting map[string]chan radio.Transition
	// seen: station MAC → BSSID → latest level.
	seen map[string]map[string]seenEntry
	// asked: station MAC → the times of the steering commands run for it
	// in the last hour.
	asked map[string][]time.Time
}

// newSteering returns the steering state of radios (not yet running).
func newSteering(n *Node, period time.Duration) *steering {
	return &steering{n: n, log: n.log.With("sub", "steer"), period: period,
		waiting: map[string]chan radio.Transition{}, seen: map[string]map[string]seenEntry{}, asked: map[string][]time.Time{}}
}

// start subscribes to the radios' events and starts the refresh loop
// (none without radios).
func (s *steering) start(ctx context.Context, radios []radio.Radio) {
	ctx, s.cancel = context.WithCancel(ctx)
	for _, r := range radios {
		info, err := r.Info(ctx)
		if err != nil {
			s.log.Warn("radio left out of steering", "err", err)
			continue
		}
		sr := steerRadio{name: info.Name, r: r}
		sr.s, _ = r.(radio.Steerer)
		s.mu.Lock()
		s.radios = append(s.radios, sr)
		s.mu.Unlock()
		events := r.Events(ctx)
		s.wg.Go(func() {
			for ev := range events {
				s.onEvent(ev)
			}
		})
	}
	if len(s.radios) > 0 {
		s.wg.Go(func() { s.loop(ctx) })
	}
}

// stop ends the loops and waits for them.
func (s *steering) stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

// onEvent takes a radio's transition responses and beacon reports.
func (s *steering) onEvent(ev radio.Event) {
	switch {
	case ev.Kind == radio.EventTransitionResponse && ev.Transition != nil:
		key := ev.Radio + "/" + strings.ToLower(ev.Station.String())
		s.mu.Lock()
		ch := s.waiting[key]
		delete(s.waiting, key)
		s.mu.Unlock()
		if ch == nil {
			s.unsolicited.Add(1)
			s.log.Debug("transition response from a station not asked: ignored", "radio", ev.Radio, "station", ev.Station.String(), "status", ev.Transition.Status)
			return
		}
		ch <- *ev.Transition // buffered 1, one sender: never blocks
	case ev.Kind == radio.EventBeaconReport && ev.Beacon != nil && len(ev.Station) == 6 && len(ev.Beacon.BSSID) == 6:
		mac, bssid := strings.ToLower(ev.Station.String()), strings.ToLower(ev.Beacon.BSSID.String())
		at := ev.Time
		if at.IsZero() {
			at = s.n.deps.Clock.Now()
		}
		s.mu.Lock()
		m := s.seen[mac]
		if m == nil {
			m = map[string]seenEntry{}
			s.seen[mac] = m
		}
		m[bssid] = seenEntry{dbm: ev.Beacon.RCPIDBm, at: at}
		s.mu.Unlock()
	}
}

// loop refreshes the steering parameters every period.
func (s *steering) loop(ctx context.Context) {
	for {
		s.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.n.deps.Clock.After(s.period):
		}
	}
}

// refresh writes each radio's stations' steering parameters and asks the
// 802.11k-capable ones for a beacon report (answers arrive as events and
// show in the next refresh).
func (s *steering) refresh(ctx context.Context) {
	aps := s.apRows(ctx)
	now := s.n.deps.Clock.Now()
	s.mu.Lock()
	radios := slices.Clone(s.radios)
	for mac, m := range s.seen {
		for b, e := range m {
			if now.Sub(e.at) > seenMaxAge {
				delete(m, b)
			}
		}
		if len(m) == 0 {
			delete(s.seen, mac)
		}
	}
	s.mu.Unlock()
	for _, sr := range radios {
		ap := aps[sr.name]
		if ap == "" {
			continue
		}
		stas, err := sr.r.Stations(ctx)
		if err != nil {
			continue
		}
		rows := map[string]map[string]string{}
		for _, st := range stas {
			mac := strings.ToLower(st.MAC.String())
			rows[mac] = s.stationParams(mac, st.Caps)
			if sr.s != nil && st.Caps.BeaconReport {
				err := sr.s.RequestBeaconReport(ctx, radio.BeaconReportRequest{Station: st.MAC})
				if err != nil {
					s.log.Debug("beacon report request", "radio", sr.name, "station", mac, "err", err)
				}
			}
		}
		if err := s.writeStations(ctx, ap, rows); err != nil && ctx.Err() == nil {
			s.log.Debug("write steering parameters", "radio", sr.name, "err", err)
		}
	}
}

// stationParams are one station's X_USPMESH_ steering parameters.
func (s *steering) stationParams(mac string, c radio.StationCaps) map[string]string {
	var bands, stds []string
	for _, b := range c.Bands {
		bands = append(bands, string(b))
	}
	for _, x := range []struct {
		ok  bool
		std string
	}{{c.HT, "n"}, {c.VHT, "ac"}, {c.HE, "ax"}, {c.EHT, "be"}} {
		if x.ok {
			stds = append(stds, x.std)
		}
	}
	s.mu.Lock()
	var seen []string
	for b, e := range s.seen[mac] {
		seen = append(seen, fmt.Sprintf("%s/%s/%s", b, strconv.FormatFloat(e.dbm, 'f', -1, 64), e.at.UTC().Format(time.RFC3339Nano)))
	}
	s.mu.Unlock()
	slices.Sort(seen)
	return map[string]string{
		"X_USPMESH_BTM":          strconv.FormatBool(c.BTM),
		"X_USPMESH_BeaconReport": strconv.FormatBool(c.BeaconReport),
		"X_USPMESH_Bands":        strings.Join(bands, ","),
		"X_USPMESH_Standards":    strings.Join(stds, ","),
		"X_USPMESH_Seen":         strings.Join(seen, ","),
	}
}

// writeStations updates the AssociatedDevice rows of ap (an AccessPoint
// row path with trailing dot) whose MAC is in rows; rows of other
// stations (the binding adds and removes rows) are left alone.
func (s *steering) writeStations(ctx context.Context, ap string, rows map[string]map[string]string) error {
	p, err := path.Parse(ap + "AssociatedDevice.")
	if err != nil {
		return err
	}
	tx := s.n.model.Begin(ctx)
	defer tx.Rollback()
	objs, err := tx.Get(p, 1)
	if err != nil {
		return err
	}
	wrote := false
	for _, ov := range objs {
		var mac string
		for _, pv := range ov.Params {
			if pv.Name == "MACAddress" {
				mac = strings.ToLower(pv.Value)
			}
		}
		kv := rows[mac]
		if kv == nil {
			continue
		}
		op, err := path.Parse(ov.Path)
		if err != nil {
			continue
		}
		o, err := tx.Objects(op)
		if err != nil || len(o) != 1 {
			continue
		}
		if ups := changedUpdates(tx, o[0], kv); len(ups) > 0 {
			if _, err := tx.Update(o[0], ups, internalWrite); err != nil {
				return err
			}
			wrote = true
		}
	}
	if !wrote {
		return nil
	}
	return tx.Commit()
}

// apRows maps each radio's name to its AccessPoint row path (with
// trailing dot): Radio row (Name) ← SSID row (LowerLayers) ← AccessPoint
// row (SSIDReference).
func (s *steering) apRows(ctx context.Context) map[string]string {
	read := func(table string) map[string]map[string]string {
		out := map[string]map[string]string{}
		p, err := path.Parse(table)
		if err != nil {
			return out
		}
		objs, err := s.n.model.Get(ctx, p, 1, nil)
		if err != nil {
			return out
		}
		for _, ov := range objs {
			kv := map[string]string{}
			for _, pv := range ov.Params {
				kv[pv.Name] = pv.Value
			}
			out[strings.TrimSuffix(ov.Path, ".")] = kv
		}
		return out
	}
	radios, ssids, aps := read("Device.WiFi.Radio."), read("Device.WiFi.SSID."), read("Device.WiFi.AccessPoint.")
	out := map[string]string{}
	for rp, r := range radios {
		for sp, ss := range ssids {
			if !slices.Contains(strings.Split(ss["LowerLayers"], ","), rp) && strings.TrimSuffix(ss["LowerLayers"], ".") != rp {
				continue
			}
			for ap, a := range aps {
				if strings.TrimSuffix(a["SSIDReference"], ".") == sp {
					out[r["Name"]] = ap + "."
				}
			}
		}
	}
	return out
}

// radioOf returns the steering radio whose AccessPoint row is ap.
func (s *steering) radioOf(ctx context.Context, ap string) (steerRadio, bool) {
	for name, p := range s.apRows(ctx) {
		if p != ap {
			continue
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, sr := range s.radios {
			if sr.name == name {
				return sr, true
			}
		}
	}
	return steerRadio{}, false
}

// cmdError is a steering command's USP error.
func cmdError(code uint32, cmd, format string, args ...any) error {
	return &datamodel.Error{Code: code, Path: cmd, Msg: fmt.Sprintf(format, args...)}
}

// admit parses Term and admits it through the fence (7002 when stale).
func (s *steering) admit(ctx context.Context, cmd string, in map[string]string) error {
	term, err := strconv.ParseUint(in["Term"], 10, 64)
	if err != nil {
		return cmdError(datamodel.CodeInvalidCmdArgs, cmd, "Term: %q is not an unsignedLong", in["Term"])
	}
	if err := s.n.fence.Admit(ctx, term); err != nil {
		return cmdError(bind.CodeRequestDenied, cmd, "term %d refused: %v", term, err)
	}
	return nil
}

// budget takes one of the station's steering commands of the hour, or
// refuses with 7002 when steerMaxPerHour ran in the last hour.
func (s *steering) budget(cmd string, sta net.HardwareAddr) error {
	now := s.n.deps.Clock.Now()
	mac := strings.ToLower(sta.String())
	s.mu.Lock()
	defer s.mu.Unlock()
	for m, ts := range s.asked {
		ts = slices.DeleteFunc(ts, func(t time.Time) bool { return now.Sub(t) >= time.Hour })
		if len(ts) == 0 {
			delete(s.asked, m)
		} else {
			s.asked[m] = ts
		}
	}
	if ts := s.asked[mac]; len(ts) >= steerMaxPerHour {
		return cmdError(bind.CodeRequestDenied, cmd, "station %s was steered %d times in the last hour (the most); next at %s",
			mac, len(ts), ts[0].Add(time.Hour).UTC().Format(time.RFC3339))
	}
	s.asked[mac] = append(s.asked[mac], now)
	return nil
}

// target resolves the command's row to a radio that can steer.
func (s *steering) target(ctx context.Context, cmd string, row datamodel.Row) (steerRadio, error) {
	sr, ok := s.radioOf(ctx, row.Path)
	if !ok {
		return sr, cmdError(datamodel.CodeCommandFailure, cmd, "no radio is bound to this access point")
	}
	if sr.s == nil {
		return sr, cmdError(datamodel.CodeCommandFailure, cmd, "radio %s cannot steer stations (its backend has no BSS transition or refusal)", sr.name)
	}
	return sr, nil
}

// parseCandidate reads one Candidates item: "<BSSID>/<band>/<channel>".
func parseCandidate(item string) (radio.Candidate, error) {
	f := strings.Split(item, "/")
	if len(f) != 3 {
		return radio.Candidate{}, fmt.Errorf("%q: want <BSSID>/<band>/<channel>", item)
	}
	bssid, err := net.ParseMAC(f[0])
	if err != nil || len(bssid) != 6 {
		return radio.Candidate{}, fmt.Errorf("%q: %q is not a BSSID", item, f[0])
	}
	band := radio.Band(f[1])
	ch, err := strconv.Atoi(f[2])
	if err != nil || radio.OpClass(band, ch) == 0 {
		return radio.Candidate{}, fmt.Errorf("%q: no channel %s in band %q", item, f[2], f[1])
	}
	return radio.Candidate{BSSID: bssid, Band: band, Channel: ch}, nil
}

// steerCommand runs Device.WiFi.AccessPoint.{i}.X_USPMESH_Steer().
func (s *steering) steerCommand(ctx context.Context, row datamodel.Row, in map[string]string) (map[string]string, error) {
	cmd := row.Path + tr181.SteerCommand + "()"
	if err := s.admit(ctx, cmd, in); err != nil {
		return nil, err
	}
	sta, err := net.ParseMAC(in["Station"])
	if err != nil || len(sta) != 6 {
		return nil, cmdError(datamodel.CodeInvalidCmdArgs, cmd, "Station: %q is not a MAC address", in["Station"])
	}
	target, err := net.ParseMAC(in["TargetBSSID"])
	if err != nil || len(target) != 6 {
		return nil, cmdError(datamodel.CodeInvalidCmdArgs, cmd, "TargetBSSID: %q is not a MAC address", in["TargetBSSID"])
	}
	var cands []radio.Candidate
	if v := in["Candidates"]; v != "" {
		for i, item := range strings.Split(v, ",") {
			c, err := parseCandidate(strings.TrimSpace(item))
			if err != nil {
				return nil, cmdError(datamodel.CodeInvalidCmdArgs, cmd, "Candidates: %v", err)
			}
			c.Preference = max(1, 255-i)
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 || !slices.ContainsFunc(cands, func(c radio.Candidate) bool { return c.BSSID.String() == target.String() }) {
		return nil, cmdError(datamodel.CodeInvalidCmdArgs, cmd, "Candidates must list TargetBSSID %s with its band and channel", target)
	}
	timer := 0
	if v := in["DisassociationTimer"]; v != "" {
		if timer, err = strconv.Atoi(v); err != nil || timer < 0 || timer > 65535 {
			return nil, cmdError(datamodel.CodeInvalidCmdArgs, cmd, "DisassociationTimer: %q outside 0..65535", v)
		}
	}
	sr, err := s.target(ctx, cmd, row)
	if err != nil {
		return nil, err
	}
	if err := s.budget(cmd, sta); err != nil {
		return nil, err
	}
	key := sr.name + "/" + strings.ToLower(sta.String())
	ch := make(chan radio.Transition, 1)
	s.mu.Lock()
	if s.waiting[key] != nil {
		s.mu.Unlock()
		return nil, cmdError(datamodel.CodeCommandFailure, cmd, "a transition request to %s is already waiting for its answer", sta)
	}
	s.waiting[key] = ch
	s.mu.Unlock()
	forget := func() {
		s.mu.Lock()
		if s.waiting[key] == ch {
			delete(s.waiting, key)
		}
		s.mu.Unlock()
	}
	req := radio.TransitionRequest{Station: sta, Candidates: cands, DisassocImminent: timer > 0, DisassocTimer: timer}
	if err := sr.s.RequestTransition(ctx, req); err != nil {
		forget()
		return nil, cmdError(datamodel.CodeCommandFailure, cmd, "transition request to %s: %v", sta, err)
	}
	wait := s.n.deps.Clock.After(steerAnswerTimeout)
	select {
	case tr := <-ch:
		out := map[string]string{"Status": "Rejected", "BTMStatus": strconv.Itoa(tr.Status), "TargetBSSID": ""}
		if tr.Accepted() {
			out["Status"] = "Accepted"
			if len(tr.Target) == 6 {
				out["TargetBSSID"] = strings.ToLower(tr.Target.String())
			}
		}
		s.log.Info("steered", "radio", sr.name, "station", sta.String(), "target", target.String(), "status", out["Status"], "btm_status", tr.Status)
		return out, nil
	case <-wait:
		forget()
		s.log.Info("steer request unanswered", "radio", sr.name, "station", sta.String(), "target", target.String())
		return map[string]string{"Status": "NoAnswer", "BTMStatus": "-1", "TargetBSSID": ""}, nil
	case <-ctx.Done():
		forget()
		return nil, fmt.Errorf("%s: %w", cmd, ctx.Err())
	}
}

// denyCommand runs Device.WiFi.AccessPoint.{i}.X_USPMESH_Deny().
func (s *steering) denyCommand(ctx context.Context, row datamodel.Row, in map[string]string) (map[string]string, error) {
	cmd := row.Path + tr181.DenyCommand + "()"
	if err := s.admit(ctx, cmd, in); err != nil {
		return nil, err
	}
	sta, err := net.ParseMAC(in["Station"])
	if err != nil || len(sta) != 6 {
		return nil, cmdError(datamodel.CodeInvalidCmdArgs, cmd, "Station: %q is not a MAC address", in["Station"])
	}
	secs, err := strconv.Atoi(in["Seconds"])
	if err != nil || secs < 1 || secs > tr181.MaxDenySeconds {
		return nil, cmdError(datamodel.CodeInvalidCmdArgs, cmd, "Seconds: %q outside 1..%d", in["Seconds"], tr181.MaxDenySeconds)
	}
	sr, err := s.target(ctx, cmd, row)
	if err != nil {
		return nil, err
	}
	if err := s.budget(cmd, sta); err != nil {
		return nil, err
	}
	until := s.n.deps.Clock.Now().Add(time.Duration(secs) * time.Second)
	if err := sr.s.Deny(ctx, sta, until); err != nil {
		if errors.Is(err, radio.ErrUnsupported) {
			return nil, cmdError(datamodel.CodeCommandFailure, cmd, "radio %s cannot refuse stations: %v", sr.name, err)
		}
		return nil, cmdError(datamodel.CodeCommandFailure, cmd, "refuse %s: %v", sta, err)
	}
	s.log.Info("station refused", "radio", sr.name, "station", sta.String(), "seconds", secs)
	return map[string]string{"Status": "Complete"}, nil
}
