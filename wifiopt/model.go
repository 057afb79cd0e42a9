package wifiopt

import (
	"slices"
	"sort"
)

// The compiled model: radios that must share a channel (a backhaul
// group) form one decision unit; a unit's options are the distinct
// spectra it may occupy; cost = Σ unary(unit, option) + Σ pair(u, o, v, p).

// widthIndex maps a width to its slot in per-width tables.
func widthIndex(w int) int {
	switch w {
	case 40:
		return 1
	case 80:
		return 2
	case 160:
		return 3
	}
	return 0
}

var widthsByIndex = [4]int{20, 40, 80, 160}

type option struct {
	a     Assignment // representative assignment (fewest switches in the unit)
	chs   []int      // 20 MHz channels occupied
	sp    span
	dfs   bool
	wi    int // widthIndex(a.Width)
	unary float64
}

// memberPair is two radios of two units that hear each other or reach
// each other's clients: rji is the RSSI at i of j (when hji), rij the
// reverse (when hij); cji is what i's clients hear of j (when kji: from
// Problem.ClientRSSI, else rji), cij the reverse.
type memberPair struct {
	i, j     int
	rji, rij float64
	hji, hij bool
	cji, cij float64
	kji, kij bool
}

// swapped is the same pair seen from j.
func (mp memberPair) swapped() memberPair {
	return memberPair{i: mp.j, j: mp.i, rji: mp.rij, rij: mp.rji, hji: mp.hij, hij: mp.hji,
		cji: mp.cij, cij: mp.cji, kji: mp.kij, kij: mp.kji}
}

type edge struct {
	v     int // the other unit
	pairs []memberPair
	// cost caches the pair terms of pairAt summed over the member pairs
	// by costKey: both units' widths and the distance of their centres.
	// The reverse edge has its own cache with the roles swapped.
	cost map[int32]float64
}

// costKey packs this unit's width index, the other's and the distance
// (MHz) from this unit's centre to the other's.
func costKey(wo, wq, dx int) int32 { return int32((wo*4+wq)<<16 | (dx + 1<<15)) }

type unit struct {
	radios []int
	opts   []option
	bySpan map[span]int // option index by spectrum
	edges  []edge
}

type radioInfo struct {
	demand  float64 // Load × capacityAt(current width): the traffic, in idle 20 MHz channels
	foreign []ForeignBSS
	busy    map[int]float64
	bestCap float64    // bestCapacity; 0 for a radio with a single width
	snr     clientSNRs // clientSNR: its weak client's SNRs
}

type model struct {
	p      *Problem
	index  map[string]int // radio ID → index
	info   []radioInfo
	units  []unit
	unitOf []int
	// rssi[{i, j}] is the RSSI at i of j; crssi[{i, j}] what i's
	// clients hear of j (Problem.ClientRSSI).
	rssi, crssi map[[2]int]float64
	leak        *leakTable
	// capacity[k] is capacityAt(widthsByIndex[k]).
	capacity [4]float64
}

// airtime is the share of airtime radio i needs at width w.
func (m *model) airtime(i, w int) float64 {
	return min(1, m.info[i].demand/m.capacity[widthIndex(w)])
}

// unserved is the airtime radio i's traffic needs beyond the whole
// channel at width w: max(0, L·C(W0)/C(W) − 1). It depends on i's own
// width only, so it is part of the unary cost.
func (m *model) unserved(i, w int) float64 {
	return max(0, m.info[i].demand/m.capacity[widthIndex(w)]-1)
}

func compile(p *Problem) (*model, error) {
	if p == nil {
		return nil, invalid("nil problem")
	}
	if !finite(p.SwitchCost, p.DFSCost) || p.SwitchCost < 0 || p.DFSCost < 0 {
		return nil, invalid("switch costs must be finite and non-negative")
	}
	m := &model{p: p, index: make(map[string]int, len(p.Radios)), rssi: map[[2]int]float64{}, crssi: map[[2]int]float64{}, leak: newLeakTable()}
	for k, w := range widthsByIndex {
		m.capacity[k] = capacityAt(w)
	}
	m.info = make([]radioInfo, len(p.Radios))
	for i, r := range p.Radios {
		if err := checkRadio(&r); err != nil {
			return nil, err
		}
		if _, dup := m.index[r.ID]; dup {
			return nil, invalid("duplicate radio ID %q", r.ID)
		}
		m.index[r.ID] = i
		m.info[i] = radioInfo{demand: r.Load * m.capacity[widthIndex(r.Current.Width)], busy: map[int]float64{}, snr: clientSNR(&r)}
	}
	if err := m.readMeasurements(); err != nil {
		return nil, err
	}
	for i := range m.info {
		m.info[i].bestCap = m.bestCapacity(i)
	}
	if err := m.buildUnits(); err != nil {
		return nil, err
	}
	m.buildEdges()
	return m, nil
}

