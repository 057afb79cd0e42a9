package wifiopt

import (
	"math"
	"slices"
	"testing"
)

func TestOverlap24(t *testing.T) {
	// 20 MHz channels 5 MHz apart: the overlap of two 20 MHz rectangles.
	want := []float64{1, 0.75, 0.5, 0.25, 0, 0}
	for sep, w := range want {
		a := spanOf(Band2G4, []int{1})
		b := spanOf(Band2G4, []int{1 + sep})
		if got := overlap(a, b); math.Abs(got-w) > 1e-12 {
			t.Errorf("separation %d: overlap %v, want %v", sep, got, w)
		}
	}
	// Channel 14 sits 12 MHz above 13.
	if got := overlap(spanOf(Band2G4, []int{13}), spanOf(Band2G4, []int{14})); math.Abs(got-0.4) > 1e-12 {
		t.Errorf("13/14 overlap %v, want 0.4", got)
	}
}

func TestBlocks(t *testing.T) {
	tests := []struct {
		name  string
		band  Band
		ch, w int
		want  []int // nil: error
	}{
		{"2.4 20", Band2G4, 6, 20, []int{6}},
		{"2.4 HT40+", Band2G4, 1, 40, []int{1, 5}},
		{"2.4 HT40-", Band2G4, 11, 40, []int{7, 11}},
		{"2.4 ch14 40", Band2G4, 14, 40, nil},
		{"2.4 80", Band2G4, 6, 80, nil},
		{"5 40 upper primary", Band5G, 40, 40, []int{36, 40}},
		{"5 80", Band5G, 44, 80, []int{36, 40, 44, 48}},
		{"5 160", Band5G, 60, 160, []int{36, 40, 44, 48, 52, 56, 60, 64}},
		{"5 80 upper", Band5G, 157, 80, []int{149, 153, 157, 161}},
		{"5 80 at 132", Band5G, 140, 80, []int{132, 136, 140, 144}},
		{"5 bad channel", Band5G, 38, 20, nil},
		{"5 width 60", Band5G, 36, 60, nil},
		{"6 80", Band6G, 37, 80, []int{33, 37, 41, 45}},
		{"6 160", Band6G, 1, 160, []int{1, 5, 9, 13, 17, 21, 25, 29}},
		{"6 bad channel", Band6G, 2, 20, nil},
		{"6 off the band", Band6G, 233, 160, nil},
		{"unknown band", Band("60GHz"), 1, 20, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := block(tt.band, tt.ch, tt.w)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("block = %v, want error", got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("block = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestWideOverlap(t *testing.T) {
	w80 := spanOf(Band5G, []int{36, 40, 44, 48})
	w20 := spanOf(Band5G, []int{44})
	if got := overlap(w80, w20); got != 0.25 {
		t.Errorf("80 MHz victim, 20 MHz neighbour: %v, want 0.25", got)
	}
	if got := overlap(w20, w80); got != 1 {
		t.Errorf("20 MHz victim inside 80 MHz: %v, want 1", got)
	}
	if got := overlap(w20, spanOf(Band5G, []int{48})); got != 0 {
		t.Errorf("adjacent 5 GHz channels: %v, want 0", got)
	}
}

func TestContention(t *testing.T) {
	tests := []struct {
		rssi  float64
		width int
		want  float64
	}{
		{-82, 20, 0.5},
		{-82 + 10*math.Log10(4), 80, 0.5}, // the same power per 20 MHz as -82 over 20
		{-82 + 3*math.Log(9), 20, 0.9},
		{-120, 20, 0}, // below negligible
	}
	for _, tt := range tests {
		if got := contention(tt.rssi, tt.width); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("contention(%v, %d) = %v, want %v", tt.rssi, tt.width, got, tt.want)
		}
	}
}

func TestOverlap(t *testing.T) {
	for _, tc := range []struct {
		b    Band
		x, y Assignment
		want float64
	}{
		{Band5G, Assignment{Channel: 36}, Assignment{Channel: 40, Width: 80}, 1},    // 36 lies in 36-48
		{Band5G, Assignment{Channel: 36, Width: 80}, Assignment{Channel: 44}, 0.25}, // a quarter of 36-48
		{Band5G, Assignment{Channel: 36}, Assignment{Channel: 149}, 0},
		{Band2G4, Assignment{Channel: 1}, Assignment{Channel: 3}, 0.5}, // 2402-2422 against 2412-2432
		{Band2G4, Assignment{Channel: 1}, Assignment{Channel: 6}, 0},
	} {
		got, err := Overlap(tc.b, tc.x, tc.y)
		if err != nil || got != tc.want {
			t.Errorf("Overlap(%s, %+v, %+v) = %v, %v; want %v", tc.b, tc.x, tc.y, got, err, tc.want)
		}
	}
	if _, err := Overlap(Band5G, Assignment{Channel: 37}, Assignment{Channel: 36}); err == nil {
		t.Error("Overlap accepted 5 GHz channel 37")
	}
}

func TestMaskPoints(t *testing.T) {
	// The OFDM mask for 20 MHz (IEEE 802.11-2020 17.3.9.3) and its scaling
	// to 80 MHz (21.3.17.1).
	for _, c := range []struct {
		w    int
		x, d float64
	}{{20, 0, 0}, {20, 9, 0}, {20, 11, -20}, {20, 20, -28}, {20, 30, -40}, {20, 60, -40}, {20, 10, -10},
		{80, 39, 0}, {80, 41, -20}, {80, 80, -28}, {80, 120, -40}} {
		if got := maskDBr(c.w, c.x); math.Abs(got-c.d) > 1e-9 {
			t.Errorf("mask %d MHz at %v MHz = %v dBr, want %v", c.w, c.x, got, c.d)
		}
	}
}

func TestLeak(t *testing.T) {
	for _, c := range []struct {
		name      string
		w, dc     int
		min, max_ float64
	}{
		{"co-channel", 20, 0, 0, 0},
		{"inside a wide channel", 80, 30, 0, 0},
		// Half of a 20 MHz transmission 10 MHz away falls in the channel.
		{"2.4 GHz channels 2 apart", 20, 10, -3.3, -2.7},
		{"2.4 GHz channels 3 apart", 20, 15, -6.6, -5.8},
		// Channels 1 and 6: only the mask's skirt and the receiver's
		// limited rejection.
		{"2.4 GHz channels 1 and 6", 20, 25, -30, -25},
		{"5 GHz adjacent", 20, 20, -24, -20},
		{"5 GHz non-adjacent", 20, 40, -40, -36},
	} {
		got := leakDB(c.w, c.dc)
		if got < c.min || got > c.max_ {
			t.Errorf("%s: leakDB(%d, %d) = %.2f dB, want %v..%v", c.name, c.w, c.dc, got, c.min, c.max_)
		}
	}
	if !math.IsInf(leakDB(20, leakReach(20)+1), -1) {
		t.Error("leak beyond reach should be -Inf")
	}
}

func TestExposure(t *testing.T) {
	lt := newLeakTable()
	for _, c := range []struct {
		name       string
		rssi       float64
		wo, wq, dx int
		lo, hi     float64
	}{
		// A partly overlapping neighbour heard well above the preamble
		// threshold contends fully, as a co-channel one does (the old
		// rectangle overlap priced it at 0.5).
		{"strong, 10 MHz apart", -60, 20, 20, 10, 0.99, 1},
		{"strong, co-channel", -60, 20, 20, 0, 0.99, 1},
		// Channels 1 and 6: nothing at -60 dBm; at -32 dBm the leak is above
		// energy detect.
		{"1 and 6 at -60", -60, 20, 20, 25, 0, 1e-3},
		{"1 and 6 at -32", -32, 20, 20, 25, 0.5, 1},
		// A 20 MHz neighbour on one half of a 40 MHz channel takes half of
		// it; a 40 MHz neighbour over a 20 MHz channel all of it, at its
		// power per 20 MHz (-60 - 3 dB).
		{"20 in half of 40", -60, 40, 20, 10, 0.49, 0.51},
		{"40 over 20", -60, 20, 40, -10, 0.99, 1},
		// Per-20 MHz power: an 80 MHz transmission at -76 dBm is -82 per 20.
		{"80 at threshold", -82 + 10*math.Log10(4), 20, 80, 30, 0.49, 0.51},
		{"far apart", -30, 20, 20, 100, 0, 0},
	} {
		got := lt.exposure(c.rssi, c.wo, c.wq, c.dx)
		if got < c.lo || got > c.hi {
			t.Errorf("%s: exposure = %v, want %v..%v", c.name, got, c.lo, c.hi)
		}
	}
}
