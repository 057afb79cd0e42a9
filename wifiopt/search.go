package wifiopt

import (
	"math"
	"math/rand/v2"
)

// search is the mutable state of the local searches over unit options: the
// option of every unit and, for every unit and option, the unit's field —
// its cost on that option given every other unit's current option (its
// unary cost plus the edges to its neighbours). A move's change in cost is
// then a difference of two fields, and a move updates only the fields of
// the moved unit's neighbours. Fields are kept for the units of one
// component at a time (see reset); units of other components never touch
// them.
type search struct {
	m   *model
	rng *rand.Rand
	x   []int // option per unit
	// off[u] is where unit u's options start in f and sp.
	off []int
	f   []float64 // field per unit and option
	sp  []optSpan // spectrum per unit and option
	// cost is the cost of the component being searched, kept up to date
	// by move (it drifts by rounding; compare plans with partCost).
	cost float64
	// movable lists the units with more than one option.
	movable []int
	moved   []step // scratch for swap
	inMoved []int  // per unit: 1 + its index in moved, or 0
}

// optSpan is an option's spectrum and width index, packed for the inner
// loops.
type optSpan struct{ lo, hi, wi int32 }

// step is one unit's part of a compound move.
type step struct{ u, from, to int }

func newSearch(m *model, rng *rand.Rand) *search {
	s := &search{m: m, rng: rng, x: make([]int, len(m.units)), off: make([]int, len(m.units)+1),
		inMoved: make([]int, len(m.units))}
	for u, un := range m.units {
		if len(un.opts) > 1 {
			s.movable = append(s.movable, u)
		}
		s.off[u+1] = s.off[u] + len(un.opts)
		for _, o := range un.opts {
			s.sp = append(s.sp, optSpan{int32(o.sp.lo), int32(o.sp.hi), int32(o.wi)})
		}
	}
	s.f = make([]float64, s.off[len(m.units)])
	return s
}

// pairCost is the cost of edge e between its unit on spectrum a and the
// other unit on b. It equals the reverse edge's cost with a and b swapped
// (the coefficients are symmetric), so an edge serves both directions.
func pairCost(e *edge, a, b optSpan) float64 {
	lo, hi := max(a.lo, b.lo), min(a.hi, b.hi)
	if hi <= lo {
		return 0
	}
	return float64(hi-lo) * e.coef[a.wi][b.wi]
}

// fields returns unit u's fields.
func (s *search) fields(u int) []float64 { return s.f[s.off[u]:s.off[u+1]] }

// delta is the change in cost when unit u moves to option k.
func (s *search) delta(u, k int) float64 {
	return s.f[s.off[u]+k] - s.f[s.off[u]+s.x[u]]
}

// reset sets the fields of the units in part from x (which the caller
// has written for them) and recomputes cost.
func (s *search) reset(part []int) {
	s.cost = 0
	for _, u := range part {
		un := &s.m.units[u]
		fu, su := s.fields(u), s.sp[s.off[u]:s.off[u+1]]
		for k := range fu {
			c := un.opts[k].unary
			for e := range un.edges {
				ed := &un.edges[e]
				c += pairCost(ed, su[k], s.sp[s.off[ed.v]+s.x[ed.v]])
			}
			fu[k] = c
		}
		// Each edge is counted from both ends.
		s.cost += (fu[s.x[u]] + un.opts[s.x[u]].unary) / 2
	}
}

// shift adds sign times unit u's edge costs on option k to its
// neighbours' fields.
func (s *search) shift(u, k int, sign float64) {
	un := &s.m.units[u]
	a := s.sp[s.off[u]+k]
	for e := range un.edges {
		ed := &un.edges[e]
		fv, sv := s.fields(ed.v), s.sp[s.off[ed.v]:s.off[ed.v+1]]
		for q := range fv {
			if c := pairCost(ed, a, sv[q]); c != 0 {
				fv[q] += sign * c
			}
		}
	}
}

