package leader

import (
	"math"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/steer"
)

// TestStationTraffic reads the counters and rates of AssociatedDevice
// rows and leaves out rows without both byte counters.
func TestStationTraffic(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	rows := map[string]map[string]string{
		"Device.WiFi.AccessPoint.1.AssociatedDevice.1.":       {"MACAddress": "02:AA:00:00:00:01", "LastDataDownlinkRate": "86700", "LastDataUplinkRate": "65000"},
		"Device.WiFi.AccessPoint.1.AssociatedDevice.1.Stats.": {"BytesSent": "1000", "BytesReceived": "200"},
		"Device.WiFi.AccessPoint.1.AssociatedDevice.2.":       {"MACAddress": "02:aa:00:00:00:02"},
		"Device.WiFi.AccessPoint.1.AssociatedDevice.2.Stats.": {"BytesSent": "7"},
		"Device.WiFi.AccessPoint.1.AssociatedDevice.3.":       {"MACAddress": "02:aa:00:00:00:03"},
		"Device.WiFi.AccessPoint.1.AssociatedDevice.3.Stats.": {"BytesSent": "x", "BytesReceived": "1"},
		"Device.WiFi.Radio.1.Stats.":                          {"BytesSent": "5", "BytesReceived": "5"},
	}
	got := stationTraffic(rows, now)
	want := traffic{at: now, sent: 1000, received: 200, downKbps: 86700, upKbps: 65000}
	if len(got) != 1 || got["02:aa:00:00:00:01"] != want {
		t.Fatalf("traffic %+v, want only 02:aa:00:00:00:01 as %+v", got, want)
	}
}

// TestAirtime: bits each way over that way's rate, per second between
// the readings, at most 1; readings that cannot be compared give 0.
func TestAirtime(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	base := traffic{at: t0, bssid: "b1", sent: 1e6, received: 1e5, downKbps: 100000, upKbps: 50000}
	later := func(f func(*traffic)) traffic {
		c := base
		c.at = t0.Add(5 * time.Second)
		f(&c)
		return c
	}
	for _, tt := range []struct {
		name string
		cur  traffic
		want float64
	}{
		// 6.25 MB down at 100 Mb/s is 0.5 s; 625 kB up at 50 Mb/s 0.1 s.
		{"both ways", later(func(c *traffic) { c.sent += 6_250_000; c.received += 625_000 }), 0.6 / 5},
		{"idle", later(func(*traffic) {}), 0},
		{"more than the air holds", later(func(c *traffic) { c.sent += 1e9 }), 1},
		{"another BSS", later(func(c *traffic) { c.bssid = "b2"; c.sent += 6_250_000 }), 0},
		{"counters restarted", later(func(c *traffic) { c.sent = 10 }), 0},
		{"no rate for bytes sent", later(func(c *traffic) { c.sent += 6_250_000; c.downKbps = 0 }), 0},
		{"no time between", traffic{at: t0, bssid: "b1", sent: 2e6, received: 1e5, downKbps: 100000}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := airtime(base, tt.cur); math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("airtime = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMarkActive: clients that used ActiveAirtime or more since their
// last reading get their airtime and count as active on their BSS;
// others, and clients read for the first time, stay idle; this round's
// readings learn the clients' BSSs for the next.
func TestMarkActive(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	t1 := t0.Add(5 * time.Second)
	bsss := []steer.BSS{{BSSID: "b1", Clients: 3}, {BSSID: "b2", Clients: 1}}
	clients := []steer.Client{{MAC: "c1", BSSID: "b1"}, {MAC: "c2", BSSID: "b1"}, {MAC: "c3", BSSID: "b1"}, {MAC: "c4", BSSID: "b2"}}
	rd := func(at time.Time, bssid string, sent uint64) traffic {
		return traffic{at: at, bssid: bssid, sent: sent, downKbps: 8000}
	}
	prev := map[string]traffic{
		"c1": rd(t0, "b1", 0),
		"c2": rd(t0, "b1", 0),
		"c4": rd(t0, "b1", 0), // it was on b1: not comparable
	}
	cur := map[string]traffic{
		"c1": rd(t1, "", 500_000), // 4 Mb in 5 s at 8 Mb/s: 10 %
		"c2": rd(t1, "", 10_000),  // 0.2 %
		"c3": rd(t1, "", 500_000), // first reading
		"c4": rd(t1, "", 500_000),
	}
	markActive(bsss, clients, prev, cur)
	if clients[0].Airtime != 0.1 || clients[1].Airtime != 0 || clients[2].Airtime != 0 || clients[3].Airtime != 0 {
		t.Fatalf("airtimes %v %v %v %v, want 0.1 0 0 0", clients[0].Airtime, clients[1].Airtime, clients[2].Airtime, clients[3].Airtime)
	}
	if bsss[0].Active != 1 || bsss[1].Active != 0 {
		t.Fatalf("active %d and %d, want 1 and 0", bsss[0].Active, bsss[1].Active)
	}
	if cur["c4"].bssid != "b2" || cur["c3"].bssid != "b1" {
		t.Fatalf("readings keep BSSs %q and %q, want b2 and b1", cur["c4"].bssid, cur["c3"].bssid)
	}
}
