package wifiopt

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// pair24 is two loaded 2.4 GHz radios on channel 6 that hear each other at
// rssi dBm, with their weak clients at sig dBm.
func pair24(rssi, sig float64) *Problem {
	var rs []Radio
	for _, id := range []string{"a", "b"} {
		rs = append(rs, Radio{ID: id, Band: Band2G4, Channels: ch24(), Current: Assignment{6, 20}, Load: 0.8,
			TxPowerDBm: 20, ClientSignalDBm: sig})
	}
	return &Problem{Radios: rs, RSSI: []Link{{"a", "b", rssi}, {"b", "a", rssi}}}
}

func onSix(p *Problem) map[string]Assignment {
	a := map[string]Assignment{}
	for _, r := range p.Radios {
		a[r.ID] = Assignment{6, 20}
	}
	return a
}

// TestAtPower: a radio's power moves what others hear of it and its own
// clients' signal, nothing else; a one-way link gets its reverse first.
func TestAtPower(t *testing.T) {
	p := &Problem{
		Radios: []Radio{
			{ID: "a", Band: Band2G4, Channels: ch24(), Current: Assignment{1, 20}, TxPowerDBm: 20, ClientSignalDBm: -40},
			{ID: "b", Band: Band2G4, Channels: ch24(), Current: Assignment{6, 20}, TxPowerDBm: 20, ClientSignalDBm: -50},
		},
		RSSI:       []Link{{"a", "b", -70}},
		ClientRSSI: []Link{{"a", "b", -65}, {"b", "a", -75}},
	}
	q, err := p.AtPower(map[string]float64{"a": 14})
	if err != nil {
		t.Fatal(err)
	}
	if q.Radios[0].TxPowerDBm != 14 || q.Radios[0].PowerCutDB != 6 || q.Radios[0].ClientSignalDBm != -46 ||
		q.Radios[1].ClientSignalDBm != -50 || q.Radios[1].PowerCutDB != 0 {
		t.Errorf("radios %+v", q.Radios)
	}
	want := map[[2]string]float64{{"a", "b"}: -76, {"b", "a"}: -70}
	if len(q.RSSI) != 2 {
		t.Fatalf("links %v: want both directions", q.RSSI)
	}
	for _, l := range q.RSSI {
		if want[[2]string{l.From, l.To}] != l.RSSI {
			t.Errorf("link %v, want %v", l, want)
		}
	}
	if q.ClientRSSI[0].RSSI != -71 || q.ClientRSSI[1].RSSI != -75 {
		t.Errorf("client links %v", q.ClientRSSI)
	}
	if p.RSSI[0].RSSI != -70 || len(p.RSSI) != 1 || p.Radios[0].TxPowerDBm != 20 || p.ClientRSSI[0].RSSI != -65 {
		t.Error("AtPower changed its receiver")
	}
	for _, bad := range []map[string]float64{{"c": 10}, {"a": math.NaN()}} {
		if _, err := p.AtPower(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("AtPower(%v) = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestPlanPower: two APs on one channel at -75 dBm defer to each other
// most of the time; with clients at -35 dBm each has 23 dB of SNR to
// spare and cutting power lowers what they cost each other. Clients at
// -62 dBm have none, and a radio without clients, a backhaul pair and a
// PowerFixed radio are left alone.
func TestPlanPower(t *testing.T) {
	ctx := context.Background()
	p := pair24(-75, -35)
	pp, err := PlanPower(ctx, p, onSix(p))
	if err != nil {
		t.Fatal(err)
	}
	if !(pp.Cost < pp.CurrentCost-PowerMinGain) || pp.Changed == 0 {
		t.Fatalf("plan %+v: want a cheaper plan with cuts", pp)
	}
	for id, c := range pp.CutDB {
		if c < 0 || c > MaxPowerCutDB || math.Mod(c, PowerStepDB) != 0 || pp.TxPowerDBm[id] != 20-c {
			t.Errorf("%s: cut %v, power %v", id, c, pp.TxPowerDBm[id])
		}
	}
	q, err := p.AtPower(pp.TxPowerDBm)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := Evaluate(q, onSix(p)); math.Abs(c-pp.Cost) > 1e-9 {
		t.Errorf("Cost %v, Evaluate at its powers %v", pp.Cost, c)
	}
	// Planned again as measured at its own powers (AtPower gives each
	// radio its cut), it moves nothing.
	for _, r := range q.Radios {
		if r.PowerCutDB != pp.CutDB[r.ID] {
			t.Errorf("%s at its planned power: PowerCutDB %v, want %v", r.ID, r.PowerCutDB, pp.CutDB[r.ID])
		}
	}
	again, err := PlanPower(ctx, q, onSix(q))
	if err != nil || again.Changed != 0 {
		t.Errorf("re-planned: %+v, %v; want no change", again, err)
	}

	cases := []struct {
		name string
		edit func(p *Problem)
	}{
		{"weak clients", func(p *Problem) { p.Radios[0].ClientSignalDBm, p.Radios[1].ClientSignalDBm = -62, -62 }},
		{"no clients", func(p *Problem) { p.Radios[0].ClientSignalDBm, p.Radios[1].ClientSignalDBm = 0, 0 }},
		// The weak clients' percentile has the room, one station has not:
		// every associated client keeps its margin.
		{"weakest station", func(p *Problem) { p.Radios[0].WeakestClientDBm, p.Radios[1].WeakestClientDBm = -62, -62 }},
		{"backhaul", func(p *Problem) { p.Radios[1].BackhaulOf = "a" }},
		{"fixed", func(p *Problem) {
			p.Radios[0].PowerFixed, p.Radios[1].PowerFixed = true, true
			p.Radios[1].PowerCutDB = 4
		}},
	}
	for _, c := range cases {
		p := pair24(-75, -35)
		c.edit(p)
		pp, err := PlanPower(ctx, p, onSix(p))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if pp.Changed != 0 || pp.CutDB["a"] != p.Radios[0].PowerCutDB || pp.CutDB["b"] != p.Radios[1].PowerCutDB {
			t.Errorf("%s: %+v, want powers unchanged", c.name, pp)
		}
	}
}

// TestWeakestClientLimit: a radio's cut is limited by its weakest
// station where that is measured, by ClientSignalDBm where it is not or
// is the weaker, and a weakest station alone (no percentile) counts as a
// measured client.
func TestWeakestClientLimit(t *testing.T) {
	top := topSNR24DB + ClientNoiseDBm
	for _, c := range []struct {
		name            string
		signal, weakest float64
		limit           float64
		limited         bool
	}{
		{"percentile only", top + PowerMarginDB + 9, 0, 9, true},
		{"weakest station under the percentile", top + PowerMarginDB + 9, top + PowerMarginDB + 3, 3, true},
		{"weakest station without the margin", top + PowerMarginDB + 9, top + PowerMarginDB - 1, 0, true},
		{"percentile weaker than the weakest", top + PowerMarginDB + 3, top + PowerMarginDB + 9, 3, true},
		{"weakest station only", 0, top + PowerMarginDB + 6, 6, true},
		{"none", 0, 0, 0, false},
	} {
		p := pair24(-75, c.signal)
		p.Radios[0].ClientSignalDBm = c.signal
		p.Radios[0].WeakestClientDBm = c.weakest
		got, ok := powerLimits(p, p, onSix(p))["a"]
		if got != c.limit || ok != c.limited {
			t.Errorf("%s: limit %v (%v), want %v (%v)", c.name, got, ok, c.limit, c.limited)
		}
	}
	if w := WeakestSignal([]float64{-40, -71, math.NaN(), 3, -55}); w != -71 {
		t.Errorf("WeakestSignal: %v, want -71", w)
	}
	if w := WeakestSignal([]float64{0, math.Inf(-1)}); w != 0 {
		t.Errorf("WeakestSignal of nothing measured: %v, want 0", w)
	}
	p := pair24(-75, -35)
	p.Radios[0].WeakestClientDBm = -50
	q, err := p.AtPower(map[string]float64{"a": 14})
	if err != nil || q.Radios[0].WeakestClientDBm != -56 || p.Radios[0].WeakestClientDBm != -50 {
		t.Errorf("AtPower 6 dB down: weakest %v (was %v), %v; want -56", q.Radios[0].WeakestClientDBm, p.Radios[0].WeakestClientDBm, err)
	}
	p.Radios[0].WeakestClientDBm = 1
	if err := Validate(p); !errors.Is(err, ErrInvalid) {
		t.Errorf("weakest client above 0 dBm: %v", err)
	}
}

// TestPowerHysteresis: a radio cut by 9 dB keeps its cut while its weak
// client stays within PowerHysteresisDB of the margin, and is raised when
// it falls further; a new cut needs the full margin.
func TestPowerHysteresis(t *testing.T) {
	top := topSNR24DB + ClientNoiseDBm // the top rate's signal, -64 dBm
	for _, c := range []struct {
		name     string
		at       float64 // the weak client's signal at full power, above the top rate's
		have     float64
		maxLimit float64
	}{
		{"new cut, full margin", PowerMarginDB + 9, 0, 9},
		{"new cut, margin short by 2 dB", PowerMarginDB + 7, 0, 6},
		{"kept, margin short by 2 dB", PowerMarginDB + 7, 9, 9},
		{"kept no more, margin short by 4 dB", PowerMarginDB + 5, 9, 3},
		// TransmitPower 13 % is 8.9 dB under full: the 9 dB step.
		{"13 % kept as the 9 dB step", PowerMarginDB + 7, 8.9, 9},
	} {
		p := pair24(-75, top+c.at-c.have)
		p.Radios[0].TxPowerDBm -= c.have
		p.Radios[0].PowerCutDB = c.have
		full, _ := p.AtPower(map[string]float64{"a": 20})
		if got := powerLimits(full, p, onSix(p))["a"]; got != c.maxLimit {
			t.Errorf("%s: limit %v, want %v", c.name, got, c.maxLimit)
		}
	}
}

// TestPlanPowerRejects: an invalid Problem or a negative cut is refused.
func TestPlanPowerRejects(t *testing.T) {
	p := pair24(-75, -35)
	p.Radios[0].PowerCutDB = -3
	if _, err := PlanPower(context.Background(), p, onSix(p)); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative cut: %v", err)
	}
	p = pair24(-75, -35)
	p.Radios[0].TxPowerDBm = math.Inf(1)
	if _, err := PlanPower(context.Background(), p, onSix(p)); !errors.Is(err, ErrInvalid) {
		t.Errorf("infinite power: %v", err)
	}
	p = pair24(-75, -35)
	if _, err := PlanPower(context.Background(), p, map[string]Assignment{"a": {6, 20}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing assignment: %v", err)
	}
}

// TestPowerModelDelta: the price PlanPower's search gives a cut, from the
// terms that involve the radio alone, equals the change of the whole
// cost that Evaluate gives at the two powers, with and without another
// radio already cut, on random homes with clients and client links.
func TestPowerModelDelta(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	checked := 0
	for range 300 {
		p := randomProblem(rng)
		for i := range p.Radios {
			if rng.IntN(3) > 0 {
				p.Radios[i].ClientSignalDBm = -30 - 40*rng.Float64()
			}
			for j := range p.Radios {
				if i != j && p.Radios[i].Band == p.Radios[j].Band && rng.IntN(3) == 0 {
					p.ClientRSSI = append(p.ClientRSSI, Link{From: p.Radios[j].ID, To: p.Radios[i].ID, RSSI: -95 + 35*rng.Float64()})
				}
			}
		}
		p.RSSI = withReverse(p.RSSI)
		a := map[string]Assignment{}
		for _, r := range p.Radios {
			a[r.ID] = r.Current
		}
		if _, err := Evaluate(p, a); err != nil {
			continue // a backhaul pair on different channels
		}
		pm, err := newPowerModel(p, a)
		if err != nil {
			t.Fatal(err)
		}
		at := func(tx map[string]float64) float64 {
			q, err := p.AtPower(tx)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Evaluate(q, a)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		i, j := rng.IntN(len(p.Radios)), rng.IntN(len(p.Radios))
		c := PowerStepDB * float64(1+rng.IntN(3))
		ri, rj := p.Radios[i].ID, p.Radios[j].ID
		want := at(map[string]float64{ri: -c}) - at(nil)
		if got := pm.delta(i, 0, c); math.Abs(got-want) > 1e-9 {
			t.Fatalf("cut %s by %v: delta %v, Evaluate's change %v", ri, c, got, want)
		}
		if i == j {
			continue
		}
		pm.set(j, 6)
		want = at(map[string]float64{ri: -c, rj: -6}) - at(map[string]float64{rj: -6})
		if got := pm.delta(i, 0, c); math.Abs(got-want) > 1e-9 {
			t.Fatalf("cut %s by %v with %s at -6: delta %v, Evaluate's change %v", ri, c, rj, got, want)
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d homes checked", checked)
	}
}
