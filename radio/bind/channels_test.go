package bind

import (
	"math"
	"testing"

	"github.com/uspmesh/uspmesh/radio"
)

func caps5(disabled ...int) radio.Capabilities {
	off := map[int]bool{}
	for _, d := range disabled {
		off[d] = true
	}
	var chs []radio.Channel
	for _, n := range []int{36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 144, 149, 153, 157, 161, 165} {
		chs = append(chs, radio.Channel{Number: n, Disabled: off[n]})
	}
	return radio.Capabilities{Band: radio.Band5G, Channels: chs, Widths: []int{20, 40, 80, 160}}
}

func TestCheckPair(t *testing.T) {
	var chs24 []radio.Channel
	for n := 1; n <= 13; n++ {
		chs24 = append(chs24, radio.Channel{Number: n})
	}
	c24 := radio.Capabilities{Band: radio.Band2G4, Channels: chs24, Widths: []int{20, 40}}
	var chs6 []radio.Channel
	for n := 1; n <= 233; n += 4 {
		chs6 = append(chs6, radio.Channel{Number: n})
	}
	c6 := radio.Capabilities{Band: radio.Band6G, Channels: chs6, Widths: []int{20, 40, 80, 160, 320}}
	for _, tc := range []struct {
		name      string
		caps      radio.Capabilities
		ch, width int
		cur       int
		wantParam string // "" = valid
	}{
		{"5G 36/80", caps5(), 36, 80, 0, ""},
		{"5G 48/80 same block", caps5(), 48, 80, 0, ""},
		{"5G 149/80", caps5(), 149, 80, 0, ""},
		{"5G 100/160", caps5(), 100, 160, 0, ""},
		{"5G 149/160 needs 169..177", caps5(), 149, 160, 0, "W"},
		{"5G 165/40 block off the list", caps5(), 165, 40, 0, "W"},
		{"5G 116/80 with 120 disabled", caps5(120), 116, 80, 0, "W"},
		{"5G 100/40 with 120 disabled", caps5(120), 100, 40, 0, ""},
		{"5G disabled channel", caps5(120), 120, 20, 0, "Channel"},
		{"5G unknown channel", caps5(), 38, 20, 0, "Channel"},
		{"5G keep current width", caps5(), 52, 0, 80, ""},
		{"5G unsupported width", caps5(), 36, 320, 0, "W"},
		{"2.4G 6/40", c24, 6, 40, 0, ""},
		{"2.4G 13/40 below", c24, 13, 40, 0, ""},
		{"2.4G 6/80", c24, 6, 80, 0, "W"},
		{"6G 37/160", c6, 37, 160, 0, ""},
		{"6G 33/320", c6, 33, 320, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pe := checkPair(tc.caps, tc.ch, tc.width, tc.cur, "W")
			switch {
			case tc.wantParam == "" && pe != nil:
				t.Errorf("refused: %v", pe)
			case tc.wantParam != "" && (pe == nil || pe.Param != tc.wantParam):
				t.Errorf("got %v, want a refusal naming %s", pe, tc.wantParam)
			}
		})
	}
}

func TestPowerMapping(t *testing.T) {
	c := radio.Capabilities{TxPowerMinDBm: 0, TxPowerMaxDBm: 20}
	for _, tc := range []struct {
		dBm     float64
		percent int
	}{{20, 100}, {17, 50}, {14, 25}, {10, 10}, {0, 1}, {-5, 1}} {
		if got := powerPercent(c, tc.dBm); got != tc.percent {
			t.Errorf("powerPercent(%v dBm) = %d, want %d", tc.dBm, got, tc.percent)
		}
	}
	if got := powerDBm(c, 10); math.Abs(got-10) > 1e-9 {
		t.Errorf("powerDBm(10%%) = %v, want 10", got)
	}
	if got := powerDBm(c, 100); got != 20 {
		t.Errorf("powerDBm(100%%) = %v, want 20", got)
	}
	if got := powerSupported(radio.Capabilities{TxPowerMinDBm: 10, TxPowerMaxDBm: 20}); got != "-1,10,12,25,50,100" {
		t.Errorf("powerSupported(10..20 dBm) = %s", got)
	}
	if err := checkPower(c, 0); err == nil {
		t.Error("checkPower(0%) accepted")
	}
	if err := checkPower(c, -1); err != nil {
		t.Errorf("checkPower(-1, automatic): %v", err)
	}
	if err := checkPower(radio.Capabilities{}, 50); err == nil {
		t.Error("checkPower with an unknown range accepted")
	}
}

func TestWidthNames(t *testing.T) {
	for _, w := range []int{20, 40, 80, 160, 320} {
		got, err := parseWidth(widthName(w))
		if err != nil || got != w {
			t.Errorf("parseWidth(widthName(%d)) = %d, %v", w, got, err)
		}
	}
	if w, err := parseWidth("Auto"); w != 0 || err != nil {
		t.Errorf("parseWidth(Auto) = %d, %v", w, err)
	}
	if _, err := parseWidth("80+80MHz"); err == nil {
		t.Error("parseWidth(80+80MHz) accepted")
	}
}
