package websocket

import (
	"time"

	"github.com/uspmesh/uspmesh/backoff"
)

// Retry is the TR-369 WebSocket session retry policy (R-WS.19). Its zero
// value means the TR-369 factory defaults with a 10 minute cap.
type Retry struct {
	// MinWait is m, SessionRetryMinimumWaitInterval; 0 means 5 s.
	MinWait time.Duration
	// Multiplier is k, SessionRetryIntervalMultiplier, in thousandths;
	// 0 means 2000. Values under 1000 are read as 1000 (no growth).
	Multiplier int
	// MaxInterval caps every wait; 0 means 10 min.
	MaxInterval time.Duration
}

// Retry defaults.
const (
	defaultRetryMinWait     = 5 * time.Second
	defaultRetryMultiplier  = 2000
	defaultRetryMaxInterval = 10 * time.Minute
	// retryMaxExponent: "#10 and subsequent" retries use the 10th range.
	retryMaxExponent = 10
)

// Delay is the wait before retry number n (1 for the first retry; lower
// values count as 1, higher than 10 as 10): uniform in
// [m*(k/1000)^(n-1), m*(k/1000)^n], picked by rnd in [0, 1), then capped
// at MaxInterval.
func (r Retry) Delay(n int, rnd float64) time.Duration {
	m := r.MinWait
	if m <= 0 {
		m = defaultRetryMinWait
	}
	k := r.Multiplier
	switch {
	case k == 0:
		k = defaultRetryMultiplier
	case k < 1000:
		k = 1000
	}
	maxWait := r.MaxInterval
	if maxWait <= 0 {
		maxWait = defaultRetryMaxInterval
	}
	return backoff.Wait(m, float64(k)/1000, min(max(n, 1), retryMaxExponent), rnd, maxWait)
}
