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
		// wantIn is Input.BackhaulOf where it differs from want.
		wantIn map[string]string
	}{
		{"linked", []*measuredRadio{
			mk("A", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0a:00", ""),
			mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:0a:00"),
		}, map[string]string{"os::B/wl0": "os::A/wl0"}, nil},
		{"foreign uplink", []*measuredRadio{
			mk("A", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0a:00", ""),
			mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:ff:00"),
		}, map[string]string{}, map[string]string{"os::B/wl0": "02:00:00:00:ff:00"}},
		{"other band", []*measuredRadio{
			mk("A", "wl1", wifiopt.Band2G4, 1, "02:00:00:00:0a:01", ""),
			mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:0a:01"),
		}, map[string]string{}, nil},
		{"pinned apart", func() []*measuredRadio {
			a := mk("A", "wl0", wifiopt.Band5G, 44, "02:00:00:00:0a:00", "")
			a.allowed, a.pinned = []int{44}, true
			b := mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:0a:00")
			b.allowed, b.pinned = []int{36}, true
			return []*measuredRadio{a, b}
		}(), map[string]string{}, nil},
		{"loop", []*measuredRadio{
			mk("A", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0a:00", "02:00:00:00:0b:00"),
			mk("B", "wl0", wifiopt.Band5G, 36, "02:00:00:00:0b:00", "02:00:00:00:0a:00"),
		}, map[string]string{"os::B/wl0": "os::A/wl0"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := &measurement{radios: tc.radios}
			p, inputs := ms.build()
			if err := wifiopt.Validate(p); err != nil {
				t.Fatalf("the Problem does not validate: %v", err)
			}
			for i, r := range p.Radios {
				wantIn, ok := tc.wantIn[r.ID]
				if !ok {
					wantIn = tc.want[r.ID]
				}
				if r.BackhaulOf != tc.want[r.ID] || inputs[i].BackhaulOf != wantIn {
					t.Errorf("%s: BackhaulOf %q, Input %q, want %q and %q", r.ID, r.BackhaulOf, inputs[i].BackhaulOf, tc.want[r.ID], wantIn)
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
		{"02:00:00:00:0A:00", "0", "0", 0.25, 0}, // associated, nothing measured yet: unknown
		// Below the standard's sensitivity with no rate reported: the
		// link is associated, so it carries the basic rate, not "no limit".
		{"02:00:00:00:0A:00", "0", "-92", 0, minUplinkMbps},
		{"02:00:00:00:0A:00", "", "-92", 0.5, minUplinkMbps / 2},
		{"02:00:00:00:0A:00", "300", "", 0, minUplinkMbps},
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

// TestPinnedWideRadio: a Controller pins a 5 GHz radio operating at
// 80 MHz (AutoChannelEnable false). The plan keeps it on its block; the
// leader used to allow only its primary channel, which no 80 MHz
// assignment fits, and every round failed ("current channel 36 width 80
// not allowed").
func TestPinnedWideRadio(t *testing.T) {
	r := parseRadio("os::A", "Device.WiFi.Radio.1.", map[string]string{"Name": "wl0", "Channel": "36",
		"CurrentOperatingChannelBandwidth": "80MHz", "OperatingFrequencyBand": "5GHz", "PossibleChannels": "36,40,44,48,149,153,157,161",
		"SupportedOperatingChannelBandwidths": "20MHz,40MHz,80MHz", "AutoChannelEnable": "false"}, nil)
	p, _ := (&measurement{radios: []*measuredRadio{r}}).build()
	if err := wifiopt.Validate(p); err != nil {
		t.Fatalf("pinned 80 MHz radio: %v", err)
	}
	plan, err := wifiopt.Solve(t.Context(), p, wifiopt.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Assign["os::A/wl0"]; got != (wifiopt.Assignment{Channel: 36, Width: 80}) {
		t.Errorf("pinned radio planned to %+v, want it kept on 36/80", got)
	}
}

// TestUplinkNotMeasured: a radio whose station is associated to an AP
// the leader did not measure (its node down or unreachable) follows an
// AP the plan cannot move: the plan keeps it where it is and at its
// power, and the Input names the uplink's BSSID.
func TestUplinkNotMeasured(t *testing.T) {
	r := parseRadio("os::B", "Device.WiFi.Radio.1.", map[string]string{"Name": "wl0", "Channel": "36",
		"CurrentOperatingChannelBandwidth": "80MHz", "OperatingFrequencyBand": "5GHz", "PossibleChannels": "36,40,44,48,149,153,157,161",
		"SupportedOperatingChannelBandwidths": "20MHz,40MHz,80MHz", "X_USPMESH_UplinkBSSID": "02:00:00:00:0A:00"}, nil)
	p, inputs := (&measurement{radios: []*measuredRadio{r}}).build()
	plan, err := wifiopt.Solve(t.Context(), p, wifiopt.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Assign["os::B/wl0"]; got != (wifiopt.Assignment{Channel: 36, Width: 80}) {
		t.Errorf("radio following an unmeasured uplink planned to %+v, want it kept on 36/80", got)
	}
	if inputs[0].BackhaulOf != "02:00:00:00:0a:00" {
		t.Errorf("Input BackhaulOf %q, want the uplink's BSSID", inputs[0].BackhaulOf)
	}
	// Its power is its station's: never cut, however strong its clients.
	if !p.Radios[0].PowerFixed {
		t.Errorf("radio following an unmeasured uplink may have its power cut: %+v", p.Radios[0])
	}
}
