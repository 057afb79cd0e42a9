package sim

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/radiotest"
)

// testHome is two APs 6 m apart with one 5 GHz radio each.
func testHome() *Home {
	rs := RadioSpec{
		Band: radio.Band5G, Channels: []int{36, 40, 44, 48, 52, 56, 60, 64, 149, 153, 157, 161},
		Widths: []int{20, 40, 80}, Channel: 36, Width: 20,
		TxPower: TxPower{Min: 0, Max: 23, Initial: 20}, SSID: "test", BaseLoad: 0.1,
	}
	return &Home{
		Name: "test", Seed: 1,
		PathLoss: PathLoss{Exponent: 3, WallLossDB: 5, FloorLossDB: 15, ShadowingDB: 2},
		APs: []AP{
			{Node: "ap1", Pos: Pos{X: 0, Y: 0}, Radios: []RadioSpec{rs}},
			{Node: "ap2", Pos: Pos{X: 6, Y: 0}, Radios: []RadioSpec{rs}},
		},
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// openNode opens node of home on air with fast timers, closed at cleanup.
func openNode(t *testing.T, home *Home, node, air string, tweak ...func(*Config)) (*Backend, *Radio) {
	t.Helper()
	cfg := TestConfig()
	cfg.Home, cfg.Node, cfg.AirDir, cfg.Logger = home, node, air, testLogger(t)
	for _, f := range tweak {
		f(&cfg)
	}
	b, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open %s: %v", node, err)
	}
	t.Cleanup(func() { b.Close() })
	return b, b.radios[0]
}

func TestContract(t *testing.T) {
	radiotest.Run(t, func(t *testing.T) radiotest.Target {
		home, air := testHome(), t.TempDir()
		b1, r1 := openNode(t, home, "ap1", air)
		_, r2 := openNode(t, home, "ap2", air)
		return radiotest.Target{
			Radio:       r1,
			PeerBSSID:   r2.info.MAC,
			PeerFreqMHz: 5180,
			SwitchTo:    radio.SwitchRequest{Channel: 44},
			Invalid:     radio.SwitchRequest{Channel: 100},
			TxPowerDBm:  12,
			Associate: func(ctx context.Context) (net.HardwareAddr, error) {
				mac := "02:aa:00:00:00:01"
				err := b1.Air().SetClients([]Client{{MAC: mac, Pos: Pos{X: 0.5}, Band: radio.Band5G, Load: 0.1}})
				hw, _ := net.ParseMAC(mac)
				return hw, err
			},
			Timeout: 5 * time.Second,
		}
	})
}

// waitEvent returns the first event of kind, failing after a deadline.
func waitEvent(t *testing.T, ch <-chan radio.Event, kind radio.EventKind) radio.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("events closed before %s", kind)
			}
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event", kind)
		}
	}
}

func result(t *testing.T, ch <-chan radio.SwitchResult) radio.SwitchResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no switch result")
	}
	return radio.SwitchResult{}
}

func scanFind(t *testing.T, r *Radio, mac net.HardwareAddr) (radio.BSS, bool) {
	t.Helper()
	bss, err := r.Scan(t.Context(), radio.ScanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bss {
		if bytes.Equal(b.BSSID, mac) {
			return b, true
		}
	}
	return radio.BSS{}, false
}

func TestPeersSeeEachOtherAndSwitches(t *testing.T) {
	home, air := testHome(), t.TempDir()
	_, r1 := openNode(t, home, "ap1", air)
	_, r2 := openNode(t, home, "ap2", air)
	got, ok := scanFind(t, r1, r2.info.MAC)
	if !ok || got.Channel != 36 {
		t.Fatalf("ap1 scan: peer %v on %d, want channel 36", ok, got.Channel)
	}
	// 6 m, exponent 3, 47 dB at 1 m, 20 dBm, shadowing within ±2 dB.
	if want := 20 - 47 - 30*0.778; got.SignalDBm < int(want)-3 || got.SignalDBm > int(want)+3 {
		t.Errorf("peer signal %d dBm, want about %.0f", got.SignalDBm, want)
	}
	res, err := r2.Switch(t.Context(), radio.SwitchRequest{Channel: 157, Width: 80})
	if err != nil {
		t.Fatal(err)
	}
	if r := result(t, res); r.Err != nil {
		t.Fatal(r.Err)
	}
	got, ok = scanFind(t, r1, r2.info.MAC)
	if !ok || got.Channel != 157 || got.Width != 80 {
		t.Fatalf("after the switch ap1 sees %+v (found %v), want channel 157/80", got, ok)
	}
	entries, err := r1.Survey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Channel {
		case 149, 153, 157, 161:
			if e.BusyTime == 0 {
				t.Errorf("channel %d not busy though the peer's 80 MHz block covers it", e.Channel)
			}
		case 44:
			if e.BusyTime != 0 {
				t.Errorf("channel %d busy (%v) with nobody on it", e.Channel, e.BusyTime)
			}
		}
	}
}

