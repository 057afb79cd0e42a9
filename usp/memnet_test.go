package usp_test

import (
	"context"
	"errors"
	"sync"

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
