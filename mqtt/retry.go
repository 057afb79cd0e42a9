package mqtt

import (
	"time"

	"github.com/uspmesh/uspmesh/backoff"
)

// Retry is TR-369's reconnection back-off (R-MQTT.10), configured like
// TR-181 Device.MQTT.Client.{i}.ConnectRetryTime,
// ConnectRetryIntervalMultiplier and ConnectRetryMaxInterval. Zero fields
// take the TR-181 defaults.
type Retry struct {
	// MinWait is ConnectRetryTime: the shortest first wait. Zero means
	// DefaultRetryMinWait (5 s).
	MinWait time.Duration
	// Multiplier is ConnectRetryIntervalMultiplier, in thousandths: 2000
	// doubles the window on each failure. Zero means DefaultRetryMultiple;
	// otherwise it must be at least 1000.
	Multiplier int
	// MaxInterval is ConnectRetryMaxInterval, the longest wait. Zero means
	// DefaultRetryMax (30720 s).
	MaxInterval time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.MinWait == 0 {
		r.MinWait = DefaultRetryMinWait
	}
	if r.Multiplier == 0 {
		r.Multiplier = DefaultRetryMultiple
	}
	if r.MaxInterval == 0 {
		r.MaxInterval = DefaultRetryMax
	}
	return r
}

func (r Retry) validate() error {
	switch {
	case r.MinWait < 0:
		return invalid("Retry.MinWait %v is negative", r.MinWait)
	case r.Multiplier < 1000:
		return invalid("Retry.Multiplier %d is below 1000 (per-mille)", r.Multiplier)
	case r.MaxInterval < 0:
		return invalid("Retry.MaxInterval %v is negative", r.MaxInterval)
	}
	return nil
}

// Delay is TR-369's wait before retry attempt n (n >= 1 counts the
// consecutive failures; smaller n counts as 1): a uniformly random duration
// in [MinWait*(k/1000)^(n-1), MinWait*(k/1000)^n], where k is Multiplier,
// capped at MaxInterval. rnd is the random draw, in [0, 1) (values outside
// are clamped).
func (r Retry) Delay(n int, rnd float64) time.Duration {
	r = r.withDefaults()
	return backoff.Wait(r.MinWait, float64(r.Multiplier)/1000, n, rnd, r.MaxInterval)
}
