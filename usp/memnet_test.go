package usp_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/usp"
)

// memNet is an in-memory MTP for unit tests: each endpoint registers a
// record handler; SendRecord delivers synchronously, and the Agent's
// answer goes straight back to the sender.
type memNet struct {
	mu       sync.Mutex
	handlers map[usp.EndpointID]func(ctx context.Context, peer usp.EndpointID, b []byte) ([]byte, error)
	// drop, when set, discards records for which it returns true.
	drop func(from, to usp.EndpointID, b []byte) bool
	sent int
}

func newMemNet() *memNet {
	return &memNet{handlers: map[usp.EndpointID]func(context.Context, usp.EndpointID, []byte) ([]byte, error){}}
}

func (n *memNet) attachAgent(a *usp.Agent) {
	n.handlers[a.EndpointID()] = func(ctx context.Context, peer usp.EndpointID, b []byte) ([]byte, error) {
		rec, err := a.HandleRecord(ctx, peer, b)
		if err != nil || rec == nil {
			return nil, err
		}
		return usp.EncodeRecord(rec)
	}
}

func (n *memNet) attachClient(c *usp.Client) {
	n.handlers[c.EndpointID()] = func(ctx context.Context, peer usp.EndpointID, b []byte) ([]byte, error) {
		return nil, c.HandleRecord(ctx, peer, b)
	}
}

// endpoint is one side's view of the network.
type endpoint struct {
	n    *memNet
	self usp.EndpointID
}

func (n *memNet) as(self usp.EndpointID) usp.Transport { return endpoint{n, self} }

func (e endpoint) SendRecord(ctx context.Context, to usp.EndpointID, b []byte) error {
	e.n.mu.Lock()
	h := e.n.handlers[to]
	drop := e.n.drop
	e.n.sent++
	e.n.mu.Unlock()
	if h == nil {
		return errors.New("memnet: unknown endpoint " + string(to))
	}
	if drop != nil && drop(e.self, to, b) {
		return nil
	}
	out, err := h(ctx, e.self, b)
	if err != nil || out == nil {
		return err
	}
	return endpoint{e.n, to}.SendRecord(ctx, e.self, out)
}

// fakeClock is a Clock whose time moves only by Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at   time.Time
	f    func()
	done bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.done
		t.done = true
		return was
	}
}

// Advance moves time forward by d, running due timers in time order
// (each in the calling goroutine).
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		var next *fakeTimer
		for _, t := range c.timers {
			if !t.done && !t.at.After(end) {
				next = t
				break
			}
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		next.done = true
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
	}
}

// pendingTimers counts timers not yet run or stopped.
func (c *fakeClock) pendingTimers() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		if !t.done {
			out = append(out, t.at.Sub(c.now))
		}
	}
	return out
}
