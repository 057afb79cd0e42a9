package wifiopt

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// LeastCongested is the baseline of APs that each choose alone, as
// automatic channel selection does: radios decide one after another in
// ID order (a backhaul group together, when its first radio's turn
// comes), starting from the current channels. Each picks the channel and
// width that minimise the airtime it itself loses, from its own view: the
// foreign networks and busy time it measured and the other mesh radios'
// channels at that moment (decisions already made included), plus its
// own switch cost; ties keep the current channel. It ignores the
// interference it causes others and its clients' SINR (Radio's
// ClientSignalDBm). The plan is then costed in full.
func LeastCongested(p *Problem) (Plan, error) {
	start := time.Now()
	m, err := compile(p)
	if err != nil {
		return Plan{}, err
	}
	s := newSearch(m, nil)
	s.x = s.fromCurrent()
	// Radios of a unit are current on its start option only if they all
	// were; the others still count as on their own current channel.
	cur := make([]option, len(p.Radios))
	for i, r := range p.Radios {
		chs, _ := block(r.Band, r.Current.Channel, r.Current.Width)
		cur[i] = option{a: r.Current, chs: chs, sp: spanOf(r.Band, chs), wi: widthIndex(r.Current.Width)}
	}
	order := make([]int, len(m.units))
	for u := range order {
		order[u] = u
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmpString(p.Radios[m.units[a].radios[0]].ID, p.Radios[m.units[b].radios[0]].ID)
	})
	for _, u := range order {
		un := &m.units[u]
		best, bestC := s.x[u], math.Inf(1)
		for k, o := range un.opts {
			c := m.ownView(un, o, cur)
			if c < bestC-1e-12 || (c <= bestC+1e-12 && k == s.x[u]) {
				best, bestC = k, c
			}
		}
		s.x[u] = best
		for _, i := range un.radios {
			cur[i] = un.opts[best]
		}
	}
	pl := m.plan(s.x, "least-congested")
	pl.Elapsed = time.Since(start)
	return pl, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ownView is the airtime the radios of un lose on option o, given the
// other radios' options cur, plus their switch costs.
func (m *model) ownView(un *unit, o option, cur []option) float64 {
	c := 0.0
	for _, i := range un.radios {
		c += m.channelUnary(i, o)
		ai := m.airtime(i, o.a.Width)
		for j := range m.p.Radios {
			if j == i || m.p.Radios[j].Band != m.p.Radios[i].Band {
				continue
			}
			q := cur[j]
			if m.unitOf[j] == m.unitOf[i] {
				q = o
			}
			dx := q.sp.centre() - o.sp.centre()
			if r, ok := m.heard(i, j); ok && m.near(o.a.Width, q.a.Width, dx) {
				c += ai * m.airtime(j, q.a.Width) * m.leak.exposure(r, o.a.Width, q.a.Width, dx)
			}
		}
	}
	return c
}

// Random is the baseline of channels drawn uniformly, per backhaul group,
// from the allowed options; equal seeds give equal plans.
func Random(p *Problem, seed uint64) (Plan, error) {
	start := time.Now()
	m, err := compile(p)
	if err != nil {
		return Plan{}, err
	}
	s := newSearch(m, rand.New(rand.NewPCG(seed, 0x7a4d)))
	s.random(s.movable)
	pl := m.plan(s.x, "random")
	pl.Elapsed = time.Since(start)
	return pl, nil
}
