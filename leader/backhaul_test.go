package leader

import (
	"math"
	"testing"

	"github.com/uspmesh/uspmesh/steer"
	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// TestBackhaulLinks: an uplink becomes a BackhaulOf link only when it
// names a mesh radio of the same band that shares an allowed channel
// and width with the follower; a loop of uplinks is broken at its first
// radio.
func TestBackhaulLinks(t *testing.T) {
	mk := func(agent, name string, band wifiopt.Band, ch int, bssid, uplink string) *measuredRadio {
		allowed := []int{36, 40, 44, 48}
		if band == wifiopt.Band2G4 {
			allowed = []int{1, 6, 11}
		}
		return &measuredRadio{agent: usp.EndpointID("os::" + agent), name: name, band: band, current: wifiopt.Assignment{Channel: ch, Width: 20},
			allowed: allowed, widths: []int{20}, bssids: []string{bssid}, uplink: uplink, airtime: 0.2, busy: -1, power: 0}
	}
	for _, tc := range []struct {
		name   string
		radios []*measuredRadio
		want   map[string]string // radio ID → BackhaulOf
	}{
		{"linked", []*measuredRadio{
			mk("A", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0a:00", ""),
			mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:0a:00"),
		}, map[string]string{"os::B/wl0": "os::A/wl0"}},
		{"foreign uplink", []*measuredRadio{
			mk("A", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0a:00", ""),
			mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:ff:00"),
		}, map[string]string{}},
		{"other band", []*measuredRadio{
			mk("A", "wl1", wifiopt.Band2G4, 1, "02:00:00:00:0a:01", ""),
			mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:0a:01"),
		}, map[string]string{}},
		{"pinned apart", func() []*measuredRadio {
			a := mk("A", "wl0", wifiopt.Band5G, 44, "02:00:00:00:0a:00", "")
			a.allowed, a.pinned = []int{44}, true
			b := mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:0a:00")
			b.allowed, b.pinned = []int{36}, true
			return []*measuredRadio{a, b}
		}(), map[string]string{}},
		{"loop", []*measuredRadio{
			mk("A", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0a:00", "02:00:00:00:0b:00"),
			mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:0a:00"),
		}, map[string]string{"os::B/wl0": "os::A/wl0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := &measurement{radios: tc.radios}
			p, inputs := ms.build()
			if err := wifiopt.Validate(p); err != nil {
				t.Fatalf("the Problem does not validate: %v", err)
			}
			for i, r := range p.Radios {
				if r.BackhaulOf != tc.want[r.ID] || inputs[i].BackhaulOf != tc.want[r.ID] {
					t.Errorf("%s: BackhaulOf %q, Input %q, want %q", r.ID, r.BackhaulOf, inputs[i].BackhaulOf, tc.want[r.ID])
				}
			}
		})
	}
}

// TestUplinkMbps: a node's wireless backhaul is its uplink's PHY rate
// (the reported one, or what its level sustains when that is more: an
// idle link reports a basic rate) times what its channel leaves; none
// without an uplink or any figure.
func TestUplinkMbps(t *testing.T) {
	atLevel := steer.PHYRate(steer.VHT, 80, 2, -60)
	for _, tc := range []struct {
		bssid, rate, dbm string
		busy, want       float64
	}{
		{"02:00:00:00:0A:00", "900000", "", 0.25, 675},
		{"02:00:00:00:0A:00", "900000", "", 1, 18}, // at least 2 % left
		{"02:00:00:00:0A:00", "900000", "", -0.5, 900},
		{"02:00:00:00:0A:00", "1000", "-60", 0.5, atLevel / 2}, // idle link: basic rate reported
		{"02:00:00:00:0A:00", "2000000", "-60", 0, 2000},
		{"02:00:00:00:0A:00", "", "-60", 0, atLevel},
		{"", "900000", "-60", 0.25, 0},
		{"02:00:00:00:0A:00", "0", "0", 0.25, 0},
		{"02:00:00:00:0A:00", "fast", "loud", 0.25, 0},
	} {
		kv := map[string]string{"X_USPMESH_UplinkBSSID": tc.bssid, "X_USPMESH_UplinkRate": tc.rate, "X_USPMESH_UplinkSignalStrength": tc.dbm}
		if got := uplinkMbps(kv, steer.VHT, 80, tc.busy); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("uplinkMbps(%v, busy %v) = %v, want %v", kv, tc.busy, got, tc.want)
		}
	}
	if atLevel < 100 {
		t.Fatalf("PHYRate at -60 dBm, 80 MHz: %v Mb/s; the cases above need a fast link", atLevel)
	}
}
