package sim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// uplinkHome is testHome with ap2's radio carrying a wireless backhaul to
// ap1's.
func uplinkHome() *Home {
	h := testHome()
	h.APs[1].Radios[0].Uplink = "ap1/radio0"
	return h
}

// waitState polls r's state until ok accepts it.
func waitState(t *testing.T, r *Radio, what string, ok func(radio.State) bool) radio.State {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := r.State(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: state %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUplinkFollowsAndRefuses: a radio with an uplink reports it (the
// uplink radio's BSSID, its level, a PHY rate), follows the uplink
// radio's switch, and refuses a switch of its own away from it.
func TestUplinkFollowsAndRefuses(t *testing.T) {
	home, air := uplinkHome(), t.TempDir()
	_, r1 := openNode(t, home, "ap1", air)
	_, r2 := openNode(t, home, "ap2", air)
	st := waitState(t, r2, "uplink seen", func(s radio.State) bool { return s.Uplink != nil })
	up := st.Uplink
	if up.BSSID.String() != r1.info.MAC.String() {
		t.Errorf("uplink BSSID %v, want ap1's %v", up.BSSID, r1.info.MAC)
	}
	// 6 m as in TestPeersSeeEachOtherAndSwitches: about -50 dBm.
	if up.SignalDBm > -45 || up.SignalDBm < -56 || up.TxRateKbps <= 0 || up.RxRateKbps <= 0 {
		t.Errorf("uplink %+v: want about -50 dBm and a rate", up)
	}
	if s1, _ := r1.State(t.Context()); s1.Uplink != nil {
		t.Errorf("ap1 has no uplink, reports %+v", s1.Uplink)
	}

	_, err := r2.Switch(t.Context(), radio.SwitchRequest{Channel: 157, Width: 80})
	if !errors.Is(err, radio.ErrUplink) || !strings.Contains(err.Error(), "channel 36/20") {
		t.Fatalf("switch away from the uplink: %v, want ErrUplink naming 36/20", err)
	}

	events := r2.Events(t.Context())
	res, err := r1.Switch(t.Context(), radio.SwitchRequest{Channel: 157, Width: 80})
	if err != nil {
		t.Fatal(err)
	}
	if r := result(t, res); r.Err != nil {
		t.Fatal(r.Err)
	}
	if ev := waitEvent(t, events, radio.EventChannelSwitched); ev.Channel != 157 || ev.Width != 80 {
		t.Errorf("ap2's event %+v, want channel 157/80", ev)
	}
	st = waitState(t, r2, "uplink on 157", func(s radio.State) bool { return s.Uplink != nil && s.Channel == 157 })
	if st.Width != 80 || st.Uplink.TxRateKbps <= up.TxRateKbps {
		t.Errorf("after following: %d MHz, rate %d kb/s (was %d at 20 MHz); want 80 MHz and a higher rate",
			st.Width, st.Uplink.TxRateKbps, up.TxRateKbps)
	}
	// A switch to where the uplink is now is allowed (a no-op here).
	res, err = r2.Switch(t.Context(), radio.SwitchRequest{Channel: 157, Width: 80})
	if err != nil {
		t.Fatalf("switch to the uplink's channel: %v", err)
	}
	if r := result(t, res); r.Err != nil {
		t.Fatal(r.Err)
	}
}

// TestUplinkLostWhenPeerGone: without its uplink radio in the air the
// station is not associated: no Uplink, and the radio switches freely.
func TestUplinkLostWhenPeerGone(t *testing.T) {
	_, r2 := openNode(t, uplinkHome(), "ap2", t.TempDir())
	if st, _ := r2.State(t.Context()); st.Uplink != nil {
		t.Fatalf("uplink %+v with ap1 absent", st.Uplink)
	}
	res, err := r2.Switch(t.Context(), radio.SwitchRequest{Channel: 157, Width: 80})
	if err != nil {
		t.Fatal(err)
	}
	if r := result(t, res); r.Err != nil {
		t.Fatal(r.Err)
	}
}

func TestUplinkValidation(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		tweak      func(h *Home)
	}{
		{"syntax", "is not node/radio", func(h *Home) { h.APs[1].Radios[0].Uplink = "ap1" }},
		{"unknown radio", `no radio "radio9" on node "ap1"`, func(h *Home) { h.APs[1].Radios[0].Uplink = "ap1/radio9" }},
		{"same node", "same node", func(h *Home) { h.APs[1].Radios[0].Uplink = "ap2/radio0" }},
		{"other band", "is on 2.4GHz", func(h *Home) {
			h.APs[0].Radios[0] = RadioSpec{Band: radio.Band2G4, Channels: []int{1, 6, 11}, Widths: []int{20}, Channel: 1, Width: 20,
				TxPower: TxPower{Max: 20, Initial: 20}, SSID: "test"}
		}},
		{"other channel", "starts on channel 36/20 MHz, this radio on 40/20 MHz", func(h *Home) { h.APs[1].Radios[0].Channel = 40 }},
		{"loop", "loop back", func(h *Home) { h.APs[0].Radios[0].Uplink = "ap2/radio0" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := uplinkHome()
			tc.tweak(h)
			err := h.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "uplink") {
				t.Fatalf("Validate: %v, want an uplink error with %q", err, tc.want)
			}
		})
	}
	if err := uplinkHome().Validate(); err != nil {
		t.Fatalf("valid home: %v", err)
	}
}

// TestUplinkSwitchRightAfterItsAP: a switch to where the uplink AP has
// just gone succeeds even before the backend's next poll of the air (the
// station moves with its AP's switch). The backend used to decide on
// the view of its last poll and refused: "uplink … is on channel 36/20".
func TestUplinkSwitchRightAfterItsAP(t *testing.T) {
	home, air := uplinkHome(), t.TempDir()
	_, r1 := openNode(t, home, "ap1", air)
	_, r2 := openNode(t, home, "ap2", air, func(c *Config) { c.PollInterval = time.Hour })
	res, err := r1.Switch(t.Context(), radio.SwitchRequest{Channel: 157, Width: 80})
	if err != nil {
		t.Fatal(err)
	}
	if r := result(t, res); r.Err != nil {
		t.Fatal(r.Err)
	}
	res, err = r2.Switch(t.Context(), radio.SwitchRequest{Channel: 157, Width: 80})
	if err != nil {
		t.Fatalf("switch to where the uplink just went: %v", err)
	}
	if r := result(t, res); r.Err != nil {
		t.Fatal(r.Err)
	}
	if st, _ := r2.State(t.Context()); st.Channel != 157 || st.Width != 80 {
		t.Errorf("ap2 on %d/%d MHz, want 157/80", st.Channel, st.Width)
	}
}
