package wifiopt

import (
	"fmt"
	"math"
)

// Band is an operating frequency band, spelled as TR-181
// OperatingFrequencyBand spells it.
type Band string

// The bands a radio may operate in.
const (
	Band2G4 Band = "2.4GHz"
	Band5G  Band = "5GHz"
	Band6G  Band = "6GHz"
)

// span is the occupied spectrum of a transmission, [Lo, Hi] in MHz.
type span struct{ lo, hi int }

func (s span) width() int { return s.hi - s.lo }

// overlap is the fraction of a's spectrum that b also occupies.
func overlap(a, b span) float64 {
	lo, hi := max(a.lo, b.lo), min(a.hi, b.hi)
	if hi <= lo || a.width() <= 0 {
		return 0
	}
	return float64(hi-lo) / float64(a.width())
}

// centreMHz is the centre frequency of 20 MHz channel n in band b, or 0
// when n is not a channel of b.
func centreMHz(b Band, n int) int {
	switch b {
	case Band2G4:
		switch {
		case n >= 1 && n <= 13:
			return 2407 + 5*n
		case n == 14:
			return 2484
		}
	case Band5G:
		if (n >= 36 && n <= 144 && n%4 == 0) || (n >= 149 && n <= 177 && n%4 == 1) {
			return 5000 + 5*n
		}
	case Band6G:
		if n >= 1 && n <= 233 && n%4 == 1 {
			return 5950 + 5*n
		}
	}
	return 0
}

// knownBand reports whether b is one of the bands the planner models.
func knownBand(b Band) bool { return b == Band2G4 || b == Band5G || b == Band6G }

