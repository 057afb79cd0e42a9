package wifieval

import (
	"fmt"
	"math"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// nsChannel is how ns-3 names an operating channel: the number of the
// whole channel (its centre for wide channels), the width, and the index
// of the primary 20 MHz channel inside it counted from the lowest.
type nsChannel struct {
	number, width, p20 int
}

// blockOf lists the 20 MHz channels that a channel of the given width
// with primary n occupies, lowest first, by the planner's rules (see the
// wifiopt package doc): 2.4 GHz HT40+ for primaries 1-7 and HT40- above;
// 5 GHz fixed blocks of the 20 MHz grid from 36 and 149.
func blockOf(b wifiopt.Band, n, width int) ([]int, error) {
	if width == 20 {
		return []int{n}, nil
	}
	switch b {
	case wifiopt.Band2G4:
		if width != 40 || n < 1 || n > 13 {
			break
		}
		if n <= 7 {
			return []int{n, n + 4}, nil
		}
		return []int{n - 4, n}, nil
	case wifiopt.Band5G:
		k := width / 20
		if width%20 != 0 || k&(k-1) != 0 || k > 8 {
			break
		}
		base := 36
		if n >= 149 {
			base = 149
		}
		lo := n - (n-base)%(4*k)
		out := make([]int, k)
		for i := range out {
			out[i] = lo + 4*i
		}
		return out, nil
	}
	return nil, fmt.Errorf("wifieval: no %d MHz %s channel with primary %d", width, b, n)
}

// toNS converts a planner Assignment to ns-3's naming.
func toNS(b wifiopt.Band, a wifiopt.Assignment) (nsChannel, error) {
	blk, err := blockOf(b, a.Channel, a.Width)
	if err != nil {
		return nsChannel{}, err
	}
	lo, hi := blk[0], blk[len(blk)-1]
	p20 := 0
	for i, c := range blk {
		if c == a.Channel {
			p20 = i
		}
	}
	return nsChannel{number: (lo + hi) / 2, width: a.Width, p20: p20}, nil
}

// centreMHz is the centre of 20 MHz channel n.
func centreMHz(b wifiopt.Band, n int) float64 {
	if b == wifiopt.Band2G4 {
		return 2407 + 5*float64(n)
	}
	return 5000 + 5*float64(n)
}

// span is the spectrum [lo, hi] MHz a transmission occupies.
type span struct{ lo, hi float64 }

func spanOf(b wifiopt.Band, a wifiopt.Assignment) (span, error) {
	w := a.Width
	if w == 0 {
		w = 20
	}
	blk, err := blockOf(b, a.Channel, w)
	if err != nil {
		return span{}, err
	}
	return span{centreMHz(b, blk[0]) - 10, centreMHz(b, blk[len(blk)-1]) + 10}, nil
}

// overlap is the share of a's spectrum that b also occupies.
func overlap(a, b span) float64 {
	lo, hi := math.Max(a.lo, b.lo), math.Min(a.hi, b.hi)
	if hi <= lo {
		return 0
	}
	return (hi - lo) / (a.hi - a.lo)
}

// deferProb is the chance that a transmission heard at rssi dBm over
// width MHz keeps a listener busy: the planner's soft carrier-sense
// threshold of -82 dBm per 20 MHz with a 3 dB spread.
func deferProb(rssi float64, width int) float64 {
	if width == 0 {
		width = 20
	}
	p20 := rssi - 10*math.Log10(float64(width)/20)
	return 1 / (1 + math.Exp(-(p20+82)/3))
}
