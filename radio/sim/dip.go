package sim

import (
	"errors"
	"math"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// Dip scripts a client whose signal falls for a while, again and again:
// for DurationS seconds of every PeriodS seconds both directions of its
// link lose DepthDB. Periods are counted from the Unix epoch shifted by
// OffsetS, so every process of a virtual home agrees on when a dip is
// and a test can say when the next ones will be: with PeriodS 60 and
// OffsetS 0, a dip starts at every whole minute.
//
// A dip changes what the AP reports of the client (signal, rates,
// retries), not where it associates: the client does not roam.
type Dip struct {
	PeriodS   float64 `json:"periodS"`
	DurationS float64 `json:"durationS"`
	DepthDB   float64 `json:"depthDB"`
	OffsetS   float64 `json:"offsetS,omitempty"`
}

func (d *Dip) validate() error {
	switch {
	case d == nil:
		return nil
	case !(d.PeriodS >= 1 && d.PeriodS <= 86400):
		return errors.New("dip: periodS outside 1..86400")
	case !(d.DurationS > 0 && d.DurationS < d.PeriodS):
		return errors.New("dip: durationS must be above 0 and below periodS")
	case !(d.DepthDB > 0 && d.DepthDB <= 100):
		return errors.New("dip: depthDB outside (0, 100]")
	case math.IsNaN(d.OffsetS) || math.IsInf(d.OffsetS, 0):
		return errors.New("dip: offsetS not a number")
	}
	return nil
}

// LossAt is the dip's loss in dB at t: DepthDB during a dip, else 0. A
// nil Dip never dips.
func (d *Dip) LossAt(t time.Time) float64 {
	if d == nil {
		return 0
	}
	if d.InDip(t) {
		return d.DepthDB
	}
	return 0
}

// InDip says whether t falls in a dip.
func (d *Dip) InDip(t time.Time) bool {
	if d == nil {
		return false
	}
	s := float64(t.UnixNano())/1e9 - d.OffsetS
	return math.Mod(math.Mod(s, d.PeriodS)+d.PeriodS, d.PeriodS) < d.DurationS
}

// dipped returns st as it is during the client's dip at now, if any:
// its signal down by the loss, its rates those of the weaker links and
// its retries grown with them.
func dipped(st radio.Station, a association, width int, now time.Time) radio.Station {
	loss := a.client.Dip.LossAt(now)
	if loss == 0 {
		return st
	}
	st.SignalDBm -= int(math.Round(loss))
	st.TxBitrateKbps = rateKbps(a.rssi-loss-NoiseFloorDBm, width)
	st.RxBitrateKbps = rateKbps(float64(st.SignalDBm)-NoiseFloorDBm, width)
	extra := max(0, 25-(a.rssi-loss-NoiseFloorDBm))/100 - max(0, 25-(a.rssi-NoiseFloorDBm))/100
	st.TxRetries += uint64(float64(st.TxPackets) * max(extra, 0))
	return st
}
