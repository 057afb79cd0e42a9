package websocket

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// logEvery is how often one repeated log line is let through.
const logEvery = time.Minute

// rateLog lets each distinct message through at most once per logEvery,
// adding how many copies were suppressed since the last one.
type rateLog struct {
	log *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	seen map[string]*rateEntry
}

type rateEntry struct {
	last       time.Time
	suppressed int
}

func newRateLog(l *slog.Logger, now func() time.Time) *rateLog {
	if now == nil {
		now = time.Now
	}
	return &rateLog{log: l, now: now, seen: make(map[string]*rateEntry)}
}

// allow reports whether msg may be logged now and how many were suppressed.
func (r *rateLog) allow(msg string) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	e := r.seen[msg]
	if e == nil {
		if len(r.seen) > 256 {
			clear(r.seen)
		}
		r.seen[msg] = &rateEntry{last: now}
		return true, 0
	}
	if now.Sub(e.last) < logEvery {
		e.suppressed++
		return false, 0
	}
	n := e.suppressed
	e.last, e.suppressed = now, 0
	return true, n
}

// Log logs msg at level unless it was logged within the last minute.
func (r *rateLog) Log(ctx context.Context, level slog.Level, msg string, args ...any) {
	ok, n := r.allow(msg)
	if !ok {
		return
	}
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	r.log.Log(ctx, level, msg, args...)
}
