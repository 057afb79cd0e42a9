package node

import (
	"log/slog"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/clock"
)

// refusalEvery is how often one kind of refused input is logged.
const refusalEvery = time.Minute

// refusals logs refused input (bad Records, unknown senders) at most
// once per refusalEvery per reason, with the count of those not logged
// since, so that a peer sending garbage in a loop cannot flood the log.
type refusals struct {
	log   *slog.Logger
	clock clock.Clock

	mu      sync.Mutex
	last    map[string]time.Time
	skipped map[string]int
}

func newRefusals(log *slog.Logger, c clock.Clock) *refusals {
	return &refusals{log: log, clock: clock.Or(c), last: map[string]time.Time{}, skipped: map[string]int{}}
}

// refuse logs msg with args unless reason was logged within
// refusalEvery.
func (r *refusals) refuse(reason, msg string, args ...any) {
	now := r.clock.Now()
	r.mu.Lock()
	if t, ok := r.last[reason]; ok && now.Sub(t) < refusalEvery {
		r.skipped[reason]++
		r.mu.Unlock()
		return
	}
	n := r.skipped[reason]
	r.last[reason], r.skipped[reason] = now, 0
	r.mu.Unlock()
	if n > 0 {
		args = append(args, "not_logged_since", n)
	}
	r.log.Info(msg, args...)
}
