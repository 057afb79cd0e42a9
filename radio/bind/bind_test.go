package bind_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/bind"
)

// fixture is a model bound to fake radios.
type fixture struct {
	m      *datamodel.Model
	b      *bind.Binding
	radios []*fakeRadio
	fence  *termFence

	mu     sync.Mutex
	events []datamodel.Event
	kick   chan struct{} // signalled on every model event
}

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, cfg bind.Config, radios ...*fakeRadio) *fixture {
	t.Helper()
	f := &fixture{radios: radios, fence: &termFence{highest: 5}, kick: make(chan struct{}, 1)}
	if cfg.Fence == nil {
		cfg.Fence = f.fence
	}
	cfg.Now = func() time.Time { return now }
	f.b = bind.New(cfg)
	m, err := datamodel.NewModel(context.Background(), tr181.NewSchema(tr181.Config{WiFi: f.b.Hooks()}), datamodel.Config{})
	if err != nil {
		t.Fatalf("NewModel: %v", err)
	}
	f.m = m
	m.Listen(func(e datamodel.Event) {
		f.mu.Lock()
		f.events = append(f.events, e)
		f.mu.Unlock()
		select {
		case f.kick <- struct{}{}:
		default:
		}
	})
	rs := make([]radio.Radio, len(radios))
	for i, r := range radios {
		rs[i] = r
	}
	if err := f.b.Start(context.Background(), m, rs); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { f.b.Close() })
	return f
}

// get reads one parameter.
func (f *fixture) get(t *testing.T, p string) string {
	t.Helper()
	pp, err := path.Parse(p)
	if err != nil {
		t.Fatalf("parse %s: %v", p, err)
	}
	ovs, err := f.m.Get(context.Background(), pp, 0, nil)
	if err != nil || len(ovs) != 1 || len(ovs[0].Params) != 1 {
		t.Fatalf("Get %s: %v, %v", p, ovs, err)
	}
	return ovs[0].Params[0].Value
}

// count is the number of rows of the table at p.
func (f *fixture) count(t *testing.T, p string) int {
	t.Helper()
	pp, _ := path.Parse(p)
	insts, err := f.m.Instances(context.Background(), pp, true, nil)
	if err != nil {
		t.Fatalf("Instances %s: %v", p, err)
	}
	return len(insts)
}

// set writes kv to the object at objPath as a Controller would, in one
// transaction; it commits when the write succeeds.
func (f *fixture) set(t *testing.T, objPath string, kv ...string) error {
	t.Helper()
	tx := f.m.Begin(context.Background())
	defer tx.Rollback()
	pp, _ := path.Parse(objPath)
	objs, err := tx.Objects(pp)
	if err != nil || len(objs) != 1 {
		t.Fatalf("Objects %s: %v", objPath, err)
	}
	var ups []datamodel.ParamUpdate
	for i := 0; i+1 < len(kv); i += 2 {
		ups = append(ups, datamodel.ParamUpdate{Param: kv[i], Value: kv[i+1], Required: true})
	}
	if _, err := tx.Update(objs[0], ups, datamodel.WriteOptions{}); err != nil {
		return err
	}
	return tx.Commit()
}

// waitFor waits until cond holds, re-checking at every model event and
// every few milliseconds, and fails the test after a deadline.
func (f *fixture) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-f.kick:
		case <-tick.C:
		}
	}
}

// changed reports whether a value change of p to v was delivered.
func (f *fixture) changed(p, v string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.events {
		if e.Kind == datamodel.ValueChanged && e.Path == p && e.Value == v {
			return true
		}
	}
	return false
}

// command runs the command at cmdPath with in.
func (f *fixture) command(t *testing.T, cmdPath string, in map[string]string) (map[string]string, error) {
	t.Helper()
	pp, err := path.Parse(cmdPath)
	if err != nil {
		t.Fatalf("parse %s: %v", cmdPath, err)
	}
	targets, err := f.m.Commands(context.Background(), pp)
	if err != nil || len(targets) != 1 {
		t.Fatalf("Commands %s: %v", cmdPath, err)
	}
	return targets[0].Def.Handler(context.Background(), targets[0].Row, in)
}

