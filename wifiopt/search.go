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
	// tab holds every edge's cost by option pair: for unit u's edge e,
	// row k (u's option) starts at adj[u][e].tab + k·adj[u][e].n. They
	// are built by buildTables, for the searches that need them.
	tab []float64
	adj [][]link
	// spanID numbers the distinct spectra, per unit and option; optOf[u]
	// is unit u's option by spectrum ID, or -1.
	spanID []int32
	optOf  [][]int32
	// cost is the cost of the component being searched, kept up to date
	// by move (it drifts by rounding; compare plans with partCost).
	cost float64
	// movable lists the units with more than one option.
	movable []int
	moved   []step // scratch for swap
	// edgeOf[u·units+v] is 1 + the index of v in u's edges, or 0.
	edgeOf []int32
	w      []float64 // scratch for heatBath
}

// optSpan is an option's spectrum and width index, packed for the inner
// loops.
type optSpan struct{ lo, hi, wi int32 }

// link is one of a unit's edges as the inner loops need it: the other
// unit, its number of options and where the edge's table starts in tab.
type link struct{ v, n, tab int }

// step is one unit's part of a compound move.
type step struct{ u, from, to int }

func newSearch(m *model, rng *rand.Rand) *search {
	s := &search{m: m, rng: rng, x: make([]int, len(m.units)), off: make([]int, len(m.units)+1)}
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
// other unit on b. It equals the reverse edge's cost with a and b
// swapped, so an edge serves both directions.
func (s *search) pairCost(e *edge, a, b optSpan) float64 {
	dx := int(b.lo+b.hi)/2 - int(a.lo+a.hi)/2
	return s.m.edgeCostAt(e, widthsByIndex[a.wi], widthsByIndex[b.wi], dx)
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
		fu := s.fields(u)
		for k := range fu {
			fu[k] = un.opts[k].unary
		}
		for _, l := range s.adj[u] {
			t := l.tab + s.x[l.v]
			for k := range fu {
				fu[k] += s.tab[t+k*l.n]
			}
		}
		// Each edge is counted from both ends.
		s.cost += (fu[s.x[u]] + un.opts[s.x[u]].unary) / 2
	}
}

// buildTables fills tab with every edge's costs by option pair, adj, and
// the spectrum IDs.
func (s *search) buildTables() {
	s.numberSpans()
	s.adj = make([][]link, len(s.m.units))
	n := 0
	for u, un := range s.m.units {
		s.adj[u] = make([]link, len(un.edges))
		for e, ed := range un.edges {
			nv := len(s.m.units[ed.v].opts)
			s.adj[u][e] = link{v: ed.v, n: nv, tab: n}
			n += len(un.opts) * nv
		}
	}
	s.tab = make([]float64, n)
	s.edgeOf = make([]int32, len(s.m.units)*len(s.m.units))
	for u, un := range s.m.units {
		su := s.sp[s.off[u]:s.off[u+1]]
		for e := range un.edges {
			ed := &un.edges[e]
			s.edgeOf[u*len(s.m.units)+ed.v] = int32(e + 1)
			sv := s.sp[s.off[ed.v]:s.off[ed.v+1]]
			t := s.tab[s.adj[u][e].tab:]
			for k, a := range su {
				row := t[k*len(sv) : (k+1)*len(sv)]
				for q, b := range sv {
					row[q] = s.pairCost(ed, a, b)
				}
			}
		}
	}
}

// row is the cost of edge l with its unit on option k, by the other
// unit's option.
func (s *search) row(l *link, k int) []float64 {
	t := l.tab + k*l.n
	return s.tab[t : t+l.n]
}

