// Package radiotest is the behaviour contract every radio backend keeps.
//
// A backend's tests call Run with a setup function that hands over one
// operating access-point radio and what the suite needs to exercise it: a
// peer BSS its scan must see, a valid and an invalid switch target, a
// settable transmit power and, optionally, a way to make a station
// associate. The same suite runs against radio/sim in-process and against
// radio/linux on a real kernel (mac80211_hwsim and hostapd under qemu), so
// both backends mean the same thing by the same call.
//
// RunSteering is the contract of radios that implement radio.Steerer:
// refusals, a rejected and an accepted BSS transition.
//
// Every wait is bounded by Target.Timeout and checks a condition; nothing
// sleeps and hopes.
package radiotest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// DefaultTimeout bounds each operation when Target.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// pollInterval is how often a condition is re-checked while waiting.
const pollInterval = 50 * time.Millisecond

// Target is one radio under test and the facts the suite relies on.
type Target struct {
	// Radio is an operating (enabled, beaconing) AP radio.
	Radio radio.Radio
	// PeerBSSID is a BSS another radio beacons that Radio's scan must see.
	PeerBSSID net.HardwareAddr
	// PeerFreqMHz is the frequency to scan for PeerBSSID.
	PeerFreqMHz int
	// SwitchTo is a valid non-DFS switch target different from the
	// current channel.
	SwitchTo radio.SwitchRequest
	// Invalid is a request the radio must refuse with radio.ErrInvalidChannel.
	Invalid radio.SwitchRequest
	// TxPowerDBm is a settable transmit power, read back through State.
	TxPowerDBm float64
	// Associate makes a station associate with Radio and returns its MAC;
	// nil skips the station test.
	Associate func(ctx context.Context) (net.HardwareAddr, error)
	// Timeout bounds each operation; zero means DefaultTimeout.
	Timeout time.Duration
}

func (tg Target) timeout() time.Duration {
	if tg.Timeout > 0 {
		return tg.Timeout
	}
	return DefaultTimeout
}

// Run runs the contract suite as subtests of t. setup is called once per
// subtest, with the subtest's t, and must return a Target describing the
// radio as it is now (earlier subtests may have switched its channel or
// changed its power); it should register its own cleanup with t.Cleanup.
func Run(t *testing.T, setup func(t *testing.T) Target) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, tg Target)
	}{
		{"Info", testInfo},
		{"State", testState},
		{"Survey", testSurvey},
		{"Scan", testScan},
		{"Switch", testSwitch},
		{"InvalidSwitch", testInvalidSwitch},
		{"TxPower", testTxPower},
		{"Station", testStation},
		{"EventsClose", testEventsClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := setup(t)
			if tg.Radio == nil {
				t.Fatal("setup returned a Target without a Radio")
			}
			tc.fn(t, tg)
		})
	}
}

// opContext returns a context bounded by the target's timeout.
func opContext(t *testing.T, tg Target) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), tg.timeout())
	t.Cleanup(cancel)
	return ctx
}

// waitFor re-checks cond until it reports true or the target's timeout
// passes; the last error or reason is reported on failure.
func waitFor(t *testing.T, tg Target, what string, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	ctx := opContext(t, tg)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	last := ""
	for {
		ok, why := cond(ctx)
		if ok {
			return
		}
		last = why
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %v: %s", what, tg.timeout(), last)
		case <-tick.C:
		}
	}
}

// waitEvent reads events until one satisfies match or the timeout passes.
func waitEvent(t *testing.T, tg Target, events <-chan radio.Event, what string, match func(radio.Event) bool) radio.Event {
	t.Helper()
	ctx := opContext(t, tg)
	var seen []radio.EventKind
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("%s: event channel closed early (saw %v)", what, seen)
			}
			if match(ev) {
				return ev
			}
			seen = append(seen, ev.Kind)
		case <-ctx.Done():
			t.Fatalf("%s: no matching event within %v (saw %v)", what, tg.timeout(), seen)
		}
	}
}

func mustInfo(t *testing.T, tg Target) radio.Info {
	t.Helper()
	info, err := tg.Radio.Info(opContext(t, tg))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	return info
}

func mustState(t *testing.T, tg Target) radio.State {
	t.Helper()
	st, err := tg.Radio.State(opContext(t, tg))
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st
}

func hasChannel(caps radio.Capabilities, ch int) bool {
	return slices.ContainsFunc(caps.Channels, func(c radio.Channel) bool { return c.Number == ch })
}

