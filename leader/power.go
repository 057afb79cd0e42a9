package leader

import (
	"math"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// Transmit power. TR-181 gives a radio's power only as TransmitPower, a
// percentage of its full power (uspmesh's Agents read it as a share of
// the linear power, so every halving is 3 dB). The leader's Problem
// therefore counts power in dB from full power: a radio's PowerCutDB is
// -10·log10(TransmitPower/100) and its TxPowerDBm is minus that, which
// is all wifiopt.PlanPower needs (only changes of power matter to it).
// A plan's cut goes back to the Agent as the percentage cutPercent gives,
// inside X_USPMESH_Switch() under the plan's term.

// powerCut is the radio's cut below full power (dB) and whether the
// planner must leave its power alone: it reports no TransmitPower, it
// cannot go down the planner's deepest cut (its lowest supported
// percentage is above cutPercent(wifiopt.MaxPowerCutDB)), or a
// Controller pinned it (AutoChannelEnable false: the owner's settings,
// power included, stand) or fixed its power (TransmitPower written as a
// percentage, X_USPMESH_AutoTransmitPower false).
func (r *measuredRadio) powerCut() (cut float64, fixed bool) {
	if r.power <= 0 {
		return 0, true
	}
	cut = math.Round(-100*math.Log10(float64(r.power)/100)) / 10
	return cut, r.pinned || r.ownerPower || r.powerMin > cutPercent(wifiopt.MaxPowerCutDB)
}

// cutPercent is the TransmitPower percentage of a cut of cut dB: 100, 50,
// 25 and 13 for 0, 3, 6 and 9 dB.
func cutPercent(cut float64) int {
	return max(1, min(100, int(math.Round(100*math.Pow(10, -cut/10)))))
}
