package steer

import "math"

// A PHY rate is data subcarriers × coded bits per subcarrier ÷ symbol
// time, per spatial stream. The three factors reproduce the MCS tables of
// IEEE Std 802.11-2020 (clause 17 OFDM, 19.5 HT, 21.5 VHT) and IEEE Std
// 802.11ax-2021 (27.5 HE) exactly; e.g. HT 20 MHz MCS 7 is 52 × 5 / 4 µs
// = 65 Mb/s and HE 80 MHz MCS 11 is 980 × 8.33 / 13.6 µs = 600.5 Mb/s.

// bitsPerSubcarrier is modulation bits × coding rate for MCS 0..11
// (BPSK 1/2, QPSK 1/2, QPSK 3/4, 16-QAM 1/2, 16-QAM 3/4, 64-QAM 2/3,
// 64-QAM 3/4, 64-QAM 5/6, 256-QAM 3/4, 256-QAM 5/6, 1024-QAM 3/4,
// 1024-QAM 5/6).
var bitsPerSubcarrier = [12]float64{0.5, 1, 1.5, 2, 3, 4, 4.5, 5, 6, 20.0 / 3, 7.5, 25.0 / 3}

// sensitivity20 is the minimum input sensitivity (dBm, 20 MHz) for MCS
// 0..11: IEEE 802.11-2020 Table 19-23 (HT MCS 0-7), Table 21-25 (VHT MCS
// 8-9) and 802.11ax-2021 Table 27-51 (HE MCS 10-11). Each doubling of the
// width raises it by 3 dB (the tables' 40/80/160 MHz columns).
var sensitivity20 = [12]float64{-82, -79, -77, -74, -70, -66, -65, -64, -59, -57, -54, -52}

// legacyRates are the 802.11a/g OFDM rates (Mb/s) and legacySensitivity
// their minimum sensitivity (IEEE 802.11-2020 Table 17-18).
var (
	legacyRates       = [8]float64{6, 9, 12, 18, 24, 36, 48, 54}
	legacySensitivity = [8]float64{-82, -81, -79, -77, -74, -70, -66, -65}
)

// ofdm describes one standard's symbol: data subcarriers per width and
// symbol duration (µs, with the 0.8 µs guard interval).
type ofdm struct {
	subcarriers [4]float64 // 20, 40, 80, 160 MHz → data subcarriers per stream; 0 if absent
	symbolUS    float64
	maxMCS      int
}

var (
	htOFDM  = ofdm{[4]float64{52, 108}, 4, 7}
	vhtOFDM = ofdm{[4]float64{52, 108, 234, 468}, 4, 9}
	heOFDM  = ofdm{[4]float64{234, 468, 980, 1960}, 13.6, 11}
)

// PHYRate returns the highest PHY data rate (Mb/s) a link of the given
// standard, width (MHz) and spatial streams can sustain at signalDBm: the
// fastest MCS whose minimum sensitivity at that width the signal meets.
// It returns 0 below MCS 0's sensitivity at 20 MHz. Every width up to
// widthMHz that the standard has is tried (rate control may fall back to
// a narrower width, where sensitivity is 3 dB better per halving), so HT
// on an 80 MHz BSS uses 40 MHz; streams are clamped
// to 1..8. VHT MCS 9 is invalid at 20 MHz for 1, 2, 4, 5, 7 and 8 streams
// (802.11-2020 21.5) and is skipped there.
func PHYRate(std Standard, widthMHz, streams int, signalDBm float64) float64 {
	if math.IsNaN(signalDBm) {
		return 0
	}
	streams = min(max(streams, 1), 8)
	if std <= Legacy {
		best := 0.0
		for i, s := range legacySensitivity {
			if signalDBm >= s {
				best = legacyRates[i]
			}
		}
		return best
	}
	o := htOFDM
	switch {
	case std == VHT:
		o = vhtOFDM
	case std >= HE:
		o = heOFDM
	}
	best := 0.0
	for i, w := range [4]int{20, 40, 80, 160} {
		if w <= max(widthMHz, 20) && o.subcarriers[i] > 0 {
			best = max(best, o.rate(std, i, streams, signalDBm))
		}
	}
	return best
}

// rate is the fastest rate at exactly the width of index wi (20 MHz ×
// 2^wi); the sensitivity rises 3 dB per doubling.
func (o ofdm) rate(std Standard, wi, streams int, signalDBm float64) float64 {
	offset := 3 * float64(wi)
	best := 0.0
	for mcs := 0; mcs <= o.maxMCS; mcs++ {
		if signalDBm < sensitivity20[mcs]+offset {
			break
		}
		if std == VHT && mcs == 9 && wi == 0 && streams%3 != 0 {
			continue
		}
		best = o.subcarriers[wi] * bitsPerSubcarrier[mcs] / o.symbolUS * float64(streams)
	}
	return best
}
