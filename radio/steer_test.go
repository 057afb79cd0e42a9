package radio

import (
	"net"
	"testing"
)

func TestOpClass(t *testing.T) {
	for _, tc := range []struct {
		b    Band
		ch   int
		want int
	}{
		{Band2G4, 1, 81}, {Band2G4, 13, 81}, {Band2G4, 14, 82}, {Band2G4, 15, 0},
		{Band5G, 36, 115}, {Band5G, 52, 118}, {Band5G, 100, 121}, {Band5G, 149, 125}, {Band5G, 14, 0},
		{Band6G, 1, 131}, {Band6G, 2, 136}, {Band6G, 3, 0},
	} {
		got := OpClass(tc.b, tc.ch)
		if got != tc.want {
			t.Errorf("OpClass(%s, %d) = %d, want %d", tc.b, tc.ch, got, tc.want)
		}
		if got != 0 && OpClassBand(got) != tc.b {
			t.Errorf("OpClassBand(%d) = %q, want %q", got, OpClassBand(got), tc.b)
		}
	}
}

func TestTransitionRequestValidate(t *testing.T) {
	sta, _ := net.ParseMAC("02:00:00:00:02:00")
	bss, _ := net.ParseMAC("02:00:00:00:01:00")
	good := TransitionRequest{Station: sta, Candidates: []Candidate{{BSSID: bss, Band: Band5G, Channel: 36, Preference: 255}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid request: %v", err)
	}
	for name, mut := range map[string]func(r *TransitionRequest){
		"no station":      func(r *TransitionRequest) { r.Station = nil },
		"no candidates":   func(r *TransitionRequest) { r.Candidates = nil },
		"timer":           func(r *TransitionRequest) { r.DisassocTimer = 70000 },
		"validity":        func(r *TransitionRequest) { r.ValidityInterval = 256 },
		"token":           func(r *TransitionRequest) { r.DialogToken = -1 },
		"short bssid":     func(r *TransitionRequest) { r.Candidates[0].BSSID = bss[:3] },
		"preference":      func(r *TransitionRequest) { r.Candidates[0].Preference = 300 },
		"channel":         func(r *TransitionRequest) { r.Candidates[0].Channel = 0 },
		"no op class":     func(r *TransitionRequest) { r.Candidates[0].Band = "" },
		"channel in band": func(r *TransitionRequest) { r.Candidates[0].Channel = 14 },
	} {
		r := good
		r.Candidates = append([]Candidate(nil), good.Candidates...)
		mut(&r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, r)
		}
	}
}

func TestStationCapsSupportsBand(t *testing.T) {
	c := StationCaps{Bands: []Band{Band2G4, Band5G}}
	if !c.SupportsBand(Band5G) || c.SupportsBand(Band6G) || (StationCaps{}).SupportsBand(Band2G4) {
		t.Errorf("SupportsBand wrong for %+v", c)
	}
}
