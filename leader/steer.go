package leader

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/steer"
	"github.com/uspmesh/uspmesh/usp"
)

// Client steering on the leader. While this node leads, a steering round
// runs every Steering.Period: it reads every Agent's radios, SSIDs and
// access points with their AssociatedDevice rows over USP, maps them onto
// the policy's input (package steer's doc says how; each client's
// airtime comes from its byte counters since the last round, markActive),
// runs steer.Decide
// with the memory of the previous round, and executes each action on the
// client's current Agent: X_USPMESH_Steer() (an 802.11v BSS transition
// request) or, for a client without 802.11v, X_USPMESH_Deny(), both
// carrying the term so that a deposed leader's command is refused (7002).
// The BTM answers the commands return go into the next round's
// Responses. The policy's memory (the per-client hourly limit, back-off
// and ping-pong window) outlives terms: a new term of this node goes on
// with it; another node that takes over starts afresh.

// Paths the steering round reads and runs on the Agents.
const (
	accessPointTable = "Device.WiFi.AccessPoint."
	steerCommand     = "X_USPMESH_Steer()"
	denyCommand      = "X_USPMESH_Deny()"
)

// SteeringConfig configures the steering rounds.
type SteeringConfig struct {
	// Enabled turns client steering on.
	Enabled bool
	// Period is the time between the starts of two rounds (0:
	// DefaultSteerPeriod).
	Period time.Duration
	// CommandTimeout bounds one steering command, the station's answer
	// included (0: DefaultSteerCommandTimeout).
	CommandTimeout time.Duration
	// Policy is the steering policy's configuration (zero fields: its
	// defaults).
	Policy steer.Config
}

// Defaults of SteeringConfig. A round every 5 s keeps the policy's
// MaxAge (15 s) three rounds deep; the Agent waits 3 s for a station's
// answer, and a command gets 10 s (also as the request's deadline: the
// mesh Controller bounds a request without one by 5 s).
const (
	DefaultSteerPeriod         = 5 * time.Second
	DefaultSteerCommandTimeout = 10 * time.Second
)

// SteerEvent is one steering action as executed, for the node's
// Device.X_USPMESH_Mesh.Steering. and its log.
type SteerEvent struct {
	Time    time.Time
	Term    uint64
	Station string
	// From and To are BSSIDs; FromAgent is the Agent that executed it.
	From, To  string
	FromAgent usp.EndpointID
	Method    string // "btm" or "deny"
	Reason    string // the policy's reason: throughput, band-up, band-down
	// Outcome is "Accepted", "Rejected", "NoAnswer" (BTM), "Refused"
	// (deny done) or "Error" (the command failed; Message says why).
	Outcome   string
	BTMStatus int // the station's BTM status, -1 when none
	Message   string
	// CurrentMbps and ExpectedMbps are the policy's estimates of the
	// client's throughput at From and at To (steer.Action), which made
	// the move worth it.
	CurrentMbps, ExpectedMbps float64
}

// SteerReporter records executed steering actions; the node implements
// it. It may be nil in Config (nothing is recorded).
type SteerReporter interface {
	Steered(ctx context.Context, ev SteerEvent)
}

// steerState is the policy's memory and the responses to feed the next
// round, kept across terms.
type steerState struct {
	mu        sync.Mutex
	mem       steer.Memory
	responses []steer.Response
	// traffic is the last round's counter readings by client MAC, from
	// which the next round measures each client's airtime (markActive).
	traffic map[string]traffic
}

