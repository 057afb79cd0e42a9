package clock

import (
	"sort"
	"sync"
	"time"
)

// Fake is a Clock that moves only when told to (Advance, Set). Timers
// fire in time order from the goroutine that moves the clock: channels
// of After receive without blocking, AfterFunc callbacks start in their
// own goroutines. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever a timer is added
}

type fakeTimer struct {
	at  time.Time
	seq uint64
	ch  chan time.Time
	fn  func()
}

var _ Clock = (*Fake)(nil)

// NewFake returns a Fake showing start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After implements Clock.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f.add(&fakeTimer{ch: ch}, d)
	return ch
}

// AfterFunc implements Clock.
func (f *Fake) AfterFunc(d time.Duration, fn func()) func() bool {
	t := &fakeTimer{fn: fn}
	f.add(t, d)
	return func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, x := range f.timers {
			if x == t {
				f.timers = append(f.timers[:i], f.timers[i+1:]...)
				return true
			}
		}
		return false
	}
}

func (f *Fake) add(t *fakeTimer, d time.Duration) {
	f.mu.Lock()
	f.seq++
	t.at, t.seq = f.now.Add(d), f.seq
	f.timers = append(f.timers, t)
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
	if d <= 0 {
		f.Advance(0)
	}
}

// Advance moves the clock forward by d, firing every timer due on the
// way, in order.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(d)
	f.mu.Unlock()
	f.Set(end)
}

// Set moves the clock to t (never backwards), firing the timers due.
func (f *Fake) Set(t time.Time) {
	for {
		f.mu.Lock()
		sort.Slice(f.timers, func(i, j int) bool {
			a, b := f.timers[i], f.timers[j]
			return a.at.Before(b.at) || (a.at.Equal(b.at) && a.seq < b.seq)
		})
		if len(f.timers) == 0 || f.timers[0].at.After(t) {
			if t.After(f.now) {
				f.now = t
			}
			f.mu.Unlock()
			return
		}
		next := f.timers[0]
		f.timers = f.timers[1:]
		if next.at.After(f.now) {
			f.now = next.at
		}
		now := f.now
		f.mu.Unlock()
		if next.ch != nil {
			next.ch <- now
		} else {
			go next.fn()
		}
	}
}

// Timers returns how many timers are waiting to fire.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitTimers blocks until at least n timers wait or the deadline passes
// (real time), and reports whether they do: tests use it to know that a
// goroutine has reached its wait before they move the clock.
func (f *Fake) WaitTimers(n int, deadline time.Duration) bool {
	stop := time.After(deadline)
	for {
		f.mu.Lock()
		ok, ch := len(f.timers) >= n, f.changed
		f.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-stop:
			return false
		}
	}
}
