//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// Client steering end to end: three real meshd processes on the sim
// radios, the leader steering walking and standing clients over USP.

// The steering home's clients.
const (
	walkerMAC   = "02:5e:00:00:00:01" // 5 GHz, 802.11v and k, walks from ap1 to ap3
	dualMAC     = "02:5e:00:00:00:02" // 2.4 and 5 GHz, 802.11v and k, stands beside ap2
	ignorerMAC  = "02:5e:00:00:00:03" // 5 GHz, advertises 802.11v, never answers
	legacyMAC   = "02:5e:00:00:00:04" // 5 GHz, 802.11k but no 802.11v
	walkerSpeed = 1.5                 // m/s
)

// The walker's path: along the line from ap1 (0,0) to ap3 (24,0), from
// x=2 to x=20. The crossing is at x=12, where ap1 and ap3 are equally
// strong (no walls, no shadowing, equal transmit powers).
var (
	walkFrom, walkTo = sim.Pos{X: 2}, sim.Pos{X: 20}
	crossX           = 12.0
)

// Every client enters the home a few seconds after t0, when every node's
// radios are up: before, it stands five floors up (200 dB of floor loss:
// it hears no AP), then "comes down the stairs" (15 m of path) to its
// place. So each joins the strongest radio of the whole home, whichever
// node started first. The walker then waits walkPause before it walks.
const (
	walkPause  = 25.0 // s
	offFloor   = 5
	stairsLenM = offFloor * 3
)

// walkTimes are when the walker starts walking, crosses over and stops.
func walkTimes(t0 time.Time) (start, cross, end time.Time) {
	s := func(sec float64) time.Duration { return time.Duration(sec * float64(time.Second)) }
	start = t0.Add(s(stairsLenM/walkerSpeed + walkPause))
	return start, start.Add(s((crossX - walkFrom.X) / walkerSpeed)), start.Add(s((walkTo.X - walkFrom.X) / walkerSpeed))
}

// steerHomeFile writes the steering home: three APs in a corridor-like
// house without walls (ap1 and ap3 24 m apart, ap2 20 m off the line
// between them), path loss exponent 3.5 and no shadowing, so that who is
// strongest where is plain geometry; 5 GHz radios on non-DFS channels
// only, so a channel plan never silences one for a CAC. Clients, each
// entering after t0 (see offFloor):
//
//   - the walker, sticky (roams itself below -80 dBm), on ap1's 5 GHz
//     until walkTimes' start, then walking at 1.5 m/s to 4 m from ap3;
//   - the dual-band client 3 m from ap2, joined on 2.4 GHz (the
//     stronger band there: 4 dB), with ap2's 5 GHz radio idle;
//   - the ignorer, joining ap1's 5 GHz beside it, then walking to 4 m
//     from ap3 and staying sticky on ap1 (-70 dBm there), answering no
//     BSS transition request;
//   - the legacy client, walking alike, without 802.11v (with 802.11k).
func steerHomeFile(t *testing.T, t0 time.Time) string {
	t.Helper()
	home := threeAPHome(t, "steer", 11, [3]sim.Pos{{X: 0, Y: 0}, {X: 12, Y: 20}, {X: 24, Y: 0}})
	up := func(p sim.Pos) sim.Pos { p.Floor = offFloor; return p }
	dual := sim.Pos{X: 12, Y: 17}
	ign, legacy := sim.Pos{X: 1, Y: 1}, sim.Pos{X: 1, Y: -1}
	home.Clients = []sim.Client{
		{MAC: walkerMAC, Band: radio.Band5G, Load: 0.05, Steering: sim.Steering{RoamDBm: sim.StickyRoamDBm, BTM: sim.BTMComply, BeaconReport: true,
			Path: &sim.Path{Waypoints: []sim.Pos{up(walkFrom), walkFrom, walkTo}, SpeedMPS: walkerSpeed, PauseS: walkPause, Start: t0}}},
		{MAC: dualMAC, Band: radio.Band2G4, Load: 0.05, Steering: sim.Steering{
			Bands: []radio.Band{radio.Band2G4, radio.Band5G}, RoamDBm: sim.StickyRoamDBm, BTM: sim.BTMComply, BeaconReport: true,
			Path: &sim.Path{Waypoints: []sim.Pos{up(dual), dual}, SpeedMPS: 4, Start: t0}}},
		{MAC: ignorerMAC, Band: radio.Band5G, Load: 0.05, Steering: sim.Steering{RoamDBm: sim.StickyRoamDBm, BTM: sim.BTMIgnore, BeaconReport: true,
			Path: &sim.Path{Waypoints: []sim.Pos{up(ign), ign, {X: 20, Y: 1}}, SpeedMPS: 4, PauseS: 3, Start: t0}}},
		{MAC: legacyMAC, Band: radio.Band5G, Load: 0.05, Steering: sim.Steering{RoamDBm: sim.StickyRoamDBm, BeaconReport: true,
			Path: &sim.Path{Waypoints: []sim.Pos{up(legacy), legacy, {X: 20, Y: -1}}, SpeedMPS: 4, PauseS: 3, Start: t0}}},
	}
	return writeHomeFile(t, home, "steer.json")
}