func checkRadio(r *Radio) error {
	if r.ID == "" {
		return invalid("radio with empty ID")
	}
	if !knownBand(r.Band) {
		return invalid("radio %q: unknown band %q", r.ID, r.Band)
	}
	if len(r.Channels) == 0 {
		return invalid("radio %q: no allowed channels", r.ID)
	}
	for _, c := range r.Channels {
		if centreMHz(r.Band, c.Number) == 0 {
			return invalid("radio %q: %d is not a %s channel", r.ID, c.Number, r.Band)
		}
	}
	for _, w := range r.Widths {
		if widthsByIndex[widthIndex(w)] != w {
			return invalid("radio %q: unsupported width %d", r.ID, w)
		}
	}
	if !finite(r.Load) || r.Load < 0 || r.Load > 1 {
		return invalid("radio %q: load %v outside 0..1", r.ID, r.Load)
	}
	if !finite(r.TxPowerDBm, r.PowerCutDB) || r.PowerCutDB < 0 {
		return invalid("radio %q: transmit power or power cut not finite, or cut below 0", r.ID)
	}
	if !finite(r.ClientSignalDBm) || r.ClientSignalDBm > 0 {
		return invalid("radio %q: client signal %v dBm not finite or above 0", r.ID, r.ClientSignalDBm)
	}
	if !finite(r.WeakestClientDBm) || r.WeakestClientDBm > 0 {
		return invalid("radio %q: weakest client signal %v dBm not finite or above 0", r.ID, r.WeakestClientDBm)
	}
	if r.BackhaulOf == r.ID {
		return invalid("radio %q: backhaul of itself", r.ID)
	}
	if _, ok := allowedBlock(r, r.Current); !ok {
		return invalid("radio %q: current channel %d width %d not allowed", r.ID, r.Current.Channel, r.Current.Width)
	}
	return nil
}

// allowedBlock returns the 20 MHz channels of a on radio r and whether r
// may use it (every channel of the block allowed; the width supported).
func allowedBlock(r *Radio, a Assignment) ([]int, bool) {
	if widthsByIndex[widthIndex(a.Width)] != a.Width {
		return nil, false
	}
	chs, err := block(r.Band, a.Channel, a.Width)
	if err != nil {
		return nil, false
	}
	for _, c := range chs {
		if !slices.ContainsFunc(r.Channels, func(x Channel) bool { return x.Number == c }) {
			return nil, false
		}
	}
	return chs, true
}

func (m *model) radio(id, what string) (int, error) {
	i, ok := m.index[id]
	if !ok {
		return 0, invalid("%s refers to unknown radio %q", what, id)
	}
	return i, nil
}

// links reads ls into to (keyed {receiver, sender}); what names them in
// errors. Client links must join radios of one band.
func (m *model) links(ls []Link, what string, sameBand bool, to map[[2]int]float64) error {
	for _, l := range ls {
		i, err := m.radio(l.From, what)
		if err != nil {
			return err
		}
		j, err := m.radio(l.To, what)
		if err != nil {
			return err
		}
		if i == j || !finite(l.RSSI) || sameBand && m.p.Radios[i].Band != m.p.Radios[j].Band {
			return invalid("%s %q→%q: self link, other band or non-finite RSSI", what, l.From, l.To)
		}
		to[[2]int{j, i}] = l.RSSI
	}
	return nil
}

func (m *model) readMeasurements() error {
	if err := m.links(m.p.RSSI, "link", false, m.rssi); err != nil {
		return err
	}
	if err := m.links(m.p.ClientRSSI, "client link", true, m.crssi); err != nil {
		return err
	}
	for _, f := range m.p.Foreign {
		i, err := m.radio(f.Radio, "foreign BSS")
		if err != nil {
			return err
		}
		w := f.Width
		if w == 0 {
			w = 20
		}
		if _, err := block(m.p.Radios[i].Band, f.Channel, w); err != nil {
			return invalid("foreign BSS at %q: %v", f.Radio, err)
		}
		if !finite(f.RSSI, f.Load) || f.Load < 0 || f.Load > 1 {
			return invalid("foreign BSS at %q: bad RSSI or load", f.Radio)
		}
		f.Width = w
		m.info[i].foreign = append(m.info[i].foreign, f)
	}
	for _, b := range m.p.Busy {
		i, err := m.radio(b.Radio, "busy survey")
		if err != nil {
			return err
		}
		if centreMHz(m.p.Radios[i].Band, b.Channel) == 0 || !finite(b.Fraction) || b.Fraction < 0 || b.Fraction > 1 {
			return invalid("busy survey at %q: bad channel %d or fraction", b.Radio, b.Channel)
		}
		m.info[i].busy[b.Channel] = b.Fraction
	}
	return nil
}

