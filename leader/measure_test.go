package leader

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

func TestProblem(t *testing.T) {
	a := &measuredRadio{agent: agentA, name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 36, Width: 80},
		allowed: []int{36, 40, 44, 48, 52, 100, 144, 149}, widths: []int{20, 40, 80}, bssids: []string{"02:00:00:00:0a:00"},
		airtime: -1, busy: -1, power: 50, powerMin: 1}
	b := &measuredRadio{agent: agentB, name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 40, Width: 40},
		allowed: []int{36, 40}, widths: []int{20, 80}, bssids: []string{"02:00:00:00:0b:00", "02:00:00:00:0b:01"},
		airtime: -1, busy: -1}
	g := &measuredRadio{agent: agentB, name: "wl1", band: wifiopt.Band2G4, current: wifiopt.Assignment{Channel: 6, Width: 20},
		allowed: []int{1, 6, 11, 13}, widths: []int{20, 40}, bssids: []string{"02:00:00:00:0b:02"},
		airtime: -1, busy: -1, power: 100, powerMin: 25}
	radioA := wifiopt.Radio{ID: "os::012345-A/wl0", Node: string(agentA), Band: wifiopt.Band5G,
		Channels: []wifiopt.Channel{{Number: 36}, {Number: 40}, {Number: 44}, {Number: 48}, {Number: 52, DFS: true},
			{Number: 100, DFS: true}, {Number: 144, DFS: true}, {Number: 149}},
		Widths: []int{20, 40, 80}, Current: wifiopt.Assignment{Channel: 36, Width: 80}, Load: 0.5,
		// At 50 % of its power, 3 dB under full.
		TxPowerDBm: -3, PowerCutDB: 3}
	radioB := wifiopt.Radio{ID: "os::012345-B/wl0", Node: string(agentB), Band: wifiopt.Band5G,
		Channels: []wifiopt.Channel{{Number: 36}, {Number: 40}},
		// B does not list its current width: its capabilities are unknown.
		Widths: nil, Current: wifiopt.Assignment{Channel: 40, Width: 40}, Load: 0.5,
		// B reports no TransmitPower.
		PowerFixed: true}
	radioG := wifiopt.Radio{ID: "os::012345-B/wl1", Node: string(agentB), Band: wifiopt.Band2G4,
		Channels: []wifiopt.Channel{{Number: 1}, {Number: 6}, {Number: 11}, {Number: 13}},
		Widths:   []int{20, 40}, Current: wifiopt.Assignment{Channel: 6, Width: 20}, Load: 0.5,
		// G cannot go under 25 %, short of the planner's 9 dB.
		PowerFixed: true}
	for _, tt := range []struct {
		name   string
		radios []*measuredRadio
		sights []sighting
		want   wifiopt.Problem
	}{
		{"radios only", []*measuredRadio{a, b, g}, nil,
			wifiopt.Problem{Radios: []wifiopt.Radio{radioA, radioB, radioG}, SwitchCost: 0.02, DFSCost: 0.1}},
		{"mesh BSSIDs are links, both ways, any BSSID of a radio", []*measuredRadio{a, b}, []sighting{
			{by: a.id(), bssid: "02:00:00:00:0b:01", channel: 40, width: 40, rssi: -61, util: 12},
			{by: b.id(), bssid: "02:00:00:00:0a:00", channel: 36, width: 80, rssi: -63, util: -1},
		}, wifiopt.Problem{Radios: []wifiopt.Radio{radioA, radioB}, SwitchCost: 0.02, DFSCost: 0.1, RSSI: []wifiopt.Link{
			{From: "os::012345-B/wl0", To: "os::012345-A/wl0", RSSI: -61},
			{From: "os::012345-A/wl0", To: "os::012345-B/wl0", RSSI: -63},
		}}},
		{"other BSSIDs are foreign, with their load or 0.3", []*measuredRadio{a, g}, []sighting{
			{by: a.id(), bssid: "aa:00:00:00:00:01", channel: 44, width: 80, rssi: -70, util: 45},
			{by: a.id(), bssid: "aa:00:00:00:00:02", channel: 149, width: 20, rssi: -82, util: -1},
			{by: g.id(), bssid: "aa:00:00:00:00:03", channel: 11, width: 20, rssi: -55, util: 0},
		}, wifiopt.Problem{Radios: []wifiopt.Radio{radioA, radioG}, SwitchCost: 0.02, DFSCost: 0.1, Foreign: []wifiopt.ForeignBSS{
			{Radio: "os::012345-A/wl0", Channel: 44, Width: 80, RSSI: -70, Load: 0.45},
			{Radio: "os::012345-A/wl0", Channel: 149, Width: 20, RSSI: -82, Load: 0.3},
			{Radio: "os::012345-B/wl1", Channel: 11, Width: 20, RSSI: -55, Load: 0},
		}}},
		{"a radio hearing itself and sightings of unmeasured radios are dropped", []*measuredRadio{a}, []sighting{
			{by: a.id(), bssid: "02:00:00:00:0a:00", channel: 36, width: 80, rssi: -20, util: -1},
			{by: "os::012345-D/wl0", bssid: "aa:00:00:00:00:09", channel: 36, width: 20, rssi: -50, util: 10},
			{by: b.id(), bssid: "02:00:00:00:0a:00", channel: 36, width: 80, rssi: -63, util: -1},
		}, wifiopt.Problem{Radios: []wifiopt.Radio{radioA}, SwitchCost: 0.02, DFSCost: 0.1}},
		{"a mesh BSSID of a radio not measured is foreign", []*measuredRadio{b}, []sighting{
			{by: b.id(), bssid: "02:00:00:00:0a:00", channel: 36, width: 80, rssi: -63, util: -1},
		}, wifiopt.Problem{Radios: []wifiopt.Radio{radioB}, SwitchCost: 0.02, DFSCost: 0.1, Foreign: []wifiopt.ForeignBSS{
			{Radio: "os::012345-B/wl0", Channel: 36, Width: 80, RSSI: -63, Load: 0.3},
		}}},
		{"nothing measured", nil, nil, wifiopt.Problem{SwitchCost: 0.02, DFSCost: 0.1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ms := &measurement{radios: tt.radios, sightings: tt.sights}
			if got := ms.problem(); !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("problem\n%+v, want\n%+v", *got, tt.want)
			}
		})
	}
}

