package wifiopt

import (
	"context"
	"errors"
	"math"
	"testing"
)

func ch24() []Channel {
	out := make([]Channel, 11)
	for i := range out {
		out[i] = Channel{Number: i + 1}
	}
	return out
}

// refClient is the weak client's signal the hand tests give their radios:
// ReferenceSNRDB (25 dB) above the client noise, as for the width model.
const refClient = ClientNoiseDBm + ReferenceSNRDB

// tiny is two 2.4 GHz radios that hear each other at -82 dBm (contention
// 0.5), both currently on channel 1, with clients at refClient.
func tiny() *Problem {
	return &Problem{
		Radios: []Radio{
			{ID: "a", Node: "n1", Band: Band2G4, Channels: ch24(), Current: Assignment{1, 20}, Load: 0.5, ClientSignalDBm: refClient},
			{ID: "b", Node: "n2", Band: Band2G4, Channels: ch24(), Current: Assignment{1, 20}, Load: 0.4, ClientSignalDBm: refClient},
		},
		RSSI:       []Link{{From: "a", To: "b", RSSI: -82}, {From: "b", To: "a", RSSI: -82}},
		SwitchCost: 0.01,
	}
}

// soft is the contention probability of a signal margin dB above its
// threshold.
func soft(margin float64) float64 { return 1 / (1 + math.Exp(-margin/FadingDB)) }

// sinr is the client term by hand for one 20 MHz channel: a client at
// snrDB, whose band's top rate needs topDB, receives interference at
// inDBm that the radio defers to with probability p; the airtime it then
// needs beyond the interference-free channel, 1/x − 1, x being the
// capacity log2(1 + SNR) it keeps (SNR capped at the top rate's).
func sinr(snrDB, topDB, inDBm, p float64) float64 {
	s, top := math.Pow(10, snrDB/10), math.Pow(10, topDB/10)
	inr := math.Pow(10, (inDBm-ClientNoiseDBm)/10)
	x := math.Log2(1+min(top, s/(1+inr))) / math.Log2(1+min(top, s))
	return (1 - p) * (1/x - 1)
}

