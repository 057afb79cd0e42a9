package steer

import (
	"math"
	"testing"
)

// TestBackhaul: a node's wireless backhaul caps its clients' expected
// throughput at their share of it, which can make a weaker signal at a
// wired node the better place, and a strong signal at a node with a
// poor backhaul a poor one. Without BSS.BackhaulMbps the moves off the
// satellite are not made and the last case goes to B.
func TestBackhaul(t *testing.T) {
	c5 := bss5(mac(0x02, 0xc5), "C")
	// onSatellite is a client of B's 5 GHz BSS, busy among 4 active
	// clients there, with A (wired) seen at dbm.
	onSatellite := func(dbm float64) Client {
		c := phone(apB5, -50, obs(apA5, dbm))
		c.Airtime = 0.1
		return c
	}
	withB := func(backhaul float64, active int) []BSS {
		bs := append(mesh(), c5)
		bs[2].Clients, bs[2].Active = active, active
		bs[2].BackhaulMbps, bs[3].BackhaulMbps = backhaul, backhaul
		return bs
	}
	legacyOnB := onSatellite(-62)
	legacyOnB.Caps.BTM = false
	tests := []struct {
		name   string
		bsss   []BSS
		client Client
		want   string // target BSSID, "" for none
		reason Reason
	}{
		{"satellite's 60 Mb/s backhaul shared by 4: to the wired node, 12 dB weaker", withB(60, 4), onSatellite(-62), apA5, Throughput},
		{"no backhaul limit: the hysteresis keeps it", withB(0, 4), onSatellite(-62), "", 0},
		{"ample backhaul: the hysteresis keeps it", withB(2000, 4), onSatellite(-62), "", 0},
		{"weaker target faster, but not at 6 dB less: stays", withB(60, 4), onSatellite(-76), "", 0},
		{"legacy client refused on the satellite", withB(60, 4), legacyOnB, apA5, Throughput},
		{"band down to the wired node's 2.4 GHz", withB(20, 4), func() Client {
			c := phone(apB5, -50, obs(apA24, -50))
			c.Airtime = 0.1
			return c
		}(), apA24, BandDown},
		{"target's 10 Mb/s backhaul: the wired node, weaker, instead", withB(10, 0),
			phone(apA5, -78, obs(apB5, -60), obs(c5.BSSID, -62)), c5.BSSID, Throughput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := oneAction(t, decide(t, Config{}, Input{BSSs: tt.bsss, Clients: []Client{tt.client}}, Memory{}), tt.want)
			if !ok {
				return
			}
			if a.To != tt.want || a.Reason != tt.reason || a.ExpectedMbps <= a.CurrentMbps {
				t.Fatalf("action %+v, want to %s (%v) and faster", a, tt.want, tt.reason)
			}
		})
	}
}

// TestBackhaulShareCountsClientOnce: a node's backhaul is shared by the
// active clients of all its BSSs; a client already active on the node
// is one of them, a client elsewhere one more. The smallest positive
// backhaul of the node's BSSs counts.
func TestBackhaulShareCountsClientOnce(t *testing.T) {
	bs := mesh()
	bs[2].Active, bs[2].Clients, bs[2].BackhaulMbps = 1, 1, 120 // B 5 GHz
	bs[3].Active, bs[3].Clients, bs[3].BackhaulMbps = 2, 2, 90  // B 2.4 GHz
	r := &round{cfg: DefaultConfig()}
	r.indexBSSs(bs)
	onB := phone(apB24, -50)
	onB.Airtime = 0.2
	idleOnB := onB
	idleOnB.Airtime = 0
	for _, tt := range []struct {
		name string
		c    Client
		at   string
		want float64
	}{
		{"active client of B, at B's other BSS", onB, apB5, 90.0 / 3},
		{"active client of B, where it is", onB, apB24, 90.0 / 3},
		{"idle client of B counts as one more", idleOnB, apB5, 90.0 / 4},
		{"client of A, at B", phone(apA5, -50), apB5, 90.0 / 4},
		{"client of B, at wired A", onB, apA5, math.Inf(1)},
	} {
		if got := r.backhaulShare(&tt.c, r.bsss[tt.at]); got != tt.want {
			t.Errorf("%s: share %v, want %v", tt.name, got, tt.want)
		}
	}
}
