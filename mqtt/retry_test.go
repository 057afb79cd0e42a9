package mqtt

import (
	"math"
	"testing"
	"time"
)

func TestRetryDelayDefaults(t *testing.T) {
	var r Retry // TR-181 defaults: 5 s, x2, 30720 s
	const almostOne = 0.999999999
	for n := 1; n <= 14; n++ {
		lo := 5 * time.Second * time.Duration(1<<(n-1))
		hi := 2 * lo
		lo, hi = min(lo, 30720*time.Second), min(hi, 30720*time.Second)
		t.Run("n="+itoa(n), func(t *testing.T) {
			if got := r.Delay(n, 0); got != lo {
				t.Errorf("Delay(%d, 0) = %v, want %v", n, got, lo)
			}
			if got := r.Delay(n, almostOne); got > hi || got < hi-time.Millisecond*time.Duration(1<<n) {
				t.Errorf("Delay(%d, ~1) = %v, want just under %v", n, got, hi)
			}
			if got := r.Delay(n, 0.5); got < lo || got > hi {
				t.Errorf("Delay(%d, 0.5) = %v, want in [%v, %v]", n, got, lo, hi)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	custom := Retry{MinWait: 10 * time.Millisecond, Multiplier: 1500, MaxInterval: 100 * time.Millisecond}
	tests := []struct {
		name string
		r    Retry
		n    int
		rnd  float64
		want time.Duration
	}{
		{"default first low", Retry{}, 1, 0, 5 * time.Second},
		{"default first mid", Retry{}, 1, 0.5, 7500 * time.Millisecond},
		{"default second mid", Retry{}, 2, 0.5, 15 * time.Second},
		{"default 12 low", Retry{}, 12, 0, 10240 * time.Second},
		{"default 13 capped", Retry{}, 13, 0.75, 30720 * time.Second},
		{"default far capped", Retry{}, 1000, 0.1, 30720 * time.Second},
		{"n zero is n one", Retry{}, 0, 0, 5 * time.Second},
		{"negative n is n one", Retry{}, -3, 0, 5 * time.Second},
		{"rnd NaN is 0", Retry{}, 1, math.NaN(), 5 * time.Second},
		{"rnd negative is 0", Retry{}, 1, -1, 5 * time.Second},
		{"rnd above 1 is 1", Retry{}, 1, 7, 10 * time.Second},
		{"custom 1", custom, 1, 0, 10 * time.Millisecond},
		{"custom 2 high", custom, 2, 1, 22500 * time.Microsecond},
		{"custom 3 mid", custom, 3, 0.5, 28125 * time.Microsecond},
		{"custom cap", custom, 7, 0, 100 * time.Millisecond},
		{"multiplier 1000 is constant", Retry{MinWait: time.Second, Multiplier: 1000}, 9, 0.9, time.Second},
		{"max below min", Retry{MinWait: time.Second, MaxInterval: time.Millisecond}, 1, 0, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.Delay(tt.n, tt.rnd)
			if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("%+v.Delay(%d, %v) = %v, want %v", tt.r, tt.n, tt.rnd, got, tt.want)
			}
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
