package leader

import (
	"slices"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/steer"
)

// TestSteerRows: an Agent's TR-181 rows become the policy's BSSs (band,
// channel, width, standard, load from the channel busy share, client
// count) and clients (capabilities, connected time, the signals its
// beacon report heard without malformed items, and its signal at its own
// BSS from the same report, not the AP's uplink figure, so that one
// scale is compared).
func TestSteerRows(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	rows := map[string]map[string]string{
		"Device.WiFi.Radio.1.": {"Name": "r24", "OperatingFrequencyBand": "2.4GHz", "Channel": "6",
			"CurrentOperatingChannelBandwidth": "20MHz", "OperatingStandards": "n,ax"},
		"Device.WiFi.Radio.1.Stats.": {"X_USPMESH_ChannelBusy": "40"},
		"Device.WiFi.Radio.2.": {"Name": "r5", "OperatingFrequencyBand": "5GHz", "Channel": "36", "CurrentOperatingChannelBandwidth": "80MHz", "OperatingStandards": "ac",
			"X_USPMESH_UplinkBSSID": "02:00:00:00:09:00", "X_USPMESH_UplinkRate": "400000"},
		"Device.WiFi.Radio.2.Stats.": {"X_USPMESH_ChannelBusy": "-1"},
		"Device.WiFi.SSID.1.":        {"BSSID": "02:00:00:00:00:01", "LowerLayers": "Device.WiFi.Radio.1"},
		"Device.WiFi.SSID.2.":        {"BSSID": "02:00:00:00:00:02", "LowerLayers": "Device.WiFi.Radio.2."},
		"Device.WiFi.AccessPoint.1.": {"SSIDReference": "Device.WiFi.SSID.1"},
		"Device.WiFi.AccessPoint.2.": {"SSIDReference": "Device.WiFi.SSID.2"},
		"Device.WiFi.AccessPoint.1.AssociatedDevice.1.": {"MACAddress": "02:AA:00:00:00:01", "SignalStrength": "-71",
			"AssociationTime": "2026-12-06T02:59:00Z", "X_USPMESH_BTM": "true", "X_USPMESH_Bands": "2.4GHz,5GHz", "X_USPMESH_Standards": "n,ac,ax",
			"X_USPMESH_Seen": "02:00:00:00:00:01/-60/2026-12-06T02:59:58Z,02:00:00:00:00:02/-55.5/2026-12-06T02:59:57Z,junk,02:00:00:00:00:03/x/2026-12-06T02:59:57Z"},
		"Device.WiFi.AccessPoint.1.AssociatedDevice.1.Stats.": {"BytesSent": "1"},
	}
	bsss, clients := steerRows("os::a", rows, now)
	if len(bsss) != 2 {
		t.Fatalf("%d BSSs, want 2: %+v", len(bsss), bsss)
	}
	got := map[string]steerBSS{}
	for _, b := range bsss {
		got[b.BSSID] = b
	}
	b24, b5 := got["02:00:00:00:00:01"], got["02:00:00:00:00:02"]
	if b24.Band != steer.Band24 || b24.Channel != 6 || b24.WidthMHz != 20 || b24.Standard != steer.HE || b24.Load != 0.4 ||
		b24.Clients != 1 || b24.Node != "os::a" || b24.apRow != "Device.WiFi.AccessPoint.1." || b24.band != "2.4GHz" {
		t.Errorf("2.4 GHz BSS %+v", b24)
	}
	if b5.Band != steer.Band5 || b5.Channel != 36 || b5.WidthMHz != 80 || b5.Standard != steer.VHT || b5.Load != 0 || b5.Clients != 0 {
		t.Errorf("5 GHz BSS %+v", b5)
	}
	// The 5 GHz radio is the node's wireless backhaul (400 Mb/s on an idle
	// channel): a limit of the node, on both its BSSs.
	if b24.BackhaulMbps != 400 || b5.BackhaulMbps != 400 {
		t.Errorf("backhaul %v and %v Mb/s, want 400 on both BSSs", b24.BackhaulMbps, b5.BackhaulMbps)
	}
	if len(clients) != 1 {
		t.Fatalf("%d clients, want 1", len(clients))
	}
	c := clients[0]
	if c.MAC != "02:aa:00:00:00:01" || c.BSSID != "02:00:00:00:00:01" || c.Signal != (steer.Signal{DBm: -60, Age: 2 * time.Second}) || c.ConnectedFor != time.Minute ||
		!c.Caps.BTM || !c.Caps.Bands.Has(steer.Band24) || !c.Caps.Bands.Has(steer.Band5) || c.Caps.Standard != steer.HE {
		t.Errorf("client %+v", c)
	}
	if len(c.Seen) != 1 || c.Seen[0].BSSID != "02:00:00:00:00:02" || c.Seen[0].DBm != -55.5 || c.Seen[0].Age != 3*time.Second {
		t.Errorf("seen %+v, want the 5 GHz BSS alone at -55.5 dBm, 3 s old", c.Seen)
	}
}

// FuzzSteerRows: whatever an Agent's rows say, the mapping never panics
// and every client it yields is on a BSS it yields, with ages not
// negative.
func FuzzSteerRows(f *testing.F) {
	f.Add("2.4GHz", "6", "20MHz", "40", "02:00:00:00:00:01", "02:aa:00:00:00:01", "-70", "2026-12-06T02:59:00Z", "true", "2.4GHz,5GHz",
		"02:00:00:00:00:02/-55.5/2026-12-06T02:59:57Z,junk", "02:00:00:00:09:00", "1000", "-61")
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, band, channel, width, busy, bssid, mac, signal, assoc, btm, bands, seen, uplink, uprate, updbm string) {
		now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
		rows := map[string]map[string]string{
			"Device.WiFi.Radio.1.": {"Name": "r", "OperatingFrequencyBand": band, "Channel": channel, "CurrentOperatingChannelBandwidth": width,
				"X_USPMESH_UplinkBSSID": uplink, "X_USPMESH_UplinkRate": uprate, "X_USPMESH_UplinkSignalStrength": updbm},
			"Device.WiFi.Radio.1.Stats.": {"X_USPMESH_ChannelBusy": busy},
			"Device.WiFi.SSID.1.":        {"BSSID": bssid, "LowerLayers": "Device.WiFi.Radio.1"},
			"Device.WiFi.AccessPoint.1.": {"SSIDReference": "Device.WiFi.SSID.1"},
			"Device.WiFi.AccessPoint.1.AssociatedDevice.1.": {"MACAddress": mac, "SignalStrength": signal, "AssociationTime": assoc,
				"X_USPMESH_BTM": btm, "X_USPMESH_Bands": bands, "X_USPMESH_Seen": seen},
		}
		bsss, clients := steerRows("os::a", rows, now)
		for _, c := range clients {
			if !slices.ContainsFunc(bsss, func(b steerBSS) bool { return b.BSSID == c.BSSID }) {
				t.Fatalf("client %+v on a BSS not listed", c)
			}
			if c.Signal.Age < 0 || c.ConnectedFor < 0 || slices.ContainsFunc(c.Seen, func(o steer.Observation) bool { return o.Age < 0 }) {
				t.Fatalf("negative age: %+v", c)
			}
		}
		// The policy takes whatever the mapping gives without error.
		if _, err := steer.Decide(steer.Config{}, steer.Input{Now: now, BSSs: func() (out []steer.BSS) {
			for _, b := range bsss {
				out = append(out, b.BSS)
			}
			return out
		}(), Clients: clients}, steer.Memory{}); err != nil {
			t.Fatal(err)
		}
	})
}
