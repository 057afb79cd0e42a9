package leader

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// applied returns p with every radio moved to plan's assignment. Load is
// an airtime share at the current width, so a radio whose width changes
// measures its traffic's share of the new one (at most all of it).
func applied(p *wifiopt.Problem, plan wifiopt.Plan) *wifiopt.Problem {
	q := *p
	q.Radios = append([]wifiopt.Radio(nil), p.Radios...)
	for i := range q.Radios {
		r := &q.Radios[i]
		a := plan.Assign[r.ID]
		r.Load = min(1, r.Load*float64(r.Current.Width)/float64(a.Width))
		r.Current = a
	}
	return &q
}

// noisy returns p measured again: every RSSI and client signal moved by
// a uniform ±db and every load and busy fraction scaled by a uniform
// 1±rel (kept in 0..1).
func noisy(p *wifiopt.Problem, rng *rand.Rand, db, rel float64) *wifiopt.Problem {
	q := *p
	u := func(a float64) float64 { return a * (2*rng.Float64() - 1) }
	share := func(x float64) float64 { return min(1, max(0, x*(1+u(rel)))) }
	q.Radios = append([]wifiopt.Radio(nil), p.Radios...)
	for i := range q.Radios {
		q.Radios[i].Load = share(q.Radios[i].Load)
	}
	q.RSSI = append([]wifiopt.Link(nil), p.RSSI...)
	for i := range q.RSSI {
		q.RSSI[i].RSSI += u(db)
	}
	q.Foreign = append([]wifiopt.ForeignBSS(nil), p.Foreign...)
	for i := range q.Foreign {
		q.Foreign[i].RSSI += u(db)
		q.Foreign[i].Load = share(q.Foreign[i].Load)
	}
	q.Busy = append([]wifiopt.Busy(nil), p.Busy...)
	for i := range q.Busy {
		q.Busy[i].Fraction = share(q.Busy[i].Fraction)
	}
	for i := range q.Radios {
		if q.Radios[i].ClientSignalDBm != 0 {
			q.Radios[i].ClientSignalDBm = min(-1, q.Radios[i].ClientSignalDBm+u(db))
		}
		if q.Radios[i].WeakestClientDBm != 0 {
			q.Radios[i].WeakestClientDBm = min(-1, q.Radios[i].WeakestClientDBm+u(db))
		}
	}
	q.ClientRSSI = append([]wifiopt.Link(nil), p.ClientRSSI...)
	for i := range q.ClientRSSI {
		q.ClientRSSI[i].RSSI += u(db)
	}
	return &q
}

// stability plans each generated home as the leader does (its switch
// and DFS costs, its solver budget), applies the plan, measures the home
// again with ±2 dB / ±10 % noise and plans again from the applied plan.
// It returns the share of homes where the second plan changes no radio
// (solver) and where the leader would switch nothing (node: the plan's
// gain must exceed AbsoluteGain and RelativeGain of the current cost, as
// round.run requires).
func stability(t testing.TB, homes int, p func(seed uint64) *wifiopt.Problem) (solver, node float64) {
	ctx := context.Background()
	cfg := DefaultConfig()
	var solverStable, nodeStable int
	for seed := uint64(1); seed <= uint64(homes); seed++ {
		home := p(seed)
		home.SwitchCost, home.DFSCost = wifiopt.DefaultSwitchCost, wifiopt.DefaultDFSCost
		opt := wifiopt.Options{Seed: seed, Budget: cfg.SolverBudget}
		first, err := wifiopt.Solve(ctx, home, opt)
		if err != nil {
			t.Fatal(err)
		}
		again := noisy(applied(home, first), rand.New(rand.NewPCG(seed, 0x5eed)), 2, 0.1)
		opt.Seed++
		second, err := wifiopt.Solve(ctx, again, opt)
		if err != nil {
			t.Fatal(err)
		}
		gain := second.CurrentCost - second.Cost
		worth := cfg.worth(second.Switches, second.CurrentCost, second.Cost)
		if second.Switches == 0 {
			solverStable++
		}
		if !worth {
			nodeStable++
		}
		if second.Switches > 0 && testing.Verbose() {
			t.Logf("seed %d: the solver moves %d of %d radios, cost %.4f -> %.4f (gain %.4f, %.1f%%); node switches: %v",
				seed, second.Switches, len(home.Radios), second.CurrentCost, second.Cost, gain, 100*gain/second.CurrentCost, worth)
		}
	}
	return float64(solverStable) / float64(homes), float64(nodeStable) / float64(homes)
}

