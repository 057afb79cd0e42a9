package leader

import (
	"maps"
	"math"
	"reflect"
	"testing"

	"github.com/uspmesh/uspmesh/wifiopt"
)

func TestParseRadioStats(t *testing.T) {
	row := map[string]string{"Name": "wl0", "Channel": "36", "CurrentOperatingChannelBandwidth": "20MHz", "OperatingFrequencyBand": "5GHz"}
	for _, tt := range []struct {
		name          string
		stats         map[string]string
		airtime, busy float64
		survey        map[int]float64
	}{
		{"figures", map[string]string{"X_USPMESH_Airtime": "35", "X_USPMESH_ChannelBusy": "80", "X_USPMESH_SurveyBusy": "36:70,40:5,44:12"},
			0.35, 0.8, map[int]float64{36: 0.8, 40: 0.05, 44: 0.12}},
		{"unmeasured", map[string]string{"X_USPMESH_Airtime": "-1", "X_USPMESH_ChannelBusy": "-1", "X_USPMESH_SurveyBusy": ""},
			-1, -1, map[int]float64{}},
		{"missing", nil, -1, -1, map[int]float64{}},
		{"garbage", map[string]string{"X_USPMESH_Airtime": "lots", "X_USPMESH_ChannelBusy": "250",
			"X_USPMESH_SurveyBusy": "x:1,40:abc,:5,44,-3:9,48:101,52:7"}, -1, -1, map[int]float64{52: 0.07}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := parseRadio(agentA, "Device.WiFi.Radio.1.", row, tt.stats)
			if r == nil {
				t.Fatal("parseRadio = nil")
			}
			if r.airtime != tt.airtime || r.busy != tt.busy || !reflect.DeepEqual(r.survey, tt.survey) {
				t.Errorf("airtime %v busy %v survey %v; want %v %v %v", r.airtime, r.busy, r.survey, tt.airtime, tt.busy, tt.survey)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestBuildAttributesBusyTime(t *testing.T) {
	a := &measuredRadio{agent: agentA, name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 36, Width: 20},
		allowed: []int{36, 40, 44, 48}, bssids: []string{"02:00:00:00:0a:00"},
		airtime: 0.3, busy: 0.9, survey: map[int]float64{36: 0.9, 40: 0.2, 44: 0.5, 48: 0.5}}
	b := &measuredRadio{agent: agentB, name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 36, Width: 20},
		allowed: []int{36, 40}, bssids: []string{"02:00:00:00:0b:00"}, airtime: 0.2, busy: -1, survey: map[int]float64{}}
	g := &measuredRadio{agent: agentB, name: "wl1", band: wifiopt.Band2G4, current: wifiopt.Assignment{Channel: 6, Width: 20},
		allowed: []int{1, 6, 11}, bssids: []string{"02:00:00:00:0b:01"}, airtime: -1, busy: -1, survey: map[int]float64{}}
	ms := &measurement{radios: []*measuredRadio{a, b, g}, sightings: []sighting{
		{by: a.id(), bssid: "02:00:00:00:0b:00", channel: 36, width: 20, rssi: -60, util: -1},  // mesh B: 0.2 on 36
		{by: a.id(), bssid: "aa:00:00:00:00:01", channel: 36, width: 20, rssi: -70, util: 10},  // BSS Load: 0.1 on 36
		{by: a.id(), bssid: "aa:00:00:00:00:02", channel: 36, width: 20, rssi: -75, util: -1},  // shares 36's rest
		{by: a.id(), bssid: "aa:00:00:00:00:03", channel: 36, width: 20, rssi: -88, util: -1},  // ... equally
		{by: a.id(), bssid: "aa:00:00:00:00:04", channel: 44, width: 40, rssi: -65, util: -1},  // all of 44's busy, on 48 too
		{by: a.id(), bssid: "aa:00:00:00:00:05", channel: 149, width: 20, rssi: -65, util: -1}, // not surveyed: assumed
		{by: b.id(), bssid: "02:00:00:00:0a:00", channel: 36, width: 20, rssi: -62, util: -1},  // mesh A
		{by: b.id(), bssid: "aa:00:00:00:00:02", channel: 36, width: 20, rssi: -70, util: -1},  // B has no survey: assumed
		{by: g.id(), bssid: "aa:00:00:00:00:06", channel: 6, width: 20, rssi: -50, util: 40},   // BSS Load
	}}
	p, inputs := ms.build()
	if err := wifiopt.Validate(p); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	loads := map[string]float64{}
	for _, r := range p.Radios {
		loads[r.ID] = r.Load
	}
	if want := map[string]float64{a.id(): 0.3, b.id(): 0.2, g.id(): 0.5}; !maps.Equal(loads, want) {
		t.Errorf("radio loads %v, want %v", loads, want)
	}
	// 36: 0.9 busy − 0.3 own − 0.2 mesh B − 0.1 BSS Load = 0.3 for the
	// two without BSS Load; 44: 0.5 for the 40 MHz network, which also
	// explains 48; 40: 0.2 nobody explains.
	wantForeign := []float64{0.1, 0.15, 0.15, 0.5, 0.3, 0.3, 0.4}
	if len(p.Foreign) != len(wantForeign) {
		t.Fatalf("foreign %+v", p.Foreign)
	}
	for i, f := range p.Foreign {
		if !near(f.Load, wantForeign[i]) {
			t.Errorf("foreign %d (%s ch %d) load %.4f, want %.4f", i, f.Radio, f.Channel, f.Load, wantForeign[i])
		}
	}
	if len(p.Busy) != 1 || p.Busy[0].Radio != a.id() || p.Busy[0].Channel != 40 || !near(p.Busy[0].Fraction, 0.2) {
		t.Errorf("busy %+v, want 0.2 on 40 at A only", p.Busy)
	}
	wantInputs := []Input{
		{Radio: a.id(), Load: 0.3, Source: SourceMeasured, Busy: 0.9, Unexplained: 0.2, ForeignBSSLoad: 1, ForeignInferred: 3, ForeignAssumed: 1},
		{Radio: b.id(), Load: 0.2, Source: SourceMeasured, Busy: -1, ForeignAssumed: 1},
		{Radio: g.id(), Load: 0.5, Source: SourceAssumed, Busy: -1, ForeignBSSLoad: 1},
	}
	for i := range wantInputs {
		got := inputs[i]
		got.Unexplained = math.Round(got.Unexplained*1e9) / 1e9
		if !reflect.DeepEqual(got, wantInputs[i]) {
			t.Errorf("input %d = %+v, want %+v", i, got, wantInputs[i])
		}
	}
}

func TestBuildIgnoresBadSurvey(t *testing.T) {
	// A survey list naming channels of another band (a dual-band wiphy)
	// or busy beyond what the radio may use must not make the Problem
	// invalid; overexplained busy is no negative load.
	r := &measuredRadio{agent: agentA, name: "wl0", band: wifiopt.Band5G, current: wifiopt.Assignment{Channel: 36, Width: 80},
		allowed: []int{36, 40, 44, 48}, airtime: 0.9, busy: 0.2, survey: map[int]float64{1: 0.7, 6: 0.3, 36: 0.2, 165: 0.8}}
	ms := &measurement{radios: []*measuredRadio{r}, sightings: []sighting{
		{by: r.id(), bssid: "aa:00:00:00:00:01", channel: 36, width: 20, rssi: -60, util: -1},
	}}
	p, inputs := ms.build()
	if err := wifiopt.Validate(p); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(p.Busy) != 0 || p.Foreign[0].Load != 0 || inputs[0].Unexplained != 0 {
		t.Errorf("busy %+v foreign %+v input %+v; want nothing unexplained", p.Busy, p.Foreign, inputs[0])
	}
}

func TestCover(t *testing.T) {
	for _, tt := range []struct {
		band             wifiopt.Band
		ch, width, under int
		want             float64
	}{
		{wifiopt.Band5G, 36, 20, 36, 1}, {wifiopt.Band5G, 36, 20, 40, 0},
		{wifiopt.Band5G, 44, 80, 36, 1}, {wifiopt.Band5G, 44, 80, 52, 0},
		{wifiopt.Band5G, 157, 80, 149, 1}, {wifiopt.Band5G, 100, 160, 128, 1},
		{wifiopt.Band2G4, 1, 20, 3, 0.5}, {wifiopt.Band2G4, 1, 40, 5, 1}, {wifiopt.Band2G4, 11, 40, 7, 1},
		{wifiopt.Band6G, 5, 40, 1, 1}, {wifiopt.Band6G, 5, 20, 1, 0},
		{wifiopt.Band5G, 1, 20, 1, 0}, {"60GHz", 1, 20, 1, 0},
	} {
		if got := cover(tt.band, tt.ch, tt.width, tt.under); got != tt.want {
			t.Errorf("cover(%s, %d/%d, %d) = %v, want %v", tt.band, tt.ch, tt.width, tt.under, got, tt.want)
		}
	}
}

func TestInputParams(t *testing.T) {
	in := Input{Radio: "os::012345-A/wl0", Load: 0.123456, Source: SourceMeasured, Busy: -1, Unexplained: 0.2,
		ForeignBSSLoad: 2, ForeignInferred: 1, ClientSignal: -71.6, WeakestClient: -80.4,
		ClientHeard: []wifiopt.Link{{From: "os::012345-B/wl0", RSSI: -70.4}, {From: "os::012345-C/wl0", RSSI: -88.6}},
		Unavailable: []int{52, 56}, Refused: []int{100}, BackhaulOf: "os::012345-B/wl0"}
	want := map[string]string{"Load": "0.1235", "Source": "Measured", "Busy": "-1", "Unexplained": "0.2000",
		"ForeignBSSLoad": "2", "ForeignInferred": "1", "ForeignAssumed": "0", "ClientSignal": "-72", "WeakestClient": "-80",
		"ClientHeard": "os::012345-B/wl0=-70,os::012345-C/wl0=-89", "Unavailable": "52,56", "Refused": "100",
		"BackhaulOf": "os::012345-B/wl0"}
	if got := in.Params(); !maps.Equal(got, want) {
		t.Errorf("Params() = %v, want %v", got, want)
	}
}

func TestRoundRecordsInputs(t *testing.T) {
	home := crowdedHome()
	home[0].radios[0].stats = map[string]string{"X_USPMESH_Airtime": "42", "X_USPMESH_ChannelBusy": "95",
		"X_USPMESH_SurveyBusy": "36:95,40:90,44:90,48:3"}
	home[1].radios[0].stats = map[string]string{"X_USPMESH_Airtime": "garbage"}
	cfg := testConfig()
	h := start(t, cfg, home...)
	h.firstRound(cfg)
	h.waitRounds("the first round", 1)
	waitFor(t, &h.rep.note, "the round's inputs", func() bool { return len(h.rep.lastInputs()) == 5 })
	byRadio := map[string]Input{}
	for _, in := range h.rep.lastInputs() {
		byRadio[in.Radio] = in
	}
	a := byRadio[string(agentA)+"/wl0"]
	if a.Source != SourceMeasured || a.Load != 0.42 || a.Busy != 0.95 || a.ForeignInferred != 0 || a.ForeignBSSLoad != 3 {
		t.Errorf("A/wl0 input %+v, want measured 0.42, busy 0.95, three BSS Loads", a)
	}
	for _, id := range []string{string(agentA) + "/wl1", string(agentB) + "/wl0"} {
		if in := byRadio[id]; in.Source != SourceAssumed || in.Load != meshRadioLoad {
			t.Errorf("%s input %+v, want the assumed load", id, in)
		}
	}
}

// TestForeignWidth: a neighbour's advertised width is kept when its
// channel can have it, narrowed to the widest block the planner knows
// otherwise, and a channel of another band is no neighbour of the
// radio's.
func TestForeignWidth(t *testing.T) {
	for _, tc := range []struct {
		band      wifiopt.Band
		ch, width int
		want      int
		ok        bool
	}{
		{wifiopt.Band5G, 36, 80, 80, true},
		{wifiopt.Band5G, 36, 320, 160, true}, // Wi-Fi 7 on 5 GHz does not exist; take 160
		{wifiopt.Band6G, 37, 320, 160, true},
		{wifiopt.Band2G4, 6, 40, 40, true},
		{wifiopt.Band5G, 36, 0, 20, true},
		{wifiopt.Band5G, 14, 20, 0, false},
		{wifiopt.Band5G, 6, 40, 0, false},
	} {
		got, ok := foreignWidth(tc.band, tc.ch, tc.width)
		if got != tc.want || ok != tc.ok {
			t.Errorf("foreignWidth(%s, %d, %d) = %d, %v; want %d, %v", tc.band, tc.ch, tc.width, got, ok, tc.want, tc.ok)
		}
	}
}

// TestWidthMHz: TR-181 spells 320 MHz channels "320MHz-1" and
// "320MHz-2"; the leader read them as no width, so a Wi-Fi 7 neighbour
// counted as 20 MHz and a 320 MHz radio vanished from the plan unlogged.
func TestWidthMHz(t *testing.T) {
	for in, want := range map[string]int{"20MHz": 20, "40MHz": 40, " 80MHz": 80, "160MHz": 160, "320MHz-1": 320, "320MHz-2": 320,
		"320MHz-3": 0, "Auto": 0, "80+80MHz": 0, "": 0, "-20MHz": 0, "20": 20, "MHz": 0} {
		if got := widthMHz(in); got != want {
			t.Errorf("widthMHz(%q) = %d, want %d", in, got, want)
		}
	}
	r := &measuredRadio{agent: agentA, name: "wl2", band: wifiopt.Band6G}
	s, ok := parseSighting(r, map[string]string{"Channel": "37", "SignalStrength": "-60", "OperatingChannelBandwidth": "320MHz-1"})
	if width, _ := foreignWidth(wifiopt.Band6G, s.channel, s.width); !ok || width != 160 {
		t.Errorf("a 320MHz-1 neighbour counts at %d MHz (%v), want 160", width, ok)
	}
}