func TestSwitchBusy(t *testing.T) {
	_, r := openNode(t, testHome(), "ap1", t.TempDir(), func(c *Config) { c.CSAInterval = 20 * time.Millisecond })
	res, err := r.Switch(t.Context(), radio.SwitchRequest{Channel: 44})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Switch(t.Context(), radio.SwitchRequest{Channel: 48}); !errors.Is(err, radio.ErrBusy) {
		t.Errorf("second switch: %v, want ErrBusy", err)
	}
	if st, _ := r.State(t.Context()); !st.Switching || st.Channel != 36 {
		t.Errorf("during CSA: %+v, want switching on 36", st)
	}
	result(t, res)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.Switch(ctx, radio.SwitchRequest{Channel: 48}); !errors.Is(err, context.Canceled) {
		t.Errorf("switch with a cancelled context: %v", err)
	}
}

func TestDFSSwitchWaitsCAC(t *testing.T) {
	const cac = 300 * time.Millisecond
	home, air := testHome(), t.TempDir()
	_, r1 := openNode(t, home, "ap1", air)
	_, r2 := openNode(t, home, "ap2", air, func(c *Config) { c.CACTime = cac })
	events := r2.Events(t.Context())
	start := time.Now()
	res, err := r2.Switch(t.Context(), radio.SwitchRequest{Channel: 52, Width: 80})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, radio.EventCACStarted)
	if st, _ := r2.State(t.Context()); st.Up || st.Channel != 52 || !st.Switching {
		t.Errorf("during CAC: %+v, want silent on 52 and switching", st)
	}
	if _, ok := scanFind(t, r1, r2.info.MAC); ok {
		t.Error("peer visible while silent in CAC")
	}
	r := result(t, res)
	if r.Err != nil || r.Channel != 52 || r.Width != 80 {
		t.Fatalf("result %+v", r)
	}
	if el := time.Since(start); el < cac {
		t.Errorf("DFS switch done after %v, before the %v CAC", el, cac)
	}
	waitEvent(t, events, radio.EventCACFinished)
	waitEvent(t, events, radio.EventChannelSwitched)
	if _, ok := scanFind(t, r1, r2.info.MAC); !ok {
		t.Error("peer not visible after CAC")
	}
}

func TestRadarMovesRadio(t *testing.T) {
	home := testHome()
	home.APs[0].Radios[0].Channel, home.APs[0].Radios[0].Width = 52, 80
	air := t.TempDir()
	b, r := openNode(t, home, "ap1", air)
	events := r.Events(t.Context())
	if err := b.Air().InjectRadar("ap1", "radio0", 56); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, events, radio.EventRadarDetected)
	if ev.Channel != 56 {
		t.Errorf("radar event on %d, want 56", ev.Channel)
	}
	ev = waitEvent(t, events, radio.EventChannelSwitched)
	if isDFS(radio.Band5G, ev.Channel) || ev.Width != 80 {
		t.Errorf("fled to %d/%d, want a non-DFS 80 MHz channel", ev.Channel, ev.Width)
	}
	if _, err := r.Switch(t.Context(), radio.SwitchRequest{Channel: 60}); !errors.Is(err, radio.ErrRadar) {
		t.Errorf("switch back into the radar block: %v, want ErrRadar", err)
	}
	if st, _ := r.State(t.Context()); !slices.Equal(st.Unavailable, []int{52, 56, 60, 64}) {
		t.Errorf("State.Unavailable %v, want the radar block [52 56 60 64]", st.Unavailable)
	}
	ents, _ := os.ReadDir(filepath.Join(air, injectDir, "ap1"))
	if len(ents) != 0 {
		t.Errorf("injection not consumed: %v", ents)
	}
}

