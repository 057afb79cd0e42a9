package wifiopt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Exact finds a plan of least cost by branch and bound. Radios on
// different bands, and more generally radios that cannot hear each other
// even indirectly, never interact, so each connected component of the
// interference graph is solved on its own. The incumbent comes from one
// annealing run; the bound adds to the partial cost each unassigned
// unit's cheapest option given the assigned ones. When Options.Budget or
// ctx stops the search first, Exact returns the best plan found and an
// error wrapping ErrNotProven.
func Exact(ctx context.Context, p *Problem, opt Options) (Plan, error) {
	start := time.Now()
	m, err := compile(p)
	if err != nil {
		return Plan{}, err
	}
	var deadline time.Time
	if opt.Budget > 0 {
		deadline = start.Add(opt.Budget)
	}
	x := m.anneal(ctx, deadline, opt)
	proven := true
	for _, comp := range m.components() {
		b := newBranch(m, comp, x)
		if !b.run(ctx, deadline) {
			proven = false
		}
	}
	pl := m.plan(x, "exact")
	pl.Elapsed = time.Since(start)
	if !proven {
		cause := ctx.Err()
		if cause == nil {
			cause = errors.New("budget exhausted")
		}
		return pl, fmt.Errorf("%w: %w", ErrNotProven, cause)
	}
	return pl, nil
}

// components lists the connected components of the unit graph.
func (m *model) components() [][]int {
	seen := make([]bool, len(m.units))
	var out [][]int
	for u := range m.units {
		if seen[u] {
			continue
		}
		seen[u] = true
		comp := []int{u}
		for k := 0; k < len(comp); k++ {
			for _, e := range m.units[comp[k]].edges {
				if !seen[e.v] {
					seen[e.v] = true
					comp = append(comp, e.v)
				}
			}
		}
		out = append(out, comp)
	}
	return out
}

// branch is the branch-and-bound state of one component. Units are
// renumbered by search position.
type branch struct {
	order []int       // position → unit
	nopts []int       // per position
	unary [][]float64 // per position, per option
	// nbrs[k] lists later positions adjacent to position k, with the
	// pair table tab[o*nopts[later]+q] (o: option at k, q: at later).
	nbrs  [][]adj
	lb    [][]float64 // per position: unary + pairs with assigned earlier positions
	minLB []float64
	x     []int // option per position (current path)
	best  []int
	bestC float64
	nodes int
	// stop is set once the search has been cut short.
	stop bool
	out  []int // the whole plan's options, updated with best on return
}

type adj struct {
	pos int
	tab []float64
}

func newBranch(m *model, comp []int, x []int) *branch {
	order := searchOrder(m, comp)
	pos := make(map[int]int, len(order))
	for k, u := range order {
		pos[u] = k
	}
	n := len(order)
	b := &branch{order: order, nopts: make([]int, n), unary: make([][]float64, n), nbrs: make([][]adj, n),
		lb: make([][]float64, n), minLB: make([]float64, n), x: make([]int, n), best: make([]int, n), out: x}
	for k, u := range order {
		un := &m.units[u]
		b.nopts[k] = len(un.opts)
		b.unary[k] = make([]float64, len(un.opts))
		for o, op := range un.opts {
			b.unary[k][o] = op.unary
		}
		b.lb[k] = slices.Clone(b.unary[k])
		b.minLB[k] = slices.Min(b.lb[k])
		b.best[k] = x[u]
	}
	for k, u := range order {
		un := &m.units[u]
		for e := range un.edges {
			ed := &un.edges[e]
			l := pos[ed.v]
			if l <= k {
				continue
			}
			vo := m.units[ed.v].opts
			tab := make([]float64, len(un.opts)*len(vo))
			for o, op := range un.opts {
				for q, oq := range vo {
					tab[o*len(vo)+q] = m.edgeCost(ed, op, oq)
				}
			}
			b.nbrs[k] = append(b.nbrs[k], adj{pos: l, tab: tab})
		}
	}
	b.bestC = b.costOf(b.best)
	return b
}

// searchOrder puts first the unit with most neighbours, then always the
// unit with most already-ordered neighbours, so bounds tighten early.
func searchOrder(m *model, comp []int) []int {
	in := make(map[int]bool, len(comp))
	for _, u := range comp {
		in[u] = true
	}
	placed := map[int]bool{}
	links := map[int]int{}
	var order []int
	for len(order) < len(comp) {
		best := -1
		for _, u := range comp {
			if placed[u] {
				continue
			}
			if best < 0 || links[u] > links[best] ||
				(links[u] == links[best] && len(m.units[u].edges) > len(m.units[best].edges)) {
				best = u
			}
		}
		placed[best] = true
		order = append(order, best)
		for _, e := range m.units[best].edges {
			links[e.v]++
		}
	}
	return order
}

func (b *branch) costOf(x []int) float64 {
	c := 0.0
	for k := range x {
		c += b.unary[k][x[k]]
		for _, a := range b.nbrs[k] {
			c += a.tab[x[k]*b.nopts[a.pos]+x[a.pos]]
		}
	}
	return c
}

// run searches the component and writes the best options into b.out;
// it reports whether the search completed.
func (b *branch) run(ctx context.Context, deadline time.Time) bool {
	sum := 0.0
	for _, v := range b.minLB {
		sum += v
	}
	b.dfs(ctx, deadline, 0, 0, sum)
	for k, u := range b.order {
		b.out[u] = b.best[k]
	}
	return !b.stop
}

// dfs extends the path at position k; g is the cost of positions < k and
// rest the sum of minLB over positions ≥ k.
func (b *branch) dfs(ctx context.Context, deadline time.Time, k int, g, rest float64) {
	if k == len(b.order) {
		if g < b.bestC {
			b.bestC = g
			copy(b.best, b.x)
		}
		return
	}
	b.nodes++
	if b.nodes&4095 == 0 && stopped(ctx, deadline) {
		b.stop = true
	}
	if b.stop {
		return
	}
	rest -= b.minLB[k]
	opts := b.sortedOptions(k)
	for _, o := range opts {
		gk := g + b.lb[k][o]
		if gk+rest >= b.bestC-1e-12 {
			break // options are sorted: the rest are no better
		}
		// Assign and tighten the neighbours' bounds.
		nr := rest
		for _, a := range b.nbrs[k] {
			row := a.tab[o*b.nopts[a.pos] : (o+1)*b.nopts[a.pos]]
			lb := b.lb[a.pos]
			for q := range lb {
				lb[q] += row[q]
			}
			m := slices.Min(lb)
			nr += m - b.minLB[a.pos]
			b.minLB[a.pos] = m
		}
		b.x[k] = o
		if gk+nr < b.bestC-1e-12 {
			b.dfs(ctx, deadline, k+1, gk, nr)
		}
		for _, a := range b.nbrs[k] {
			row := a.tab[o*b.nopts[a.pos] : (o+1)*b.nopts[a.pos]]
			lb := b.lb[a.pos]
			for q := range lb {
				lb[q] -= row[q]
			}
			b.minLB[a.pos] = slices.Min(lb)
		}
		if b.stop {
			return
		}
	}
}

func (b *branch) sortedOptions(k int) []int {
	opts := make([]int, b.nopts[k])
	for o := range opts {
		opts[o] = o
	}
	lb := b.lb[k]
	slices.SortFunc(opts, func(x, y int) int {
		switch {
		case lb[x] < lb[y]:
			return -1
		case lb[x] > lb[y]:
			return 1
		}
		return x - y
	})
	return opts
}
