//go:build linux

package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
	"github.com/uspmesh/uspmesh/steer"
)

// backhaulFlat writes homes/flat.json with ap3 reaching ap1 over a
// wireless backhaul: ap3's 5 GHz radio carries a station associated to
// ap1's 5 GHz radio, so it starts on ap1's channel and follows it.
func backhaulFlat(t *testing.T) string {
	t.Helper()
	home := loadHome(t, "flat.json")
	ap1 := home.APs[0].Radios[1]
	r := &home.APs[2].Radios[1]
	r.Channel, r.Width, r.Uplink = ap1.Channel, ap1.Width, "ap1/radio1"
	return writeHomeFile(t, home, "flat-backhaul.json")
}

// TestWirelessBackhaul: ap3's 5 GHz radio is its node's wireless
// backhaul to ap1's. Its Agent shows the uplink through USP; the leader
// plans the two as one (Plan.Input.{i}.BackhaulOf) and, when a busy
// network lands on their channel beside ap3, moves them together, ap1's
// first, with no round failing. A leader that planned ap3's radio apart had its
// switch refused (the radio cannot leave its uplink's channel) and the
// round failed, round after round.
func TestWirelessBackhaul(t *testing.T) {
	h := startHome(t, HomeConfig{Nodes: 3, Profile: "fast", SimHome: backhaulFlat(t)})
	air, err := sim.OpenAir(h.AirDir())
	if err != nil {
		t.Fatal(err)
	}
	leader, term := awaitAgreement(t, h, seq(0, 3))
	li := indexOf(h, leader)
	awaitApplied(t, h, time.Now().Add(-time.Minute), term)
	n1, _ := h.Node(0)
	root := string(n1.AgentID) + "/radio1"

	// ap3's Agent reports its uplink: ap1's BSSID, a level, a rate.
	var ap1BSSID string
	nodes, err := air.Nodes()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		for _, r := range n.Radios {
			if n.Node == "ap1" && r.Name == "radio1" {
				ap1BSSID = r.BSSID
			}
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
	v, err := h.Get(ctx, 2, `Device.WiFi.Radio.[Name=="radio1"].`)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	var bssid string
	var dbm, rate int
	for k, val := range v {
		switch {
		case strings.HasSuffix(k, ".X_USPMESH_UplinkBSSID"):
			bssid = val
		case strings.HasSuffix(k, ".X_USPMESH_UplinkSignalStrength"):
			dbm, _ = strconv.Atoi(val)
		case strings.HasSuffix(k, ".X_USPMESH_UplinkRate"):
			rate, _ = strconv.Atoi(val)
		}
	}
	if !strings.EqualFold(bssid, ap1BSSID) || ap1BSSID == "" || dbm >= 0 || dbm < -90 || rate <= 0 {
		t.Fatalf("ap3 radio1 uplink %q at %d dBm, %d kb/s; want ap1 radio1's BSSID %q, a level and a rate", bssid, dbm, rate, ap1BSSID)
	}
	t.Logf("ap3/radio1's uplink: %s at %d dBm, %d kb/s", bssid, dbm, rate)

	// A busy network on their channel, heard by ap3 alone: the pair
	// moves, together (a leader that planned ap3 apart asked it to leave
	// alone, and the round failed on its refusal).
	ch := airChannels(t, air)["ap1/radio1"]
	if got := airChannels(t, air)["ap3/radio1"]; got != ch {
		t.Fatalf("ap3/radio1 on %d, its uplink ap1/radio1 on %d", got, ch)
	}
	busyAt := time.Now()
	if err := air.SetForeign([]sim.Foreign{{BSSID: "02:aa:bb:cc:dd:31", SSID: "Busy", Band: radio.Band5G,
		RSSI: map[string]int{"ap3": -40}, Channel: ch, Width: 80, Load: 0.9}}); err != nil {
		t.Fatal(err)
	}
	err = waitFor(2*meshBound, func() error {
		p, err := readPlan(h, li)
		if err != nil {
			return err
		}
		if p.Status == "Error" {
			t.Fatalf("a round failed: %s", p.Message)
		}
		now := airChannels(t, air)
		if now["ap1/radio1"] == ch {
			return fmt.Errorf("ap1/radio1 still on %d", ch)
		}
		applied, _ := time.Parse(time.RFC3339, p.LastApplied)
		if p.Status != "Idle" || applied.Before(busyAt.Truncate(time.Second)) {
			return fmt.Errorf("plan %+v", p)
		}
		if now["ap3/radio1"] != now["ap1/radio1"] {
			return fmt.Errorf("ap3/radio1 on %d, ap1/radio1 on %d", now["ap3/radio1"], now["ap1/radio1"])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The leader planned the two together, and says so.
	n3, _ := h.Node(2)
	follower := string(n3.AgentID) + "/radio1"
	err = waitFor(meshBound, func() error {
		in, err := readInputs(h, li)
		if err != nil {
			return err
		}
		if got := in[follower].BackhaulOf; got != root {
			return fmt.Errorf("Plan.Input %s BackhaulOf = %q, want %q", follower, got, root)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the pair moved from %d to %d", ch, airChannels(t, air)["ap1/radio1"])
}

// extenderMAC is the client of TestSteeringExtender.
const extenderMAC = "02:5e:00:00:00:0e"

// extenderHomeFile writes a home whose ap3 is a Wi-Fi extender far from
// its root: ap1 at (0,0), ap3 at (24,0) behind an 18 dB wall from ap1,
// its 5 GHz radio the node's backhaul to ap1's (about -90 dBm: MCS 0);
// ap2, wired, at (24,14). Path loss as the steering home's (exponent
// 3.5, no shadowing), 5 GHz radios on non-DFS channels only. One 5 GHz
// client with 802.11v and k enters (see offFloor) at (24,5): 5 m from
// ap3 and 9 m from ap2, about 9 dB stronger at ap3, so it joins ap3.
func extenderHomeFile(t *testing.T, t0 time.Time) string {
	t.Helper()
	home := threeAPHome(t, "extender", 13, [3]sim.Pos{{X: 0, Y: 0}, {X: 24, Y: 14}, {X: 24, Y: 0}})
	home.Walls = []sim.Wall{{From: [2]float64{12, -5}, To: [2]float64{12, 5}, LossDB: 18}}
	for i, r := range home.APs[2].Radios {
		if r.Band == radio.Band5G {
			home.APs[2].Radios[i].Uplink = "ap1/radio1"
		}
	}
	at := sim.Pos{X: 24, Y: 5}
	up := at
	up.Floor = offFloor
	home.Clients = []sim.Client{{MAC: extenderMAC, Band: radio.Band5G, Load: 0.05, Steering: sim.Steering{
		RoamDBm: sim.StickyRoamDBm, BTM: sim.BTMComply, BeaconReport: true,
		Path: &sim.Path{Waypoints: []sim.Pos{up, at}, SpeedMPS: 4, Start: t0}}}}
	return writeHomeFile(t, home, "extender.json")
}

// TestSteeringExtender: a client joins a Wi-Fi extender it hears well,
// whose backhaul to the root is weak. ap3's Agent reports the uplink
// (X_USPMESH_Uplink*), the leader prices ap3's BSSs at what the backhaul
// carries, and steers the client to the wired ap2, which it hears about
// 9 dB less well (so no signal or load rule explains the move), and not
// back. The action's CurrentThroughput is at most the backhaul's rate.
func TestSteeringExtender(t *testing.T) {
	t0 := time.Now().Add(8 * time.Second)
	h := startHome(t, HomeConfig{Nodes: 3, Profile: "fast", SimHome: extenderHomeFile(t, t0)})
	leader, term := awaitAgreement(t, h, seq(0, 3))
	t.Logf("leader %s, term %d", leader, term)
	ctx := t.Context()

	// The client joins ap3's 5 GHz; ap3's radio reports its uplink.
	var bss map[int]map[radio.Band]string
	if err := waitFor(20*time.Second, func() error {
		var on map[string]string
		var err error
		if bss, on, err = homeBSSs(ctx, h); err != nil {
			return err
		}
		if on[extenderMAC] == "" {
			return fmt.Errorf("%s not associated", extenderMAC)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ap2, ap3 := bss[1][radio.Band5G], bss[2][radio.Band5G]
	at3, err := stationSignal(ctx, h, 2, extenderMAC)
	if err != nil {
		t.Fatal(err)
	}
	up, err := h.Get(ctx, 2, `Device.WiFi.Radio.[Name=="radio1"].`)
	if err != nil {
		t.Fatal(err)
	}
	var upDBm, upKbps int
	for k, v := range up {
		switch {
		case strings.HasSuffix(k, ".X_USPMESH_UplinkSignalStrength"):
			upDBm, _ = strconv.Atoi(v)
		case strings.HasSuffix(k, ".X_USPMESH_UplinkRate"):
			upKbps, _ = strconv.Atoi(v)
		}
	}
	if upDBm >= 0 || upKbps <= 0 {
		t.Fatalf("ap3's radio1 reports no uplink: %d dBm, %d kb/s", upDBm, upKbps)
	}
	// What the leader prices the backhaul at, before its channel's busy
	// share: the larger of the reported rate and the level's.
	upMbps := max(float64(upKbps)/1000, steer.PHYRate(steer.HE, 80, 2, float64(upDBm)))
	t.Logf("ap3's uplink: %d dBm, %d kb/s; priced at most %.1f Mb/s", upDBm, upKbps, upMbps)

	// The leader steers it to ap2 and not back.
	var acts []steerAction
	var moved time.Time
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if a, err := steerActions(ctx, h); err == nil {
			acts = a
		}
		i := slices.IndexFunc(acts, func(a steerAction) bool { return a.station == extenderMAC && a.outcome == "Accepted" })
		if i >= 0 && moved.IsZero() {
			moved = time.Now()
		}
		if !moved.IsZero() && time.Since(moved) > 20*time.Second {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(time.Second):
		}
	}
	var mine []steerAction
	for _, a := range acts {
		t.Logf("%s node %d: %s %s -> %s %s %s %s (%d -> %d Mb/s)", a.at.Format(time.TimeOnly), a.node, a.station, a.from, a.to,
			a.method, a.reason, a.outcome, a.current, a.expected)
		if a.station == extenderMAC {
			mine = append(mine, a)
		}
	}
	if len(mine) != 1 || mine[0].outcome != "Accepted" || mine[0].from != ap3 || mine[0].to != ap2 || mine[0].reason != "throughput" {
		t.Fatalf("the client's actions %v, want one accepted throughput move from ap3's 5 GHz %s to ap2's %s", mine, ap3, ap2)
	}
	if a := mine[0]; float64(a.current) > math.Ceil(upMbps) || a.expected <= a.current {
		t.Errorf("estimates %d -> %d Mb/s; want at ap3 at most the backhaul's %.1f, and more at ap2", a.current, a.expected, upMbps)
	}

	// Where it ended, and how well it hears each AP.
	_, on, err := homeBSSs(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if on[extenderMAC] != ap2 {
		t.Fatalf("the client ends on %q, want ap2's 5 GHz %s", on[extenderMAC], ap2)
	}
	at2, err := stationSignal(ctx, h, 1, extenderMAC)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the client's signal: %d dBm at ap3, %d dBm at ap2", at3, at2)
	if at2 > at3-6 {
		t.Errorf("the client's signal at ap2 %d dBm, at ap3 %d dBm: want ap2 at least 6 dB weaker (only the backhaul explains the move)", at2, at3)
	}
}

// stationSignal is the SignalStrength of station mac on node i's APs.
func stationSignal(ctx context.Context, h *Home, i int, mac string) (int, error) {
	kv, err := h.Get(ctx, i, "Device.WiFi.AccessPoint.")
	if err != nil {
		return 0, err
	}
	for p, v := range kv {
		if row, ok := strings.CutSuffix(p, ".MACAddress"); ok && strings.Contains(p, ".AssociatedDevice.") && strings.EqualFold(v, mac) {
			return strconv.Atoi(kv[row+".SignalStrength"])
		}
	}
	return 0, fmt.Errorf("%s is not associated to node %d", mac, i)
}
