//go:build linux

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
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
