package wifieval

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

func TestToNS(t *testing.T) {
	for _, tc := range []struct {
		band             wifiopt.Band
		ch, width        int
		number, p20, err int
	}{
		{wifiopt.Band2G4, 6, 20, 6, 0, 0},
		{wifiopt.Band2G4, 1, 40, 3, 0, 0},
		{wifiopt.Band2G4, 13, 40, 11, 1, 0},
		{wifiopt.Band5G, 44, 80, 42, 2, 0},
		{wifiopt.Band5G, 60, 160, 50, 6, 0},
		{wifiopt.Band5G, 157, 80, 155, 2, 0},
		{wifiopt.Band5G, 144, 40, 142, 1, 0},
		{wifiopt.Band5G, 36, 30, 0, 0, 1},
	} {
		got, err := toNS(tc.band, wifiopt.Assignment{Channel: tc.ch, Width: tc.width})
		if (err != nil) != (tc.err == 1) || (err == nil && (got.number != tc.number || got.p20 != tc.p20)) {
			t.Errorf("%s %d/%d: got %+v, %v; want channel %d primary %d", tc.band, tc.ch, tc.width, got, err, tc.number, tc.p20)
		}
	}
}

// TestHomes checks every class: the House problem is gen's, every radio
// carries its load through clients, every method's plan is valid, and
// the scenario is written.
func TestHomes(t *testing.T) {
	eachHome(t, func(c Class, seed uint64, h *Home) {
		if c == House {
			// gen's Problem, but for the clients' signals and what
			// they hear of the other radios.
			want := gen.Home(seed, 3+int(seed%3))
			got := *h.Problem
			got.ClientRSSI = nil
			got.Radios = slices.Clone(got.Radios)
			for i := range got.Radios {
				got.Radios[i].ClientSignalDBm = 0
				got.Radios[i].WeakestClientDBm = 0
			}
			if !reflect.DeepEqual(want, &got) {
				t.Fatalf("house %d differs from gen.Home", seed)
			}
		}
		// Every radio with clients carries their weakest signal (at
		// most 3 clients: the 10th percentile is the minimum).
		for i, r := range h.Problem.Radios {
			weakest := 0.0
			for _, cl := range h.Clients {
				if cl.Radio == i {
					s := h.Scene.Radios[i].TxPowerDBm - h.lossTo(cl.ID, cl.At, i)
					if weakest == 0 || s < weakest {
						weakest = s
					}
				}
			}
			if r.ClientSignalDBm != weakest || r.WeakestClientDBm != weakest || weakest == 0 {
				t.Errorf("%s %d %s: ClientSignalDBm %v, want its weakest client's %v", c, seed, r.ID, r.ClientSignalDBm, weakest)
			}
			// What its clients hear of each other radio of the band: the
			// strongest (at most 3 clients, the 90th percentile is the
			// maximum), where above the floor.
			for j, q := range h.Problem.Radios {
				if j == i || q.Band != r.Band {
					continue
				}
				strongest := math.Inf(-1)
				for _, cl := range h.Clients {
					if cl.Radio == i {
						strongest = max(strongest, q.TxPowerDBm-h.lossTo(cl.ID, cl.At, j))
					}
				}
				var got []float64
				for _, l := range h.Problem.ClientRSSI {
					if l.From == q.ID && l.To == r.ID {
						got = append(got, l.RSSI)
					}
				}
				want := []float64{strongest}
				if strongest <= wifiopt.ClientFloorDBm {
					want = nil
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s %d %s hears %s at its clients: %v, want %v", c, seed, r.ID, q.ID, got, want)
				}
			}
		}
		if c == Apartment && (len(h.Scene.Foreign) < 20 || len(h.Scene.Foreign) > 40) {
			t.Errorf("apartment %d: %d foreign networks", seed, len(h.Scene.Foreign))
		}
		for i, r := range h.Problem.Radios {
			sum := 0.0
			for _, cl := range h.Clients {
				if cl.Radio == i {
					sum += cl.OfferedMbps
				}
			}
			if want := r.Load * Capacity(r.Band, r.Current.Width); sum < want*0.999 || sum > want*1.001 {
				t.Errorf("%s %d %s: clients offered %.1f Mbps, load says %.1f", c, seed, r.ID, sum, want)
			}
		}
		for _, m := range Methods {
			a, err := MakePlan(context.Background(), h.Problem, m, seed)
			if err != nil {
				t.Fatalf("%s %d %s: %v", c, seed, m, err)
			}
			if _, err := wifiopt.Evaluate(h.Problem, a); err != nil {
				t.Fatalf("%s %d %s: plan invalid: %v", c, seed, m, err)
			}
			sc, err := h.Scenario(Plan{Assign: a}, time.Second, time.Second)
			if err != nil {
				t.Fatalf("%s %d %s: %v", c, seed, m, err)
			}
			var b bytes.Buffer
			if _, err := sc.WriteTo(&b); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestWithOffered scales the mesh's offered traffic: every client flow
// and every backhaul flow in the scenario grows by the multiplier, the
// foreign networks' flows and the planner's Problem stay as they were,
// and the home it came from is unchanged.
func TestWithOffered(t *testing.T) {
	const x = 4
	kinds := map[FlowKind]int{}
	for seed := uint64(1); seed <= 4; seed++ {
		h, err := NewHome(Apartment, seed)
		if err != nil {
			t.Fatal(err)
		}
		before := slices.Clone(h.Clients)
		s := h.WithOffered(x)
		if s.Problem != h.Problem || !slices.Equal(h.Clients, before) {
			t.Fatalf("home %d: WithOffered changed the home or the planner's Problem", seed)
		}
		if h.WithOffered(1) != h {
			t.Errorf("home %d: WithOffered(1) is not the home itself", seed)
		}
		a, err := MakePlan(context.Background(), h.Problem, LCCS, seed)
		if err != nil {
			t.Fatal(err)
		}
		base, err := h.Scenario(Plan{Assign: a}, time.Second, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		scaled, err := s.Scenario(Plan{Assign: a}, time.Second, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(base.Flows) != len(scaled.Flows) {
			t.Fatalf("home %d: %d flows, %d scaled", seed, len(base.Flows), len(scaled.Flows))
		}
		for k, f := range base.Flows {
			want := f.Mbps * x
			if f.Kind == ForeignNet {
				want = f.Mbps
			}
			if g := scaled.Flows[k].Mbps; math.Abs(g-want) > 1e-9*want {
				t.Errorf("home %d flow %d (kind %d): %.3f Mbps scaled, want %.3f", seed, k, f.Kind, g, want)
			}
			kinds[f.Kind]++
		}
	}
	if kinds[ToClient] == 0 || kinds[Backhaul] == 0 || kinds[ForeignNet] == 0 {
		t.Fatalf("flows checked by kind %v: want every kind", kinds)
	}
}

// TestOfferedProblem: the planner's loads follow the offered traffic,
// capped at the whole airtime; the rest of the Problem and the home are
// unchanged, and x = 1 is the home's own Problem.
func TestOfferedProblem(t *testing.T) {
	h, err := NewHome(Apartment, 2)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(h.Problem.Radios)
	if h.OfferedProblem(1) != h.Problem || h.OfferedProblem(0) != h.Problem {
		t.Fatal("x = 1 or 0: not the home's own Problem")
	}
	const x = 3
	p := h.OfferedProblem(x)
	capped := 0
	for i, r := range p.Radios {
		want := min(1, x*before[i].Load)
		if math.Abs(r.Load-want) > 1e-12 {
			t.Errorf("%s: load %v, want %v", r.ID, r.Load, want)
		}
		if want == 1 {
			capped++
		}
		r.Load = before[i].Load
		if !reflect.DeepEqual(r, before[i]) {
			t.Errorf("%s: more than the load changed: %+v", r.ID, r)
		}
	}
	if capped == 0 {
		t.Error("no load reached the cap: the test checks nothing there")
	}
	if !slices.EqualFunc(h.Problem.Radios, before, func(a, b wifiopt.Radio) bool { return reflect.DeepEqual(a, b) }) {
		t.Error("the home's Problem changed")
	}
	if len(p.Foreign) != len(h.Problem.Foreign) || len(p.RSSI) != len(h.Problem.RSSI) || len(p.Busy) != len(h.Problem.Busy) {
		t.Error("foreign networks, links or busy shares changed")
	}
	if err := wifiopt.Validate(p); err != nil {
		t.Fatal(err)
	}
}

// eachHome calls f with homes 1 to 3 of every class.
func eachHome(t *testing.T, f func(c Class, seed uint64, h *Home)) {
	t.Helper()
	for _, c := range Classes {
		for seed := uint64(1); seed <= 3; seed++ {
			h, err := NewHome(c, seed)
			if err != nil {
				t.Fatalf("%s %d: %v", c, seed, err)
			}
			f(c, seed, h)
		}
	}
}
