package wifiopt

import (
	"context"
	"math"
	"testing"
)

func TestCapacityAt(t *testing.T) {
	// Data subcarriers 52/108/234/468 times log2(1+SNR), the SNR 3 dB
	// lower per doubling from 25 dB at 20 MHz.
	want := map[int]float64{20: 1, 40: 1.8275, 80: 3.4242, 160: 5.7848}
	prev := 0.0
	for _, w := range []int{20, 40, 80, 160} {
		got := capacityAt(w)
		if math.Abs(got-want[w]) > 1e-3 {
			t.Errorf("capacityAt(%d) = %.4f, want %.4f", w, got, want[w])
		}
		if perMHz := got / float64(w); prev != 0 && !(perMHz < prev) {
			t.Errorf("capacity per MHz at %d MHz %.5f, not below the narrower width's %.5f", w, perMHz, prev)
		}
		prev = got / float64(w)
	}
}

// fiveGHz lists 5 GHz channels from..to (20 MHz numbers, step 4).
func fiveGHz(from, to int) []Channel {
	var out []Channel
	for n := from; n <= to; n += 4 {
		out = append(out, Channel{Number: n})
	}
	return out
}

// TestWidthChoice pins the width the planner gives one 5 GHz radio on
// 36-64 (widths 20-160, currently 36/20) against what its channels carry.
// Its clients are next to it (-40 dBm), 26 dB above the neighbours'
// leakage into 36, so that their SINR (TestClientSINR) does not enter.
func TestWidthChoice(t *testing.T) {
	full := func(ch, width int, load float64) ForeignBSS {
		return ForeignBSS{Radio: "a", Channel: ch, Width: width, RSSI: -50, Load: load}
	}
	tests := []struct {
		name    string
		load    float64
		foreign []ForeignBSS
		want    Assignment
	}{
		// Nothing else in the band: the widest channel.
		{"idle spectrum, load 0.05", 0.05, nil, Assignment{36, 160}},
		{"idle spectrum, load 0.5", 0.5, nil, Assignment{36, 160}},
		// A neighbour busy all the time on 40 and one on 44-48: every
		// channel wider than 36/20 overlaps them and carries less than
		// the idle 20 MHz channel, and 52-64 is not free of them at 160.
		// Stay narrow on the idle channel.
		{"busy neighbours around 36", 0.3, []ForeignBSS{full(40, 20, 1), full(44, 40, 1), full(52, 80, 1)}, Assignment{36, 20}},
		// The same neighbours at load 0.3: 36/80 loses 0.3·3/4 of its
		// airtime and still carries 2.6 times the idle 20 MHz channel;
		// 160 MHz, with all of 52-64 at 0.3 too, carries more yet.
		{"light neighbours around 36", 0.3, []ForeignBSS{full(40, 20, 0.3), full(44, 40, 0.3), full(52, 80, 0.3)}, Assignment{36, 160}},
		// A neighbour fully busy on 52-64 only: 36-48 at 80 MHz beats
		// 160 MHz with half of it taken.
		{"busy upper half", 0.3, []ForeignBSS{full(52, 80, 1)}, Assignment{36, 80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problem{Radios: []Radio{{ID: "a", Band: Band5G, Channels: fiveGHz(36, 64), Widths: []int{20, 40, 80, 160},
				Current: Assignment{36, 20}, Load: tt.load, ClientSignalDBm: -40}}, Foreign: tt.foreign}
			for _, run := range []func(context.Context, *Problem, Options) (Plan, error){Solve, Exact} {
				pl, err := run(context.Background(), p, Options{Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				got := pl.Assign["a"]
				if got.Width != tt.want.Width || !sameBlock(t, got, tt.want) {
					t.Errorf("%s: a on %v (cost %v), want %v's block", pl.Method, got, pl.Cost, tt.want)
				}
			}
		})
	}
}

// sameBlock reports whether two 5 GHz assignments occupy the same channels.
func sameBlock(t *testing.T, a, b Assignment) bool {
	t.Helper()
	x, err := Block(Band5G, a.Channel, a.Width)
	if err != nil {
		t.Fatal(err)
	}
	y, err := Block(Band5G, b.Channel, b.Width)
	if err != nil {
		t.Fatal(err)
	}
	return x[0] == y[0] && len(x) == len(y)
}