func TestRadarDuringCAC(t *testing.T) {
	b, r := openNode(t, testHome(), "ap1", t.TempDir(), func(c *Config) { c.CACTime = time.Minute })
	events := r.Events(t.Context())
	res, err := r.Switch(t.Context(), radio.SwitchRequest{Channel: 100 - 48, Width: 20})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, radio.EventCACStarted)
	if err := b.Air().InjectRadar("ap1", "radio0", 52); err != nil {
		t.Fatal(err)
	}
	if got := result(t, res); !errors.Is(got.Err, radio.ErrRadar) {
		t.Errorf("result %+v, want ErrRadar", got)
	}
	ev := waitEvent(t, events, radio.EventChannelSwitched)
	st, _ := r.State(t.Context())
	if isDFS(radio.Band5G, ev.Channel) || st.Channel != ev.Channel || !st.Up || st.Switching {
		t.Errorf("after radar in CAC: event channel %d, state %+v", ev.Channel, st)
	}
	if !slices.Equal(st.Unavailable, []int{52}) {
		t.Errorf("State.Unavailable %v, want [52]", st.Unavailable)
	}
}

func TestExternalChange(t *testing.T) {
	home, air := testHome(), t.TempDir()
	_, r1 := openNode(t, home, "ap1", air)
	b2, r2 := openNode(t, home, "ap2", air)
	events := r2.Events(t.Context())
	if err := b2.Air().InjectChannelChange("ap2", "radio0", 161, 0); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, events, radio.EventChannelSwitched); ev.Channel != 161 || ev.Width != 20 {
		t.Errorf("event %+v, want channel 161/20", ev)
	}
	if got, ok := scanFind(t, r1, r2.info.MAC); !ok || got.Channel != 161 {
		t.Errorf("peer scan after external change: %+v", got)
	}
}

