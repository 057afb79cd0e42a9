package linux

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// testSteering proves BSS transition management on the real stack: the
// peer radio becomes a second BSS of the AP's network (same SSID and
// passphrase, same channel), a wpa_supplicant station joins the AP, a
// request naming a BSS that does not exist is rejected, and a request
// naming the peer moves the station there (the target AP lists it).
func testSteering(t *testing.T, dir, ctrl string, ap, peer *Radio, contract *station, stopPeer func()) {
	contract.stop()
	ctx := labCtx(t)
	st, err := ap.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	apMAC, peerMAC := ifaceMAC(t, labAPIface), ifaceMAC(t, labPeerIface)

	// The station associates while the AP is the only BSS of the network.
	staMAC := startSteeringStation(t, dir, st.FreqMHz)
	waitStation(t, ap, staMAC, true)

	stopPeer()
	startHostapd(t, dir, ctrl, labPeerIface, fmt.Sprintf(
		"hw_mode=g\nchannel=%d\nieee80211n=1\nssid=%s\nwpa=2\nwpa_passphrase=%s\nwpa_key_mgmt=WPA-PSK\nrsn_pairwise=CCMP\nbss_transition=1\n",
		st.Channel, labSSID, labPSK))

	events := ap.Events(ctx)
	t.Run("Caps", func(t *testing.T) {
		stas, err := ap.Stations(labCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(stas, func(s radio.Station) bool { return bytes.Equal(s.MAC, staMAC) })
		if i < 0 {
			t.Fatalf("station %s not listed", staMAC)
		}
		c := stas[i].Caps
		t.Logf("station caps %+v", c)
		if !c.BTM || !c.HT || !c.SupportsBand(radio.Band2G4) {
			t.Errorf("caps %+v, want BTM, HT and 2.4 GHz (wpa_supplicant advertises BSS transition)", c)
		}
	})
	t.Run("Reject", func(t *testing.T) {
		ghost, _ := net.ParseMAC("02:00:00:00:ee:ee")
		req := radio.TransitionRequest{Station: staMAC, Candidates: []radio.Candidate{{BSSID: ghost, Band: radio.Band2G4, Channel: st.Channel, Preference: 255}}}
		if err := ap.RequestTransition(labCtx(t), req); err != nil {
			t.Fatalf("RequestTransition: %v", err)
		}
		tr := awaitTransition(t, events, staMAC)
		t.Logf("response to a candidate that does not exist: %+v", tr)
		if tr.Accepted() {
			t.Errorf("station accepted a move to a BSS that does not exist: %+v", tr)
		}
	})
	t.Run("Roam", func(t *testing.T) {
		start := time.Now()
		req := radio.TransitionRequest{Station: staMAC, Candidates: []radio.Candidate{{BSSID: peerMAC, Band: radio.Band2G4, Channel: st.Channel, Preference: 255}}}
		if err := ap.RequestTransition(labCtx(t), req); err != nil {
			t.Fatalf("RequestTransition: %v", err)
		}
		tr := awaitTransition(t, events, staMAC)
		if !tr.Accepted() || !bytes.Equal(tr.Target, peerMAC) {
			t.Errorf("response %+v, want accept with target %s", tr, peerMAC)
		}
		answered := time.Since(start)
		waitStation(t, peer, staMAC, true)
		// The AP it left keeps the entry until its inactivity check:
		// a reassociation elsewhere tells it nothing (no 802.11r here).
		t.Logf("station moved from %s to %s: answered after %v, on the target's station list after %v", apMAC, peerMAC,
			answered.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
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

// awaitTransition returns the next transition response of mac.
func awaitTransition(t *testing.T, events <-chan radio.Event, mac net.HardwareAddr) radio.Transition {
	t.Helper()
	ctx := labCtx(t)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("event stream closed")
			}
			if ev.Kind == radio.EventTransitionResponse && bytes.Equal(ev.Station, mac) && ev.Transition != nil {
				return *ev.Transition
			}
		case <-ctx.Done():
			t.Fatalf("no BSS transition response from %s", mac)
		}
	}
}
