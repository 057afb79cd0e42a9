package sim

import (
	"context"
	"sync"

	"github.com/uspmesh/uspmesh/radio"
)

// eventBuffer is each subscriber's queue; a reader further behind loses
// events rather than block the radio.
const eventBuffer = 64

// hub fans a radio's events out to its subscribers. It starts no
// goroutine of its own: a subscription ends through context.AfterFunc.
type hub struct {
	mu     sync.Mutex
	subs   map[*sub]struct{}
	closed bool
}

type sub struct {
	ch   chan radio.Event
	stop func() bool
}

func newHub() *hub { return &hub{subs: map[*sub]struct{}{}} }

// subscribe returns a channel of events until ctx ends or the hub closes.
func (h *hub) subscribe(ctx context.Context) <-chan radio.Event {
	s := &sub{ch: make(chan radio.Event, eventBuffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.ch)
		return s.ch
	}
	h.subs[s] = struct{}{}
	s.stop = context.AfterFunc(ctx, func() { h.remove(s) })
	return s.ch
}

func (h *hub) remove(s *sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.ch)
	}
}

// publish delivers ev to every subscriber with room for it.
func (h *hub) publish(ev radio.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.ch <- ev:
		default:
		}
	}
}

// close ends every subscription; later subscriptions get a closed channel.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		s.stop()
		close(s.ch)
		delete(h.subs, s)
	}
}
