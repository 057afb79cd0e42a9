package wifiopt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// CheckSearch makes random single, compound and heat-bath moves and
// channel swaps on p's
// components and checks after each that the predicted change in cost,
// the kept cost and every field agree with a recomputation from scratch,
// and the final cost with Evaluate.
func CheckSearch(p *Problem, seed uint64, moves int) error {
	m, err := compile(p)
	if err != nil {
		return err
	}
	s := newSearch(m, rand.New(rand.NewPCG(seed, 1)))
	s.x = s.fromCurrent()
	s.buildTables()
	fresh := newSearch(m, nil)
	fresh.buildTables()
	for _, comp := range m.components() {
		s.random(comp)
		s.reset(comp)
		var movable []int
		for _, u := range comp {
			if len(m.units[u].opts) > 1 {
				movable = append(movable, u)
			}
		}
		if len(movable) == 0 {
			continue
		}
		for n := range moves {
			before := m.partCost(s.x, comp)
			u := movable[s.rng.IntN(len(movable))]
			k := s.rng.IntN(len(m.units[u].opts))
			if n%4 == 3 { // a heat-bath move at a random temperature
				s.heatBath(u, s.rng.ExpFloat64()*0.01)
				if err := checkFields(s, fresh, comp, n); err != nil {
					return err
				}
				continue
			}
			var steps []step
			switch n % 3 {
			case 0:
				steps = []step{{u, s.x[u], k}}
			case 1:
				steps = slices.Clone(s.swapSteps(u, k))
			default: // u and up to three neighbours, each anywhere
				steps = []step{{u, s.x[u], k}}
				for _, e := range m.units[u].edges[:min(3, len(m.units[u].edges))] {
					steps = append(steps, step{e.v, s.x[e.v], s.rng.IntN(len(m.units[e.v].opts))})
				}
			}
			want := s.jointDelta(steps)
			if len(steps) == 1 && want != s.delta(u, k) {
				return fmt.Errorf("move %d: joint delta %v of one step, delta %v", n, want, s.delta(u, k))
			}
			for _, st := range steps {
				s.move(st.u, st.to)
			}
			after := m.partCost(s.x, comp)
			if !approx(after-before, want) {
				return fmt.Errorf("move %d (%d steps): delta %v, cost changed by %v", n, len(steps), want, after-before)
			}
			if err := checkFields(s, fresh, comp, n); err != nil {
				return err
			}
		}
	}
	pl := m.plan(s.x, "check")
	got, err := Evaluate(p, pl.Assign)
	if err != nil {
		return err
	}
	if !approx(got, m.total(s.x)) {
		return fmt.Errorf("Evaluate %v, model total %v", got, m.total(s.x))
	}
	return nil
}

// checkFields compares s's kept cost and fields with fresh's, recomputed
// from s's options.
func checkFields(s, fresh *search, comp []int, n int) error {
	if after := s.m.partCost(s.x, comp); !approx(s.cost, after) {
		return fmt.Errorf("move %d: kept cost %v, recomputed %v", n, s.cost, after)
	}
	copy(fresh.x, s.x)
	fresh.reset(comp)
	for _, u := range comp {
		for i := s.off[u]; i < s.off[u+1]; i++ {
			if !approx(s.f[i], fresh.f[i]) {
				return fmt.Errorf("move %d: field %d is %v, recomputed %v", n, i, s.f[i], fresh.f[i])
			}
		}
	}
	return nil
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b)) }

// HeatBathFrequencies draws n heat-bath moves of unit 0 of p at
// temperature t (its neighbours fixed on their current options) and
// returns how often each option came out, and the Boltzmann
// probabilities exp(-field/t)/Z they should follow.
func HeatBathFrequencies(p *Problem, t float64, n int) (got, want []float64, err error) {
	m, err := compile(p)
	if err != nil {
		return nil, nil, err
	}
	s := newSearch(m, rand.New(rand.NewPCG(1, 2)))
	s.buildTables()
	s.x = s.fromCurrent()
	comp := m.components()[0]
	s.reset(comp)
	u := m.unitOf[0]
	fu := s.fields(u)
	got, want = make([]float64, len(fu)), make([]float64, len(fu))
	z := 0.0
	for k, f := range fu {
		want[k] = math.Exp(-(f - slices.Min(fu)) / t)
		z += want[k]
	}
	for k := range want {
		want[k] /= z
	}
	for range n {
		s.heatBath(u, t)
		got[s.x[u]] += 1 / float64(n)
	}
	return got, want, nil
}
