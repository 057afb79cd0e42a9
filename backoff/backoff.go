// Package backoff is TR-369's retry interval, shared by the MTPs'
// reconnections (MQTT, WebSocket) and the Agent's notification retries:
// retry n waits a random time in [m·k^(n−1), m·k^n], m the minimum wait
// and k the interval multiplier. Callers apply their own defaults and
// caps on n; this package holds only the formula.
package backoff

import (
	"math"
	"time"
)

// Wait returns the wait before retry n (n < 1 counts as 1): base·k^(n−1)
// plus rnd (clamped to [0, 1]; NaN counts as 0) of the way to base·k^n,
// where k is multiplier (a factor, not per-mille). A limit above zero
// caps the result; without one, a wait too long for a Duration is the
// longest Duration.
func Wait(base time.Duration, multiplier float64, n int, rnd float64, limit time.Duration) time.Duration {
	n = max(n, 1)
	if !(rnd >= 0) { // also NaN
		rnd = 0
	}
	rnd = math.Min(rnd, 1)
	lo := float64(base) * math.Pow(multiplier, float64(n-1))
	if limit > 0 && lo >= float64(limit) {
		return limit // also where lo and hi overflow to +Inf
	}
	hi := float64(base) * math.Pow(multiplier, float64(n))
	d := lo + rnd*(hi-lo)
	switch {
	case limit > 0 && d >= float64(limit):
		return limit
	case !(d < math.MaxInt64): // +Inf, NaN from Inf−Inf, or too long
		return math.MaxInt64
	}
	return time.Duration(d)
}