// TestStableUnderNoise: with ±2 dB / ±10 % measurement noise, an applied
// plan is left alone in at least 98 % of generated homes (issue 17's
// stability target). The solver alone, whose switch cost (0.02 per
// radio) is of the order of what 2 dB moves a contention term near the
// threshold, moves a radio in a few per cent of homes; the leader's gain
// thresholds (5 % and 0.01) are what keep those homes still.
func TestStableUnderNoise(t *testing.T) {
	for _, c := range []struct {
		name string
		p    func(seed uint64) *wifiopt.Problem
	}{
		{"houses of 3-5 APs", func(seed uint64) *wifiopt.Problem { return gen.Home(seed, 3+int(seed%3)) }},
		{"blocks of 3-5 APs", func(seed uint64) *wifiopt.Problem { return gen.Block(seed, 3+int(seed%3)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			const homes = 200
			solver, node := stability(t, homes, c.p)
			t.Logf("%s: %d homes; unchanged by the solver alone %.1f%%, by the node %.1f%%", c.name, homes, 100*solver, 100*node)
			if node < 0.98 {
				t.Errorf("%s: the node leaves %.1f%% of homes unchanged, want >= 98%%", c.name, 100*node)
			}
		})
	}
}

// TestPowerStableUnderNoise: the same target for the radios' powers. In
// generated homes whose radios are busy (load 0.5-1) and whose weak
// clients sit at -30 to -65 dBm, the leader plans the channels and then
// the powers, applies both, measures the home again with ±2 dB / ±10 %
// noise (links, client signals, loads) and plans the powers again: the
// node changes no radio's power in at least 98 % of homes. As for
// channels, the round's gain thresholds are what keep the powers still:
// PlanPower alone changes a power in 30 % of these homes (a
// further 3 dB step whose saving 2 dB of noise on a link near carrier
// sense makes or breaks).
func TestPowerStableUnderNoise(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	const homes = 200
	stable, alone, cutHomes := 0, 0, 0
	for seed := uint64(1); seed <= homes; seed++ {
		home := gen.Home(seed, 3+int(seed%3))
		home.SwitchCost, home.DFSCost = wifiopt.DefaultSwitchCost, wifiopt.DefaultDFSCost
		rng := rand.New(rand.NewPCG(seed, 0x90e7))
		for i := range home.Radios {
			home.Radios[i].Load = 0.5 + 0.5*rng.Float64()
			home.Radios[i].ClientSignalDBm = -30 - 35*rng.Float64()
		}
		plan, err := wifiopt.Solve(ctx, home, wifiopt.Options{Seed: seed, Budget: cfg.SolverBudget})
		if err != nil {
			t.Fatal(err)
		}
		on := applied(home, plan)
		first, err := wifiopt.PlanPower(ctx, on, plan.Assign)
		if err != nil {
			t.Fatal(err)
		}
		if first.Changed > 0 {
			cutHomes++
		}
		at, err := on.AtPower(first.TxPowerDBm)
		if err != nil {
			t.Fatal(err)
		}
		again := noisy(at, rand.New(rand.NewPCG(seed, 0x5eed)), 2, 0.1)
		second, err := wifiopt.PlanPower(ctx, again, plan.Assign)
		if err != nil {
			t.Fatal(err)
		}
		worth := cfg.worth(second.Changed, second.CurrentCost, second.Cost)
		if second.Changed == 0 {
			alone++
		}
		if !worth {
			stable++
		} else if testing.Verbose() {
			t.Logf("seed %d: %d of %d radios change power after noise, cost %.4f -> %.4f", seed, second.Changed,
				len(home.Radios), second.CurrentCost, second.Cost)
		}
	}
	t.Logf("%d homes, %d with cuts; powers unchanged after noise by PlanPower alone in %.1f%%, by the node in %.1f%%",
		homes, cutHomes, 100*float64(alone)/homes, 100*float64(stable)/homes)
	if cutHomes < homes/4 {
		t.Errorf("only %d of %d homes have cuts: the test does not exercise power", cutHomes, homes)
	}
	if float64(stable) < 0.98*homes {
		t.Errorf("the node leaves the powers of %d of %d homes unchanged, want >= 98%%", stable, homes)
	}
}