// runSteering runs steering rounds while ctx lasts (the term leads).
func (l *Loop) runSteering(ctx context.Context, term uint64, lead *uint64) {
	sc := l.cfg.Steering
	if !sc.Enabled {
		return
	}
	period := cmp.Or(sc.Period, DefaultSteerPeriod)
	for {
		start := l.clk.Now()
		if err := l.steerRound(ctx, term, lead); err != nil && ctx.Err() == nil {
			l.log.Warn("steering round", "term", term, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-l.clk.After(max(0, start.Add(period).Sub(l.clk.Now()))):
		}
	}
}

// steerBSS is a BSS as measured, with the AccessPoint row that serves it.
type steerBSS struct {
	steer.BSS
	apRow string // Device.WiFi.AccessPoint.{i}. on Node
	band  string // TR-181 spelling
}

// steerRound runs one round.
func (l *Loop) steerRound(ctx context.Context, term uint64, lead *uint64) error {
	sc := l.cfg.Steering
	now := l.clk.Now()
	agents := l.agents()
	var mu sync.Mutex
	var bsss []steerBSS
	var clients []steer.Client
	counters := map[string]traffic{}
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Go(func() {
			cctx, cancel := withTimeout(ctx, l.clk, l.cfg.MeasureTimeout)
			defer cancel()
			rows, err := l.getRows(cctx, a, radioTable, ssidTable, accessPointTable)
			if err != nil {
				l.log.Debug("steering: read agent", "agent", a, "err", err)
				return
			}
			b, c := steerRows(a, rows, now)
			tr := stationTraffic(rows, now)
			mu.Lock()
			bsss, clients = append(bsss, b...), append(clients, c...)
			for mac, t := range tr {
				counters[mac] = t
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	in := steer.Input{Now: now, Clients: clients}
	byBSSID := map[string]steerBSS{}
	for _, b := range bsss {
		in.BSSs = append(in.BSSs, b.BSS)
		byBSSID[b.BSSID] = b
	}
	st := &l.steer
	st.mu.Lock()
	markActive(in.BSSs, in.Clients, st.traffic, counters)
	st.traffic = counters
	in.Responses, st.responses = st.responses, nil
	res, err := steer.Decide(sc.Policy, in, st.mem)
	if err == nil {
		st.mem = res.Memory
	}
	st.mu.Unlock()
	if err != nil {
		return err
	}
	for _, p := range res.Problems {
		l.log.Debug("steering input ignored", "problem", p)
	}
	// The actions run in parallel: a client that does not answer holds
	// its command for the Agent's whole wait, and must not delay the
	// others.
	var ewg sync.WaitGroup
	for _, act := range res.Actions {
		if l.lead.Load() != lead || ctx.Err() != nil {
			break
		}
		from, ok := byBSSID[act.From]
		if !ok {
			continue
		}
		ewg.Go(func() {
			ev := l.execSteer(ctx, term, act, from, byBSSID)
			st.mu.Lock()
			if act.Method == steer.Transition && ev.BTMStatus >= 0 {
				st.responses = append(st.responses, steer.Response{MAC: act.Client, Status: ev.BTMStatus})
			}
			st.mu.Unlock()
			l.log.Info("steered", "station", ev.Station, "from", ev.From, "to", ev.To, "agent", ev.FromAgent,
				"method", ev.Method, "reason", ev.Reason, "outcome", ev.Outcome, "btm_status", ev.BTMStatus,
				"current_mbps", int(act.CurrentMbps), "expected_mbps", int(act.ExpectedMbps), "err", ev.Message)
			if l.cfg.SteerReport != nil {
				l.cfg.SteerReport.Steered(ctx, ev)
			}
		})
	}
	ewg.Wait()
	if l.lead.Load() != lead {
		return fmt.Errorf("steering: %w", ErrDeposed)
	}
	return nil
}

// execSteer runs one action's command on the client's current Agent.
func (l *Loop) execSteer(ctx context.Context, term uint64, act steer.Action, from steerBSS, byBSSID map[string]steerBSS) SteerEvent {
	ev := SteerEvent{Time: l.clk.Now(), Term: term, Station: act.Client, From: act.From, To: act.To,
		FromAgent: usp.EndpointID(from.Node), Method: act.Method.String(), Reason: act.Reason.String(), BTMStatus: -1,
		CurrentMbps: act.CurrentMbps, ExpectedMbps: act.ExpectedMbps}
	timeout := cmp.Or(l.cfg.Steering.CommandTimeout, DefaultSteerCommandTimeout)
	cctx, cancel := withTimeout(ctx, l.clk, timeout)
	defer cancel()
	cctx, cancelDeadline := context.WithTimeout(cctx, timeout)
	defer cancelDeadline()
	args := map[string]string{"Station": act.Client, "Term": strconv.FormatUint(term, 10)}
	cmd := from.apRow + steerCommand
	if act.Method == steer.Deny {
		cmd = from.apRow + denyCommand
		args["Seconds"] = strconv.Itoa(max(1, int(act.DenyFor/time.Second)))
	} else {
		args["TargetBSSID"] = act.To
		var cands []string
		for _, c := range act.Candidates {
			if b, ok := byBSSID[c]; ok && b.Channel > 0 {
				cands = append(cands, fmt.Sprintf("%s/%s/%d", c, b.band, b.Channel))
			}
		}
		args["Candidates"] = strings.Join(cands, ",")
	}
	key := fmt.Sprintf("steer-%d-%d", l.clk.Now().UnixNano(), commandKeys.Add(1))
	resp, err := l.cfg.Agents.Operate(cctx, ev.FromAgent, cmd, key, args)
	if err != nil {
		ev.Outcome, ev.Message = "Error", err.Error()
		return ev
	}
	for _, r := range resp.GetOperationResults() {
		if f := r.GetCmdFailure(); f != nil {
			ev.Outcome, ev.Message = "Error", fmt.Sprintf("%d %s", f.GetErrCode(), f.GetErrMsg())
			return ev
		}
		out := r.GetReqOutputArgs().GetOutputArgs()
		if act.Method == steer.Deny {
			ev.Outcome = "Refused"
			return ev
		}
		ev.Outcome = out["Status"]
		if s, err := strconv.Atoi(out["BTMStatus"]); err == nil {
			ev.BTMStatus = s
		}
		if t := out["TargetBSSID"]; t != "" {
			ev.To = t
		}
		return ev
	}
	ev.Outcome, ev.Message = "Error", "no operation result"
	return ev
}

// minUplinkMbps is the least an associated wireless backhaul is priced
// at: the 1 Mb/s basic rate an idle link reports.
const minUplinkMbps = 1.0

// uplinkMbps is what a radio's wireless backhaul carries (steer.BSS's
// BackhaulMbps): the uplink's PHY rate times the airtime its channel
// leaves (busy is the channel's busy share, at least 2 % left). The rate
// is the larger of the one the radio reports (X_USPMESH_UplinkRate, that
// of the last frames sent, a basic rate on an idle link) and the one its
// level sustains (X_USPMESH_UplinkSignalStrength, at the radio's
// standard and width, two streams), and at least minUplinkMbps once
// either figure is known: an associated link below the standard's
// sensitivity still carries frames, and 0 would read as a wired backhaul
// without limit. 0 when the radio has no uplink or neither figure.
func uplinkMbps(kv map[string]string, std steer.Standard, width int, busy float64) float64 {
	if kv["X_USPMESH_UplinkBSSID"] == "" {
		return 0
	}
	mbps, known := 0.0, false
	if kbps, err := strconv.Atoi(kv["X_USPMESH_UplinkRate"]); err == nil && kbps > 0 {
		mbps, known = float64(kbps)/1000, true
	}
	if dbm, err := strconv.Atoi(kv["X_USPMESH_UplinkSignalStrength"]); err == nil && dbm < 0 {
		known = true
		if std != 0 {
			mbps = max(mbps, steer.PHYRate(std, max(width, 20), 2, float64(dbm)))
		}
	}
	if !known {
		return 0
	}
	return max(mbps, minUplinkMbps) * min(max(1-busy, 0.02), 1)
}

// steerRows maps one Agent's radio, SSID and access point rows onto the
// policy's BSSs and clients. Every BSS of the Agent carries its node's
// wireless backhaul (the smallest of its radios' uplinkMbps).
func steerRows(a usp.EndpointID, rows map[string]map[string]string, now time.Time) ([]steerBSS, []steer.Client) {
	type radioRow struct {
		band     steer.Band
		name     string
		bandName string
		channel  int
		width    int
		std      steer.Standard
		load     float64
	}
	radios := map[string]radioRow{}
	backhaul := 0.0 // the node's wireless backhaul, Mb/s; 0 wired or unknown
	for p, kv := range rows {
		rest, ok := strings.CutPrefix(p, radioTable)
		if !ok || strings.Count(rest, ".") != 1 {
			continue
		}
		rr := radioRow{name: kv["Name"], bandName: kv["OperatingFrequencyBand"], band: bandOf(kv["OperatingFrequencyBand"]),
			std: standardOf(kv["OperatingStandards"])}
		rr.channel, _ = strconv.Atoi(kv["Channel"])
		rr.width = widthMHz(kv["CurrentOperatingChannelBandwidth"])
		if busy, err := strconv.Atoi(rows[p+"Stats."]["X_USPMESH_ChannelBusy"]); err == nil && busy >= 0 {
			rr.load = float64(busy) / 100
		}
		radios[strings.TrimSuffix(p, ".")] = rr
		if mbps := uplinkMbps(kv, rr.std, rr.width, rr.load); mbps > 0 && (backhaul == 0 || mbps < backhaul) {
			backhaul = mbps
		}
	}
	ssids := map[string][2]string{} // SSID row → BSSID, radio row
	for p, kv := range rows {
		rest, ok := strings.CutPrefix(p, ssidTable)
		if !ok || strings.Count(rest, ".") != 1 {
			continue
		}
		ssids[strings.TrimSuffix(p, ".")] = [2]string{strings.ToLower(kv["BSSID"]), strings.TrimSuffix(strings.Split(kv["LowerLayers"], ",")[0], ".")}
	}
	var bsss []steerBSS
	apBSSID := map[string]string{} // AccessPoint row → BSSID
	for p, kv := range rows {
		rest, ok := strings.CutPrefix(p, accessPointTable)
		if !ok || strings.Count(rest, ".") != 1 {
			continue
		}
		s, ok := ssids[strings.TrimSuffix(kv["SSIDReference"], ".")]
		if !ok || s[0] == "" {
			continue
		}
		rr, ok := radios[s[1]]
		if !ok || rr.band == 0 {
			continue
		}
		apBSSID[p] = s[0]
		bsss = append(bsss, steerBSS{apRow: p, band: rr.bandName, BSS: steer.BSS{BSSID: s[0], Node: string(a), Radio: rr.name,
			Band: rr.band, Channel: rr.channel, WidthMHz: rr.width, Standard: rr.std, Load: rr.load,
			BackhaulMbps: backhaul}})
	}
	var clients []steer.Client
	for p, kv := range rows {
		ap, ok := associatedDevice(p)
		if !ok {
			continue
		}
		bssid := apBSSID[ap]
		if bssid == "" || kv["MACAddress"] == "" {
			continue
		}
		c := steer.Client{MAC: strings.ToLower(kv["MACAddress"]), BSSID: bssid}
		if sig, err := strconv.Atoi(kv["SignalStrength"]); err == nil {
			c.Signal = steer.Signal{DBm: float64(sig)}
		}
		if t, err := time.Parse(time.RFC3339, kv["AssociationTime"]); err == nil && t.Year() > 1 && !t.After(now) {
			c.ConnectedFor = now.Sub(t)
		}
		c.Caps.BTM = kv["X_USPMESH_BTM"] == "true" || kv["X_USPMESH_BTM"] == "1"
		for _, b := range strings.Split(kv["X_USPMESH_Bands"], ",") {
			if x := bandOf(strings.TrimSpace(b)); x != 0 {
				c.Caps.Bands |= steer.Bands(x)
			}
		}
		c.Caps.Standard = standardOf(kv["X_USPMESH_Standards"])
		// The beacon report's levels are downlink (the client hears the
		// APs), the AP's SignalStrength uplink: they differ by the
		// transmit powers of AP and client. When the report also heard
		// the client's own BSS, its level there replaces the uplink one,
		// so that one scale is compared.
		var own *steer.Signal
		for _, item := range strings.Split(kv["X_USPMESH_Seen"], ",") {
			f := strings.Split(strings.TrimSpace(item), "/")
			if len(f) != 3 {
				continue
			}
			dbm, err1 := strconv.ParseFloat(f[1], 64)
			at, err2 := time.Parse(time.RFC3339Nano, f[2])
			if err1 != nil || err2 != nil {
				continue
			}
			sig := steer.Signal{DBm: dbm, Age: max(0, now.Sub(at))}
			if strings.EqualFold(f[0], bssid) {
				own = &sig
				continue
			}
			c.Seen = append(c.Seen, steer.Observation{BSSID: strings.ToLower(f[0]), Signal: sig})
		}
		if own != nil {
			c.Signal = *own
		}
		clients = append(clients, c)
	}
	for i := range bsss {
		for _, c := range clients {
			if c.BSSID == bsss[i].BSSID {
				bsss[i].Clients++
			}
		}
	}
	return bsss, clients
}

// associatedDevice returns the AccessPoint row (with its dot) of a
// Device.WiFi.AccessPoint.{i}.AssociatedDevice.{j}. path; ok is false for
// any other path.
func associatedDevice(p string) (ap string, ok bool) {
	rest, ok := strings.CutPrefix(p, accessPointTable)
	if !ok || strings.Count(rest, ".") != 3 {
		return "", false
	}
	i := strings.Index(rest, ".AssociatedDevice.")
	if i < 0 {
		return "", false
	}
	return accessPointTable + rest[:i+1], true
}

// bandOf maps TR-181's band spelling onto the policy's.
func bandOf(s string) steer.Band {
	switch s {
	case "2.4GHz":
		return steer.Band24
	case "5GHz":
		return steer.Band5
	case "6GHz":
		return steer.Band6
	}
	return 0
}

// standardOf is the newest standard of a TR-181 standards list.
func standardOf(list string) steer.Standard {
	best := steer.UnknownStandard
	for _, s := range strings.Split(list, ",") {
		var x steer.Standard
		switch strings.TrimSpace(s) {
		case "a", "g":
			x = steer.Legacy
		case "n":
			x = steer.HT
		case "ac":
			x = steer.VHT
		case "ax", "be":
			x = steer.HE
		}
		best = max(best, x)
	}
	return best
}
