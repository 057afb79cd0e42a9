package usp

import (
	"context"
	"fmt"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// inboundRequest is a request an Agent sent the Controller, waiting in the
// Client's queue for its answer: a Notify, or (notify nil) a request a
// Controller does not take.
type inboundRequest struct {
	from   EndpointID
	msgID  string
	notify *uspmsg.Notify
}

// HandleRecord processes the bytes of one Record the MTP received for
// this Controller. peer is the identity the MTP authenticated ("" when
// none); a Record whose from_id differs from it is ignored.
//
// It does no network I/O and never waits on OnNotify, so the MTP may call
// it from its receive path: a Response or Error goes to the waiting
// request (taken only from the Agent that request went to); a Notify, or
// any other request, joins the Client's queue, and the Client's goroutine
// sends its NotifyResp (when send_resp is set) and then calls OnNotify,
// or answers the other request with an Error (7001). A request that finds
// the queue full is dropped (logged) and HandleRecord returns an error, as
// it does after Close and for bytes that are not a usable Record.
func (c *Client) HandleRecord(ctx context.Context, peer EndpointID, b []byte) error {
	rec, err := DecodeRecord(b)
	if err != nil {
		return err
	}
	from := EndpointID(rec.GetFromId())
	if EndpointID(rec.GetToId()) != c.cfg.EndpointID || from == c.cfg.EndpointID || (peer != "" && from != peer) {
		c.log.Debug("record ignored", "to", rec.GetToId(), "from", from, "peer", peer)
		return nil
	}
	if IsConnect(rec) || rec.GetDisconnect() != nil {
		if fn := c.cfg.OnConnect; fn != nil {
			fn(from, rec)
		}
		return nil
	}
	m, err := MsgFromRecord(rec)
	if err != nil {
		return err
	}
	id := m.GetHeader().GetMsgId()
	switch body := m.GetBody().GetMsgBody().(type) {
	case *uspmsg.Body_Response, *uspmsg.Body_Error:
		c.complete(from, id, m)
	case *uspmsg.Body_Request:
		return c.enqueue(inboundRequest{from: from, msgID: id, notify: body.Request.GetNotify()})
	}
	return nil
}

// complete hands a Response or Error to the request it answers.
func (c *Client) complete(from EndpointID, id string, m *uspmsg.Msg) {
	key := pendingKey{from, id}
	c.mu.Lock()
	ch := c.pending[key]
	delete(c.pending, key)
	c.mu.Unlock()
	if ch == nil {
		// R-MSG.9; also a response from an Agent other than the one the
		// request with this msg_id went to.
		c.log.Debug("response to no pending request of this agent ignored", "from", from, "msg_id", id)
		return
	}
	ch <- m // buffered, and only this sender: never blocks
}

// enqueue puts a received request on the queue without waiting.
func (c *Client) enqueue(in inboundRequest) error {
	if c.life.Err() != nil {
		return fmt.Errorf("usp: request %s from %s: %w", in.msgID, in.from, ErrClientClosed)
	}
	select {
	case c.queue <- in:
		return nil
	default:
		c.log.Warn("notification queue full: request dropped", "from", in.from, "msg_id", in.msgID, "queue", cap(c.queue))
		return fmt.Errorf("usp: request %s from %s dropped: %d requests waiting", in.msgID, in.from, cap(c.queue))
	}
}

// answer is the Client's goroutine: it answers the queued requests in
// order until Close.
func (c *Client) answer() {
	defer c.wg.Done()
	for {
		select {
		case <-c.life.Done():
			return
		case in := <-c.queue:
			c.answerOne(in)
		}
	}
}

// answerOne sends a request's answer, bounded by the Client's Timeout and
// by Close, and gives a Notify to OnNotify.
func (c *Client) answerOne(in inboundRequest) {
	ctx, cancel := context.WithTimeout(c.life, c.cfg.Timeout)
	defer cancel()
	if in.notify == nil {
		msg := NewError(in.msgID, Errorf(ErrMessageNotSupported, "a Controller takes only Notify requests"))
		if err := c.send(ctx, in.from, msg); err != nil {
			c.log.Info("error message not sent", "to", in.from, "msg_id", in.msgID, "err", err)
		}
		return
	}
	if in.notify.GetSendResp() {
		resp := NewResponse(in.msgID, &uspmsg.Response{RespType: &uspmsg.Response_NotifyResp{
			NotifyResp: &uspmsg.NotifyResp{SubscriptionId: in.notify.GetSubscriptionId()}}})
		if err := c.send(ctx, in.from, resp); err != nil {
			c.log.Warn("NotifyResp not sent", "to", in.from, "msg_id", in.msgID, "err", err)
		}
	}
	if c.cfg.OnNotify != nil && c.life.Err() == nil {
		c.cfg.OnNotify(in.from, in.notify)
	}
}