func TestForeignOverride(t *testing.T) {
	b, r := openNode(t, testHome(), "ap1", t.TempDir())
	// busy is the busy time a read adds to channel ch's cumulative
	// counter: the busy time of one survey window.
	last := map[int]time.Duration{}
	busy := func(ch int) time.Duration {
		ents, err := r.Survey(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(ents, func(e radio.SurveyEntry) bool { return e.Channel == ch })
		d := ents[i].BusyTime - last[ch]
		for _, e := range ents {
			last[e.Channel] = e.BusyTime
		}
		return d
	}
	before := busy(36)
	mac, _ := net.ParseMAC("02:f0:00:00:00:99")
	err := b.Air().SetForeign([]Foreign{{BSSID: mac.String(), SSID: "Intruder", Band: radio.Band5G,
		Pos: &Pos{X: 3, Y: 3}, Channel: 36, Width: 40, Load: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := scanFind(t, r, mac)
	if !ok || got.SSID != "Intruder" || got.Utilization != 50 {
		t.Fatalf("foreign network in scan: %+v (found %v)", got, ok)
	}
	if after := busy(36); after-before != 500*time.Millisecond {
		t.Errorf("busy on 36 went from %v to %v, want +500ms", before, after)
	}
	if b40 := busy(40); b40 != 500*time.Millisecond {
		t.Errorf("busy on 40 (secondary of the foreign 40 MHz) = %v, want 500ms", b40)
	}
	bss, _ := r.Scan(t.Context(), radio.ScanRequest{FreqsMHz: []int{5200}})
	if len(bss) != 0 {
		t.Errorf("scan of 5200 MHz found %v", bss)
	}
}

func TestDeterministic(t *testing.T) {
	home, err := LoadHome("../../homes/apartment.json")
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() (any, any, any) {
		air := t.TempDir()
		var r5 *Radio
		var all []*Backend
		for _, n := range home.Nodes() {
			b, _ := openNode(t, home, n, air)
			all = append(all, b)
			if n == "ap3" {
				r5 = b.radios[1]
			}
		}
		// Loads depend on which nodes were up when each looked; once all
		// are, one round settles every association.
		for _, b := range all {
			b.updateStations(b.view.snapshot(), time.Now(), true)
			b.publishLogged()
		}
		scan, _ := r5.Scan(t.Context(), radio.ScanRequest{})
		sur, _ := r5.Survey(t.Context())
		return r5.info, scan, sur
	}
	i1, s1, u1 := snapshot()
	i2, s2, u2 := snapshot()
	for _, p := range [][2]any{{i1, i2}, {s1, s2}, {u1, u2}} {
		if !equalJSON(t, p[0], p[1]) {
			t.Errorf("two runs differ:\n%v\n%v", p[0], p[1])
		}
	}
	if len(s1.([]radio.BSS)) < 5 {
		t.Errorf("apartment scan found only %d networks", len(s1.([]radio.BSS)))
	}
}

func TestCorruptPeerFile(t *testing.T) {
	home, air := testHome(), t.TempDir()
	_, r1 := openNode(t, home, "ap1", air)
	_, r2 := openNode(t, home, "ap2", air)
	for name, data := range map[string]string{
		"garbage.json": "{not json",
		"ap3.json":     `{"node":"ap3","radios":[{"name":"r","band":"5GHz","channel":7,"width":20,"bssid":"x"}]}`,
		"trunc.json":   "",
	} {
		if err := os.WriteFile(filepath.Join(air, nodesDir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(air, foreignFile), []byte("[1,2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := scanFind(t, r1, r2.info.MAC); !ok {
		t.Error("corrupt peer files hid a good peer")
	}
	if _, err := r1.Survey(t.Context()); err != nil {
		t.Error(err)
	}
	nodes, err := (&Air{dir: air}).Nodes()
	if err == nil || len(nodes) != 2 {
		t.Errorf("Air.Nodes = %d nodes, err %v; want 2 and an error", len(nodes), err)
	}
}

func TestCloseIdempotentNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	cfg := TestConfig()
	cfg.Home, cfg.Node, cfg.AirDir = testHome(), "ap1", t.TempDir()
	cfg.CACTime = time.Hour
	b, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := b.Radios(t.Context())
	events := rs[0].Events(context.Background())
	res, err := rs[0].Switch(t.Context(), radio.SwitchRequest{Channel: 52})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, radio.EventCACStarted)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if r := result(t, res); !errors.Is(r.Err, radio.ErrDown) {
		t.Errorf("switch cut by Close: %+v, want ErrDown", r)
	}
	for range events {
	}
	if _, err := rs[0].Switch(t.Context(), radio.SwitchRequest{Channel: 44}); !errors.Is(err, radio.ErrDown) {
		t.Errorf("switch after Close: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

func TestResumeFromAir(t *testing.T) {
	home, air := testHome(), t.TempDir()
	cfg := TestConfig()
	cfg.Home, cfg.Node, cfg.AirDir = home, "ap1", air
	b, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := b.Radios(t.Context())
	res, _ := rs[0].Switch(t.Context(), radio.SwitchRequest{Channel: 44, Width: 40})
	result(t, res)
	b.Close()
	_, r := openNode(t, home, "ap1", air)
	if st, _ := r.State(t.Context()); st.Channel != 44 || st.Width != 40 {
		t.Errorf("reopened on %d/%d, want 44/40", st.Channel, st.Width)
	}
}

func TestTxPowerRange(t *testing.T) {
	_, r := openNode(t, testHome(), "ap1", t.TempDir())
	for _, p := range []float64{-1, 24} {
		err := r.SetTxPower(t.Context(), p)
		var op *radio.OpError
		if !errors.Is(err, ErrTxPowerRange) || !errors.As(err, &op) {
			t.Errorf("SetTxPower(%v) = %v", p, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	cfg := TestConfig()
	cfg.Home, cfg.AirDir, cfg.Node = testHome(), t.TempDir(), "nope"
	if _, err := Open(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown node: %v", err)
	}
	cfg.Home, cfg.HomePath, cfg.Node = nil, filepath.Join(t.TempDir(), "missing.json"), "ap1"
	if _, err := Open(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing home: %v", err)
	}
}
