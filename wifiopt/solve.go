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
			case 1:
				s.greedy(comp)
			default:
				s.random(comp)
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

// search is the mutable state of one annealing run.
type search struct {
	m   *model
	rng *rand.Rand
	x   []int // option per unit
	// movable lists the units with more than one option.
	movable []int
	moved   [][2]int // scratch for swap: (unit, previous option)
}

func newSearch(m *model, rng *rand.Rand) *search {
	s := &search{m: m, rng: rng, x: make([]int, len(m.units))}
	for u, un := range m.units {
		if len(un.opts) > 1 {
			s.movable = append(s.movable, u)
		}
	}
	return s
}

// fromCurrent picks, per unit, the option its first radio uses now, or
// the cheapest alone when that is not an option.
func (s *search) fromCurrent() []int {
	x := make([]int, len(s.m.units))
	for u, un := range s.m.units {
		cur := s.m.p.Radios[un.radios[0]].Current
		x[u] = -1
		best := 0
		for k, o := range un.opts {
			if o.a == cur {
				x[u] = k
			}
			if o.unary < un.opts[best].unary {
				best = k
			}
		}
		if x[u] < 0 {
			x[u] = best
		}
	}
	return x
}

// delta is the change in cost when unit u moves to option k.
func (s *search) delta(u, k int) float64 {
	un := &s.m.units[u]
	o, q := un.opts[s.x[u]], un.opts[k]
	d := q.unary - o.unary
	for e := range un.edges {
		ed := &un.edges[e]
		other := s.m.units[ed.v].opts[s.x[ed.v]]
		d += s.m.edgeCost(ed, q, other) - s.m.edgeCost(ed, o, other)
	}
	return d
}

// greedy assigns units one by one, each to its cheapest option given the
// units already assigned.
func (s *search) greedy(units []int) {
	done := make([]bool, len(s.m.units))
	for _, k := range s.rng.Perm(len(units)) {
		u := units[k]
		un := &s.m.units[u]
		best, bestC := 0, math.Inf(1)
		for k, o := range un.opts {
			c := o.unary
			for e := range un.edges {
				ed := &un.edges[e]
				if done[ed.v] {
					c += s.m.edgeCost(ed, o, s.m.units[ed.v].opts[s.x[ed.v]])
				}
			}
			if c < bestC {
				best, bestC = k, c
			}
		}
		s.x[u] = best
		done[u] = true
	}
}

func (s *search) random(units []int) {
	for _, u := range units {
		s.x[u] = s.rng.IntN(len(s.m.units[u].opts))
	}
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
			s.x[u] = k
		}
		t *= cool
	}
}

// swap exchanges two channels around u: u and each neighbour of u on u's
// current spectrum move to the spectrum of u's option k, and neighbours
// there move the other way (where allowed). Relabelling channels in one
// move lets the search leave local minima that single moves cannot.
func (s *search) swap(u, k int, t float64) {
	a, b := s.m.units[u].opts[s.x[u]].sp, s.m.units[u].opts[k].sp
	moved := s.moved[:0]
	d := 0.0
	edges := s.m.units[u].edges
	for n := -1; n < len(edges); n++ {
		v := u
		if n >= 0 {
			v = edges[n].v
		}
		un := &s.m.units[v]
		to := a
		switch un.opts[s.x[v]].sp {
		case a:
			to = b
		case b:
		default:
			continue
		}
		q, ok := un.bySpan[to]
		if !ok {
			continue
		}
		d += s.delta(v, q)
		moved = append(moved, [2]int{v, s.x[v]})
		s.x[v] = q
	}
	s.moved = moved
	if d <= 0 || s.rng.Float64() < math.Exp(-d/t) {
		return
	}
	for i := len(moved) - 1; i >= 0; i-- {
		s.x[moved[i][0]] = moved[i][1]
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

// descend moves units to their best response until none improves.
func (s *search) descend() {
	for pass := 0; pass < 100; pass++ {
		improved := false
		for _, u := range s.movable {
			best, bestD := s.x[u], -1e-12
			for k := range s.m.units[u].opts {
				if k == s.x[u] {
					continue
				}
				if d := s.delta(u, k); d < bestD {
					best, bestD = k, d
				}
			}
			if best != s.x[u] {
				s.x[u] = best
				improved = true
			}
		}
		if !improved {
			return
		}
	}
}
