package wifiopt

import (
	"context"
	"math"
	"testing"
)

// twoAPs is two 5 GHz radios on 36-64 that hear each other at rssi dBm,
// each with load at its current 36/40 and clients at sig dBm.
func twoAPs(rssi, load, sig float64, widths ...int) *Problem {
	var rs []Radio
	for _, id := range []string{"a", "b"} {
		rs = append(rs, Radio{ID: id, Band: Band5G, Channels: fiveGHz(36, 64), Widths: widths,
			Current: Assignment{36, 40}, Load: load, ClientSignalDBm: sig})
	}
	return &Problem{Radios: rs, RSSI: []Link{{"a", "b", rssi}, {"b", "a", rssi}}}
}

func evalPair(t *testing.T, p *Problem, a, b Assignment) float64 {
	t.Helper()
	c, err := Evaluate(p, map[string]Assignment{"a": a, "b": b})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClientSINR prices what adjacent-channel leakage below the CCA
// thresholds costs the clients: two APs heard at -53 dBm on adjacent
// 40 MHz channels leak about -22 dB into each other's nearer 20 MHz
// channel, -78 dBm at a client that receives -73 dBm there (at -70 dBm in
// 20 MHz). Before the client term they were priced as if apart.
func TestClientSINR(t *testing.T) {
	adj := [2]Assignment{{36, 40}, {44, 40}}
	far := [2]Assignment{{36, 40}, {52, 40}}
	one40 := [2]Assignment{{36, 40}, {36, 40}}
	one80 := [2]Assignment{{36, 80}, {36, 80}}
	tests := []struct {
		name          string
		p             *Problem
		worse, better [2]Assignment
	}{
		// Each AP keeps its whole 40 MHz channel, but half of it at an
		// SINR of about 5 dB: worse than taking turns on one channel.
		{"adjacent 40s vs one shared 40", twoAPs(-53, 0.3, -70, 40), adj, one40},
		{"adjacent 40s vs one shared 80", twoAPs(-53, 0.3, -70, 40, 80), adj, one80},
		// 20 MHz farther away the leakage is 16 dB weaker.
		{"adjacent 40s vs non-adjacent 40s", twoAPs(-53, 0.3, -70, 40), adj, far},
		// Clients next to their AP (-50 dBm) keep about 22 dB over the
		// leakage: adjacent channels cost them little, taking turns half.
		{"strong clients: one shared 40 vs adjacent 40s", twoAPs(-53, 0.3, -50, 40), one40, adj},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := evalPair(t, tt.p, tt.worse[0], tt.worse[1])
			b := evalPair(t, tt.p, tt.better[0], tt.better[1])
			if !(w > b) {
				t.Errorf("cost of %v = %.4f, not above %v's %.4f", tt.worse, w, tt.better, b)
			}
		})
	}
}

