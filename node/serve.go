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

// MTP names, as Device.LocalAgent.MTP.{i}.Protocol spells them.
const (
	mtpCoAP      = "CoAP"
	mtpMQTT      = "MQTT"
	mtpWebSocket = "WebSocket"
)

// replyFunc sends the Agent's answer back over the MTP and session a
// Record came in on; to is the answer's to_id.
type replyFunc func(ctx context.Context, to string, record []byte) error

// inbound is one decoded Record waiting for a worker, with the way back
// to its sender.
type inbound struct {
	rec *usprecord.Record
	// peer is the Endpoint ID the MTP authenticated (DTLS identity or
	// certificate, WebSocket client certificate, a Controller provisioned
	// for MQTT), or "" when none.
	peer string
	// mtp is the MTP it came over; source names the sender for the log.
	mtp, source string
	reply       replyFunc
}

// intake is the Agent's side of its MTPs: each MTP's handler decodes a
// Record once and queues it (offer); workers run the Agent over the queue
// and send each answer back the way its Record came. stop refuses new
// Records and waits until the queue is drained.
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

// offer decodes raw and queues it as q's Record: an undecodable Record is
// refused (CoAP answers 4.00), a good one queued; a full queue or a node
// shutting down refuses it too, so that the MTP can tell the sender.
func (t *intake) offer(raw []byte, q inbound) error {
	rec, err := usp.DecodeRecord(raw)
	if err != nil {
		return err
	}
	q.rec = rec
	return t.push(q)
}

// push queues q, whose Record the MTP decoded already.
func (t *intake) push(q inbound) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.stopped || t.queue == nil {
		return errClosing
	}
	select {
	case t.queue <- q:
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

// acceptCoAP is the coap.Handler of the Agent's resource: the answer
// goes to the Record's reply-to over the Agent's CoAP endpoint.
func (n *Node) acceptCoAP(_ context.Context, in coap.Inbound) error {
	replyTo := in.ReplyTo
	return n.intake.offer(in.Record, inbound{peer: in.Peer, mtp: mtpCoAP, source: in.Source.String(),
		reply: func(ctx context.Context, to string, b []byte) error {
			return n.ep.Send(coap.WithPeer(ctx, to), replyTo, b)
		}})
}

// handle runs the Agent over one Record and sends its answer back the
// way the Record came.
func (n *Node) handle(ctx context.Context, q inbound) {
	if m := n.meshNow(); m != nil && q.mtp == mtpCoAP && q.peer != "" && !n.configured[q.peer] && !n.cfg.Insecure && n.cfg.CertFile == "" {
		// Authenticated with the mesh PSK: a member of the home.
		m.ensurePeerRole(ctx, q.peer)
	}
	rec, err := n.agent.HandleDecoded(withRoute(ctx, q), usp.EndpointID(q.peer), q.rec)
	if err != nil {
		n.refusals.Info("record-"+q.mtp, "record refused", "mtp", q.mtp, "from", q.source, "err", err)
		return
	}
	if rec == nil {
		return
	}
	b, err := usp.EncodeRecord(rec)
	if err != nil {
		n.log.Error("encode response", "err", err)
		return
	}
	if err := q.reply(ctx, rec.GetToId(), b); err != nil {
		n.log.Info("response not delivered", "mtp", q.mtp, "to", rec.GetToId(), "source", q.source, "err", err)
	}
}
