package wifiopt

// Evaluate returns the cost of assignment a (radio ID → channel and width)
// for p: the airtime every radio loses to contention, weighted by its own
// airtime, the airtime its traffic needs beyond its channel, and the
// switch costs. a must assign every radio an allowed
// channel and width, and radios of a backhaul group the same one.
func Evaluate(p *Problem, a map[string]Assignment) (float64, error) {
	m, err := compile(p)
	if err != nil {
		return 0, err
	}
	as, err := m.assignments(a)
	if err != nil {
		return 0, err
	}
	return m.costOf(as), nil
}

// assignments checks a as Evaluate requires (every radio assigned an
// allowed channel and width, backhaul groups on one) and returns it in
// radio order.
func (m *model) assignments(a map[string]Assignment) ([]Assignment, error) {
	for id := range a {
		if _, ok := m.index[id]; !ok {
			return nil, invalid("assignment for unknown radio %q", id)
		}
	}
	as := make([]Assignment, len(m.p.Radios))
	for i := range m.p.Radios {
		r := &m.p.Radios[i]
		x, ok := a[r.ID]
		if !ok {
			return nil, invalid("radio %q has no assignment", r.ID)
		}
		if _, ok := m.groupAllows([]int{i}, x); !ok {
			return nil, invalid("radio %q: channel %d width %d not allowed", r.ID, x.Channel, x.Width)
		}
		as[i] = x
	}
	for _, un := range m.units {
		for _, i := range un.radios[1:] {
			if as[i] != as[un.radios[0]] {
				return nil, invalid("radio %q does not share its backhaul group's channel", m.p.Radios[i].ID)
			}
		}
	}
	return as, nil
}

// costOf is the cost of per-radio assignments, which must each be allowed
// but need not honour backhaul groups (the current state may not).
func (m *model) costOf(as []Assignment) float64 {
	opts := make([]option, len(as))
	for i, a := range as {
		r := &m.p.Radios[i]
		chs, _ := block(r.Band, a.Channel, a.Width)
		opts[i] = option{a: a, chs: chs, sp: spanOf(r.Band, chs), dfs: r.anyDFS(chs), wi: widthIndex(a.Width)}
	}
	c := 0.0
	for i := range as {
		c += m.radioUnary(i, opts[i])
	}
	for u, un := range m.units {
		for x, i := range un.radios {
			for _, j := range un.radios[x+1:] {
				c += m.pairAt(m.mkPair(i, j), opts[i], opts[j])
			}
		}
		for _, e := range un.edges {
			if e.v < u {
				continue
			}
			for _, mp := range e.pairs {
				c += m.pairAt(mp, opts[mp.i], opts[mp.j])
			}
		}
	}
	return c
}

func (m *model) currentCost() float64 {
	as := make([]Assignment, len(m.p.Radios))
	for i, r := range m.p.Radios {
		as[i] = r.Current
	}
	return m.costOf(as)
}
