package linux

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/hostapd"
	"github.com/uspmesh/uspmesh/radio/radiotest"
)

// testSteering proves BSS transition management on the real stack with
// the contract radio/sim keeps too (radiotest.RunSteering): the peer
// radio becomes a second BSS of the AP's network (same SSID and
// passphrase, same channel), a wpa_supplicant station joins the AP, is
// listed BTM-capable, rejects a request naming a BSS that does not exist
// (wpa_supplicant answers status 7) and moves to the peer when asked (the
// peer lists it).
func testSteering(t *testing.T, dir, ctrl string, ap, peer *Radio, contract *station, stopPeer func()) {
	contract.stop()
	ctx := labCtx(t)
	st, err := ap.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	apMAC, peerMAC := ifaceMAC(t, labAPIface), ifaceMAC(t, labPeerIface)

	// The contract station was killed without a deauthentication, and the
	// AP keeps its entry until the inactivity check; the steering station
	// uses the same interface, hence the same MAC. Waiting for that entry
	// would pass at once, before the new station associated, and it could
	// then join the peer instead: so the AP forgets it first.
	if c, err := hostapd.Dial(ctx, ctrl, labAPIface); err != nil {
		t.Fatal(err)
	} else {
		out, err := c.Request(ctx, "DEAUTHENTICATE "+ifaceMAC(t, labSTAIface).String())
		c.Close()
		t.Logf("DEAUTHENTICATE of the contract station: %q, %v", strings.TrimSpace(out), err)
	}
	waitStation(t, ap, ifaceMAC(t, labSTAIface), false)
	// The station associates while the AP is the only BSS of the network.
	staMAC := startSteeringStation(t, dir, st.FreqMHz)
	waitStation(t, ap, staMAC, true)

	stopPeer()
	startHostapd(t, dir, ctrl, labPeerIface, fmt.Sprintf(
		"hw_mode=g\nchannel=%d\nieee80211n=1\nssid=%s\nwpa=2\nwpa_passphrase=%s\nwpa_key_mgmt=WPA-PSK\nrsn_pairwise=CCMP\nbss_transition=1\n",
		st.Channel, labSSID, labPSK))

	start := time.Now()
	radiotest.RunSteering(t, radiotest.SteerTarget{
		Radio: ap, Station: staMAC, Target: peer, Timeout: labTimeout,
		Candidate: radio.Candidate{BSSID: peerMAC, Band: radio.Band2G4, Channel: st.Channel, Preference: 255},
	})
	// The AP the station left keeps its entry until the inactivity check:
	// a reassociation elsewhere tells it nothing (no 802.11r here).
	t.Logf("steering contract on %s -> %s: %v", apMAC, peerMAC, time.Since(start).Round(time.Millisecond))

	// The last resort for stations that ignore requests: the peer refuses
	// the station (hostapd's deny list disconnects it), which goes back to
	// the AP; Allow empties the deny list again.
	t.Run("Deny", func(t *testing.T) {
		ctx := labCtx(t)
		events := ap.Events(ctx)
		start := time.Now()
		if err := peer.Deny(ctx, staMAC, time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("Deny: %v", err)
		}
		waitStation(t, peer, staMAC, false)
		for joined := false; !joined; {
			select {
			case ev := <-events:
				joined = ev.Kind == radio.EventStationJoined && bytes.Equal(ev.Station, staMAC)
			case <-ctx.Done():
				t.Fatalf("station %s did not rejoin %s after the refusal", staMAC, apMAC)
			}
		}
		t.Logf("refused by %s, back on %s after %v", peerMAC, apMAC, time.Since(start).Round(time.Millisecond))
		c, err := hostapd.Dial(ctx, ctrl, labPeerIface)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if list, err := c.Request(ctx, "DENY_ACL SHOW"); err != nil || !strings.Contains(list, staMAC.String()) {
			t.Errorf("deny list during the refusal: %q, %v", list, err)
		}
		if err := peer.Allow(ctx, staMAC); err != nil {
			t.Fatalf("Allow: %v", err)
		}
		if list, err := c.Request(ctx, "DENY_ACL SHOW"); err != nil || strings.Contains(list, staMAC.String()) {
			t.Errorf("deny list after Allow: %q, %v", list, err)
		}
	})
	// Back on the AP (rrm_beacon_report=1), the station measures the
	// channel when asked and reports the peer's beacons.
	t.Run("BeaconReport", func(t *testing.T) {
		ctx := labCtx(t)
		events := ap.Events(ctx)
		start := time.Now()
		req := radio.BeaconReportRequest{Station: staMAC, OpClass: radio.OpClass(radio.Band2G4, st.Channel), Channel: st.Channel}
		if err := ap.RequestBeaconReport(ctx, req); err != nil {
			t.Fatalf("RequestBeaconReport: %v", err)
		}
		for {
			select {
			case ev := <-events:
				if ev.Kind != radio.EventBeaconReport || ev.Beacon == nil || !bytes.Equal(ev.Station, staMAC) {
					continue
				}
				t.Logf("beacon report after %v: %+v", time.Since(start).Round(time.Millisecond), *ev.Beacon)
				if bytes.Equal(ev.Beacon.BSSID, peerMAC) {
					if ev.Beacon.Channel != st.Channel || ev.Beacon.RCPIDBm >= 0 || ev.Beacon.RCPIDBm < -110 {
						t.Errorf("report of the peer %+v", *ev.Beacon)
					}
					return
				}
			case <-ctx.Done():
				t.Fatalf("no beacon report of %s from %s", peerMAC, staMAC)
			}
		}
	})
}

// startSteeringStation runs wpa_supplicant on the station radio for the
// AP's network, scanning only freq.
func startSteeringStation(t *testing.T, dir string, freq int) net.HardwareAddr {
	t.Helper()
	conf := filepath.Join(dir, "wpa_supplicant-steer.conf")
	body := fmt.Sprintf("ctrl_interface=%s\nnetwork={\n\tssid=%q\n\tpsk=%q\n\tkey_mgmt=WPA-PSK\n\tproto=RSN\n\tscan_freq=%d\n}\n",
		filepath.Join(dir, "wpa_supplicant-steer"), labSSID, labPSK, freq)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("wpa_supplicant", "-i", labSTAIface, "-c", conf)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("wpa_supplicant:\n%s", out.String())
		}
	})
	return ifaceMAC(t, labSTAIface)
}

// waitStation waits until r's station list has (or has not) mac.
func waitStation(t *testing.T, r *Radio, mac net.HardwareAddr, present bool) {
	t.Helper()
	ctx := labCtx(t)
	for {
		stas, err := r.Stations(ctx)
		has := err == nil && slices.ContainsFunc(stas, func(s radio.Station) bool { return bytes.Equal(s.MAC, mac) })
		if has == present {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: station %s present=%v never became %v (last error %v)", r.Interface(), mac, has, present, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
