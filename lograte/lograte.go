// Package lograte lets a repeated log line through at most once per
// period per key, adding how many were held back since the last one, so
// that a peer sending garbage or floods in a loop cannot flood the log.
// The MTPs, the CoAP server and the node share it.
package lograte

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/clock"
)

// DefaultEvery is the period New uses when given 0.
const DefaultEvery = time.Minute

// maxKeys bounds the keys remembered: keys can come from the network
// (one per source address), so past it the stale ones are forgotten, and
// if none is stale, all.
const maxKeys = 1024

// Limiter rate-limits log lines by key. It is safe for concurrent use.
type Limiter struct {
	log   *slog.Logger
	clk   clock.Clock
	every time.Duration

	mu   sync.Mutex
	seen map[string]*entry
}

type entry struct {
	last time.Time
	held int
}

// New returns a Limiter logging to log (nil: discarded), timed by clk
// (nil: the system clock), letting each key through once per every
// (0: DefaultEvery).
func New(log *slog.Logger, clk clock.Clock, every time.Duration) *Limiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if every <= 0 {
		every = DefaultEvery
	}
	return &Limiter{log: log, clk: clock.Or(clk), every: every, seen: map[string]*entry{}}
}

// Allow reports whether a line of key may be logged now and, if so, how
// many were held back since the last one let through.
func (l *Limiter) Allow(key string) (ok bool, held int) {
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.seen[key]
	if e == nil {
		if len(l.seen) >= maxKeys {
			l.forgetStale(now)
		}
		l.seen[key] = &entry{last: now}
		return true, 0
	}
	if now.Sub(e.last) < l.every {
		e.held++
		return false, 0
	}
	held = e.held
	e.last, e.held = now, 0
	return true, held
}

// forgetStale drops the keys not seen within a period, or every key if
// none is that old. The caller holds l.mu.
func (l *Limiter) forgetStale(now time.Time) {
	for k, e := range l.seen {
		if now.Sub(e.last) >= l.every {
			delete(l.seen, k)
		}
	}
	if len(l.seen) >= maxKeys {
		clear(l.seen)
	}
}

// Log logs msg with args at level unless key was let through within the
// period; a line after held-back ones carries "not_logged_since" with
// their count. It reports whether it logged.
func (l *Limiter) Log(ctx context.Context, level slog.Level, key, msg string, args ...any) bool {
	ok, held := l.Allow(key)
	if !ok {
		return false
	}
	if held > 0 {
		args = append(args, "not_logged_since", held)
	}
	l.log.Log(ctx, level, msg, args...)
	return true
}

// Info is Log at slog.LevelInfo without a context.
func (l *Limiter) Info(key, msg string, args ...any) bool {
	return l.Log(context.Background(), slog.LevelInfo, key, msg, args...)
}