func TestParseRadio(t *testing.T) {
	full := map[string]string{"Name": "wl0", "Channel": "44", "CurrentOperatingChannelBandwidth": "40MHz",
		"OperatingFrequencyBand": "5GHz", "PossibleChannels": "36, 40,44,48,x", "SupportedOperatingChannelBandwidths": "20MHz,40MHz,80MHz,160MHz,320MHz,Auto",
		"AutoChannelEnable": "true"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for x, y := range full {
			m[x] = y
		}
		m[k] = v
		return m
	}
	for _, tt := range []struct {
		name string
		row  map[string]string
		want *measuredRadio
	}{
		{"full", full, &measuredRadio{agent: agentA, row: "Device.WiFi.Radio.2.", name: "wl0", band: wifiopt.Band5G,
			current: wifiopt.Assignment{Channel: 44, Width: 40}, allowed: []int{36, 40, 44, 48}, widths: []int{20, 40, 80, 160},
			airtime: -1, busy: -1, survey: map[int]float64{}}},
		{"current block not listed is allowed", with("PossibleChannels", "36,40"), &measuredRadio{agent: agentA,
			row: "Device.WiFi.Radio.2.", name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 44, Width: 40},
			allowed: []int{36, 40, 44, 48}, widths: []int{20, 40, 80, 160}, airtime: -1, busy: -1, survey: map[int]float64{}}},
		{"radar: channels in non-occupancy left out", with("X_USPMESH_UnavailableChannels", "40, 48,y"), &measuredRadio{agent: agentA,
			row: "Device.WiFi.Radio.2.", name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 44, Width: 40},
			allowed: []int{36, 44, 48}, widths: []int{20, 40, 80, 160}, airtime: -1, busy: -1, survey: map[int]float64{},
			unavailable: []int{40}}}, // 48 is in the block the radio operates on
		{"pinned by a Controller", with("AutoChannelEnable", "false"), &measuredRadio{agent: agentA,
			row: "Device.WiFi.Radio.2.", name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 44, Width: 40},
			allowed: []int{44, 48}, airtime: -1, busy: -1, survey: map[int]float64{}, pinned: true}},
		{"no channel", with("Channel", "0"), nil},
		{"no width", with("CurrentOperatingChannelBandwidth", "Auto"), nil},
		{"no name", with("Name", ""), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRadio(agentA, "Device.WiFi.Radio.2.", tt.row, nil); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseRadio\n%+v, want\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseSighting(t *testing.T) {
	r := &measuredRadio{agent: agentA, name: "wl0"}
	for _, tt := range []struct {
		name string
		row  map[string]string
		want sighting
		ok   bool
	}{
		{"full", map[string]string{"BSSID": "AA:BB:CC:00:00:01", "Channel": "6", "OperatingChannelBandwidth": "40MHz",
			"SignalStrength": "-71", "X_USPMESH_Utilization": "33"},
			sighting{by: "os::012345-A/wl0", bssid: "aa:bb:cc:00:00:01", channel: 6, width: 40, rssi: -71, util: 33}, true},
		{"unknown width and load", map[string]string{"BSSID": "aa:bb:cc:00:00:01", "Channel": "6", "OperatingChannelBandwidth": "Auto",
			"SignalStrength": "-71"},
			sighting{by: "os::012345-A/wl0", bssid: "aa:bb:cc:00:00:01", channel: 6, width: 20, rssi: -71, util: -1}, true},
		{"no channel", map[string]string{"BSSID": "aa", "SignalStrength": "-71"}, sighting{}, false},
		{"no signal", map[string]string{"BSSID": "aa", "Channel": "6"}, sighting{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseSighting(r, tt.row)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseSighting = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestIsRow(t *testing.T) {
	for p, want := range map[string]bool{"Device.WiFi.Radio.1.": true, "Device.WiFi.Radio.12.": true,
		"Device.WiFi.Radio.1.Stats.": false, "Device.WiFi.Radio.": false, "Device.WiFi.Radio.1": false,
		"Device.WiFi.SSID.1.": false, "Device.WiFi.Radio.x.": false} {
		if got := isRow(p, radioTable); got != want {
			t.Errorf("isRow(%q) = %v, want %v", p, got, want)
		}
	}
}

// measureLoop is a Loop over the fake home (not running) for measuring.
func measureLoop(t *testing.T, home []*fakeAgent) (*Loop, *fakeMesh, *testClock) {
	t.Helper()
	cfg := testConfig()
	clk := newTestClock(cfg.PollInterval)
	m := newFakeMesh(clk, home...)
	cfg.Self, cfg.Clock, cfg.Agents, cfg.Members, cfg.Report = home[0].id, clk, m, m.members, newFakeReport()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l, m, clk
}

func TestMeasure(t *testing.T) {
	home := crowdedHome()[:2]
	home[1].radios[0].pinned = true
	l, m, _ := measureLoop(t, home)
	ms := l.measure(context.Background(), l.agents())
	if len(ms.failed) != 0 {
		t.Fatalf("failed: %v", ms.failed)
	}
	want := []*measuredRadio{
		{agent: agentA, row: "Device.WiFi.Radio.1.", name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 36, Width: 20},
			allowed: []int{36, 40, 44, 48}, widths: []int{20}, bssids: []string{"02:00:00:00:0a:00"},
			airtime: -1, busy: -1, survey: map[int]float64{}},
		{agent: agentA, row: "Device.WiFi.Radio.2.", name: "wl1", band: wifiopt.Band2G4, current: wifiopt.Assignment{Channel: 1, Width: 20},
			allowed: []int{1, 6, 11}, widths: []int{20}, bssids: []string{"02:00:00:00:0a:01"},
			airtime: -1, busy: -1, survey: map[int]float64{}},
		{agent: agentB, row: "Device.WiFi.Radio.1.", name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 36, Width: 20},
			allowed: []int{36}, bssids: []string{"02:00:00:00:0b:00"}, airtime: -1, busy: -1, survey: map[int]float64{}, pinned: true},
	}
	if !reflect.DeepEqual(ms.radios, want) {
		t.Errorf("radios\n%+v, want\n%+v", ms.radios, want)
	}
	foreign := func(by string, ch int) sighting {
		return sighting{by: by, bssid: busy(by[len(by)-3:], ch)[0].bssid, channel: ch, width: 20, rssi: -40, util: 90}
	}
	wantSights := []sighting{
		{by: "os::012345-A/wl0", bssid: "02:00:00:00:0b:00", channel: 36, width: 20, rssi: -50, util: -1},
		foreign("os::012345-A/wl0", 36), foreign("os::012345-A/wl0", 40), foreign("os::012345-A/wl0", 44),
		foreign("os::012345-A/wl1", 1), foreign("os::012345-A/wl1", 6),
		{by: "os::012345-B/wl0", bssid: "02:00:00:00:0a:00", channel: 36, width: 20, rssi: -50, util: -1},
		foreign("os::012345-B/wl0", 36), foreign("os::012345-B/wl0", 44), foreign("os::012345-B/wl0", 48),
	}
	slices.SortStableFunc(wantSights, func(a, b sighting) int {
		return cmp.Or(strings.Compare(a.by, b.by), strings.Compare(a.bssid, b.bssid))
	})
	if !reflect.DeepEqual(ms.sightings, wantSights) {
		t.Errorf("sightings\n%+v, want\n%+v", ms.sightings, wantSights)
	}
	// Each Agent: radios and SSIDs, access points and stations, the scan, its Request row until gone,
	// the results with the radios' survey figures the scan refreshed.
	for _, a := range home {
		var got []string
		for _, o := range m.snapshot() {
			if o.to == a.id {
				got = append(got, o.kind+" "+o.command+strings.Join(o.paths, ","))
			}
		}
		// The Request rows are numbered across the fake mesh.
		for i, g := range got {
			if strings.HasPrefix(g, "get Device.LocalAgent.Request.") {
				got[i] = "get Device.LocalAgent.Request.{i}."
			}
		}
		want := []string{"get Device.WiFi.Radio.,Device.WiFi.SSID.", "get " + accessPointTable, "operate Device.WiFi.NeighboringWiFiDiagnostic()",
			"get Device.LocalAgent.Request.{i}.", "get Device.LocalAgent.Request.{i}.", "get " + resultTable + "," + radioTable}
		if !slices.Equal(got, want) {
			t.Errorf("%s received %q, want %q", a.id, got, want)
		}
	}
}

// TestMeasureClientSignal: a radio's weak client is the 10th percentile
// of its stations' signals, a station's own-BSS level from its beacon
// report (downlink) replacing the AP's uplink SignalStrength; it reaches
// the Problem and Plan.Input. A radio without stations, and every radio
// of an Agent that cannot list its access points, stays at 0 (no client
// term), and that Agent is still measured.
func TestMeasureClientSignal(t *testing.T) {
	home := crowdedHome()[:3]
	home[0].radios[0].stations = []map[string]string{
		{"SignalStrength": "-50"},
		// Uplink -75; the beacon report heard its own BSS at -62.
		{"SignalStrength": "-75", "X_USPMESH_Seen": home[0].radios[0].bssid + "/-62/2026-01-01T00:00:00Z"},
		{"SignalStrength": "-45"},
		{"SignalStrength": "junk"},
	}
	home[1].noAPs = true
	home[1].radios[0].stations = []map[string]string{{"SignalStrength": "-80"}}
	l, _, _ := measureLoop(t, home)
	ms := l.measure(context.Background(), l.agents())
	if len(ms.failed) != 0 {
		t.Fatalf("failed: %v", ms.failed)
	}
	p, inputs := ms.build()
	want := map[string]float64{"os::012345-A/wl0": -62, "os::012345-A/wl1": 0, "os::012345-B/wl0": 0, "os::012345-C/wl0": 0}
	if len(p.Radios) != len(want) {
		t.Fatalf("%d radios, want %d", len(p.Radios), len(want))
	}
	for i, r := range p.Radios {
		if w, ok := want[r.ID]; !ok || r.ClientSignalDBm != w || inputs[i].ClientSignal != w {
			t.Errorf("%s: ClientSignalDBm %v, Input %v, want %v", r.ID, r.ClientSignalDBm, inputs[i].ClientSignal, w)
		}
	}
	if got := inputs[0].Params()["ClientSignal"]; got != "-62" {
		t.Errorf("Plan.Input ClientSignal %q, want -62", got)
	}
}

// TestMeasureClientLinks: what A/wl0's stations see of the other mesh
// radios becomes the planner's ClientRSSI, at the 90th percentile of
// their observations; an observation of the radio's own BSS, of another
// band, a stale one, a level under the floor and an unknown BSSID give
// no link.
func TestMeasureClientLinks(t *testing.T) {
	home := crowdedHome()[:3]
	seen := func(bssid string, dbm float64, age time.Duration) string {
		return fmt.Sprintf("%s/%g/%s", bssid, dbm, epoch.Add(-age).Format(time.RFC3339Nano))
	}
	a, b, c := home[0].radios[0].bssid, home[1].radios[0].bssid, home[2].radios[0].bssid
	home[0].radios[0].stations = []map[string]string{
		{"SignalStrength": "-50", "X_USPMESH_Seen": strings.Join([]string{seen(a, -50, time.Second), seen(b, -70, time.Second),
			seen(c, -105, time.Second), seen(home[0].radios[1].bssid, -40, time.Second)}, ",")},
		{"SignalStrength": "-60", "X_USPMESH_Seen": strings.Join([]string{seen(b, -80, 2*time.Second), seen(b, -30, 10*time.Minute),
			seen("02:00:00:00:ee:ee", -40, time.Second)}, ",")},
	}
	l, _, _ := measureLoop(t, home)
	ms := l.measure(context.Background(), l.agents())
	if len(ms.failed) != 0 {
		t.Fatalf("failed: %v", ms.failed)
	}
	p, inputs := ms.build()
	want := []wifiopt.Link{{From: "os::012345-B/wl0", To: "os::012345-A/wl0", RSSI: -70}}
	if !slices.Equal(p.ClientRSSI, want) {
		t.Fatalf("ClientRSSI %+v, want %+v", p.ClientRSSI, want)
	}
	for i, in := range inputs {
		want := ""
		if i == 0 {
			want = "os::012345-B/wl0=-70"
		}
		if got := in.Params()["ClientHeard"]; got != want {
			t.Errorf("%s: Plan.Input ClientHeard %q, want %q", in.Radio, got, want)
		}
	}
	if err := wifiopt.Validate(p); err != nil {
		t.Fatal(err)
	}
}

func TestMeasureFailedAgent(t *testing.T) {
	home := crowdedHome()
	home[2].dead = true
	l, m, clk := measureLoop(t, home)
	done := make(chan *measurement, 1)
	go func() { done <- l.measure(context.Background(), l.agents()) }()
	waitFor(t, &m.note, "C's request and the others' results", func() bool {
		return m.count(func(o op) bool { return o.to == agentC }) == 1 && m.count(isGet(resultTable)) == 3
	})
	select {
	case <-done:
		t.Fatal("measure returned before C's timeout")
	default:
	}
	clk.Advance(l.cfg.MeasureTimeout)
	ms := <-done
	if err := ms.failed[agentC]; len(ms.failed) != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("failed %v, want C's cancelled Get", ms.failed)
	}
	var ids []string
	for _, r := range ms.radios {
		ids = append(ids, r.id())
	}
	if want := []string{"os::012345-A/wl0", "os::012345-A/wl1", "os::012345-B/wl0", "os::012345-D/wl0"}; !slices.Equal(ids, want) {
		t.Errorf("radios %q, want %q", ids, want)
	}
}

func TestMeasureGetErrors(t *testing.T) {
	home := []*fakeAgent{{id: agentA}}
	l, _, _ := measureLoop(t, home)
	radios, sights, err := l.measureAgent(context.Background(), agentA)
	if err != nil || radios != nil || sights != nil {
		t.Errorf("an Agent without radios: %v, %v, %v; want nothing and no scan", radios, sights, err)
	}
	_, err = l.getRows(context.Background(), agentA, "Device.Nothing.")
	if err == nil || err.Error() != "get Device.Nothing.: 7026 unsupported in the fake" {
		t.Errorf("getRows of an unknown path: %v", err)
	}
	if _, err := l.getRows(context.Background(), usp.EndpointID("os::unknown")); err == nil {
		t.Error("getRows of an unknown Agent did not fail")
	}
}
