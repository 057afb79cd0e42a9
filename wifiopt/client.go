package wifiopt

import (
	"math"
	"slices"
)

// The client-side SINR term; see "Clients" in the package documentation.
const (
	// ClientNoiseDBm is the noise a client receives in 20 MHz: thermal
	// noise (-101 dBm) plus the 10 dB noise figure behind 802.11's
	// minimum input sensitivities, as in the rejection model above.
	ClientNoiseDBm = -91.0
	// topSNR24DB and topSNR5DB are the SNRs at which a client reaches the
	// top rate of its band, HT MCS 7 in 2.4 GHz and VHT MCS 9 in 5 and
	// 6 GHz: their minimum input sensitivities, -64 dBm in 20 MHz
	// (19.3.19.1) and -57 dBm per 20 MHz (21.3.18.1: -54 dBm in 40 MHz),
	// less ClientNoiseDBm. A client above it loses nothing to
	// interference that leaves it there.
	topSNR24DB = -64 - ClientNoiseDBm
	topSNR5DB  = -57 - ClientNoiseDBm
)

// clientSNRs are a radio's weak client's linear SNR in 20 MHz and the
// SNR (per 20 MHz, linear) at which its band's top rate is reached.
type clientSNRs struct{ snr, top float64 }

// clientSNR is the linear signal-to-noise ratio in 20 MHz of radio r's
// weak client (Radio.ClientSignalDBm) and its band's top-rate SNR. An
// unknown signal (0) gives SNR 0, for which clientLoss is 0: with no
// measured client the planner does not guess one.
func clientSNR(r *Radio) clientSNRs {
	s := r.ClientSignalDBm
	if s == 0 {
		return clientSNRs{}
	}
	top := topSNR5DB
	if r.Band == Band2G4 {
		top = topSNR24DB
	}
	return clientSNRs{snr: math.Pow(10, (s-ClientNoiseDBm)/10), top: math.Pow(10, top/10)}
}

// clientLoss is the extra airtime, per unit of the radio's own airtime
// and of the interferer's, that a radio on a channel of width wo whose
// weak client has the SNRs c needs because of a transmission of width wq
// heard at rssi dBm, centred dx MHz above the radio's centre, that does
// not make it defer. In each 20 MHz channel k of the radio's block the
// leaked power I_k (the power per 20 MHz plus leakDB) lowers the
// client's SINR; the capacity left there is
// x_k = log2(1+min(T, S/(N+I_k)))/log2(1+min(T, S/N)), S the signal per
// 20 MHz at width wo and T the top rate's SNR, and carrying the same
// traffic takes 1/x_k − 1 more airtime (x_k at least minShare, as in the
// width term). It counts only while the radio transmits, that is with
// probability 1 − p_k, p_k the probability of deferring that exposure
// uses; the mean over the block is returned.
func (t *leakTable) clientLoss(c clientSNRs, rssi float64, wo, wq, dx int) float64 {
	return t.clientLossAt(c, rssi, rssi, wo, wq, dx)
}

// clientLossAt is clientLoss for an interferer the radio hears at ap
// dBm, which sets how often it defers (deferLevel when it does not hear
// it), and its clients at cl dBm, which sets their SINR.
func (t *leakTable) clientLossAt(c clientSNRs, ap, cl float64, wo, wq, dx int) float64 {
	snr := c.snr * 20 / float64(max(wo, 20))
	full := math.Log2(1 + min(c.top, snr))
	if !(full > 0) {
		return 0
	}
	return t.meanOverBlockAt(ap, cl-ap, wo, wq, dx, func(in, p float64) float64 {
		inr := math.Pow(10, (in-ClientNoiseDBm)/10)
		left := max(minShare, math.Log2(1+min(c.top, snr/(1+inr)))/full)
		return (1 - p) * (1/left - 1)
	})
}

// ClientFloorDBm: a mesh radio its clients hear at or below this (10 dB
// under the noise) costs their SINR under 0.5 dB, and makes no pair.
const ClientFloorDBm = ClientNoiseDBm - 10

// noDeferDBm stands for an interferer the radio does not hear: far below
// any carrier sense threshold, so it never defers to it.
const noDeferDBm = -200

// deferLevel is the level that sets a radio's deferring to another it
// hears at r dBm, when heard; noDeferDBm when it does not hear it.
func deferLevel(r float64, heard bool) float64 {
	if heard {
		return r
	}
	return noDeferDBm
}

// foreignClientLoss is the extra airtime radio i on option o needs for
// its clients' SINR loss to the foreign networks it heard, each weighted
// by its load.
func (m *model) foreignClientLoss(i int, o option) float64 {
	r := &m.p.Radios[i]
	inf := &m.info[i]
	loss := 0.0
	for _, f := range inf.foreign {
		chs, _ := block(r.Band, f.Channel, f.Width)
		dx := spanOf(r.Band, chs).centre() - o.sp.centre()
		loss += f.Load * m.leak.clientLoss(inf.snr, f.RSSI, o.a.Width, f.Width, dx)
	}
	return loss
}

// ClientSignalPercentile is the percentile of a radio's stations'
// signals that ClientSignal returns: the weak clients, whose rate the
// interference cuts most, without letting one station at the edge set
// the whole radio's price.
const ClientSignalPercentile = 10

// ClientSignal is the value for Radio.ClientSignalDBm from the signals
// (dBm, in 20 MHz) of a radio's associated stations: their
// ClientSignalPercentile-th percentile (nearest rank), or 0 (unknown)
// when there are none. Non-finite and non-negative values are skipped.
func ClientSignal(signals []float64) float64 {
	v, _ := percentile(signals, ClientSignalPercentile)
	return v
}

// WeakestSignal is the value for Radio.WeakestClientDBm from the signals
// (dBm, in 20 MHz) of a radio's associated stations: the lowest, or 0
// (unknown) when there are none. Non-finite and non-negative values are
// skipped, as ClientSignal skips them.
func WeakestSignal(signals []float64) float64 {
	v, _ := percentile(signals, 0)
	return v
}

// percentile is the pct-th percentile (nearest rank) of the finite,
// negative values of xs; ok is false when there are none.
func percentile(xs []float64, pct float64) (v float64, ok bool) {
	var ys []float64
	for _, x := range xs {
		if finite(x) && x < 0 {
			ys = append(ys, x)
		}
	}
	if len(ys) == 0 {
		return 0, false
	}
	slices.Sort(ys)
	k := int(math.Ceil(pct/100*float64(len(ys)))) - 1
	return ys[max(0, k)], true
}

// ClientInterferencePercentile is the percentile of what a radio's
// stations hear of another mesh radio that ClientInterference returns:
// the most exposed clients, as ClientSignal takes the weakest.
const ClientInterferencePercentile = 90

// ClientInterference is the value for a ClientRSSI link from the levels
// (dBm) at which a radio's associated stations hear another mesh radio:
// their ClientInterferencePercentile-th percentile (nearest rank); ok is
// false when there are none, or when that level is at or below
// ClientFloorDBm (the planner would make no pair of it). Non-finite and
// non-negative values are skipped.
func ClientInterference(levels []float64) (dbm float64, ok bool) {
	v, ok := percentile(levels, ClientInterferencePercentile)
	if !ok || v <= ClientFloorDBm {
		return 0, false
	}
	return v, true
}