// threeAPHome is a home of three APs at pos with flat.json's radios,
// path loss exponent 3.5 and no shadowing: 2.4 GHz on channels 1, 6
// and 11, 5 GHz at 80 MHz on 36, 149 and 36 with the non-DFS channels
// only (so a plan never silences a radio for a CAC).
func threeAPHome(t *testing.T, name string, seed int64, pos [3]sim.Pos) *sim.Home {
	t.Helper()
	flat := loadHome(t, "flat.json")
	base, _ := flat.AP("ap1")
	home := &sim.Home{Name: name, Seed: seed, PathLoss: sim.PathLoss{Exponent: 3.5, FloorLossDB: 40, FloorHeightM: 3}}
	for i, p := range pos {
		ap := sim.AP{Node: fmt.Sprintf("ap%d", i+1), Pos: p}
		for _, r := range base.Radios {
			r.Channels = slices.Clone(r.Channels)
			switch r.Band {
			case radio.Band2G4:
				r.Channel = []int{1, 6, 11}[i]
			case radio.Band5G:
				r.Channels = []int{36, 40, 44, 48, 149, 153, 157, 161}
				r.Channel, r.Width = []int{36, 149, 36}[i], 80
			}
			ap.Radios = append(ap.Radios, r)
		}
		home.APs = append(home.APs, ap)
	}
	return home
}

// steerAction is one row of a node's Device.X_USPMESH_Mesh.Steering.Action.
type steerAction struct {
	node                                                int
	seq                                                 int
	at                                                  time.Time
	station, from, to, method, reason, outcome, message string
	current, expected                                   int // the policy's estimates, Mb/s
}

