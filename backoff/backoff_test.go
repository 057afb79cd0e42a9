package backoff

import (
	"math"
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	for _, tc := range []struct {
		name  string
		min   time.Duration
		k     float64
		n     int
		rnd   float64
		limit time.Duration
		want  time.Duration
	}{
		{"first, low end", 5 * time.Second, 2, 1, 0, 0, 5 * time.Second},
		{"first, middle", 5 * time.Second, 2, 1, 0.5, 0, 7500 * time.Millisecond},
		{"third, high end", 5 * time.Second, 2, 3, 1, 0, 40 * time.Second},
		{"n below 1 is 1", 5 * time.Second, 2, 0, 0, 0, 5 * time.Second},
		{"rnd clamped", time.Second, 2, 1, 7, 0, 2 * time.Second},
		{"NaN rnd is 0", time.Second, 2, 2, math.NaN(), 0, 2 * time.Second},
		{"negative rnd is 0", time.Second, 2, 2, -1, 0, 2 * time.Second},
		{"capped", 5 * time.Second, 2, 20, 0, time.Minute, time.Minute},
		{"no growth", time.Second, 1, 9, 1, 0, time.Second},
		{"overflow, capped", 5 * time.Second, 2, 1000, 0.1, time.Hour, time.Hour},
		{"overflow, no cap", 5 * time.Second, 2, 1000, 0.1, 0, math.MaxInt64},
	} {
		if got := Wait(tc.min, tc.k, tc.n, tc.rnd, tc.limit); got != tc.want {
			t.Errorf("%s: Wait = %v, want %v", tc.name, got, tc.want)
		}
	}
}