// heard is the RSSI at i of j, falling back to the reverse direction.
func (m *model) heard(i, j int) (float64, bool) {
	if v, ok := m.rssi[[2]int{i, j}]; ok {
		return v, true
	}
	v, ok := m.rssi[[2]int{j, i}]
	return v, ok
}

// groups joins radios linked by BackhaulOf (BackhaulGroups).
func (m *model) groups() ([][]int, error) { return BackhaulGroups(m.p) }

// BackhaulGroups lists the radios of p that must share one channel, by
// index in p.Radios: radios linked by BackhaulOf are in one group. Each
// group is ascending, and the groups are in order of their first radio.
// A BackhaulOf naming an unknown radio, or one on another band, is an
// error.
func BackhaulGroups(p *Problem) ([][]int, error) {
	index := make(map[string]int, len(p.Radios))
	for i, r := range p.Radios {
		index[r.ID] = i
	}
	parent := make([]int, len(p.Radios))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i, r := range p.Radios {
		if r.BackhaulOf == "" {
			continue
		}
		j, ok := index[r.BackhaulOf]
		if !ok {
			return nil, invalid("radio %q: backhaul of unknown radio %q", r.ID, r.BackhaulOf)
		}
		if p.Radios[j].Band != r.Band {
			return nil, invalid("radio %q: backhaul of %q on another band", r.ID, r.BackhaulOf)
		}
		a, b := find(i), find(j)
		parent[max(a, b)] = min(a, b)
	}
	byRoot := map[int]int{}
	var out [][]int
	for i := range p.Radios {
		root := find(i)
		k, ok := byRoot[root]
		if !ok {
			k = len(out)
			byRoot[root] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out, nil
}

func (m *model) buildUnits() error {
	gs, err := m.groups()
	if err != nil {
		return err
	}
	m.unitOf = make([]int, len(m.p.Radios))
	for u, g := range gs {
		for _, i := range g {
			m.unitOf[i] = u
		}
		opts := m.options(g)
		if len(opts) == 0 {
			return invalid("radio %q: no channel allowed for every radio of its backhaul group", m.p.Radios[g[0]].ID)
		}
		bySpan := make(map[span]int, len(opts))
		for k, o := range opts {
			bySpan[o.sp] = k
		}
		m.units = append(m.units, unit{radios: g, opts: opts, bySpan: bySpan})
	}
	return nil
}

// options lists the distinct spectra a group may occupy, each with the
// assignment that needs the fewest switches, and its unary cost.
func (m *model) options(g []int) []option {
	first := &m.p.Radios[g[0]]
	widths := first.Widths
	if len(widths) == 0 {
		widths = []int{first.Current.Width}
	}
	bySpan := map[span]int{}
	var out []option
	for _, w := range widths {
		for _, c := range first.Channels {
			a := Assignment{Channel: c.Number, Width: w}
			chs, ok := m.groupAllows(g, a)
			if !ok {
				continue
			}
			o := option{a: a, chs: chs, sp: spanOf(first.Band, chs), wi: widthIndex(w)}
			o.dfs = first.anyDFS(chs)
			o.unary = m.unary(g, o)
			if k, seen := bySpan[o.sp]; seen {
				if o.unary < out[k].unary || (o.unary == out[k].unary && a.Channel < out[k].a.Channel) {
					out[k] = o
				}
				continue
			}
			bySpan[o.sp] = len(out)
			out = append(out, o)
		}
	}
	sort.Slice(out, func(x, y int) bool {
		if out[x].sp.lo != out[y].sp.lo {
			return out[x].sp.lo < out[y].sp.lo
		}
		return out[x].sp.hi < out[y].sp.hi
	})
	return out
}

func (m *model) groupAllows(g []int, a Assignment) ([]int, bool) {
	var chs []int
	for _, i := range g {
		r := &m.p.Radios[i]
		ws := r.Widths
		if len(ws) == 0 {
			ws = []int{r.Current.Width}
		}
		if !slices.Contains(ws, a.Width) {
			return nil, false
		}
		c, ok := allowedBlock(r, a)
		if !ok {
			return nil, false
		}
		chs = c
	}
	return chs, true
}

func (r *Radio) anyDFS(chs []int) bool {
	for _, c := range r.Channels {
		if c.DFS && slices.Contains(chs, c.Number) {
			return true
		}
	}
	return false
}

// radioUnary is radio i's cost on option o that does not depend on other
// mesh radios: airtime lost to foreign networks and busy time, the
// airtime its clients' SINR loss to foreign networks costs, the airtime
// its traffic needs beyond the channel, the airtime a channel with less
// capacity left costs it (widthCost), and the switch.
func (m *model) radioUnary(i int, o option) float64 {
	return m.channelUnary(i, o) + m.airtime(i, o.a.Width)*m.foreignClientLoss(i, o)
}

// channelUnary is radioUnary without the clients' SINR loss: what a
// radio that sees only its channel, as LeastCongested's do, weighs.
func (m *model) channelUnary(i int, o option) float64 {
	r := &m.p.Radios[i]
	cost := m.airtime(i, o.a.Width)*m.lostTo(i, o) + m.unserved(i, o.a.Width) + m.widthCost(i, o)
	if r.Current != o.a {
		cost += m.p.SwitchCost
		if o.dfs {
			cost += m.p.DFSCost
		}
	}
	return cost
}

// lostTo is the share of airtime radio i on option o loses to the
// foreign networks it heard and to the busy time it measured.
func (m *model) lostTo(i int, o option) float64 {
	r := &m.p.Radios[i]
	inf := &m.info[i]
	lost := 0.0
	for _, f := range inf.foreign {
		chs, _ := block(r.Band, f.Channel, f.Width)
		dx := spanOf(r.Band, chs).centre() - o.sp.centre()
		lost += f.Load * m.leak.exposure(f.RSSI, o.a.Width, f.Width, dx)
	}
	if len(inf.busy) > 0 {
		b := 0.0
		for _, c := range o.chs {
			b += inf.busy[c]
		}
		lost += b / float64(len(o.chs))
	}
	return lost
}

// unary is a group's cost on option o alone, including the interference
// between its own members (which share the spectrum).
func (m *model) unary(g []int, o option) float64 {
	c := 0.0
	for x, i := range g {
		c += m.radioUnary(i, o)
		for _, j := range g[x+1:] {
			c += m.pairAt(m.mkPair(i, j), o, o)
		}
	}
	return c
}

func (m *model) mkPair(i, j int) memberPair {
	mp := memberPair{i: i, j: j}
	mp.rji, mp.hji = m.heard(i, j)
	mp.rij, mp.hij = m.heard(j, i)
	mp.cji, mp.kji = m.clientHeard(i, j, mp.rji, mp.hji)
	mp.cij, mp.kij = m.clientHeard(j, i, mp.rij, mp.hij)
	return mp
}

// clientHeard is what i's clients hear of j: the ClientRSSI measured,
// else r (what i hears of j), known when heard is.
func (m *model) clientHeard(i, j int, r float64, heard bool) (float64, bool) {
	if v, ok := m.crssi[[2]int{i, j}]; ok {
		return v, true
	}
	return r, heard
}

// interacts reports whether the radios of mp can affect each other at
// all: on one channel, at the narrowest width (the most power per 20 MHz).
func (mp memberPair) interacts() bool {
	return (mp.hji && contention(mp.rji, 20) > 0) || (mp.hij && contention(mp.rij, 20) > 0) ||
		(mp.kji && mp.cji > ClientFloorDBm) || (mp.kij && mp.cij > ClientFloorDBm)
}

// pairAt is the airtime both radios of mp lose to each other when i is on
// option o and j on option q.
func (m *model) pairAt(mp memberPair, o, q option) float64 {
	return m.pairTerms(mp, o.a.Width, q.a.Width, q.sp.centre()-o.sp.centre())
}

// pairTerms is pairAt for widths wo (i) and wq (j) and the distance dx
// from i's centre to j's: the airtime each loses deferring to the other
// and the airtime each needs for its clients' SINR loss to the other.
func (m *model) pairTerms(mp memberPair, wo, wq, dx int) float64 {
	if !m.near(wo, wq, dx) {
		return 0
	}
	ai, aj := m.airtime(mp.i, wo), m.airtime(mp.j, wq)
	if ai == 0 || aj == 0 {
		return 0
	}
	c := 0.0
	if mp.hji {
		c += m.leak.exposure(mp.rji, wo, wq, dx)
	}
	if mp.kji {
		c += m.leak.clientLossAt(m.info[mp.i].snr, deferLevel(mp.rji, mp.hji), mp.cji, wo, wq, dx)
	}
	if mp.hij {
		c += m.leak.exposure(mp.rij, wq, wo, -dx)
	}
	if mp.kij {
		c += m.leak.clientLossAt(m.info[mp.j].snr, deferLevel(mp.rij, mp.hij), mp.cij, wq, wo, -dx)
	}
	return ai * aj * c
}

// near reports whether channels of widths wo and wq whose centres are dx
// MHz apart are close enough for either to reach the other.
func (m *model) near(wo, wq, dx int) bool {
	if dx < 0 {
		dx = -dx
	}
	return dx < wo/2+leakReach(wq) || dx < wq/2+leakReach(wo)
}

func (m *model) buildEdges() {
	type key struct{ u, v int }
	pairs := map[key][]memberPair{}
	var keys []key
	for i := range m.p.Radios {
		for j := i + 1; j < len(m.p.Radios); j++ {
			u, v := m.unitOf[i], m.unitOf[j]
			if u == v || m.p.Radios[i].Band != m.p.Radios[j].Band {
				continue
			}
			mp := m.mkPair(i, j)
			if !mp.interacts() {
				continue
			}
			k := key{min(u, v), max(u, v)}
			if u > v {
				mp = mp.swapped()
			}
			if _, ok := pairs[k]; !ok {
				keys = append(keys, k)
			}
			pairs[k] = append(pairs[k], mp)
		}
	}
	for _, k := range keys {
		ps := pairs[k]
		m.units[k.u].edges = append(m.units[k.u].edges, edge{v: k.v, pairs: ps, cost: map[int32]float64{}})
		rev := edge{v: k.u, pairs: make([]memberPair, len(ps)), cost: map[int32]float64{}}
		for x, mp := range ps {
			rev.pairs[x] = mp.swapped()
		}
		m.units[k.v].edges = append(m.units[k.v].edges, rev)
	}
}

// edgeCost is the cost between unit u on option o and the edge's unit on q.
func (m *model) edgeCost(e *edge, o, q option) float64 {
	return m.edgeCostAt(e, o.a.Width, q.a.Width, q.sp.centre()-o.sp.centre())
}

// edgeCostAt is the cost of edge e with this unit at width wo, the other
// at wq, and the other's centre dx MHz above this one's (cached).
func (m *model) edgeCostAt(e *edge, wo, wq, dx int) float64 {
	if !m.near(wo, wq, dx) {
		return 0
	}
	k := costKey(widthIndex(wo), widthIndex(wq), dx)
	if c, ok := e.cost[k]; ok {
		return c
	}
	c := 0.0
	for _, mp := range e.pairs {
		c += m.pairTerms(mp, wo, wq, dx)
	}
	e.cost[k] = c
	return c
}

// total is the cost of choosing option x[u] for every unit u.
func (m *model) total(x []int) float64 {
	c := 0.0
	for u := range m.units {
		un := &m.units[u]
		o := un.opts[x[u]]
		c += o.unary
		for k := range un.edges {
			e := &un.edges[k]
			if e.v > u {
				c += m.edgeCost(e, o, m.units[e.v].opts[x[e.v]])
			}
		}
	}
	return c
}

// partCost is the cost of the units in part (edges leaving part count
// once, as if their other end were in part too; components have none).
func (m *model) partCost(x []int, part []int) float64 {
	c := 0.0
	for _, u := range part {
		un := &m.units[u]
		o := un.opts[x[u]]
		c += o.unary
		for k := range un.edges {
			e := &un.edges[k]
			if e.v > u {
				c += m.edgeCost(e, o, m.units[e.v].opts[x[e.v]])
			}
		}
	}
	return c
}

// plan turns unit choices into a Plan (cost recomputed from scratch).
func (m *model) plan(x []int, method string) Plan {
	pl := Plan{Assign: make(map[string]Assignment, len(m.p.Radios)), Method: method}
	for u, un := range m.units {
		for _, i := range un.radios {
			a := un.opts[x[u]].a
			pl.Assign[m.p.Radios[i].ID] = a
			if a != m.p.Radios[i].Current {
				pl.Switches++
			}
		}
	}
	pl.Cost = m.total(x)
	pl.CurrentCost = m.currentCost()
	return pl
}
