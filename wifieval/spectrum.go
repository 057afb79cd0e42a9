package wifieval

import (
	"math"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// nsChannel is how ns-3 names an operating channel: the number of the
// whole channel (its centre for wide channels), the width, and the index
// of the primary 20 MHz channel inside it counted from the lowest.
type nsChannel struct {
	number, width, p20 int
}

// toNS converts a planner Assignment to ns-3's naming.
func toNS(b wifiopt.Band, a wifiopt.Assignment) (nsChannel, error) {
	blk, err := wifiopt.Block(b, a.Channel, a.Width)
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

// deferProb is the chance that a transmission heard at rssi dBm over
// width MHz keeps a listener busy: the planner's soft carrier-sense
// threshold of -82 dBm per 20 MHz with a 3 dB spread, without the
// planner's cut-off of negligible probabilities.
func deferProb(rssi float64, width int) float64 {
	if width == 0 {
		width = 20
	}
	p20 := rssi - 10*math.Log10(float64(width)/20)
	return 1 / (1 + math.Exp(-(p20+82)/3))
}