// shift adds unit u's edge costs on option k to its neighbours' fields.
func (s *search) shift(u, k int) {
	for e := range s.adj[u] {
		l := &s.adj[u][e]
		fv, r := s.fields(l.v), s.row(l, k)
		for q := range fv {
			fv[q] += r[q]
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
	for e := range s.adj[u] {
		l := &s.adj[u][e]
		fv, ro, rk := s.fields(l.v), s.row(l, o), s.row(l, k)
		for q := range fv {
			fv[q] += rk[q] - ro[q]
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
		s.shift(u, best)
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
	if s.accept(d, t) {
		for _, st := range steps {
			s.move(st.u, st.to)
		}
	}
}

// accept is the Metropolis rule at temperature t for a change d in cost.
// Moves more than 30 t uphill (odds below 1e-13) are refused without
// drawing.
func (s *search) accept(d, t float64) bool {
	return d <= 0 || (d < 30*t && s.rng.Float64() < math.Exp(-d/t))
}

// swapSteps lists the steps of the channel swap of u to option k.
func (s *search) swapSteps(u, k int) []step {
	a, b := s.spanID[s.off[u]+s.x[u]], s.spanID[s.off[u]+k]
	s.moved = append(s.moved[:0], step{u, s.x[u], k})
	for _, l := range s.adj[u] {
		v := l.v
		to := a
		switch s.spanID[s.off[v]+s.x[v]] {
		case a:
			to = b
		case b:
		default:
			continue
		}
		if q := s.optOf[v][to]; q >= 0 {
			s.moved = append(s.moved, step{v, s.x[v], int(q)})
		}
	}
	return s.moved
}

// numberSpans gives every distinct spectrum an ID and every unit its
// option by spectrum ID.
func (s *search) numberSpans() {
	ids := map[span]int32{}
	s.spanID = make([]int32, len(s.sp))
	for u, un := range s.m.units {
		for k, o := range un.opts {
			id, ok := ids[o.sp]
			if !ok {
				id = int32(len(ids))
				ids[o.sp] = id
			}
			s.spanID[s.off[u]+k] = id
		}
	}
	s.optOf = make([][]int32, len(s.m.units))
	for u, un := range s.m.units {
		s.optOf[u] = make([]int32, len(ids))
		for i := range s.optOf[u] {
			s.optOf[u][i] = -1
		}
		for k := range un.opts {
			s.optOf[u][s.spanID[s.off[u]+k]] = int32(k)
		}
	}
}

// jointDelta is the change in cost when every step of steps (distinct
// units) is made: the sum of the single deltas corrected by the edges
// between moved units, whose both ends change.
func (s *search) jointDelta(steps []step) float64 {
	d := 0.0
	n := len(s.m.units)
	for i, st := range steps {
		d += s.delta(st.u, st.to)
		for _, w := range steps[i+1:] {
			e := s.edgeOf[st.u*n+w.u] - 1
			if e < 0 {
				continue
			}
			l := &s.adj[st.u][e]
			vt, vf := s.row(l, st.to), s.row(l, st.from)
			d += vt[w.to] - vt[w.from] - vf[w.to] + vf[w.from]
		}
	}
	return d
}

// heatBath moves unit u to an option drawn with probability proportional
// to exp(-field/t) (options more than 30 t above the cheapest count as
// impossible).
func (s *search) heatBath(u int, t float64) {
	fu := s.fields(u)
	lo := fu[0]
	for _, f := range fu[1:] {
		if f < lo {
			lo = f
		}
	}
	w := s.w[:0]
	sum := 0.0
	inv := expSteps / t
	for _, f := range fu {
		x := 0.0
		if z := (f - lo) * inv; z < expSteps*30 {
			i := int(z)
			x = expTable[i] + (z-float64(i))*(expTable[i+1]-expTable[i])
		}
		sum += x
		w = append(w, sum)
	}
	s.w = w
	r := s.rng.Float64() * sum
	k := 0
	for k < len(w)-1 && w[k] <= r {
		k++
	}
	s.move(u, k)
}

// expTable[i] is exp(-i/expSteps) for exponents 0..30, for heatBath's
// linear interpolation (relative error about 1e-4).
const expSteps = 32

var expTable = func() []float64 {
	t := make([]float64, 30*expSteps+2)
	for i := range t {
		t[i] = math.Exp(-float64(i) / expSteps)
	}
	return t
}()