// termFence admits terms not below the highest it has seen.
type termFence struct {
	mu      sync.Mutex
	highest uint64
}

func (f *termFence) Admit(_ context.Context, term uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if term < f.highest {
		return fmt.Errorf("stale leader term %d: this node follows term %d", term, f.highest)
	}
	f.highest = term
	return nil
}

func codeOf(err error) uint32 {
	var c interface{ USPErrorCode() uint32 }
	if errors.As(err, &c) {
		return c.USPErrorCode()
	}
	return 0
}

func TestRowsFromRadios(t *testing.T) {
	r5 := fiveGHz()
	r5.state.Unavailable = []int{52, 56, 60, 64} // radar on 52-64 lately
	r5.state.Uplink = &radio.Uplink{Interface: "wlan1-sta", BSSID: mac("02:00:00:00:09:01"), SignalDBm: -61.4, TxRateKbps: 720600, RxRateKbps: 650000}
	r5.survey = []radio.SurveyEntry{
		{FreqMHz: 5180, Channel: 36, InUse: true, NoiseDBm: -92, ActiveTime: time.Second, BusyTime: 300 * time.Millisecond},
		{FreqMHz: 5200, Channel: 40, NoiseDBm: -95, ActiveTime: time.Second, BusyTime: 100 * time.Millisecond},
		{FreqMHz: 5220, Channel: 44, NoiseDBm: -95, ActiveTime: time.Second},
	}
	r5.stations = []radio.Station{{MAC: mac("aa:bb:cc:00:00:01"), SignalDBm: -55, TxBitrateKbps: 866000,
		RxBitrateKbps: 400000, TxBytes: 1000, RxBytes: 2000, TxPackets: 100, RxPackets: 200, TxRetries: 5,
		Connected: time.Minute}}
	f := newFixture(t, bind.Config{}, twoGHz(), r5)
	for p, want := range map[string]string{
		"Device.WiFi.RadioNumberOfEntries":                                  "2",
		"Device.WiFi.Radio.1.Name":                                          "phy0",
		"Device.WiFi.Radio.1.OperatingFrequencyBand":                        "2.4GHz",
		"Device.WiFi.Radio.1.Channel":                                       "6",
		"Device.WiFi.Radio.1.PossibleChannels":                              "1,2,3,4,5,6,7,8,9,10,11,12,13",
		"Device.WiFi.Radio.1.SupportedStandards":                            "b,g,n,ax",
		"Device.WiFi.Radio.1.TransmitPower":                                 "50",
		"Device.WiFi.Radio.1.TransmitPowerSupported":                        "-1,4,6,12,25,50,100",
		"Device.WiFi.Radio.2.Name":                                          "phy1",
		"Device.WiFi.Radio.2.Enable":                                        "true",
		"Device.WiFi.Radio.2.Status":                                        "Up",
		"Device.WiFi.Radio.2.SupportedFrequencyBands":                       "5GHz",
		"Device.WiFi.Radio.2.OperatingStandards":                            "a,n,ac,ax",
		"Device.WiFi.Radio.2.Channel":                                       "36",
		"Device.WiFi.Radio.2.OperatingChannelBandwidth":                     "80MHz",
		"Device.WiFi.Radio.2.CurrentOperatingChannelBandwidth":              "80MHz",
		"Device.WiFi.Radio.2.PossibleChannels":                              "36,40,44,48,52,56,60,64,100,104,108,112,116,132,136,140",
		"Device.WiFi.Radio.2.ChannelsInUse":                                 "36,40",
		"Device.WiFi.Radio.2.X_USPMESH_UnavailableChannels":                 "52,56,60,64",
		"Device.WiFi.Radio.1.X_USPMESH_UnavailableChannels":                 "",
		"Device.WiFi.Radio.2.X_USPMESH_UplinkBSSID":                         "02:00:00:00:09:01",
		"Device.WiFi.Radio.2.X_USPMESH_UplinkSignalStrength":                "-61",
		"Device.WiFi.Radio.2.X_USPMESH_UplinkRate":                          "720600",
		"Device.WiFi.Radio.1.X_USPMESH_UplinkBSSID":                         "",
		"Device.WiFi.Radio.1.X_USPMESH_UplinkRate":                          "0",
		"Device.WiFi.Radio.2.AutoChannelSupported":                          "true",
		"Device.WiFi.Radio.2.TransmitPower":                                 "100",
		"Device.WiFi.Radio.2.TransmitPowerSupported":                        "-1,1,3,6,12,25,50,100",
		"Device.WiFi.Radio.2.Stats.Noise":                                   "-92",
		"Device.WiFi.SSID.2.Name":                                           "wlan1",
		"Device.WiFi.SSID.2.SSID":                                           "Home",
		"Device.WiFi.SSID.2.BSSID":                                          "02:00:00:00:01:01",
		"Device.WiFi.SSID.2.MACAddress":                                     "02:00:00:00:01:00",
		"Device.WiFi.SSID.2.LowerLayers":                                    "Device.WiFi.Radio.2",
		"Device.WiFi.SSID.2.Status":                                         "Up",
		"Device.WiFi.AccessPoint.2.SSIDReference":                           "Device.WiFi.SSID.2",
		"Device.WiFi.AccessPoint.2.Status":                                  "Enabled",
		"Device.WiFi.AccessPoint.1.AssociatedDeviceNumberOfEntries":         "0",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.1.MACAddress":           "AA:BB:CC:00:00:01",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.1.SignalStrength":       "-55",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.1.Noise":                "-92",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.1.SNR":                  "37",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.1.LastDataDownlinkRate": "866000",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.1.Retransmissions":      "5",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.1.AssociationTime":      "2025-06-01T11:59:00Z",
		"Device.WiFi.AccessPoint.2.AssociatedDevice.1.Stats.BytesSent":      "1000",
	} {
		if got := f.get(t, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
}

func TestSetChannelAndBandwidthSwitchesOnce(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	if err := f.set(t, "Device.WiFi.Radio.1.", "Channel", "100", "OperatingChannelBandwidth", "40MHz"); err != nil {
		t.Fatalf("Set Channel+OperatingChannelBandwidth: %v", err)
	}
	// Set returned before the switch; the values read as requested.
	if got := f.get(t, "Device.WiFi.Radio.1.Channel"); got != "100" {
		t.Errorf("Channel after Set = %s, want 100", got)
	}
	f.waitFor(t, "the switch", func() bool { return len(r.switchCalls()) > 0 })
	if got := r.switchCalls(); len(got) != 1 || got[0] != (radio.SwitchRequest{Channel: 100, Width: 40}) {
		t.Fatalf("switches %+v, want one to 100/40", got)
	}
	r.complete(nil)
	f.waitFor(t, "the current bandwidth", func() bool {
		return f.get(t, "Device.WiFi.Radio.1.CurrentOperatingChannelBandwidth") == "40MHz"
	})
	if got := f.get(t, "Device.WiFi.Radio.1.Channel"); got != "100" {
		t.Errorf("Channel after the switch = %s, want 100", got)
	}
	// A Set of the width alone switches on the current channel.
	if err := f.set(t, "Device.WiFi.Radio.1.", "OperatingChannelBandwidth", "20MHz"); err != nil {
		t.Fatalf("Set OperatingChannelBandwidth: %v", err)
	}
	f.waitFor(t, "the second switch", func() bool { return len(r.switchCalls()) == 2 })
	if got := r.switchCalls()[1]; got != (radio.SwitchRequest{Channel: 100, Width: 20}) {
		t.Errorf("second switch %+v, want 100/20", got)
	}
}

func TestSetInvalidPairRefused(t *testing.T) {
	for _, tc := range []struct {
		name      string
		kv        []string
		wantParam string
	}{
		{"disabled channel", []string{"Channel", "124"}, "Channel"},
		{"not a channel of the band", []string{"Channel", "6"}, "Channel"},
		{"block with a disabled channel", []string{"Channel", "116", "OperatingChannelBandwidth", "80MHz"}, "OperatingChannelBandwidth"},
		{"width not supported", []string{"OperatingChannelBandwidth", "320MHz-1"}, "OperatingChannelBandwidth"},
		{"80+80", []string{"Channel", "100", "OperatingChannelBandwidth", "80+80MHz"}, "OperatingChannelBandwidth"},
		{"off-grid 40 MHz", []string{"Channel", "140", "OperatingChannelBandwidth", "80MHz"}, "OperatingChannelBandwidth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fiveGHz()
			f := newFixture(t, bind.Config{}, r)
			err := f.set(t, "Device.WiFi.Radio.1.", tc.kv...)
			var we *datamodel.WriteError
			if !errors.As(err, &we) || we.Code != datamodel.CodeInvalidValue || len(we.ParamErrs) != 1 || we.ParamErrs[0].Param != tc.wantParam {
				t.Fatalf("Set %v: %v, want 7012 naming %s", tc.kv, err, tc.wantParam)
			}
			if got := f.get(t, "Device.WiFi.Radio.1.Channel"); got != "36" {
				t.Errorf("Channel = %s after a refused Set, want 36", got)
			}
			if got := f.get(t, "Device.WiFi.Radio.1.OperatingChannelBandwidth"); got != "80MHz" {
				t.Errorf("OperatingChannelBandwidth = %s after a refused Set, want 80MHz", got)
			}
			if got := r.switchCalls(); len(got) != 0 {
				t.Errorf("switches %+v after a refused Set, want none", got)
			}
		})
	}
}

func TestRolledBackSetDoesNotSwitch(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	tx := f.m.Begin(context.Background())
	pp, _ := path.Parse("Device.WiFi.Radio.1.")
	objs, _ := tx.Objects(pp)
	if _, err := tx.Update(objs[0], []datamodel.ParamUpdate{{Param: "Channel", Value: "44"}}, datamodel.WriteOptions{}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	tx.Rollback()
	// A later Set switches; the rolled-back one never did.
	if err := f.set(t, "Device.WiFi.Radio.1.", "Channel", "100"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	f.waitFor(t, "the switch", func() bool { return len(r.switchCalls()) > 0 })
	if got := r.switchCalls(); len(got) != 1 || got[0].Channel != 100 {
		t.Errorf("switches %+v, want only the committed one to 100", got)
	}
}

func TestExternalChangeNotifies(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	// A DFS radar move, or another tool, changes the channel.
	r.set(func(r *fakeRadio) { r.state.Channel, r.state.FreqMHz, r.state.Width = 44, 5220, 40 })
	r.emit(radio.Event{Kind: radio.EventChannelSwitched, Channel: 44, Width: 40})
	f.waitFor(t, "the value change of Channel", func() bool { return f.changed("Device.WiFi.Radio.1.Channel", "44") })
	if got := f.get(t, "Device.WiFi.Radio.1.CurrentOperatingChannelBandwidth"); got != "40MHz" {
		t.Errorf("CurrentOperatingChannelBandwidth = %s, want 40MHz", got)
	}
	if got := r.switchCalls(); len(got) != 0 {
		t.Errorf("the binding switched (%+v) on an external change", got)
	}
}

func TestTransmitPowerAndEnable(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	if err := f.set(t, "Device.WiFi.Radio.1.", "TransmitPower", "50"); err != nil {
		t.Fatalf("Set TransmitPower: %v", err)
	}
	f.waitFor(t, "SetTxPower", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.powers) == 1
	})
	if got := r.powers[0]; got < 16.98 || got > 16.99 {
		t.Errorf("SetTxPower(%v), want 20 dBm - 3.01 dB", got)
	}
	for _, kv := range [][]string{{"TransmitPower", "0"}, {"Enable", "false"}, {"OperatingFrequencyBand", "2.4GHz"}} {
		if err := f.set(t, "Device.WiFi.Radio.1.", kv...); codeOf(err) != datamodel.CodeInvalidValue {
			t.Errorf("Set %v: %v, want 7012", kv, err)
		}
	}
	// AutoChannelEnable pins the channel for the mesh's planner (false)
	// or hands it back (true); either way the radio is not touched.
	for _, v := range []string{"false", "true"} {
		if err := f.set(t, "Device.WiFi.Radio.1.", "AutoChannelEnable", v); err != nil {
			t.Errorf("Set AutoChannelEnable %s: %v", v, err)
		}
	}
}

func TestStationsJoinAndLeave(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	table := "Device.WiFi.AccessPoint.1.AssociatedDevice."
	if n := f.count(t, table); n != 0 {
		t.Fatalf("%d stations at start, want 0", n)
	}
	sta := radio.Station{MAC: mac("aa:bb:cc:00:00:02"), SignalDBm: -60, TxBitrateKbps: 144000, RxBitrateKbps: 72000}
	r.set(func(r *fakeRadio) { r.stations = append(r.stations, sta) })
	r.emit(radio.Event{Kind: radio.EventStationJoined, Station: sta.MAC})
	f.waitFor(t, "the station's row", func() bool { return f.count(t, table) == 1 })
	if got := f.get(t, table+"1.MACAddress"); got != "AA:BB:CC:00:00:02" {
		t.Errorf("MACAddress = %s", got)
	}
	if got := f.get(t, table+"1.LastDataUplinkRate"); got != "72000" {
		t.Errorf("LastDataUplinkRate = %s, want 72000", got)
	}
	r.set(func(r *fakeRadio) { r.stations = nil })
	r.emit(radio.Event{Kind: radio.EventStationLeft, Station: sta.MAC})
	f.waitFor(t, "the station's row to go", func() bool { return f.count(t, table) == 0 })
}

func TestStationRefreshPeriodic(t *testing.T) {
	r := fiveGHz()
	r.stations = []radio.Station{{MAC: mac("aa:bb:cc:00:00:03"), SignalDBm: -70}}
	f := newFixture(t, bind.Config{StationRefresh: 10 * time.Millisecond}, r)
	p := "Device.WiFi.AccessPoint.1.AssociatedDevice.1.SignalStrength"
	if got := f.get(t, p); got != "-70" {
		t.Fatalf("SignalStrength = %s, want -70", got)
	}
	r.set(func(r *fakeRadio) { r.stations[0].SignalDBm = -50 })
	f.waitFor(t, "the refreshed signal", func() bool { return f.get(t, p) == "-50" })
}

func TestNeighboringWiFiDiagnostic(t *testing.T) {
	r24, r5 := twoGHz(), fiveGHz()
	r5.survey = []radio.SurveyEntry{{FreqMHz: 5745, Channel: 149, NoiseDBm: -97}, {FreqMHz: 5200, Channel: 40, NoiseDBm: -93}}
	r24.scan = []radio.BSS{{BSSID: mac("10:00:00:00:00:01"), SSID: "Neighbour", Channel: 1, FreqMHz: 2412, Width: 20,
		SignalDBm: -70, Security: "WPA2-Personal"}}
	r5.scan = []radio.BSS{
		{BSSID: mac("10:00:00:00:00:02"), SSID: "Other", Channel: 40, FreqMHz: 5200, Width: 80, SignalDBm: -80, Security: "WPA3-Personal"},
		{BSSID: mac("10:00:00:00:00:03"), SSID: "", Channel: 44, FreqMHz: 5220, Width: 20, SignalDBm: -88},
	}
	f := newFixture(t, bind.Config{ScanChannels: map[radio.Band][]int{radio.Band2G4: {1, 6, 11}}}, r24, r5)
	out, err := f.command(t, "Device.WiFi.NeighboringWiFiDiagnostic()", nil)
	if err != nil || out["Status"] != "Complete" {
		t.Fatalf("NeighboringWiFiDiagnostic() = %v, %v", out, err)
	}
	want := map[string]string{
		"Result.1.Radio": "Device.WiFi.Radio.1", "Result.1.BSSID": "10:00:00:00:00:01", "Result.1.SSID": "Neighbour",
		"Result.1.SecurityModeEnabled": "WPA2", "Result.1.OperatingFrequencyBand": "2.4GHz", "Result.1.Channel": "1",
		"Result.2.Radio": "Device.WiFi.Radio.2", "Result.2.SignalStrength": "-80", "Result.2.Noise": "-93",
		"Result.2.OperatingChannelBandwidth": "80MHz", "Result.2.SecurityModeEnabled": "WPA3",
		"Result.3.BSSID": "10:00:00:00:00:03",
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("output %s = %q, want %q", k, out[k], v)
		}
	}
	if n := f.count(t, "Device.WiFi.NeighboringWiFiDiagnostic.Result."); n != 3 {
		t.Errorf("%d Result rows, want 3", n)
	}
	if got := f.get(t, "Device.WiFi.NeighboringWiFiDiagnostic.Result.2.SSID"); got != "Other" {
		t.Errorf("Result.2.SSID = %q", got)
	}
	if got := f.get(t, "Device.WiFi.Radio.2.ChannelsInUse"); got != "36,40,44" {
		t.Errorf("ChannelsInUse = %s, want own channel and the neighbours'", got)
	}
	if got := r24.scans[0].FreqsMHz; fmt.Sprint(got) != "[2412 2437 2462]" {
		t.Errorf("2.4 GHz scan frequencies %v, want channels 1, 6, 11", got)
	}
	if got := r5.scans[0].FreqsMHz; len(got) != 16 {
		t.Errorf("5 GHz scan of %d frequencies, want the 16 enabled channels", len(got))
	}
	// A second run replaces the results.
	r24.set(func(r *fakeRadio) { r.scan = nil })
	r5.set(func(r *fakeRadio) { r.scan = r.scan[:1] })
	if _, err := f.command(t, "Device.WiFi.NeighboringWiFiDiagnostic()", nil); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "Device.WiFi.NeighboringWiFiDiagnostic.Result."); n != 1 {
		t.Errorf("%d Result rows after the second scan, want 1", n)
	}
	// Every scan failing fails the command.
	for _, r := range []*fakeRadio{r24, r5} {
		r.set(func(r *fakeRadio) { r.scanErr = radio.ErrBusy })
	}
	if out, err := f.command(t, "Device.WiFi.NeighboringWiFiDiagnostic()", nil); codeOf(err) != datamodel.CodeCommandFailure || out["Status"] != "Error" {
		t.Errorf("all scans failing: %v, %v; want Status Error and 7022", out, err)
	}
}

