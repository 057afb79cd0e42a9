package leader

import (
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
)

// How the tests wait: on conditions signalled by the fakes, with a
// deadline, and on a clock that moves only when told to (or, for the
// Loop's polls, by itself).

// notifier wakes the goroutines waiting for a change.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// changed returns a channel closed at the next broadcast.
func (n *notifier) changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// waitDeadline bounds every wait of these tests, in real time.
const waitDeadline = 10 * time.Second

// waitFor waits until cond holds, re-checking it at every broadcast of
// n, and fails the test after waitDeadline.
func waitFor(t *testing.T, n *notifier, what string, cond func() bool) {
	t.Helper()
	stop := time.After(waitDeadline)
	for {
		ch := n.changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-stop:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// firstInFlight waits, at most waitDeadline, for the first command that
// the held agent a reports in flight, and returns it.
func firstInFlight(t *testing.T, a *fakeAgent) string {
	t.Helper()
	select {
	case cmd := <-a.inFlight:
		return cmd
	case <-time.After(waitDeadline):
		t.Fatal("no switch started on the held agent")
		return ""
	}
}

// testClock is a clock.Fake that moves by itself when the Loop waits to
// poll an Agent's Request row (so a round runs to its end without a test
// driving each poll) and records the delays of the timers armed. A poll
// that moves the clock past a timer returns only once the timer's
// callback has run, so a timeout ends a spinning poll loop in clock
// time, not after however many polls the scheduler allows.
type testClock struct {
	*clock.Fake
	poll time.Duration
	note notifier
	mu   sync.Mutex
	// armed are the delays of AfterFunc timers, in arming order.
	armed []time.Duration
	// pending are the AfterFunc timers neither stopped nor known to have
	// run.
	pending []*funcTimer
}

// funcTimer is an AfterFunc timer of a testClock.
type funcTimer struct {
	at      time.Time
	done    chan struct{} // closed when its callback returned
	stopped chan struct{} // closed when stopped before firing
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newTestClock(poll time.Duration) *testClock {
	return &testClock{Fake: clock.NewFake(epoch), poll: poll}
}

// After implements clock.Clock; a wait of the poll interval passes at
// once.
func (c *testClock) After(d time.Duration) <-chan time.Time {
	ch := c.Fake.After(d)
	if d == c.poll {
		c.Fake.Advance(d)
		c.settle()
	}
	return ch
}

// settle waits until the callbacks of the timers due have run.
func (c *testClock) settle() {
	now := c.Now()
	c.mu.Lock()
	var due []*funcTimer
	keep := c.pending[:0]
	for _, t := range c.pending {
		if t.at.After(now) {
			keep = append(keep, t)
		} else {
			due = append(due, t)
		}
	}
	c.pending = keep
	c.mu.Unlock()
	for _, t := range due {
		select {
		case <-t.done:
		case <-t.stopped:
		case <-time.After(waitDeadline):
			panic("testClock: a timer's callback did not return")
		}
	}
}

// AfterFunc implements clock.Clock. The timer is recorded once the Fake
// holds it, so a test that saw it armed can move the clock past it.
func (c *testClock) AfterFunc(d time.Duration, f func()) func() bool {
	t := &funcTimer{done: make(chan struct{}), stopped: make(chan struct{})}
	stop := c.Fake.AfterFunc(d, func() {
		defer close(t.done)
		f()
	})
	c.mu.Lock()
	t.at = c.Now().Add(d) // not before the Fake's: settle never waits for a timer not due
	c.armed = append(c.armed, d)
	c.pending = append(c.pending, t)
	c.mu.Unlock()
	c.note.broadcast()
	return func() bool {
		ok := stop()
		if ok {
			close(t.stopped)
		}
		return ok
	}
}

// countArmed is how many timers of delay d were armed so far.
func (c *testClock) countArmed(d time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, x := range c.armed {
		if x == d {
			n++
		}
	}
	return n
}
