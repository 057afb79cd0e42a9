package wifiopt

import "math"

// The width model; see "Width" in the package documentation.
const (
	// ReferenceSNRDB is the signal-to-noise ratio in 20 MHz of the client
	// the width model prices capacity for: one at the band-steering
	// threshold of about -70 dBm over a noise floor of about -95 dBm.
	ReferenceSNRDB = 25.0
	// minShare bounds below the share of a channel's airtime the width
	// term takes as left to a radio, so that a channel busy all the time
	// costs a large but finite amount.
	minShare = 0.05
)

// dataTones is the number of data subcarriers of an HT or VHT PPDU of
// each width (IEEE 802.11-2020 19.3.7 and Table 21-5: 52, 108, 234, 468).
var dataTones = [4]float64{52, 108, 234, 468}

// capacityAt is the throughput of a width MHz channel relative to a
// 20 MHz one, for the client at ReferenceSNRDB: data subcarriers times
// log2(1 + SNR), the SNR falling by 10·log10(W/20) as the same power
// spreads over more noise (3 dB per doubling, as the minimum receiver
// sensitivities of 21.3.18.1 do). About 1, 1.83, 3.42 and 5.79 for 20,
// 40, 80 and 160 MHz.
func capacityAt(width int) float64 {
	wi := widthIndex(width)
	snr := math.Pow(10, ReferenceSNRDB/10)
	return dataTones[wi] / dataTones[0] * math.Log2(1+snr*20/float64(widthsByIndex[wi])) / math.Log2(1+snr)
}

// effectiveCapacity is what radio i's option o leaves to it, relative to
// an idle 20 MHz channel: the width's capacity times the share of
// airtime the foreign networks and busy time leave (at least minShare).
func (m *model) effectiveCapacity(i int, o option) float64 {
	return m.capacity[o.wi] * max(minShare, 1-m.lostTo(i, o))
}

// bestCapacity is the largest effectiveCapacity over the assignments
// radio i may use, or 0 when it has a single width (nothing to rank).
func (m *model) bestCapacity(i int) float64 {
	r := &m.p.Radios[i]
	if len(r.Widths) < 2 {
		return 0
	}
	best := 0.0
	for _, w := range r.Widths {
		for _, c := range r.Channels {
			a := Assignment{Channel: c.Number, Width: w}
			chs, ok := allowedBlock(r, a)
			if !ok {
				continue
			}
			o := option{a: a, chs: chs, sp: spanOf(r.Band, chs), wi: widthIndex(w)}
			best = max(best, m.effectiveCapacity(i, o))
		}
	}
	return best
}

// widthCost is the airtime radio i's traffic needs on option o beyond
// what it would need on the option with the most capacity left to it:
// d/C(o) − d/C_best, with d the demand and C the effective capacity.
// It is 0 for a radio with a single width.
func (m *model) widthCost(i int, o option) float64 {
	inf := &m.info[i]
	if inf.bestCap == 0 || inf.demand == 0 {
		return 0
	}
	return max(0, inf.demand/m.effectiveCapacity(i, o)-inf.demand/inf.bestCap)
}