func TestCloseStopsAndIsIdempotent(t *testing.T) {
	base := runtime.NumGoroutine()
	r := fiveGHz()
	f := newFixture(t, bind.Config{StationRefresh: time.Millisecond}, r)
	// Leave a switch under way: Close must not wait for the radio.
	if err := f.set(t, "Device.WiFi.Radio.1.", "Channel", "100"); err != nil {
		t.Fatal(err)
	}
	f.waitFor(t, "the switch", func() bool { return len(r.switchCalls()) > 0 })
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}
	f.waitFor(t, "the event subscription to end", func() bool { return r.subscribers() == 0 })
	f.waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= base })
	if err := f.b.Start(context.Background(), f.m, nil); err == nil {
		t.Error("Start after Close succeeded")
	}
	if err := f.set(t, "Device.WiFi.Radio.1.", "Channel", "40"); codeOf(err) != datamodel.CodeNotUpdated {
		t.Errorf("Set after Close: %v, want 7020 (binding closed)", err)
	}
}

func TestUnboundModelAcceptsWrites(t *testing.T) {
	b := bind.New(bind.Config{})
	defer b.Close()
	m, _ := datamodel.NewModel(context.Background(), tr181.NewSchema(tr181.Config{WiFi: b.Hooks()}), datamodel.Config{})
	if err := tr181.Populate(context.Background(), m, 1, 1, 0); err != nil {
		t.Fatalf("Populate: %v", err)
	}
	f := &fixture{m: m}
	if err := f.set(t, "Device.WiFi.Radio.1.", "Channel", "11"); err != nil {
		t.Errorf("Set on a row bound to no radio: %v", err)
	}
}

