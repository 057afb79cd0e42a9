package bind

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/radio"
)

// Transmit power. TR-181 gives Radio.{i}.TransmitPower as a percentage of
// the radio's full power. uspmesh reads that as a share of the linear
// (milliwatt) power at Capabilities.TxPowerMaxDBm, so that every halving
// is 3 dB:
//
//	percent = 100 * 10^((dBm - max)/10)    dBm = max + 10*log10(percent/100)
//
// The lowest percentage is the one of TxPowerMinDBm, rounded up; below it
// a write is refused. TransmitPowerSupported lists -1 and 100 and its
// halvings (50, 25, 12, 6, 3, 1) down to that lowest percentage. A write
// may give any whole percentage in range, which fixes the radio's power
// (X_USPMESH_AutoTransmitPower false: the mesh leader leaves it alone),
// or -1, which gives the power back to the mesh (automatic) and leaves it
// as it is. TransmitPower always reads the radio's current power. A
// radio whose maximum power is unknown (0) reports TransmitPower -1 and
// refuses writes.

// powerPercent converts dBm to a percentage of full power, 1..100.
func powerPercent(caps radio.Capabilities, dBm float64) int {
	if caps.TxPowerMaxDBm == 0 {
		return -1
	}
	p := int(math.Round(100 * math.Pow(10, (dBm-caps.TxPowerMaxDBm)/10)))
	return max(1, min(p, 100))
}

// powerDBm converts a percentage of full power to dBm, clamped to the
// radio's range.
func powerDBm(caps radio.Capabilities, percent int) float64 {
	d := caps.TxPowerMaxDBm + 10*math.Log10(float64(percent)/100)
	return math.Max(caps.TxPowerMinDBm, math.Min(d, caps.TxPowerMaxDBm))
}

// minPercent is the lowest percentage a write may give.
func minPercent(caps radio.Capabilities) int {
	if caps.TxPowerMinDBm >= caps.TxPowerMaxDBm {
		return 100
	}
	p := int(math.Ceil(100*math.Pow(10, (caps.TxPowerMinDBm-caps.TxPowerMaxDBm)/10) - 1e-9))
	return max(1, p)
}

// powerSupported is Radio.{i}.TransmitPowerSupported.
func powerSupported(caps radio.Capabilities) string {
	if caps.TxPowerMaxDBm == 0 {
		return "-1"
	}
	lo := minPercent(caps)
	var ps []int
	for p := 100; p >= lo; p /= 2 {
		ps = append(ps, p)
		if p == 1 {
			break
		}
	}
	if ps[len(ps)-1] != lo {
		ps = append(ps, lo)
	}
	out := make([]string, len(ps)+1)
	out[0] = "-1"
	for i, p := range ps {
		out[len(ps)-i] = strconv.Itoa(p)
	}
	return strings.Join(out, ",")
}

// checkPower validates a TransmitPower write.
func checkPower(caps radio.Capabilities, percent int) error {
	switch lo := minPercent(caps); {
	case caps.TxPowerMaxDBm == 0:
		return fmt.Errorf("this radio does not report its power range")
	case percent == -1:
		return nil // automatic: the mesh leader plans it
	case percent < lo || percent > 100:
		return fmt.Errorf("%d%% is out of range: this radio supports %d..100%% of %.1f dBm", percent, lo, caps.TxPowerMaxDBm)
	}
	return nil
}