func testInfo(t *testing.T, tg Target) {
	info := mustInfo(t, tg)
	if info.Name == "" {
		t.Error("Info.Name is empty")
	}
	if len(info.MAC) != 6 {
		t.Errorf("Info.MAC = %v, want 6 bytes", info.MAC)
	}
	caps := info.Caps
	switch caps.Band {
	case radio.Band2G4, radio.Band5G, radio.Band6G:
	default:
		t.Errorf("Caps.Band = %q, not a known band", caps.Band)
	}
	if len(caps.Channels) == 0 {
		t.Fatal("Caps.Channels is empty")
	}
	for _, c := range caps.Channels {
		if want := radio.ChannelFreq(caps.Band, c.Number); c.FreqMHz != want {
			t.Errorf("channel %d: FreqMHz %d, want %d", c.Number, c.FreqMHz, want)
		}
	}
	if len(caps.Widths) == 0 {
		t.Error("Caps.Widths is empty")
	}
	if caps.TxPowerMinDBm > caps.TxPowerMaxDBm {
		t.Errorf("tx power range [%v, %v] is inverted", caps.TxPowerMinDBm, caps.TxPowerMaxDBm)
	}
	st := mustState(t, tg)
	if !hasChannel(caps, st.Channel) {
		t.Errorf("current channel %d is not among Caps.Channels", st.Channel)
	}
	if !slices.Contains(caps.Widths, st.Width) {
		t.Errorf("current width %d is not among Caps.Widths %v", st.Width, caps.Widths)
	}
}

func testState(t *testing.T, tg Target) {
	info := mustInfo(t, tg)
	st := mustState(t, tg)
	if !st.Enabled || !st.Up {
		t.Fatalf("State Enabled=%v Up=%v, want an operating radio", st.Enabled, st.Up)
	}
	if want := radio.ChannelFreq(info.Caps.Band, st.Channel); want == 0 || st.FreqMHz != want {
		t.Errorf("State channel %d freq %d, want freq %d", st.Channel, st.FreqMHz, want)
	}
	if st.Width <= 0 {
		t.Errorf("State.Width = %d", st.Width)
	}
	if st.CenterFreqMHz != 0 {
		half := st.Width / 2
		if st.FreqMHz < st.CenterFreqMHz-half || st.FreqMHz > st.CenterFreqMHz+half {
			t.Errorf("primary %d MHz outside the %d MHz channel centred on %d", st.FreqMHz, st.Width, st.CenterFreqMHz)
		}
	}
	if len(st.BSSID) != 6 {
		t.Errorf("State.BSSID = %v, want 6 bytes", st.BSSID)
	}
}

func testSurvey(t *testing.T, tg Target) {
	st := mustState(t, tg)
	waitFor(t, tg, "survey of the in-use channel", func(ctx context.Context) (bool, string) {
		entries, err := tg.Radio.Survey(ctx)
		if err != nil {
			return false, "Survey: " + err.Error()
		}
		for _, e := range entries {
			if e.FreqMHz != st.FreqMHz {
				continue
			}
			if !e.InUse {
				return false, "entry for the operating frequency is not InUse"
			}
			if e.ActiveTime <= 0 {
				return false, "in-use entry has no ActiveTime"
			}
			if e.BusyTime < 0 || e.BusyTime > e.ActiveTime {
				t.Errorf("BusyTime %v outside [0, ActiveTime %v]", e.BusyTime, e.ActiveTime)
			}
			return true, ""
		}
		return false, "no entry for the operating frequency"
	})
}

func testScan(t *testing.T, tg Target) {
	if tg.PeerBSSID == nil {
		t.Skip("no peer BSS to scan for")
	}
	waitFor(t, tg, "scan sees the peer", func(ctx context.Context) (bool, string) {
		bsses, err := tg.Radio.Scan(ctx, radio.ScanRequest{FreqsMHz: []int{tg.PeerFreqMHz}})
		if err != nil {
			// A scan may be refused while another is under way; retry.
			return false, "Scan: " + err.Error()
		}
		for _, b := range bsses {
			if b.FreqMHz != tg.PeerFreqMHz {
				t.Errorf("scan limited to %d MHz returned %v on %d MHz", tg.PeerFreqMHz, b.BSSID, b.FreqMHz)
			}
			if bytes.Equal(b.BSSID, tg.PeerBSSID) {
				return true, ""
			}
		}
		return false, "peer not in the scan results"
	})
}