func TestEvaluateByHand(t *testing.T) {
	// Channels 1 and 2 (5 MHz apart) and 1 and 3 (10 MHz): the other's
	// mask leaves leakDB(20, 5) ≈ -1.1 dB and leakDB(20, 10) ≈ -3.0 dB in
	// the channel, compared with the -82 dBm preamble threshold.
	adj1, adj2 := soft(leakDB(20, 5)), soft(leakDB(20, 10))
	// The clients (refClient, 25 dB SNR; HT MCS 7 needs 27 dB) lose
	// SINR while the other's signal does not make their AP defer.
	cl := func(in, p float64) float64 { return sinr(ReferenceSNRDB, -64-ClientNoiseDBm, in, p) }
	co, near1, near2 := cl(-82, 0.5), cl(-82+leakDB(20, 5), adj1), cl(-82+leakDB(20, 10), adj2)
	apart := soft(leakDB(20, 25) - 20)
	tests := []struct {
		name   string
		edit   func(p *Problem)
		assign map[string]Assignment
		want   float64
	}{
		// 0.5·0.4·(1·0.5 + 1·0.5), and the clients' SINR each way
		{"co-channel", nil, map[string]Assignment{"a": {1, 20}, "b": {1, 20}}, 0.2 + 0.2*2*co},
		// 0.5·0.4·(adj1 + adj1) + one switch (the old rectangle overlap
		// gave 0.75·0.5 each way).
		{"adjacent", nil, map[string]Assignment{"a": {1, 20}, "b": {2, 20}}, 0.2*2*(adj1+near1) + 0.01},
		// Channels 1 and 6: only the soft threshold's tail of energy detect
		// (-82 dBm less the leak, against -62 dBm), 5e-8 in all, and the
		// leak's SINR loss at the clients (-110 dBm, 19 dB below noise).
		{"apart", nil, map[string]Assignment{"a": {1, 20}, "b": {6, 20}}, 0.01 + 0.2*2*(apart+cl(-82+leakDB(20, 25), apart))},
		// One direction measured: taken as symmetric.
		{"one link", func(p *Problem) { p.RSSI = p.RSSI[:1] }, map[string]Assignment{"a": {1, 20}, "b": {1, 20}}, 0.2 + 0.2*2*co},
		{"no link", func(p *Problem) { p.RSSI = nil }, map[string]Assignment{"a": {1, 20}, "b": {1, 20}}, 0},
		// Foreign BSS at -82 dBm with load 0.2 on a's channel: 0.5·0.2·1·0.5,
		// and on channel 3 for b on 1: 0.4·0.3·adj2.
		{"foreign", func(p *Problem) {
			p.RSSI = nil
			p.Foreign = []ForeignBSS{{Radio: "a", Channel: 1, RSSI: -82, Load: 0.2}, {Radio: "b", Channel: 3, RSSI: -82, Load: 0.3}}
		}, map[string]Assignment{"a": {1, 20}, "b": {1, 20}}, 0.1*(0.5+co) + 0.12*(adj2+near2)},
		// Busy 0.1 on a's channel: 0.5·0.1.
		{"busy", func(p *Problem) {
			p.RSSI = nil
			p.Busy = []Busy{{Radio: "a", Channel: 1, Fraction: 0.1}, {Radio: "a", Channel: 2, Fraction: 0.9}}
		}, map[string]Assignment{"a": {1, 20}, "b": {1, 20}}, 0.05},
		// DFS: switching onto a DFS channel costs SwitchCost + DFSCost.
		{"dfs switch", func(p *Problem) {
			p.RSSI = nil
			p.DFSCost = 0.1
			for i := range p.Radios {
				p.Radios[i].Channels[10].DFS = true
			}
		}, map[string]Assignment{"a": {11, 20}, "b": {1, 20}}, 0.11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tiny()
			if tt.edit != nil {
				tt.edit(p)
			}
			got, err := Evaluate(p, tt.assign)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("cost %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateWidth(t *testing.T) {
	// A 5 GHz radio at 40 MHz with load 0.4 needs airtime
	// 0.4·C(40)/C(80) at 80 MHz (C is capacityAt: 802.11 capacity is not
	// proportional to width). Each radio hears the other at exactly the
	// threshold per 20 MHz (contention 0.5).
	chs := []Channel{{Number: 36}, {Number: 40}, {Number: 44}, {Number: 48}}
	rssi80 := -82 + 10*math.Log10(4)
	p := &Problem{Radios: []Radio{
		{ID: "a", Band: Band5G, Channels: chs, Widths: []int{20, 40, 80}, Current: Assignment{36, 40}, Load: 0.4, ClientSignalDBm: refClient},
		{ID: "b", Band: Band5G, Channels: chs, Widths: []int{20, 80}, Current: Assignment{44, 20}, Load: 0.1, ClientSignalDBm: refClient},
	}, RSSI: []Link{{From: "a", To: "b", RSSI: rssi80}, {From: "b", To: "a", RSSI: -82}}}
	// a on 36/80, b on 44/20 (airtime 0.1): a loses 0.1·(20/80)·0.5 of
	// its airtime, weighted aA; b loses aA·1·p(a at 80 MHz, heard at
	// rssi80: 0.5), weighted 0.1. b could have had 80 MHz of idle
	// spectrum: its width term is 0.1·(1 − 1/C(80)); a is on its best.
	got, err := Evaluate(p, map[string]Assignment{"a": {36, 80}, "b": {44, 20}})
	if err != nil {
		t.Fatal(err)
	}
	aA := 0.4 * capacityAt(40) / capacityAt(80)
	// Plus the soft threshold's tail of energy detect in a's three other
	// 20 MHz channels, below 1e-7.
	want := aA*0.1*0.25*0.5 + 0.1*aA*1*0.5 + 0.1*(1-1/capacityAt(80))
	// And the clients' SINR (refClient, 25 dB in 20 MHz; VHT's top
	// rate needs 34): b's clients receive a's 80 MHz at -82 dBm per
	// 20 MHz and defer half the time; a's, at 19 dB in 80 MHz, receive b
	// in 44 (deferring half the time) and its leakage, 20 and 40 MHz
	// away, in 48, 40 and 36 (against energy detect).
	top := -57 - ClientNoiseDBm
	want += 0.1 * aA * sinr(ReferenceSNRDB, top, -82, 0.5)
	inA := 0.0
	for _, dc := range []int{0, 20, 20, 40} {
		in, p := -82.0, 0.5
		if dc > 0 {
			in = -82 + leakDB(20, dc)
			p = soft(in - EnergyDetectDBm)
		}
		inA += sinr(ReferenceSNRDB-10*math.Log10(4), top, in, p) / 4
	}
	want += aA * 0.1 * inA
	if math.Abs(got-want) > 1e-7 {
		t.Errorf("cost %v, want %v", got, want)
	}
}

// byHand is the unary cost of a lone radio with demand d (in idle 20 MHz
// channels) on a width whose channels lose the share lost, when the best
// effective capacity it may have is best: a·lost + unserved + the width
// term d/C − d/best.
func byHand(d float64, width int, lost, best float64) float64 {
	c := capacityAt(width)
	return min(1, d/c)*lost + max(0, d/c-1) + max(0, d/(c*max(minShare, 1-lost))-d/best)
}

func TestUnservedLoad(t *testing.T) {
	// A lone 5 GHz radio on 36/80 with widths 20, 40 and 80: its demand
	// is d = L·C(80); at width W it needs d/C(W) of the airtime, what
	// exceeds the channel is unserved, and the width term charges the
	// airtime it needs beyond the option with the most capacity left.
	busyAbove := func(f float64) []Busy {
		return []Busy{{Radio: "a", Channel: 40, Fraction: f}, {Radio: "a", Channel: 44, Fraction: f}, {Radio: "a", Channel: 48, Fraction: f}}
	}
	c80 := capacityAt(80)
	tests := []struct {
		name string
		load float64
		busy []Busy
		cost map[Assignment]float64 // Evaluate by hand, switch 0.01 included
		want Assignment
	}{
		// 20 MHz: demand 3.4 of its 1, unserved 2.4.
		{"quiet, load 0.5", 0.5, nil, map[Assignment]float64{
			{36, 80}: 0, {36, 40}: byHand(0.5*c80, 40, 0, c80) + 0.01, {36, 20}: byHand(0.5*c80, 20, 0, c80) + 0.01,
		}, Assignment{36, 80}},
		// Busy 0.3 on 40-48: 80 MHz loses 0.9/4, 36/40 0.3/2, 44/40 0.3;
		// 80 MHz still leaves the most capacity.
		{"busy above, load 0.5", 0.5, busyAbove(0.3), map[Assignment]float64{
			{36, 80}: byHand(0.5*c80, 80, 0.9/4, c80*(1-0.9/4)), {36, 40}: byHand(0.5*c80, 40, 0.15, c80*(1-0.9/4)) + 0.01,
			{44, 40}: byHand(0.5*c80, 40, 0.3, c80*(1-0.9/4)) + 0.01, {36, 20}: byHand(0.5*c80, 20, 0, c80*(1-0.9/4)) + 0.01,
		}, Assignment{36, 80}},
		// Load 0.1 fits at 20 MHz, but 80 MHz with 30 % of three channels
		// busy still carries 2.65 times what the idle 20 MHz channel does:
		// the radio stays wide. (Before the width term, which 802.11's
		// capacity calls for, it narrowed to the idle 36/20.)
		{"busy above, load 0.1", 0.1, busyAbove(0.3), map[Assignment]float64{
			{36, 80}: byHand(0.1*c80, 80, 0.9/4, c80*(1-0.9/4)), {36, 40}: byHand(0.1*c80, 40, 0.15, c80*(1-0.9/4)) + 0.01,
			{36, 20}: byHand(0.1*c80, 20, 0, c80*(1-0.9/4)) + 0.01, {40, 20}: byHand(0.1*c80, 20, 0.3, c80*(1-0.9/4)) + 0.01,
		}, Assignment{36, 80}},
		// 40-48 busy all the time: 80 MHz leaves C(80)/4 = 0.86, 36/40
		// C(40)/2 = 0.91, the idle 36/20 1. The radio narrows to it.
		{"busy above all the time, load 0.1", 0.1, busyAbove(1), map[Assignment]float64{
			{36, 80}: byHand(0.1*c80, 80, 0.75, 1), {36, 40}: byHand(0.1*c80, 40, 0.5, 1) + 0.01, {36, 20}: 0.01,
		}, Assignment{36, 20}},
		{"quiet, load 0.1", 0.1, nil, map[Assignment]float64{
			{36, 80}: 0, {36, 40}: byHand(0.1*c80, 40, 0, c80) + 0.01, {36, 20}: byHand(0.1*c80, 20, 0, c80) + 0.01,
		}, Assignment{36, 80}},
	}
	chs := []Channel{{Number: 36}, {Number: 40}, {Number: 44}, {Number: 48}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problem{Radios: []Radio{
				{ID: "a", Band: Band5G, Channels: chs, Widths: []int{20, 40, 80}, Current: Assignment{36, 80}, Load: tt.load},
			}, Busy: tt.busy, SwitchCost: 0.01}
			for a, want := range tt.cost {
				got, err := Evaluate(p, map[string]Assignment{"a": a})
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-want) > 1e-12 {
					t.Errorf("Evaluate %v: cost %v, want %v", a, got, want)
				}
			}
			for _, run := range []func(context.Context, *Problem, Options) (Plan, error){Solve, Exact} {
				pl, err := run(context.Background(), p, Options{Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				if got := pl.Assign["a"]; got != tt.want || math.Abs(pl.Cost-tt.cost[tt.want]) > 1e-12 {
					t.Errorf("%s: a on %v at cost %v, want %v at %v", pl.Method, got, pl.Cost, tt.want, tt.cost[tt.want])
				}
			}
		})
	}
}

func TestEvaluateRejects(t *testing.T) {
	p := tiny()
	p.Radios[1].BackhaulOf = "a"
	tests := map[string]map[string]Assignment{
		"missing radio":      {"a": {1, 20}},
		"unknown radio":      {"a": {1, 20}, "b": {1, 20}, "c": {1, 20}},
		"channel disallowed": {"a": {12, 20}, "b": {12, 20}},
		"width disallowed":   {"a": {1, 40}, "b": {1, 40}},
		"backhaul split":     {"a": {1, 20}, "b": {6, 20}},
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Evaluate(p, a); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestMarginBreaksTies: two 5 GHz radios that hear each other at -84 dBm
// interact, but 40 MHz channels side by side leave each far below energy
// detect (and cost their clients little SINR); the adjacent block must
// still cost more than one across the
// band, so that the planner prefers the margin (with the 1e-4 cut-off
// both cost exactly 0 and the choice was the search's).
func TestMarginBreaksTies(t *testing.T) {
	var chs []Channel
	for _, n := range []int{36, 40, 44, 48, 149, 153} {
		chs = append(chs, Channel{Number: n})
	}
	p := &Problem{Radios: []Radio{
		{ID: "a", Band: Band5G, Channels: chs, Widths: []int{40}, Current: Assignment{36, 40}, Load: 0.4},
		{ID: "b", Band: Band5G, Channels: chs, Widths: []int{40}, Current: Assignment{44, 40}, Load: 0.3},
	}, RSSI: []Link{{From: "a", To: "b", RSSI: -84}}}
	adjacent, err := Evaluate(p, map[string]Assignment{"a": {36, 40}, "b": {44, 40}})
	if err != nil {
		t.Fatal(err)
	}
	across, err := Evaluate(p, map[string]Assignment{"a": {36, 40}, "b": {149, 40}})
	if err != nil {
		t.Fatal(err)
	}
	shared, err := Evaluate(p, map[string]Assignment{"a": {36, 40}, "b": {36, 40}})
	if err != nil {
		t.Fatal(err)
	}
	// The difference is the leakage's: far below energy detect, and
	// -112 dBm at the clients, 21 dB below noise.
	if !(adjacent > across) || adjacent > shared/10 {
		t.Errorf("adjacent blocks cost %v, blocks across the band %v, one shared block %v; want a small positive difference", adjacent, across, shared)
	}
	pl, err := Solve(context.Background(), p, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Assign["b"].Channel < 149 && pl.Assign["a"].Channel < 149 {
		t.Errorf("plan %v keeps both radios in 36-48", pl.Assign)
	}
}