// steerActions reads every node's Steering.Action table.
func steerActions(ctx context.Context, h *Home) ([]steerAction, error) {
	var out []steerAction
	for i := range h.Nodes() {
		kv, err := h.Get(ctx, i, "Device.X_USPMESH_Mesh.Steering.Action.")
		if err != nil {
			return nil, err
		}
		rows := map[string]*steerAction{}
		for p, v := range kv {
			rest, _ := strings.CutPrefix(p, "Device.X_USPMESH_Mesh.Steering.Action.")
			inst, param, ok := strings.Cut(rest, ".")
			if !ok {
				continue
			}
			a := rows[inst]
			if a == nil {
				a = &steerAction{node: i}
				rows[inst] = a
			}
			switch param {
			case "Seq":
				a.seq, _ = strconv.Atoi(v)
			case "Time":
				a.at, _ = time.Parse(time.RFC3339, v)
			case "Station":
				a.station = v
			case "From":
				a.from = v
			case "To":
				a.to = v
			case "Method":
				a.method = v
			case "Reason":
				a.reason = v
			case "Outcome":
				a.outcome = v
			case "Message":
				a.message = v
			case "CurrentThroughput":
				a.current, _ = strconv.Atoi(v)
			case "ExpectedThroughput":
				a.expected, _ = strconv.Atoi(v)
			}
		}
		for _, a := range rows {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b steerAction) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	return out, nil
}

// homeBSSs returns each node's BSSID per band, and the BSS (node, band)
// each associated station is on.
func homeBSSs(ctx context.Context, h *Home) (bss map[int]map[radio.Band]string, on map[string]string, err error) {
	bss, on = map[int]map[radio.Band]string{}, map[string]string{}
	for i := range h.Nodes() {
		kv, err := h.Get(ctx, i, "Device.WiFi.Radio.", "Device.WiFi.SSID.", "Device.WiFi.AccessPoint.")
		if err != nil {
			return nil, nil, err
		}
		bss[i] = map[radio.Band]string{}
		apBSSID := map[string]string{}
		for p, v := range kv {
			ssid, ok := strings.CutSuffix(p, ".BSSID")
			if !ok || !strings.HasPrefix(p, "Device.WiFi.SSID.") {
				continue
			}
			band := radio.Band(kv[strings.TrimSuffix(kv[ssid+".LowerLayers"], ".")+".OperatingFrequencyBand"])
			bss[i][band] = strings.ToLower(v)
			for q, ref := range kv {
				if ap, ok := strings.CutSuffix(q, ".SSIDReference"); ok && strings.TrimSuffix(ref, ".") == ssid {
					apBSSID[ap] = strings.ToLower(v)
				}
			}
		}
		for p, v := range kv {
			if ap, _, ok := strings.Cut(p, ".AssociatedDevice."); ok && strings.HasSuffix(p, ".MACAddress") {
				on[strings.ToLower(v)] = apBSSID[ap]
			}
		}
	}
	return bss, on, nil
}

// TestSteering: the leader steers clients over USP (X_USPMESH_Steer()
// on the client's AP, fenced by its term):
//
//   - a 5 GHz client walking from ap1's end of the house to ap3's is
//     steered to ap3 within 10 s of crossing the point where ap3 becomes
//     the stronger AP, accepted, and never steered back;
//   - a dual-band client standing beside ap2 on 2.4 GHz is moved to
//     ap2's idle 5 GHz radio (band-up), once;
//   - a client that ignores BSS transition requests gets at most the
//     policy's 4 attempts an hour, all unanswered, and no fifth for a
//     minute after the fourth (its back-off would have allowed one); a
//     new leader's further commands are refused by the client's AP;
//   - a client without 802.11v near ap3 but still on ap1 is refused on
//     ap1 (deny) and joins ap3;
//   - steering and refusal commands with a stale term are refused with
//     7002 and move nobody.
//
// The fast profile shortens the policy's timings (meshd's
// steeringConfig: MinDwell 10 s, back-off from 5 s): with the default
// 1-minute back-off the ignoring client's four attempts would take 8
// minutes. The hourly limit itself is the default's.
func TestSteering(t *testing.T) {
	t0 := time.Now().Add(8 * time.Second)
	walkStart, cross, walkEnd := walkTimes(t0)
	h := startHome(t, HomeConfig{Nodes: 3, Profile: "fast", SimHome: steerHomeFile(t, t0)})
	leader, term := awaitAgreement(t, h, seq(0, 3))
	t.Logf("leader %s, term %d; the walker starts at %s and crosses over at %s", leader, term,
		walkStart.Format(time.TimeOnly), cross.Format(time.TimeOnly))
	ctx := t.Context()

	// Every client has entered and joined the strongest radio: the
	// dual-band client ap2's 2.4 GHz, the walker ap1's 5 GHz.
	var bss map[int]map[radio.Band]string
	var on map[string]string
	if err := waitFor(20*time.Second, func() error {
		var err error
		if bss, on, err = homeBSSs(ctx, h); err != nil {
			return err
		}
		for _, mac := range []string{walkerMAC, dualMAC, ignorerMAC, legacyMAC} {
			if on[mac] == "" {
				return fmt.Errorf("%s not associated", mac)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ap1, ap2, ap3 := bss[0], bss[1], bss[2]
	if on[dualMAC] != ap2[radio.Band2G4] || on[walkerMAC] != ap1[radio.Band5G] {
		t.Fatalf("the dual-band client is on %q, want ap2's 2.4 GHz %s; the walker on %q, want ap1's 5 GHz %s",
			on[dualMAC], ap2[radio.Band2G4], on[walkerMAC], ap1[radio.Band5G])
	}

	// Stale terms: refused with 7002, nobody moves.
	cl, err := h.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n1, _ := h.Node(1)
	stale := strconv.FormatUint(term-1, 10)
	for _, c := range []struct {
		cmd  string
		args map[string]string
	}{
		{"X_USPMESH_Steer()", map[string]string{"Station": dualMAC, "TargetBSSID": ap1[radio.Band2G4], "Candidates": ap1[radio.Band2G4] + "/2.4GHz/1", "Term": stale}},
		{"X_USPMESH_Deny()", map[string]string{"Station": dualMAC, "Seconds": "60", "Term": stale}},
	} {
		var code uint32
		for _, ap := range []string{"Device.WiFi.AccessPoint.1.", "Device.WiFi.AccessPoint.2."} {
			resp, err := cl.Operate(ctx, n1.AgentID, ap+c.cmd, "stale", c.args)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range resp.GetOperationResults() {
				if f := r.GetCmdFailure(); f != nil {
					code = f.GetErrCode()
					if code != 7002 {
						t.Errorf("%s%s with term %s: %d %s, want 7002", ap, c.cmd, stale, f.GetErrCode(), f.GetErrMsg())
					}
				} else {
					t.Errorf("%s%s with stale term %s succeeded: %v", ap, c.cmd, stale, r.GetReqOutputArgs().GetOutputArgs())
				}
			}
		}
		if code != 7002 {
			t.Errorf("%s with a stale term: no 7002", c.cmd)
		}
	}

	// Watch the steering until the walker arrived and was steered, the
	// dual-band client moved, and the ignorer's fourth attempt is a
	// minute old (or the bound passes).
	deadline := t0.Add(150 * time.Second)
	var acts []steerAction
	for {
		if time.Now().After(deadline) {
			break
		}
		a, err := steerActions(ctx, h)
		if err == nil {
			acts = a
		}
		var ign []steerAction
		walked, banded := false, false
		for _, a := range acts {
			switch a.station {
			case ignorerMAC:
				if a.outcome == "NoAnswer" {
					ign = append(ign, a)
				}
			case walkerMAC:
				walked = walked || (a.outcome == "Accepted" && a.to == ap3[radio.Band5G])
			case dualMAC:
				banded = banded || a.outcome == "Accepted"
			}
		}
		if walked && banded && time.Now().After(walkEnd.Add(20*time.Second)) && len(ign) >= 4 && time.Since(ign[3].at) > time.Minute {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(time.Second):
		}
	}
	for _, a := range acts {
		t.Logf("%s node %d: %s %s -> %s %s %s %s", a.at.Format(time.TimeOnly), a.node, a.station, a.from, a.to, a.method, a.reason, a.outcome)
	}
	_, on, err = homeBSSs(ctx, h)
	if err != nil {
		t.Fatal(err)
	}

	// The walker: steered to ap3 within 10 s of crossing over, and then
	// never steered away from it.
	var walker []steerAction
	for _, a := range acts {
		if a.station == walkerMAC {
			walker = append(walker, a)
		}
	}
	i := slices.IndexFunc(walker, func(a steerAction) bool { return a.outcome == "Accepted" && a.to == ap3[radio.Band5G] })
	switch {
	case i < 0:
		t.Errorf("the walker was not steered to ap3's 5 GHz %s: %v", ap3[radio.Band5G], walker)
	case walker[i].at.After(cross.Add(10 * time.Second)):
		// Action times are whole seconds (TR-106 dateTime): a steer in
		// the 10th second after the crossing passes.
		t.Errorf("the walker was steered to ap3 at %s, %v after crossing over (want within 10 s)",
			walker[i].at.Format(time.TimeOnly), walker[i].at.Sub(cross).Round(time.Second))
	default:
		t.Logf("walker steered to ap3 %v after crossing over", walker[i].at.Sub(cross).Round(time.Second))
		if slices.ContainsFunc(walker[i+1:], func(a steerAction) bool { return a.from == ap3[radio.Band5G] }) {
			t.Errorf("the walker was steered away from ap3 again: %v", walker[i+1:])
		}
		if walker[i].from != ap1[radio.Band5G] {
			t.Errorf("the walker was steered from %s, want ap1's 5 GHz %s", walker[i].from, ap1[radio.Band5G])
		}
	}
	if on[walkerMAC] != ap3[radio.Band5G] {
		t.Errorf("the walker ends on %q, want ap3's 5 GHz %s", on[walkerMAC], ap3[radio.Band5G])
	}

	// The dual-band client: moved up to ap2's 5 GHz, once.
	var dual []steerAction
	for _, a := range acts {
		if a.station == dualMAC {
			dual = append(dual, a)
		}
	}
	if len(dual) != 1 || dual[0].outcome != "Accepted" || dual[0].from != ap2[radio.Band2G4] || dual[0].to != ap2[radio.Band5G] || dual[0].reason != "band-up" {
		t.Errorf("dual-band client's actions %v, want one accepted band-up from %s to %s", dual, ap2[radio.Band2G4], ap2[radio.Band5G])
	}
	if on[dualMAC] != ap2[radio.Band5G] {
		t.Errorf("the dual-band client ends on %q, want ap2's 5 GHz %s", on[dualMAC], ap2[radio.Band5G])
	}

	// The ignorer: at most 4 attempts reach it, all unanswered; any
	// further command (a new leader's, whose memory starts empty) is
	// refused by its AP's own hourly bound (7002); it stays on ap1.
	var ign []steerAction
	for _, a := range acts {
		switch {
		case a.station != ignorerMAC:
		case a.outcome == "Error" && strings.HasPrefix(a.message, "7002 "):
			t.Logf("the ignoring client's AP refused a command: %s", a.message)
		case a.outcome != "NoAnswer":
			t.Errorf("the ignoring client's attempt %v, want NoAnswer", a)
		default:
			ign = append(ign, a)
		}
	}
	switch {
	case len(ign) > 4:
		t.Errorf("the ignoring client got %d attempts, want at most 4 an hour", len(ign))
	case len(ign) < 2:
		t.Errorf("the ignoring client got %d attempts, want it tried (and backed off)", len(ign))
	case len(ign) == 4 && time.Since(ign[3].at) < time.Minute:
		t.Errorf("the test ended %v after the ignoring client's 4th attempt, want a minute", time.Since(ign[3].at).Round(time.Second))
	}
	if len(ign) >= 2 {
		t.Logf("ignoring client: %d attempts at %v", len(ign), func() (ts []string) {
			for _, a := range ign {
				ts = append(ts, a.at.Format(time.TimeOnly))
			}
			return ts
		}())
	}
	// The legacy client: refused on ap1's 5 GHz, it joined ap3's.
	var legacy []steerAction
	for _, a := range acts {
		if a.station == legacyMAC {
			legacy = append(legacy, a)
		}
	}
	if len(legacy) == 0 || legacy[0].method != "deny" || legacy[0].outcome != "Refused" || legacy[0].from != ap1[radio.Band5G] {
		t.Errorf("legacy client's actions %v, want a refusal on ap1's 5 GHz %s", legacy, ap1[radio.Band5G])
	}
	if on[legacyMAC] != ap3[radio.Band5G] {
		t.Errorf("the legacy client ends on %q, want ap3's 5 GHz %s", on[legacyMAC], ap3[radio.Band5G])
	}

	if on[ignorerMAC] != ap1[radio.Band5G] {
		t.Errorf("the ignoring client ends on %q, want ap1's 5 GHz %s", on[ignorerMAC], ap1[radio.Band5G])
	}
}

// TestRenderSteering: the demo lists the clients per node and the
// leader's latest steering actions (the last steerShown, oldest first),
// each line within 100 columns.
func TestRenderSteering(t *testing.T) {
	leader := nodeView{Name: "node0", Status: "Leader"}
	leader.fillSteering(map[string]string{
		"Device.WiFi.AccessPoint.1.AssociatedDevice.1.MACAddress": "02:5e:00:00:00:01",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.4.MACAddress": "02:5e:00:00:00:02",
	})
	for i := 1; i <= 8; i++ {
		p := fmt.Sprintf("Device.X_USPMESH_Mesh.Steering.Action.%d.", i)
		leader.fillSteering(map[string]string{p + "Seq": strconv.Itoa(i), p + "Time": fmt.Sprintf("2026-12-06T03:00:%02dZ", i),
			p + "Station": fmt.Sprintf("02:5e:00:00:00:%02d", i), p + "From": "aa:aa:aa:aa:aa:aa", p + "To": "bb:bb:bb:bb:bb:bb",
			p + "Method": "btm", p + "Reason": "throughput", p + "Outcome": "Accepted"})
	}
	views := []nodeView{leader, {Name: "node1", Status: "Follower"}, {Name: "node2", Problem: "down"}}
	var b strings.Builder
	renderSteering(&b, views)
	out := b.String()
	if !strings.Contains(out, "Clients per node: node0 2, node1 0\n") {
		t.Errorf("no clients line:\n%s", out)
	}
	if strings.Contains(out, "02:5e:00:00:00:02  aa") || !strings.Contains(out, "02:5e:00:00:00:03  aa") || !strings.Contains(out, "02:5e:00:00:00:08  aa") {
		t.Errorf("want actions 3 to 8:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if len(l) > 100 {
			t.Errorf("%d columns: %q", len(l), l)
		}
	}
}

// TestWalkingHome: the demo's walkers join a home file as valid sim
// clients walking between the APs.
func TestWalkingHome(t *testing.T) {
	f, err := walkingHome(filepath.Join("..", "..", "homes", "house.json"), 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f)
	orig, err := sim.LoadHome(filepath.Join("..", "..", "homes", "house.json"))
	if err != nil {
		t.Fatal(err)
	}
	home, err := sim.LoadHome(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(home.Clients) != len(orig.Clients)+2 {
		t.Fatalf("%d clients, want %d", len(home.Clients), len(orig.Clients)+2)
	}
	for _, c := range home.Clients[len(orig.Clients):] {
		if c.Path == nil || len(c.Path.Waypoints) < 2 || !c.Path.Loop || c.BTM != sim.BTMComply || !c.BeaconReport {
			t.Errorf("walker %+v", c)
		}
	}
	one, err := walkingHome(filepath.Join("..", "..", "homes", "house.json"), 1, 1)
	if err != nil {
		t.Errorf("one node: %v (the walk needs two APs of the file, not of the run)", err)
	} else {
		os.Remove(one)
	}
}
