package steer

import (
	"math"
	"testing"
)

// The expected rates are the 802.11 MCS tables' entries (0.8 µs guard
// interval), so the formula is checked against the standard's figures.
func TestPHYRateMatchesMCSTables(t *testing.T) {
	tests := []struct {
		name    string
		std     Standard
		width   int
		streams int
		dbm     float64
		want    float64
	}{
		{"HT20 MCS7", HT, 20, 1, -64, 65},
		{"HT20 MCS0", HT, 20, 1, -82, 6.5},
		{"HT20 below MCS0", HT, 20, 1, -82.5, 0},
		{"HT40 MCS7", HT, 40, 1, -61, 135},
		{"HT40 2SS MCS4", HT, 40, 2, -67, 162},
		{"HT on 80 MHz uses 40", HT, 80, 1, -50, 135},
		{"VHT80 MCS9", VHT, 80, 1, -51, 390},
		{"VHT80 MCS8", VHT, 80, 1, -53, 351},
		{"VHT160 MCS9 2SS", VHT, 160, 2, -40, 1560},
		{"VHT20 MCS9 skipped for 1SS", VHT, 20, 1, -40, 78},
		{"VHT20 MCS9 3SS", VHT, 20, 3, -40, 260},
		{"VHT80 weak falls back to 20", VHT, 80, 1, -80, 6.5},
		{"HE80 MCS11", HE, 80, 1, -40, 600.4},
		{"HE20 MCS0", HE, 20, 1, -82, 8.6},
		{"HE160 MCS11 2SS", HE, 160, 2, -30, 2402},
		{"legacy 54", Legacy, 20, 1, -65, 54},
		{"legacy 6", Legacy, 20, 1, -82, 6},
		{"legacy none", Legacy, 20, 1, -90, 0},
		{"NaN", HE, 80, 1, math.NaN(), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PHYRate(tt.std, tt.width, tt.streams, tt.dbm)
			if math.Abs(got-tt.want) > 0.15 {
				t.Errorf("PHYRate(%v, %d, %d, %v) = %.2f, want %.1f", tt.std, tt.width, tt.streams, tt.dbm, got, tt.want)
			}
		})
	}
}

func TestPHYRateMonotoneInSignal(t *testing.T) {
	for _, std := range []Standard{Legacy, HT, VHT, HE} {
		for _, w := range []int{20, 40, 80, 160} {
			prev := 0.0
			for dbm := -100.0; dbm <= -20; dbm += 0.5 {
				r := PHYRate(std, w, 2, dbm)
				if r < prev {
					t.Fatalf("std %v width %d: rate falls from %.1f to %.1f at %v dBm", std, w, prev, r, dbm)
				}
				prev = r
			}
		}
	}
}
