package bind

import (
	"math"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// sv is a survey entry of channel 36 (5180 MHz) with cumulative counters
// in milliseconds.
func sv(active, busy, rx, tx int64, inUse bool) radio.SurveyEntry {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return radio.SurveyEntry{FreqMHz: 5180, Channel: 36, InUse: inUse, ActiveTime: ms(active), BusyTime: ms(busy), RxTime: ms(rx), TxTime: ms(tx)}
}

func TestAirtimeDeltas(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	type step struct {
		after    time.Duration // since t0
		entry    radio.SurveyEntry
		busy     int // ChannelBusy after the read
		own      int // Airtime after the read
		stateMHz int // the radio's frequency when nothing is InUse
	}
	for _, tt := range []struct {
		name  string
		tau   time.Duration
		steps []step
	}{
		{"first read seeds, deltas follow", time.Nanosecond, []step{
			{0, sv(1000, 500, 100, 200, true), 50, 30, 0},
			{10 * time.Second, sv(11000, 1500, 600, 700, true), 10, 10, 0},
			{20 * time.Second, sv(21000, 9500, 3600, 3700, true), 80, 60, 0},
		}},
		{"negative delta restarts the baseline", time.Nanosecond, []step{
			{0, sv(10000, 2000, 0, 1000, true), 20, 10, 0},
			// The driver restarted: counters near zero. Nothing measured.
			{10 * time.Second, sv(500, 400, 0, 100, true), 20, 10, 0},
			// Measured against the new baseline: 100/1000 busy, 100/1000 own.
			{20 * time.Second, sv(1500, 500, 0, 200, true), 10, 10, 0},
		}},
		{"busy growing faster than active is garbage", time.Nanosecond, []step{
			{0, sv(1000, 100, 0, 0, true), 10, -1, 0},
			{time.Second, sv(2000, 1900, 0, 0, true), 10, -1, 0}, // 1800 ms busy in 1000 ms: a new baseline
			{2 * time.Second, sv(3000, 2600, 0, 0, true), 70, -1, 0},
			{3 * time.Second, sv(4000, 5000, 0, 0, true), 70, -1, 0}, // busy above active: no baseline
			{4 * time.Second, sv(5000, 3100, 0, 0, true), 70, -1, 0}, // the baseline again
			{5 * time.Second, sv(6000, 3200, 0, 0, true), 10, -1, 0},
		}},
		{"no movement measures nothing", time.Nanosecond, []step{
			{0, sv(1000, 250, 50, 50, true), 25, 10, 0},
			{time.Second, sv(1000, 250, 50, 50, true), 25, 10, 0},
		}},
		{"no own time reported is unmeasured, not idle", time.Nanosecond, []step{
			{0, sv(1000, 250, 0, 0, true), 25, -1, 0},
			{time.Second, sv(2000, 750, 0, 0, true), 50, -1, 0},
		}},
		{"smoothing weighs by time", time.Minute, []step{
			{0, sv(60000, 0, 0, 0, true), 0, -1, 0},
			// One time constant of a fully busy medium: 1 - 1/e.
			{time.Minute, sv(120000, 60000, 0, 0, true), int(math.Round(100 * (1 - math.Exp(-1)))), -1, 0},
		}},
		{"operating channel from the state when not flagged", time.Nanosecond, []step{
			{0, sv(1000, 400, 0, 300, false), 40, 30, 5180},
		}},
		{"garbage first read", time.Nanosecond, []step{
			{0, sv(-5, 10, 0, 0, true), -1, -1, 0},
			{time.Second, sv(1000, 100, 0, 0, true), 10, -1, 0},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newAirtime(tt.tau)
			for i, s := range tt.steps {
				a.update([]radio.SurveyEntry{s.entry}, s.stateMHz, t0.Add(s.after))
				if b, o := a.busyPercent(), a.ownPercent(); b != s.busy || o != s.own {
					t.Errorf("step %d: busy %d%% own %d%%, want %d%% %d%%", i, b, o, s.busy, s.own)
				}
			}
		})
	}
}

func TestAirtimeSurveyList(t *testing.T) {
	a := newAirtime(time.Minute)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	a.update([]radio.SurveyEntry{
		{FreqMHz: 5200, Channel: 40, ActiveTime: time.Second, BusyTime: 120 * time.Millisecond},
		{FreqMHz: 5180, Channel: 36, InUse: true, ActiveTime: time.Second, BusyTime: 405 * time.Millisecond},
		{FreqMHz: 5220, Channel: 44},           // never measured
		{Channel: 48, ActiveTime: time.Second}, // no frequency
	}, 0, t0)
	if got, want := a.surveyList(), "36:41,40:12"; got != want {
		t.Errorf("surveyList = %q, want %q", got, want)
	}
}