// move puts unit u on option k, updating its neighbours' fields and cost.
func (s *search) move(u, k int) {
	o := s.x[u]
	if o == k {
		return
	}
	s.cost += s.delta(u, k)
	un := &s.m.units[u]
	a, b := s.sp[s.off[u]+o], s.sp[s.off[u]+k]
	for e := range un.edges {
		ed := &un.edges[e]
		fv, sv := s.fields(ed.v), s.sp[s.off[ed.v]:s.off[ed.v+1]]
		for q := range fv {
			fv[q] += pairCost(ed, b, sv[q]) - pairCost(ed, a, sv[q])
		}
	}
	s.x[u] = k
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

// greedy assigns the units of part one by one in random order, each to
// its cheapest option given the units already assigned, and leaves the
// fields set.
func (s *search) greedy(part []int) {
	for _, u := range part {
		un := &s.m.units[u]
		fu := s.fields(u)
		for k := range fu {
			fu[k] = un.opts[k].unary
		}
	}
	s.cost = 0
	for _, k := range s.rng.Perm(len(part)) {
		u := part[k]
		fu := s.fields(u)
		best := 0
		for q := range fu {
			if fu[q] < fu[best] {
				best = q
			}
		}
		s.x[u] = best
		s.cost += fu[best]
		s.shift(u, best, 1)
	}
}

// random draws every unit of units an option uniformly (fields are not
// updated; call reset).
func (s *search) random(units []int) {
	for _, u := range units {
		s.x[u] = s.rng.IntN(len(s.m.units[u].opts))
	}
}

// descend moves units to their best response until none improves.
func (s *search) descend() {
	for pass := 0; pass < 100; pass++ {
		improved := false
		for _, u := range s.movable {
			fu := s.fields(u)
			best := s.x[u]
			for k := range fu {
				if fu[k] < fu[best]-1e-12 {
					best = k
				}
			}
			if best != s.x[u] {
				s.move(u, best)
				improved = true
			}
		}
		if !improved {
			return
		}
	}
}

// swap exchanges two channels around u: u and each neighbour of u on u's
// current spectrum move to the spectrum of u's option k, and neighbours
// there move the other way (where allowed). Relabelling channels in one
// move lets the search leave local minima that single moves cannot. It
// is accepted by the Metropolis rule at temperature t.
func (s *search) swap(u, k int, t float64) {
	steps := s.swapSteps(u, k)
	d := s.jointDelta(steps)
	if d <= 0 || s.rng.Float64() < math.Exp(-d/t) {
		for _, st := range steps {
			s.move(st.u, st.to)
		}
	}
}

// swapSteps lists the steps of the channel swap of u to option k.
func (s *search) swapSteps(u, k int) []step {
	a, b := s.m.units[u].opts[s.x[u]].sp, s.m.units[u].opts[k].sp
	s.moved = append(s.moved[:0], step{u, s.x[u], k})
	for _, e := range s.m.units[u].edges {
		v := e.v
		un := &s.m.units[v]
		to := a
		switch un.opts[s.x[v]].sp {
		case a:
			to = b
		case b:
		default:
			continue
		}
		if q, ok := un.bySpan[to]; ok {
			s.moved = append(s.moved, step{v, s.x[v], q})
		}
	}
	return s.moved
}

// jointDelta is the change in cost when every step of steps (distinct
// units) is made: the sum of the single deltas corrected by the edges
// between moved units, whose both ends change.
func (s *search) jointDelta(steps []step) float64 {
	for i, st := range steps {
		s.inMoved[st.u] = i + 1
	}
	d := 0.0
	for i, st := range steps {
		d += s.delta(st.u, st.to)
		for e := range s.m.units[st.u].edges {
			ed := &s.m.units[st.u].edges[e]
			j := s.inMoved[ed.v] - 1
			if j <= i {
				continue
			}
			w := steps[j]
			vf, vt := s.sp[s.off[st.u]+st.from], s.sp[s.off[st.u]+st.to]
			wf, wt := s.sp[s.off[w.u]+w.from], s.sp[s.off[w.u]+w.to]
			d += pairCost(ed, vt, wt) - pairCost(ed, vt, wf) - pairCost(ed, vf, wt) + pairCost(ed, vf, wf)
		}
	}
	for _, st := range steps {
		s.inMoved[st.u] = 0
	}
	return d
}
