package wifiopt_test

import (
	"context"
	"errors"
	"maps"
	"math"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

func checkPlan(t *testing.T, p *wifiopt.Problem, pl wifiopt.Plan) {
	t.Helper()
	cost, err := wifiopt.Evaluate(p, pl.Assign)
	if err != nil {
		t.Fatalf("%s plan invalid: %v", pl.Method, err)
	}
	if math.Abs(cost-pl.Cost) > 1e-9*max(1, cost) {
		t.Errorf("%s plan: Cost %v, Evaluate %v", pl.Method, pl.Cost, cost)
	}
	for _, r := range p.Radios {
		if r.BackhaulOf != "" && pl.Assign[r.ID] != pl.Assign[r.BackhaulOf] {
			t.Errorf("%s plan: backhaul radio %s on %v, uplink %s on %v", pl.Method, r.ID, pl.Assign[r.ID], r.BackhaulOf, pl.Assign[r.BackhaulOf])
		}
	}
}

func TestSolveNearExact(t *testing.T) {
	ctx := context.Background()
	backhauls := 0
	for seed := uint64(1); seed <= 12; seed++ {
		p := gen.Home(seed, 3+int(seed%4))
		for _, r := range p.Radios {
			if r.BackhaulOf != "" {
				backhauls++
			}
		}
		ex, err := wifiopt.Exact(ctx, p, wifiopt.Options{Budget: 20 * time.Second})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		h, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		lc, err := wifiopt.LeastCongested(p)
		if err != nil {
			t.Fatal(err)
		}
		rnd, err := wifiopt.Random(p, seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, pl := range []wifiopt.Plan{ex, h, lc, rnd} {
			checkPlan(t, p, pl)
			if pl.Cost < ex.Cost-1e-9 {
				t.Errorf("seed %d: %s cost %v below the optimum %v", seed, pl.Method, pl.Cost, ex.Cost)
			}
		}
		if gap := (h.Cost - ex.Cost) / ex.Cost; gap > 0.05 {
			t.Errorf("seed %d: heuristic %v is %.1f%% above the optimum %v", seed, h.Cost, 100*gap, ex.Cost)
		}
	}
	if backhauls == 0 {
		t.Fatal("no generated home had a wireless backhaul")
	}
}

func TestSolveDeterministic(t *testing.T) {
	p := gen.Block(7, 20)
	a, err := wifiopt.Solve(context.Background(), p, wifiopt.Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := wifiopt.Solve(context.Background(), p, wifiopt.Options{Seed: 42})
	if !maps.Equal(a.Assign, b.Assign) || a.Cost != b.Cost {
		t.Fatalf("equal seeds, different plans: %v vs %v", a.Cost, b.Cost)
	}
	r1, _ := wifiopt.Random(p, 3)
	r2, _ := wifiopt.Random(p, 3)
	if !maps.Equal(r1.Assign, r2.Assign) {
		t.Fatal("Random is not deterministic")
	}
	if !equalProblems(gen.Home(5, 6), gen.Home(5, 6)) || !equalProblems(gen.Block(5, 30), gen.Block(5, 30)) {
		t.Fatal("generator is not deterministic")
	}
}

func equalProblems(a, b *wifiopt.Problem) bool {
	ca, _ := wifiopt.Evaluate(a, current(a))
	cb, _ := wifiopt.Evaluate(b, current(b))
	return len(a.Radios) == len(b.Radios) && len(a.RSSI) == len(b.RSSI) && len(a.Foreign) == len(b.Foreign) && ca == cb
}

func current(p *wifiopt.Problem) map[string]wifiopt.Assignment {
	m := map[string]wifiopt.Assignment{}
	for _, r := range p.Radios {
		m[r.ID] = r.Current
	}
	return m
}

func TestCancel(t *testing.T) {
	p := gen.Block(1, 100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	pl, err := wifiopt.Solve(ctx, p, wifiopt.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Solve err = %v, want context.Canceled", err)
	}
	checkPlan(t, p, pl)
	_, err = wifiopt.Exact(ctx, p, wifiopt.Options{})
	if !errors.Is(err, wifiopt.ErrNotProven) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Exact err = %v, want ErrNotProven and context.Canceled", err)
	}
	pl, err = wifiopt.Exact(context.Background(), p, wifiopt.Options{Budget: 50 * time.Millisecond})
	if !errors.Is(err, wifiopt.ErrNotProven) {
		t.Fatalf("Exact with a short budget: err = %v, want ErrNotProven", err)
	}
	checkPlan(t, p, pl)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled searches took %v", d)
	}
}

func TestGeneratedValid(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		for _, p := range []*wifiopt.Problem{gen.Home(seed, 3+int(seed%6)), gen.Block(seed, 20+int(seed))} {
			if err := wifiopt.Validate(p); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
	}
}
