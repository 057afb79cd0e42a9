package wifiopt

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// Solve searches for a cheap plan by simulated annealing with restarts,
// each run finished by a best-response descent. The first run starts from
// the current channels, the second from a greedy construction, the rest
// from random plans. With equal Options.Seed it returns equal plans,
// unless Options.Budget or ctx cut the search short; when ctx is done it
// returns the best plan so far together with ctx's error.
func Solve(ctx context.Context, p *Problem, opt Options) (Plan, error) {
	start := time.Now()
	m, err := compile(p)
	if err != nil {
		return Plan{}, err
	}
	var deadline time.Time
	if opt.Budget > 0 {
		deadline = start.Add(opt.Budget)
	}
	best := m.anneal(ctx, deadline, opt)
	pl := m.plan(best, "anneal")
	pl.Elapsed = time.Since(start)
	return pl, ctx.Err()
}

// anneal runs the annealing search of Solve and returns the best option
// per unit.
func (m *model) anneal(ctx context.Context, deadline time.Time, opt Options) []int {
	restarts, sweeps := opt.Restarts, opt.Sweeps
	if restarts <= 0 {
		restarts = 8
	}
	if sweeps <= 0 {
		sweeps = 150
	}
	s := newSearch(m, rand.New(rand.NewPCG(opt.Seed, 0x5eed)))
	best := s.fromCurrent()
	// Components of the interference graph (bands among them) never
	// interact: each gets its own runs, temperature and best.
	for _, comp := range m.components() {
		s.movable = s.movable[:0:0]
		for _, u := range comp {
			if len(m.units[u].opts) > 1 {
				s.movable = append(s.movable, u)
			}
		}
		if len(s.movable) == 0 {
			continue
		}
		bestCost := m.partCost(best, comp)
		for r := 0; r < restarts && !stopped(ctx, deadline); r++ {
			switch r {
			case 0:
				copy(s.x, best)
				s.reset(comp)
			case 1:
				s.greedy(comp)
			default:
				s.random(comp)
				s.reset(comp)
			}
			s.anneal(ctx, deadline, sweeps)
			s.descend()
			if c := m.partCost(s.x, comp); c < bestCost {
				bestCost = c
				for _, u := range comp {
					best[u] = s.x[u]
				}
			}
		}
		for _, u := range comp {
			s.x[u] = best[u]
		}
	}
	return best
}

// anneal runs Metropolis moves (one unit to one random option) with a
// geometric cooling from a temperature that accepts half of the typical
// uphill moves down to a thousandth of it.
func (s *search) anneal(ctx context.Context, deadline time.Time, sweeps int) {
	if len(s.movable) == 0 {
		return
	}
	t0 := s.startTemperature()
	if t0 <= 0 {
		return
	}
	moves := sweeps * len(s.movable)
	cool := math.Pow(1e-3, 1/float64(moves))
	t := t0
	for n := 0; n < moves; n++ {
		if n&255 == 0 && stopped(ctx, deadline) {
			return
		}
		u := s.movable[s.rng.IntN(len(s.movable))]
		k := s.rng.IntN(len(s.m.units[u].opts) - 1)
		if k >= s.x[u] {
			k++
		}
		if s.rng.IntN(5) == 0 {
			s.swap(u, k, t)
		} else if d := s.delta(u, k); d <= 0 || s.rng.Float64() < math.Exp(-d/t) {
			s.move(u, k)
		}
		t *= cool
	}
}

func (s *search) startTemperature() float64 {
	sum, n := 0.0, 0
	for range 64 {
		u := s.movable[s.rng.IntN(len(s.movable))]
		k := s.rng.IntN(len(s.m.units[u].opts))
		if d := s.delta(u, k); d > 0 {
			sum += d
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n) / math.Ln2
}
