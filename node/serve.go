package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/proto/usprecord"
	"github.com/uspmesh/uspmesh/usp"
)

// workers is how many Records the Agent handles at once.
const workers = 32

// queueLen bounds the Records waiting for a worker.
const queueLen = 1024

// errClosing refuses Records that arrive while the node shuts down.
var errClosing = errors.New("agent shutting down")

// inbound is one decoded Record waiting for a worker.
type inbound struct {
	in  coap.Inbound
	rec *usprecord.Record
}

// intake is the Agent's side of its MTP: the CoAP handler decodes each
// Record once and queues it; workers run the Agent over the queue and
// send the answers. stop refuses new Records and waits until the queue is
// drained.
type intake struct {
	handle func(ctx context.Context, q inbound)
	log    *slog.Logger

	mu      sync.RWMutex
	stopped bool
	queue   chan inbound
	wg      sync.WaitGroup
}

// start runs n workers over the queue; ctx is the workers' context (the
// node never cancels it before stop).
func (t *intake) start(ctx context.Context, n int) {
	t.queue = make(chan inbound, queueLen)
	for range n {
		t.wg.Go(func() {
			for q := range t.queue {
				t.handle(ctx, q)
			}
		})
	}
}

// accept is the coap.Handler of the Agent's resource: an undecodable
// Record is refused (CoAP 4.00), a good one queued; a full queue or a
// node shutting down refuses it too, so the sender knows.
func (t *intake) accept(_ context.Context, in coap.Inbound) error {
	rec, err := usp.DecodeRecord(in.Record)
	if err != nil {
		return err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.stopped || t.queue == nil {
		return errClosing
	}
	select {
	case t.queue <- inbound{in: in, rec: rec}:
		return nil
	default:
		return fmt.Errorf("agent busy: %d records queued", cap(t.queue))
	}
}

// stop refuses new Records and waits until the workers have handled
// every queued one. It is idempotent.
func (t *intake) stop() {
	t.mu.Lock()
	if !t.stopped {
		t.stopped = true
		if t.queue != nil {
			close(t.queue)
		}
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// handle runs the Agent over one Record and sends its answer to the
// Record's reply-to.
func (n *Node) handle(ctx context.Context, q inbound) {
	in := q.in
	if m := n.meshNow(); m != nil && in.Peer != "" && !n.configured[in.Peer] && !n.cfg.Insecure && n.cfg.CertFile == "" {
		// Authenticated with the mesh PSK: a member of the home.
		m.ensurePeerRole(ctx, in.Peer)
	}
	rec, err := n.agent.HandleDecoded(ctx, usp.EndpointID(in.Peer), q.rec)
	if err != nil {
		n.log.Info("record refused", "from", in.Source, "err", err)
		return
	}
	if rec == nil {
		return
	}
	n.book.learn(usp.EndpointID(rec.GetToId()), in.ReplyTo)
	b, err := usp.EncodeRecord(rec)
	if err != nil {
		n.log.Error("encode response", "err", err)
		return
	}
	if err := n.ep.Send(coap.WithPeer(ctx, rec.GetToId()), in.ReplyTo, b); err != nil {
		n.log.Info("response not delivered", "to", rec.GetToId(), "reply_to", in.ReplyTo, "err", err)
	}
}