func testSwitch(t *testing.T, tg Target) {
	before := mustState(t, tg)
	if tg.SwitchTo.Channel == before.Channel {
		t.Fatalf("SwitchTo channel %d is the current channel", tg.SwitchTo.Channel)
	}
	evctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events := tg.Radio.Events(evctx)
	res, err := tg.Radio.Switch(opContext(t, tg), tg.SwitchTo)
	if err != nil {
		t.Fatalf("Switch(%+v): %v", tg.SwitchTo, err)
	}
	select {
	case r, ok := <-res:
		if !ok {
			t.Fatal("switch result channel closed without a result")
		}
		if r.Err != nil {
			t.Fatalf("switch result: %v", r.Err)
		}
		if r.Channel != tg.SwitchTo.Channel {
			t.Errorf("switch result channel %d, want %d", r.Channel, tg.SwitchTo.Channel)
		}
		if tg.SwitchTo.Width != 0 && r.Width != tg.SwitchTo.Width {
			t.Errorf("switch result width %d, want %d", r.Width, tg.SwitchTo.Width)
		}
	case <-opContext(t, tg).Done():
		t.Fatalf("no switch result within %v", tg.timeout())
	}
	if _, ok := <-res; ok {
		t.Error("switch result channel delivered a second value")
	}
	waitEvent(t, tg, events, "channel-switched event", func(ev radio.Event) bool {
		return ev.Kind == radio.EventChannelSwitched && ev.Channel == tg.SwitchTo.Channel
	})
	waitFor(t, tg, "State shows the new channel", func(ctx context.Context) (bool, string) {
		st, err := tg.Radio.State(ctx)
		if err != nil {
			return false, "State: " + err.Error()
		}
		if st.Channel != tg.SwitchTo.Channel || st.Switching {
			return false, "state still on the old channel or switching"
		}
		if tg.SwitchTo.Width != 0 && st.Width != tg.SwitchTo.Width {
			return false, "state width differs from the request"
		}
		return true, ""
	})
}

func testInvalidSwitch(t *testing.T, tg Target) {
	before := mustState(t, tg)
	res, err := tg.Radio.Switch(opContext(t, tg), tg.Invalid)
	if err == nil {
		// Drain so a backend that accepted it does not leak.
		go func() {
			for range res {
			}
		}()
		t.Fatalf("Switch(%+v) accepted an invalid request", tg.Invalid)
	}
	if !errors.Is(err, radio.ErrInvalidChannel) {
		t.Errorf("Switch(%+v) = %v, want radio.ErrInvalidChannel", tg.Invalid, err)
	}
	var op *radio.OpError
	if !errors.As(err, &op) {
		t.Errorf("Switch error %v is not a *radio.OpError", err)
	}
	after := mustState(t, tg)
	if after.Channel != before.Channel || after.Width != before.Width {
		t.Errorf("refused switch moved the radio from %d/%d to %d/%d",
			before.Channel, before.Width, after.Channel, after.Width)
	}
}

func testTxPower(t *testing.T, tg Target) {
	if err := tg.Radio.SetTxPower(opContext(t, tg), tg.TxPowerDBm); err != nil {
		t.Fatalf("SetTxPower(%v): %v", tg.TxPowerDBm, err)
	}
	waitFor(t, tg, "State shows the set power", func(ctx context.Context) (bool, string) {
		st, err := tg.Radio.State(ctx)
		if err != nil {
			return false, "State: " + err.Error()
		}
		if d := st.TxPowerDBm - tg.TxPowerDBm; d < -1 || d > 1 {
			return false, "TxPowerDBm differs by more than 1 dB"
		}
		return true, ""
	})
}

func testStation(t *testing.T, tg Target) {
	if tg.Associate == nil {
		t.Skip("no way to associate a station")
	}
	evctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events := tg.Radio.Events(evctx)
	mac, err := tg.Associate(opContext(t, tg))
	if err != nil {
		t.Fatalf("Associate: %v", err)
	}
	waitEvent(t, tg, events, "station-joined event", func(ev radio.Event) bool {
		return ev.Kind == radio.EventStationJoined && bytes.Equal(ev.Station, mac)
	})
	waitFor(t, tg, "station listed", func(ctx context.Context) (bool, string) {
		stas, err := tg.Radio.Stations(ctx)
		if err != nil {
			return false, "Stations: " + err.Error()
		}
		for _, s := range stas {
			if bytes.Equal(s.MAC, mac) {
				return true, ""
			}
		}
		return false, "station " + mac.String() + " not in Stations"
	})
}

func testEventsClose(t *testing.T, tg Target) {
	ctx, cancel := context.WithCancel(t.Context())
	events := tg.Radio.Events(ctx)
	cancel()
	deadline := time.NewTimer(tg.timeout())
	defer deadline.Stop()
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-deadline.C:
			t.Fatalf("event channel still open %v after its context ended", tg.timeout())
		}
	}
}
