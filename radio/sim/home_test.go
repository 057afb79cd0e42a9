package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/radio"
)

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(ja) == string(jb)
}

func TestBundledHomes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		aps, minFor   int
		sameChannels  bool
		multipleFloor bool
	}{
		{"flat", 3, 1, false, false},
		{"house", 5, 1, true, true},
		{"apartment", 5, 20, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := LoadHome(filepath.Join("..", "..", "homes", tc.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(h.APs) != tc.aps || len(h.Foreign) < tc.minFor {
				t.Errorf("%d APs and %d foreign networks", len(h.APs), len(h.Foreign))
			}
			first := map[radio.Band]int{}
			floors := map[int]bool{}
			for _, ap := range h.APs {
				floors[ap.Pos.Floor] = true
				for _, rs := range ap.Radios {
					if c, ok := first[rs.Band]; !ok {
						first[rs.Band] = rs.Channel
					} else if tc.sameChannels && c != rs.Channel {
						t.Errorf("%s %s on %d, others on %d", ap.Node, rs.Band, rs.Channel, c)
					}
				}
			}
			if tc.multipleFloor && len(floors) != 3 {
				t.Errorf("APs on %d floors, want 3", len(floors))
			}
		})
	}
}

func TestParseHomeErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "..", "homes", "flat.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "empty document"},
		{"syntax", "{\n  \"aps\": [,]\n}", "line 2"},
		{"type", `{"seed": "x"}`, "field seed"},
		{"unknown field", `{"seeds": 1}`, "seeds"},
		{"no aps", `{}`, "aps: no access points"},
		{"trailing", `{} {}`, "trailing data"},
		{"bad channel", strings.Replace(string(good), `"channel": 36`, `"channel": 37`, 1), "aps[0].radios[1].channel"},
		{"bad band", strings.Replace(string(good), `"band": "5GHz"`, `"band": "5G"`, 1), "radios[1].band"},
		{"bad width", strings.Replace(string(good), `"width": 80`, `"width": 160`, 1), "aps[0].radios[1].width"},
		{"dup node", strings.Replace(string(good), `"node": "ap2"`, `"node": "ap1"`, 1), "aps[1].node"},
		{"bad bssid", strings.Replace(string(good), `"bssid": "02:f0:00:00:01:01"`, `"bssid": "zz"`, 1), "foreign[0].bssid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHome("x.json", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.json") {
				t.Errorf("error %v, want it to name x.json and %q", err, tc.want)
			}
		})
	}
}

func TestBlock(t *testing.T) {
	all5 := bandChannels(radio.Band5G)
	for _, tc := range []struct {
		band       radio.Band
		ch, width  int
		ok         bool
		center     int
		firstChan  int
		allowedSet []int
	}{
		{radio.Band5G, 44, 80, true, 5210, 36, all5},
		{radio.Band5G, 100, 160, true, 5570, 100, all5},
		{radio.Band5G, 157, 80, true, 5775, 149, all5},
		{radio.Band5G, 48, 40, true, 5230, 44, all5},
		{radio.Band2G4, 1, 40, true, 2422, 1, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}},
		{radio.Band2G4, 11, 40, true, 2452, 7, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{radio.Band5G, 140, 80, false, 0, 0, []int{132, 136, 140}},
	} {
		s, ok := block(tc.band, tc.allowedSet, []int{20, 40, 80, 160}, tc.ch, tc.width)
		if ok != tc.ok || (ok && (s.centerMHz != tc.center || s.channels[0] != tc.firstChan)) {
			t.Errorf("block(%s, %d, %d) = %+v %v", tc.band, tc.ch, tc.width, s, ok)
		}
	}
	if got := overlap(looseBlock(radio.Band2G4, 1, 20), radio.ChannelFreq(radio.Band2G4, 3)); got != 0.5 {
		t.Errorf("overlap of channels 1 and 3 = %v, want 0.5", got)
	}
}

func FuzzParseHome(f *testing.F) {
	for _, n := range []string{"flat", "house", "apartment"} {
		if data, err := os.ReadFile(filepath.Join("..", "..", "homes", n+".json")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"aps":[{"node":"a","radios":[{"band":"2.4GHz","channels":[1],"widths":[20],"channel":1,"width":20,"ssid":"s","txPower":{}}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHome("fuzz", data)
		if err != nil {
			return
		}
		// A valid home survives a round trip and still validates.
		out, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		h2, err := ParseHome("again", out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(h, h2) && !equalJSON(t, h, h2) {
			t.Fatalf("round trip differs")
		}
	})
}

func FuzzDecodeNodeState(f *testing.F) {
	f.Add([]byte(`{"node":"ap1","updated":"2025-01-01T00:00:00Z","radios":[{"name":"radio0","band":"5GHz","channel":36,"width":80,"txPowerDBm":20,"bssid":"02:00:00:00:00:01","ssid":"x","enabled":true,"up":true,"load":0.2}]}`))
	f.Add([]byte(`{"node":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ns, err := DecodeNodeState(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(ns)
		if err != nil {
			t.Fatal(err)
		}
		ns2, err := DecodeNodeState(out)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out)
		}
		if !equalJSON(t, ns, ns2) {
			t.Fatal("round trip differs")
		}
	})
}

func FuzzDecodeInjection(f *testing.F) {
	f.Add([]byte(`{"kind":"radar","radio":"radio1","channel":52}`))
	f.Add([]byte(`{"kind":"channel","radio":"radio1","channel":44,"width":40}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeInjection(data)
		if err != nil {
			return
		}
		out, _ := json.Marshal(in)
		if in2, err := DecodeInjection(out); err != nil || in2 != in {
			t.Fatalf("round trip: %+v %v", in2, err)
		}
	})
}
