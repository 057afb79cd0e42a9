package wifiopt

import (
	"math"
	"slices"
)

// Primary placement. The model prices a wide block the same whatever its
// primary 20 MHz channel (see Exposure in the package documentation), but
// the judge does not, for two reasons. Control responses (acknowledgements,
// Block Acks) travel on the primary channel alone, so a network that
// shares part of a radio's block with another primary is heard only by
// energy detection there and the two collide on each other's responses:
// in apartment 2 of cmd/wifieval a radio moved from 116 to 120 inside
// 116/80, where a neighbour's 80 MHz network has its primary on 116, and
// its clients fell from 73 to 40 Mb/s. And a weak client's frames reach
// its AP on the primary, where leakage from a busy neighbouring block
// drowns them: a radio on 116/80 with a client at -65 dBm and a saturated
// neighbour on 100/80 heard at -43 dBm kept 0.19 of its throughput with
// its primary on 116, next to the neighbour, and 0.80 on 128.
//
// So once the blocks are chosen, Solve and Exact give every wide block
// one primary for all the mesh radios on it (the same spectrum), chosen
// first to share the primary of every overlapping network they hear
// (misalignment, each such network weighted by its airtime and the
// chance the radio detects it), then to take the least leakage from the
// networks outside the block (the load-weighted power that falls in the
// primary after the transmit mask and the receiver's filter). Mesh
// radios on overlapping blocks of another width are placed widest first,
// the later ones sharing the earlier ones' primaries.
//
// Without switch costs, the lowest channel of the block stays the primary
// unless another is less misaligned or at least primaryGainDB quieter.
// Where switches cost something, the primary most of the block's radios
// use now stays unless another is clearly less misaligned (by
// primaryAlignGain), or the present one's leakage comes within
// primaryMarginDB of the radios' weak clients' signal (ClientSignalDBm;
// never when that is unknown) and another is at least
// primarySwitchGainDB quieter, beyond a 2 dB measurement noise, so that
// noise does not move a primary back and forth.
const (
	primaryGainDB       = 1.0
	primarySwitchGainDB = 6.0
	primaryMarginDB     = 20.0
	primaryAlignTol     = 0.01
	primaryAlignGain    = 0.05
)

// primaryScore is what a primary channel costs a group of radios.
type primaryScore struct {
	misaligned float64 // weight of overlapping networks whose primary it is not
	leak       float64 // load-weighted interference power in it, mW
	switches   int     // radios of the group not on it now
}

// source is a network a radio hears, as primary placement sees it.
type source struct {
	rssi    float64
	width   int
	chs     []int // its 20 MHz channels
	primary int
	load    float64
}

// sources lists the networks radio i hears: foreign networks and the mesh
// radios at as outside the units in skip (its cluster).
func (m *model) sources(i int, as []Assignment, skip []int) []source {
	r := &m.p.Radios[i]
	var out []source
	for _, f := range m.info[i].foreign {
		chs, _ := block(r.Band, f.Channel, f.Width)
		out = append(out, source{rssi: f.RSSI, width: f.Width, chs: chs, primary: f.Channel, load: f.Load})
	}
	for j := range m.p.Radios {
		if slices.Contains(skip, m.unitOf[j]) || m.p.Radios[j].Band != r.Band {
			continue
		}
		rssi, ok := m.heard(i, j)
		if !ok {
			continue
		}
		a := as[j]
		chs, _ := block(r.Band, a.Channel, a.Width)
		out = append(out, source{rssi: rssi, width: a.Width, chs: chs, primary: a.Channel, load: m.airtime(j, a.Width)})
	}
	return out
}

// scorePrimary adds to sc what primary channel c costs radio i on the
// block chs, given the networks it hears.
func (m *model) scorePrimary(sc *primaryScore, i, c int, chs []int, srcs []source) {
	r := &m.p.Radios[i]
	mine := spanOf(r.Band, chs)
	cMHz := centreMHz(r.Band, c)
	for _, s := range srcs {
		if s.load <= 0 {
			continue
		}
		sp := spanOf(r.Band, s.chs)
		if overlap(mine, sp) > 0 {
			w := s.load * contention(s.rssi, s.width)
			switch {
			case slices.Contains(chs, s.primary):
				if c != s.primary {
					sc.misaligned += w
				}
			case !slices.Contains(s.chs, c):
				sc.misaligned += w
			}
			continue
		}
		tab := m.leak[widthIndex(s.width)]
		dc := sp.centre() - cMHz
		if dc < 0 {
			dc = -dc
		}
		if dc >= len(tab) {
			continue
		}
		in := s.rssi - 10*math.Log10(float64(s.width)/20) + tab[dc]
		sc.leak += s.load * math.Pow(10, in/10)
	}
}

