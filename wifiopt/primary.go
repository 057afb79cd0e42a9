package wifiopt

import "math"

// Primary placement. The model prices a wide block the same whatever its
// primary 20 MHz channel (see Exposure in the package documentation), but
// the judge does not: a weak client's frames reach its AP on the primary
// channel, and leakage from a busy neighbouring block into the primary
// drowns them. In ns-3, a radio on 116/80 with a client at -65 dBm and a
// saturated neighbour on 100/80 heard at -43 dBm kept 0.19 of its
// throughput with its primary on 116 (next to the neighbour), 0.50 on
// 120 or 124 and 0.80 on 128. So once the blocks are chosen, Solve and
// Exact place each wide radio's primary on the channel of its block where
// the least interference falls: the load-weighted power, after the
// leakage loss of the transmit mask and the receiver's filter, of every
// network the radio hears (mesh radios at their planned channels and
// airtime, foreign networks at their load).
//
// The representative primary of a block (the current one where switches
// cost something, else the lowest) stays unless another is at least primaryGainDB quieter. When
// the block is the radio's current one and switches cost something,
// moving the primary is a switch of its own; it is made only when the
// current primary's interference comes within primaryMarginDB of the
// radio's weak clients' signal (ClientSignalDBm; never when that is
// unknown), where it costs them their uplink, and the new primary is at
// least primarySwitchGainDB quieter, well beyond a 2 dB measurement
// noise, so that noise does not move a primary back and forth.
const (
	primaryGainDB       = 1.0
	primarySwitchGainDB = 6.0
	primaryMarginDB     = 20.0
)

// primaryInterference is the load-weighted interference power (mW) that
// radio i hears in the 20 MHz channel centred at c MHz, with every other
// unit u on option opts[u] of its unit.
func (m *model) primaryInterference(i, c int, x []int) float64 {
	r := &m.p.Radios[i]
	add := func(rssi float64, width, centre int, load float64) float64 {
		if load <= 0 {
			return 0
		}
		if width <= 0 {
			width = 20
		}
		tab := m.leak[widthIndex(width)]
		dc := centre - c
		if dc < 0 {
			dc = -dc
		}
		if dc >= len(tab) {
			return 0
		}
		in := rssi - 10*math.Log10(float64(width)/20) + tab[dc]
		return load * math.Pow(10, in/10)
	}
	sum := 0.0
	for _, f := range m.info[i].foreign {
		chs, _ := block(r.Band, f.Channel, f.Width)
		sum += add(f.RSSI, f.Width, spanOf(r.Band, chs).centre(), f.Load)
	}
	for j := range m.p.Radios {
		if j == i || m.unitOf[j] == m.unitOf[i] || m.p.Radios[j].Band != r.Band {
			continue
		}
		rssi, ok := m.heard(i, j)
		if !ok {
			continue
		}
		o := m.units[m.unitOf[j]].opts[x[m.unitOf[j]]]
		sum += add(rssi, o.a.Width, o.sp.centre(), m.airtime(j, o.a.Width))
	}
	return sum
}

// placePrimaries returns the assignment of every radio for unit choices
// x, with the primary of each wide block placed as the package's
// primary placement describes.
func (m *model) placePrimaries(x []int) []Assignment {
	as := make([]Assignment, len(m.p.Radios))
	for u, un := range m.units {
		o := un.opts[x[u]]
		for _, i := range un.radios {
			as[i] = o.a
		}
		if o.a.Width <= 20 {
			continue
		}
		g := un.radios
		first := &m.p.Radios[g[0]]
		score := func(a Assignment) float64 {
			c := centreMHz(first.Band, a.Channel)
			s := 0.0
			for _, i := range g {
				s += m.primaryInterference(i, c, x)
			}
			return s
		}
		rep := score(o.a)
		best, bestS := o.a, rep
		for _, ch := range first.Channels {
			a := Assignment{Channel: ch.Number, Width: o.a.Width}
			if a == o.a {
				continue
			}
			chs, ok := m.groupAllows(g, a)
			if !ok || spanOf(first.Band, chs) != o.sp {
				continue
			}
			if s := score(a); s < bestS {
				best, bestS = a, s
			}
		}
		if best == o.a || dB(bestS) > dB(rep)-primaryGainDB {
			continue
		}
		if m.p.SwitchCost > 0 && m.currentPrimaryOnly(g, o.a) &&
			(!m.primaryHurts(g, rep) || dB(bestS) > dB(rep)-primarySwitchGainDB) {
			continue
		}
		for _, i := range g {
			as[i] = best
		}
	}
	return as
}

// currentPrimaryOnly reports whether a is the current assignment of every
// radio of group g, so that moving its primary would be a switch.
func (m *model) currentPrimaryOnly(g []int, a Assignment) bool {
	for _, i := range g {
		if m.p.Radios[i].Current != a {
			return false
		}
	}
	return true
}

// primaryHurts reports whether interference s (mW, summed over group g)
// in a primary channel comes within primaryMarginDB of the weakest
// measured ClientSignalDBm of g's radios.
func (m *model) primaryHurts(g []int, s float64) bool {
	weak, known := 0.0, false
	for _, i := range g {
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