// TestClientSINRChoice: with only 36-48 and 40 MHz allowed, two APs
// heard at -53 dBm either share a channel or sit on adjacent ones; with
// clients at -70 dBm both solvers share (the judge rates the adjacent
// split lower: cmd/wifieval's apartment home 3).
func TestClientSINRChoice(t *testing.T) {
	p := twoAPs(-53, 0.3, -70, 40)
	for i := range p.Radios {
		p.Radios[i].Channels = fiveGHz(36, 48)
	}
	for _, run := range []func(context.Context, *Problem, Options) (Plan, error){Solve, Exact} {
		pl, err := run(context.Background(), p, Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := pl.Assign["a"], pl.Assign["b"]; !sameBlock(t, a, b) {
			t.Errorf("%s: a on %v, b on %v (cost %.4f): want one shared 40 MHz channel", pl.Method, a, b, pl.Cost)
		}
	}
}

// TestClientLossVanishes: the term is zero for an interferer too weak to
// matter and grows as the client's signal falls.
func TestClientLossVanishes(t *testing.T) {
	lt := newLeakTable()
	snr := func(sig float64) clientSNRs { return clientSNR(&Radio{Band: Band5G, ClientSignalDBm: sig}) }
	if got := lt.clientLoss(snr(-70), -95, 40, 40, 40); got > 1e-3 {
		t.Errorf("adjacent 40 heard at -95 dBm costs %.5f, want about 0", got)
	}
	if got := lt.clientLoss(snr(-70), -40, 20, 20, 0); got > 1e-3 {
		t.Errorf("co-channel neighbour at -40 dBm (always deferred to) costs %.5f in SINR, want about 0", got)
	}
	prev := 0.0
	for _, sig := range []float64{-45, -55, -65, -75} {
		got := lt.clientLoss(snr(sig), -53, 40, 40, 40)
		if !(got > prev) {
			t.Errorf("client at %v dBm: loss %.4f, not above %.4f of the stronger client", sig, got, prev)
		}
		prev = got
	}
	if got := lt.clientLoss(clientSNR(&Radio{Band: Band5G}), -53, 40, 40, 40); got != 0 {
		t.Errorf("unknown client signal (0): loss %.5f, want 0 (no client term)", got)
	}
}

func TestClientSignalValidated(t *testing.T) {
	for _, sig := range []float64{math.NaN(), math.Inf(-1), 3} {
		p := twoAPs(-53, 0.3, sig, 40)
		if err := Validate(p); err == nil {
			t.Errorf("client signal %v accepted", sig)
		}
	}
}

func TestClientSignal(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"none", nil, 0},
		{"only invalid", []float64{math.NaN(), 0, 5}, 0},
		{"one", []float64{-60}, -60},
		// Nearest rank: the 10th percentile of up to ten is the weakest.
		{"three", []float64{-40, -72, -55}, -72},
		{"twenty", []float64{-41, -42, -43, -44, -45, -46, -47, -48, -49, -50, -51, -52, -53, -54, -55, -56, -57, -58, -59, -60}, -59},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClientSignal(tt.in); got != tt.want {
				t.Errorf("ClientSignal(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestClientRSSI: two APs that do not hear each other (no link) but
// whose clients hear the other AP at -70 dBm, as house 1 of cmd/wifieval
// has them (APs at -96 dBm, clients at -69 to -74). Without ClientRSSI a
// shared channel is free; with it, sharing costs the clients' SINR, and
// both solvers split them. A level under the floor changes nothing.
func TestClientRSSI(t *testing.T) {
	one := [2]Assignment{{36, 40}, {36, 40}}
	apart := [2]Assignment{{36, 40}, {52, 40}}
	p := twoAPs(-60, 0.5, -62, 40)
	p.RSSI = nil
	if s, a := evalPair(t, p, one[0], one[1]), evalPair(t, p, apart[0], apart[1]); math.Abs(s-a) > 1e-12 {
		t.Fatalf("no link, no client levels: shared %.4f, apart %.4f; want equal", s, a)
	}
	for _, floor := range []float64{ClientFloorDBm - 1} {
		p.ClientRSSI = []Link{{"a", "b", floor}, {"b", "a", floor}}
		if s, a := evalPair(t, p, one[0], one[1]), evalPair(t, p, apart[0], apart[1]); math.Abs(s-a) > 1e-12 {
			t.Fatalf("client levels under the floor: shared %.4f, apart %.4f; want equal", s, a)
		}
	}
	// One direction only: a's clients hear b.
	p.ClientRSSI = []Link{{"b", "a", -70}}
	s, a := evalPair(t, p, one[0], one[1]), evalPair(t, p, apart[0], apart[1])
	if !(s > a+0.05) {
		t.Fatalf("a's clients hear b at -70 dBm: shared %.4f, apart %.4f; want sharing dearer", s, a)
	}
	p.ClientRSSI = []Link{{"b", "a", -70}, {"a", "b", -70}}
	if s2 := evalPair(t, p, one[0], one[1]); !(s2 > s) {
		t.Fatalf("both ways: shared %.4f, not above one way's %.4f", s2, s)
	}
	for _, run := range []func(context.Context, *Problem, Options) (Plan, error){Solve, Exact} {
		pl, err := run(context.Background(), p, Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if sameBlock(t, pl.Assign["a"], pl.Assign["b"]) {
			t.Errorf("%s: a on %v, b on %v: want them apart", pl.Method, pl.Assign["a"], pl.Assign["b"])
		}
	}
}

// TestClientRSSIValidated: client links must name two radios of one band
// and carry a finite level.
func TestClientRSSIValidated(t *testing.T) {
	for name, l := range map[string]Link{
		"unknown radio": {"a", "zz", -70},
		"self":          {"a", "a", -70},
		"NaN":           {"a", "b", math.NaN()},
		"infinite":      {"a", "b", math.Inf(1)},
		"other band":    {"a", "g", -70},
	} {
		p := twoAPs(-60, 0.5, -62, 40)
		p.Radios = append(p.Radios, Radio{ID: "g", Band: Band2G4, Channels: []Channel{{Number: 1}, {Number: 6}}, Current: Assignment{1, 20}, Load: 0.1})
		if err := Validate(p); err != nil {
			t.Fatalf("%s: the problem without the link: %v", name, err)
		}
		p.ClientRSSI = []Link{l}
		if err := Validate(p); err == nil {
			t.Errorf("%s: %+v accepted", name, l)
		}
	}
}

func TestClientInterference(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
		ok   bool
	}{
		{nil, 0, false},
		{[]float64{math.NaN(), 3}, 0, false},
		{[]float64{-70}, -70, true},
		{[]float64{-98, -72, -69, -74}, -69, true},
		{[]float64{-90, -89, -88, -87, -86, -85, -84, -83, -82, -81, -80}, -81, true},
		// At or under the floor: no link.
		{[]float64{ClientFloorDBm, ClientFloorDBm - 5}, 0, false},
		{[]float64{ClientFloorDBm + 0.5}, ClientFloorDBm + 0.5, true},
	} {
		got, ok := ClientInterference(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ClientInterference(%v) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
