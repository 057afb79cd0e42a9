package wifiopt

import (
	"context"
	"time"
)

// tabu improves the search's plan by tabu search: every iteration makes
// the best single move (steepest descent, or the least ascent at a local
// minimum) among those not tabu, and forbids the moved unit to return to
// the option it left for a few iterations, so that the search walks out
// of local minima instead of cycling. A tabu move is still taken when it
// would give a plan cheaper than any seen (aspiration). It runs iters
// iterations, or stops after stall iterations without a new best, and
// leaves the best plan found in x (with its fields).
func (s *search) tabu(ctx context.Context, deadline time.Time, iters, stall int) {
	if len(s.movable) == 0 || iters <= 0 {
		return
	}
	if len(s.until) < len(s.f) {
		s.until = make([]int, len(s.f))
	}
	clear(s.until)
	best := s.cost
	bestX := make([]int, len(s.movable))
	for i, u := range s.movable {
		bestX[i] = s.x[u]
	}
	tenure := 3 + len(s.movable)/10
	last := 0
	for it := 1; it <= iters && it-last <= stall; it++ {
		if it&63 == 0 && stopped(ctx, deadline) {
			break
		}
		mu, mk, md := -1, 0, 0.0
		ties := 0
		for _, u := range s.movable {
			base := s.off[u]
			fu := s.f[base:s.off[u+1]]
			cur := fu[s.x[u]]
			for k, fk := range fu {
				if k == s.x[u] {
					continue
				}
				d := fk - cur
				if s.until[base+k] >= it && s.cost+d >= best-1e-12 {
					continue
				}
				switch {
				case mu < 0 || d < md-1e-15:
					mu, mk, md, ties = u, k, d, 1
				case d <= md+1e-15:
					// Break ties uniformly (reservoir sampling).
					ties++
					if s.rng.IntN(ties) == 0 {
						mu, mk = u, k
					}
				}
			}
		}
		if mu < 0 {
			break
		}
		s.until[s.off[mu]+s.x[mu]] = it + tenure + s.rng.IntN(tenure)
		s.move(mu, mk)
		if s.cost < best-1e-12 {
			best, last = s.cost, it
			for i, u := range s.movable {
				bestX[i] = s.x[u]
			}
		}
	}
	for i, u := range s.movable {
		s.move(u, bestX[i])
	}
}