func TestSurveyFigures(t *testing.T) {
	r := fiveGHz()
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	r.survey = []radio.SurveyEntry{
		{FreqMHz: 5180, Channel: 36, InUse: true, NoiseDBm: -92, ActiveTime: ms(1000), BusyTime: ms(300), RxTime: ms(50), TxTime: ms(150)},
		{FreqMHz: 5200, Channel: 40, NoiseDBm: -95, ActiveTime: ms(1000), BusyTime: ms(100)},
	}
	f := newFixture(t, bind.Config{StationRefresh: 5 * time.Millisecond, SurveySmoothing: time.Nanosecond}, r)
	const stats = "Device.WiFi.Radio.1.Stats."
	for p, want := range map[string]string{"X_USPMESH_ChannelBusy": "30", "X_USPMESH_Airtime": "20", "X_USPMESH_SurveyBusy": "36:30,40:10"} {
		if got := f.get(t, stats+p); got != want {
			t.Errorf("%s = %q after the first survey, want %q (the counters' own ratio)", p, got, want)
		}
	}
	// One more second: 900 ms busy of which 600 ms own on 36; a driver
	// reset on 40 (its counters went back).
	r.set(func(r *fakeRadio) {
		r.survey[0].ActiveTime, r.survey[0].BusyTime, r.survey[0].RxTime, r.survey[0].TxTime = ms(2000), ms(1200), ms(250), ms(550)
		r.survey[1].ActiveTime, r.survey[1].BusyTime = ms(10), ms(9)
	})
	f.waitFor(t, "the busy share of the last second", func() bool {
		return f.get(t, stats+"X_USPMESH_ChannelBusy") == "90" && f.get(t, stats+"X_USPMESH_Airtime") == "60"
	})
	if got := f.get(t, stats+"X_USPMESH_SurveyBusy"); got != "36:90,40:10" {
		t.Errorf("SurveyBusy = %q, want 36:90,40:10 (40 restarts its baseline, keeps its last share)", got)
	}
	// Garbage never breaks the row.
	r.set(func(r *fakeRadio) {
		r.survey[0].ActiveTime, r.survey[0].BusyTime, r.survey[0].RxTime = ms(-1), ms(1<<40), -ms(1)
	})
	r.emit(radio.Event{Kind: radio.EventChannelSwitched})
	// ... and the counters recover: a new baseline, then a delta.
	r.set(func(r *fakeRadio) {
		r.survey[0].ActiveTime, r.survey[0].BusyTime, r.survey[0].RxTime, r.survey[0].TxTime = ms(3000), ms(1300), ms(300), ms(600)
	})
	f.waitFor(t, "the busy share after the garbage", func() bool {
		r.set(func(r *fakeRadio) { r.survey[0].ActiveTime += ms(1000); r.survey[0].BusyTime += ms(100) })
		return f.get(t, stats+"X_USPMESH_ChannelBusy") == "10" && f.get(t, stats+"X_USPMESH_Airtime") == "0"
	})
}

func TestSurveyFiguresUnmeasured(t *testing.T) {
	r := fiveGHz()
	r.survey = []radio.SurveyEntry{{FreqMHz: 5180, Channel: 36, InUse: true, NoiseDBm: -92}}
	f := newFixture(t, bind.Config{}, r)
	for p, want := range map[string]string{"X_USPMESH_ChannelBusy": "-1", "X_USPMESH_Airtime": "-1", "X_USPMESH_SurveyBusy": ""} {
		if got := f.get(t, "Device.WiFi.Radio.1.Stats."+p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
}
