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
