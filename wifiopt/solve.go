package wifiopt

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// Solve searches for a cheap plan by simulated annealing with restarts,
// each run finished by a best-response descent. Per component, the first
// run starts from the current channels, the second from a greedy
// construction, and the rest from random plans in small components; in
// large ones (heatBathFrom movable units or more, which also anneal with
// heat-bath moves) they reheat the best plan so far to a quarter of the
// first runs' starting temperature. With equal Options.Seed it
// returns equal plans, unless Options.Budget or ctx cut the search short;
// when ctx is done it returns the best plan so far together with ctx's
// error.
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

// schedule shapes the search of one component.
type schedule struct {
	restarts int // annealing runs per component
	sweeps   int // moves per movable unit in one run
	// hot and cold are the first and last temperatures of a run, as
	// fractions of the temperature at which half of the typical uphill
	// moves are accepted.
	hot, cold float64
	// swapEvery: one proposal in swapEvery is a channel swap.
	swapEvery int
	// heatBath: single-unit moves draw the unit's new option from all of
	// them, weighted by exp(-cost/T) (heat bath), instead of proposing
	// one at random and accepting it by the Metropolis rule.
	heatBath bool
	// equalise, when positive, lengthens the runs of mid-sized problems
	// of n movable units (all components together) by
	// min(2, n/40, equalise/n) when that exceeds 1, so that they take
	// about as long as one of equalise units: the time a plan may take is
	// set by the largest homes, and mid-sized ones (which still gain from
	// longer runs) use it. Small ones do not need it.
	equalise int
	// reheat, when positive, starts the runs after the second from the
	// best plan so far, at hot·reheat, instead of from random plans.
	reheat float64
}

// Solve uses smallSchedule for components of fewer than heatBathFrom
// movable units and largeSchedule for the others. On generated 100-AP
// blocks heat-bath runs came within 0.7-0.8% of the best plans known
// where Metropolis runs of the same time came within 1.1-1.2%, and
// reheating the best plan did better than random restarts; on homes of
// 3-8 APs both missed the optimum more often, and on 20-AP blocks (20
// movable units per band) they did no better.
var (
	smallSchedule = schedule{restarts: 4, sweeps: 600, hot: 0.5, cold: 5e-3, swapEvery: 5, equalise: 160}
	largeSchedule = schedule{restarts: 4, sweeps: 400, hot: 0.3, cold: 5e-3, swapEvery: 5, equalise: 160, reheat: 0.25, heatBath: true}
)

const heatBathFrom = 40

// scheduleFor is the schedule of a component of n movable units in a
// problem of total, with opt's overrides.
func scheduleFor(n, total int, opt Options) schedule {
	sc := smallSchedule
	if n >= heatBathFrom {
		sc = largeSchedule
	}
	if opt.Restarts > 0 {
		sc.restarts = opt.Restarts
	}
	if t := float64(total); opt.Sweeps > 0 {
		sc.sweeps = opt.Sweeps
	} else if sc.equalise > 0 {
		sc.sweeps = int(float64(sc.sweeps) * max(1, min(2, t/40, float64(sc.equalise)/t)))
	}
	return sc
}

// anneal runs the search of Solve and returns the best option per unit.
func (m *model) anneal(ctx context.Context, deadline time.Time, opt Options) []int {
	s := newSearch(m, rand.New(rand.NewPCG(opt.Seed, 0x5eed)))
	s.buildTables()
	total := len(s.movable)
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
		sc := scheduleFor(len(s.movable), total, opt)
		bestCost := m.partCost(best, comp)
		keep := func() {
			if c := m.partCost(s.x, comp); c < bestCost {
				bestCost = c
				for _, u := range comp {
					best[u] = s.x[u]
				}
			}
		}
		for r := 0; r < sc.restarts && !stopped(ctx, deadline); r++ {
			switch r {
			case 0:
				copy(s.x, best)
				s.reset(comp)
			case 1:
				s.greedy(comp)
			default:
				if sc.reheat > 0 {
					for _, u := range comp {
						s.x[u] = best[u]
					}
				} else {
					s.random(comp)
				}
				s.reset(comp)
			}
			run := sc
			if r >= 2 && sc.reheat > 0 {
				run.hot *= sc.reheat
			}
			s.anneal(ctx, deadline, run)
			s.descend()
			keep()
		}
		for _, u := range comp {
			s.x[u] = best[u]
		}
	}
	return best
}

// anneal runs single-unit moves (Metropolis or heat bath) and channel
// swaps with a geometric cooling between the temperatures of sc.
func (s *search) anneal(ctx context.Context, deadline time.Time, sc schedule) {
	if len(s.movable) == 0 {
		return
	}
	t0 := s.startTemperature()
	if t0 <= 0 {
		return
	}
	moves := sc.sweeps * len(s.movable)
	cool := math.Pow(sc.cold/sc.hot, 1/float64(moves))
	t := t0 * sc.hot
	for n := 0; n < moves; n++ {
		if n&255 == 0 && stopped(ctx, deadline) {
			return
		}
		u := s.movable[s.rng.IntN(len(s.movable))]
		k := s.rng.IntN(len(s.m.units[u].opts) - 1)
		if k >= s.x[u] {
			k++
		}
		if s.rng.IntN(sc.swapEvery) == 0 {
			s.swap(u, k, t)
		} else if sc.heatBath {
			s.heatBath(u, t)
		} else if s.accept(s.delta(u, k), t) {
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