// block lists the 20 MHz channels a channel of the given width occupies
// when its primary is channel n, lowest first.
//
// 5 and 6 GHz wide channels are fixed blocks aligned on the 20 MHz grid
// (5 GHz: 36-40, 36-48, 36-64, ..., 149-177; 6 GHz: 1-5, 1-13, 1-29, ...).
// In 2.4 GHz only 40 MHz bonding exists: HT40+ (secondary 4 channels
// above) for primaries 1-7, HT40- for 8-13; channel 14 is 20 MHz only.
func block(b Band, n, width int) ([]int, error) {
	if centreMHz(b, n) == 0 {
		return nil, fmt.Errorf("channel %d is not a %s channel", n, b)
	}
	if width == 20 {
		return []int{n}, nil
	}
	switch b {
	case Band2G4:
		if width != 40 || n == 14 {
			return nil, fmt.Errorf("width %d MHz on %s channel %d is not supported", width, b, n)
		}
		if n <= 7 {
			return []int{n, n + 4}, nil
		}
		return []int{n - 4, n}, nil
	case Band5G, Band6G:
		m := width / 20
		if width%20 != 0 || (m != 2 && m != 4 && m != 8) {
			return nil, fmt.Errorf("width %d MHz is not supported in %s", width, b)
		}
		base := 1
		if b == Band5G {
			base = 36
			if n >= 149 {
				base = 149
			}
		}
		k := (n - base) / 4
		start := k - k%m
		out := make([]int, m)
		for i := range out {
			out[i] = base + 4*(start+i)
			if centreMHz(b, out[i]) == 0 {
				return nil, fmt.Errorf("%d MHz channel with primary %d runs off the %s band", width, n, b)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown band %q", b)
}

// Block returns the 20 MHz channels that a channel of width MHz (0 means
// 20) occupies in band b when its primary is channel n, lowest first, by
// the planner's bonding rules (see the package doc).
func Block(b Band, n, width int) ([]int, error) {
	if width == 0 {
		width = 20
	}
	return block(b, n, width)
}

// Overlap is the share of x's spectrum that y also occupies, both
// channels of band b (a Width of 0 means 20 MHz).
func Overlap(b Band, x, y Assignment) (float64, error) {
	bx, err := Block(b, x.Channel, x.Width)
	if err != nil {
		return 0, err
	}
	by, err := Block(b, y.Channel, y.Width)
	if err != nil {
		return 0, err
	}
	return overlap(spanOf(b, bx), spanOf(b, by)), nil
}

// spanOf is the occupied spectrum of a channel whose 20 MHz channels are chs.
func spanOf(b Band, chs []int) span {
	return span{centreMHz(b, chs[0]) - 10, centreMHz(b, chs[len(chs)-1]) + 10}
}

// Contention model constants; see the package documentation.
const (
	// CarrierSenseDBm is the preamble-detect threshold for a 20 MHz PPDU.
	CarrierSenseDBm = -82.0
	// FadingDB is the scale of the soft threshold: shadowing and fading
	// spread the received power around its mean by a few dB.
	FadingDB = 3.0
	// negligible is the contention probability below which a pair of
	// radios is taken as not interacting at all.
	negligible = 1e-4
)

// contention is the probability that a transmission received at rssi dBm
// over width MHz keeps a receiver off the air: the power per 20 MHz is
// compared with CarrierSenseDBm through a logistic of scale FadingDB.
func contention(rssi float64, width int) float64 {
	if width <= 0 {
		width = 20
	}
	per20 := rssi - 10*math.Log10(float64(width)/20)
	p := 1 / (1 + math.Exp(-(per20-CarrierSenseDBm)/FadingDB))
	if p < negligible {
		return 0
	}
	return p
}

// Adjacent-channel and energy-detect constants; see the package
// documentation for their sources.
const (
	// EnergyDetectDBm is the CCA energy-detect threshold per 20 MHz: any
	// signal at or above it keeps a radio off the air, decodable or not.
	EnergyDetectDBm = -62.0
	// rxAdjacentDB and rxNonAdjacentDB are the receiver's rejection of a
	// transmission one and two channel widths away (edge gap 0 and 20 MHz).
	rxAdjacentDB    = 28.0
	rxNonAdjacentDB = 44.0
)

// maskDBr is the 802.11 OFDM transmit spectrum mask of a width MHz PPDU
// at x MHz from its centre: 0 dBr to W/2-1, -20 dBr at W/2+1, -28 dBr at
// W, -40 dBr at 3W/2 and beyond, linear in dB in between.
func maskDBr(width int, x float64) float64 {
	w := float64(width)
	x = math.Abs(x)
	pts := [...][2]float64{{w/2 - 1, 0}, {w/2 + 1, -20}, {w, -28}, {1.5 * w, -40}}
	if x <= pts[0][0] {
		return 0
	}
	for k := 1; k < len(pts); k++ {
		if x <= pts[k][0] {
			a, b := pts[k-1], pts[k]
			return a[1] + (b[1]-a[1])*(x-a[0])/(b[0]-a[0])
		}
	}
	return -40
}

// leakReach is the largest distance (MHz) between a 20 MHz channel's
// centre and the centre of a width MHz transmission at which the model
// lets the transmission reach the channel: the channel's near edge at
// 3W/2, where the mask reaches its floor.
func leakReach(width int) int { return 3*width/2 + 10 }

// leakDB is the power a width MHz transmission centred dc MHz from a
// 20 MHz channel's centre leaves in that channel after the receiver's
// filter, in dB relative to the transmission's power per 20 MHz (at most
// 0): the mask integrated over the channel, relative to the mask in one
// of the transmission's own 20 MHz channels, plus, for a transmission
// entirely outside the channel, the receiver's finite rejection of it
// (rxAdjacentDB at an edge gap of 0, rising linearly to rxNonAdjacentDB
// at 20 MHz and staying there). It is -Inf beyond leakReach.
func leakDB(width, dc int) float64 {
	if dc < 0 {
		dc = -dc
	}
	if dc > leakReach(width) {
		return math.Inf(-1)
	}
	f := maskShare(width, dc) / maskShare(width, width/2-10)
	if gap := float64(dc - width/2 - 10); gap >= 0 {
		rej := rxAdjacentDB + (rxNonAdjacentDB-rxAdjacentDB)*min(1, gap/20)
		f += math.Pow(10, -rej/10)
	}
	return min(0, 10*math.Log10(f))
}

// maskShare is the mean of the mask (linear) of a width MHz transmission
// over the 20 MHz channel centred dc MHz from its centre. The mask is
// linear in dB between its points, so each piece integrates exactly.
func maskShare(width, dc int) float64 {
	w := float64(width)
	knots := []float64{-1.5 * w, -w, -w/2 - 1, -w/2 + 1, w/2 - 1, w/2 + 1, w, 1.5 * w}
	lo, hi := float64(dc)-10, float64(dc)+10
	cuts := []float64{lo}
	for _, k := range knots {
		if k > lo && k < hi {
			cuts = append(cuts, k)
		}
	}
	cuts = append(cuts, hi)
	f := 0.0
	for k := 1; k < len(cuts); k++ {
		a, b := cuts[k-1], cuts[k]
		da, db := maskDBr(width, a), maskDBr(width, b)
		la, lb := math.Pow(10, da/10), math.Pow(10, db/10)
		if math.Abs(db-da) < 1e-9 {
			f += la * (b - a)
			continue
		}
		// ∫ 10^(d(x)/10) dx with d linear: (lb - la)·(b - a)/((db - da)·ln10/10).
		f += (lb - la) * (b - a) / ((db - da) * math.Ln10 / 10)
	}
	return f / 20
}

// leakTable holds leakDB for every width index and integer distance.
type leakTable [4][]float64

func newLeakTable() *leakTable {
	var t leakTable
	for wi, w := range widthsByIndex {
		r := leakReach(w)
		t[wi] = make([]float64, r+1)
		for dc := range t[wi] {
			t[wi][dc] = leakDB(w, dc)
		}
	}
	return &t
}

// exposure is the share of airtime a radio on a channel of width wo
// loses to a transmission of width wq heard at rssi dBm (its total
// power) whose centre is dx MHz above the radio's channel centre, while
// that transmission is on the air. Each 20 MHz channel of the radio's
// block counts 1/(wo/20): in it the transmission's power per 20 MHz,
// less the leakage loss, is compared through the soft threshold with
// CarrierSenseDBm when the transmission occupies part of that channel
// (its legacy preamble is sent on each of its 20 MHz channels) and with
// EnergyDetectDBm when it lies wholly outside it.
func (t *leakTable) exposure(rssi float64, wo, wq, dx int) float64 {
	return t.meanOverBlock(rssi, wo, wq, dx, func(_, p float64) float64 { return p })
}

// meanOverBlock is the mean of f over the 20 MHz channels of a radio's
// block of width wo, for a transmission of width wq heard at rssi dBm
// centred dx MHz above the block's centre: f gets the transmission's
// power in the channel after the leakage loss (in, dBm) and the
// probability p that the radio defers to it there (the soft threshold
// against CarrierSenseDBm or EnergyDetectDBm, as exposure describes). A
// channel too far away for the leakage table counts 0. Widths of 0 are
// taken as 20 MHz.
func (t *leakTable) meanOverBlock(rssi float64, wo, wq, dx int, f func(in, p float64) float64) float64 {
	return t.meanOverBlockAt(rssi, 0, wo, wq, dx, f)
}

// meanOverBlockAt is meanOverBlock for a transmission the radio hears at
// rssi dBm (which sets p) and that reaches where f is evaluated shift dB
// stronger: f gets in + shift.
func (t *leakTable) meanOverBlockAt(rssi, shift float64, wo, wq, dx int, f func(in, p float64) float64) float64 {
	if wo <= 0 {
		wo = 20
	}
	if wq <= 0 {
		wq = 20
	}
	per20 := rssi - 10*math.Log10(float64(wq)/20)
	tab := t[widthIndex(wq)]
	n := wo / 20
	sum := 0.0
	for k := range n {
		dc := dx - (-wo/2 + 10 + 20*k)
		if dc < 0 {
			dc = -dc
		}
		if dc >= len(tab) {
			continue
		}
		thr := EnergyDetectDBm
		if dc < wq/2+10 {
			thr = CarrierSenseDBm
		}
		in := per20 + tab[dc]
		sum += f(in+shift, 1/(1+math.Exp(-(in-thr)/FadingDB)))
	}
	return sum / float64(n)
}

// centre is the centre frequency (MHz) of a span.
func (s span) centre() int { return (s.lo + s.hi) / 2 }