// placePrimaries returns the assignment of every radio for unit choices
// x, with the primaries of wide blocks placed as the package's primary
// placement describes.
func (m *model) placePrimaries(x []int) []Assignment {
	as := make([]Assignment, len(m.p.Radios))
	for u, un := range m.units {
		for _, i := range un.radios {
			as[i] = un.opts[x[u]].a
		}
	}
	// Clusters: the wide units on one spectrum, widest first.
	type cluster struct {
		o     option
		units []int
	}
	var cs []cluster
	byKey := map[[3]int]int{}
	for u, un := range m.units {
		o := un.opts[x[u]]
		if o.a.Width <= 20 {
			continue
		}
		band := 0
		switch m.p.Radios[un.radios[0]].Band {
		case Band5G:
			band = 1
		case Band6G:
			band = 2
		}
		k := [3]int{band, o.sp.lo, o.sp.hi}
		if c, ok := byKey[k]; ok {
			cs[c].units = append(cs[c].units, u)
			continue
		}
		byKey[k] = len(cs)
		cs = append(cs, cluster{o: o, units: []int{u}})
	}
	slices.SortStableFunc(cs, func(a, b cluster) int { return b.o.a.Width - a.o.a.Width })
	for _, cl := range cs {
		var radios []int
		for _, u := range cl.units {
			radios = append(radios, m.units[u].radios...)
		}
		first := &m.p.Radios[radios[0]]
		var cands []Assignment
		for _, ch := range first.Channels {
			a := Assignment{Channel: ch.Number, Width: cl.o.a.Width}
			ok := true
			for _, u := range cl.units {
				chs, allowed := m.groupAllows(m.units[u].radios, a)
				if !allowed || spanOf(first.Band, chs) != cl.o.sp {
					ok = false
					break
				}
			}
			if ok {
				cands = append(cands, a)
			}
		}
		if len(cands) == 0 {
			continue
		}
		slices.SortFunc(cands, func(a, b Assignment) int { return a.Channel - b.Channel })
		srcs := make([][]source, len(radios))
		for k, i := range radios {
			srcs[k] = m.sources(i, as, cl.units)
		}
		scores := make([]primaryScore, len(cands))
		for n, a := range cands {
			for k, i := range radios {
				m.scorePrimary(&scores[n], i, a.Channel, cl.o.chs, srcs[k])
				if m.p.Radios[i].Current != a {
					scores[n].switches++
				}
			}
		}
		pick := m.choosePrimary(cands, scores, radios)
		for _, i := range radios {
			as[i] = cands[pick]
		}
	}
	return as
}

// choosePrimary picks among a cluster's candidate assignments (lowest
// channel first) by their scores, as the package's primary placement
// describes.
func (m *model) choosePrimary(cands []Assignment, sc []primaryScore, radios []int) int {
	best := 0
	minMis := math.Inf(1)
	for _, s := range sc {
		minMis = min(minMis, s.misaligned)
	}
	for n := range cands {
		if sc[n].misaligned > minMis+primaryAlignTol {
			continue
		}
		if sc[best].misaligned > minMis+primaryAlignTol || dB(sc[n].leak) < dB(sc[best].leak) {
			best = n
		}
	}
	if m.p.SwitchCost <= 0 {
		// Keep the lowest channel unless best is clearly better.
		if sc[0].misaligned <= minMis+primaryAlignTol && dB(sc[best].leak) > dB(sc[0].leak)-primaryGainDB {
			return 0
		}
		return best
	}
	now := 0
	for n := range cands {
		if sc[n].switches < sc[now].switches {
			now = n
		}
	}
	if best == now {
		return now
	}
	if sc[now].misaligned-sc[best].misaligned > primaryAlignGain {
		return best
	}
	if sc[best].misaligned <= sc[now].misaligned+primaryAlignTol && m.primaryHurts(radios, sc[now].leak) &&
		dB(sc[best].leak) <= dB(sc[now].leak)-primarySwitchGainDB {
		return best
	}
	return now
}

// primaryHurts reports whether interference s (mW, summed over radios)
// in a primary channel comes within primaryMarginDB of the weakest
// measured ClientSignalDBm of those radios.
func (m *model) primaryHurts(radios []int, s float64) bool {
	weak, known := 0.0, false
	for _, i := range radios {
		if c := m.p.Radios[i].ClientSignalDBm; c != 0 && (!known || c < weak) {
			weak, known = c, true
		}
	}
	return known && dB(s) > weak-primaryMarginDB
}

// dB is 10·log10(mw), -Inf for 0.
func dB(mw float64) float64 {
	if mw <= 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(mw)
}
