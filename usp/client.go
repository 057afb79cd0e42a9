package usp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// ClientConfig configures a Controller Client.
type ClientConfig struct {
	// EndpointID is the Controller's own Endpoint ID (the from_id).
	EndpointID EndpointID
	// Transport sends the Records.
	Transport Transport
	// Timeout bounds each request when its context has no deadline
	// (default 30 s).
	Timeout time.Duration
	// OnNotify, when set, receives every Notify an Agent sends, after the
	// Client answered it (NotifyResp when send_resp is set).
	OnNotify func(from EndpointID, n *uspmsg.Notify)
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// Client is a USP Controller's request side: it sends requests to Agents,
// matches their responses by the Agent they come from and their msg_id,
// and receives their notifications.
// Feed it every Record the MTP receives for the Controller (HandleRecord).
// It is safe for concurrent use.
type Client struct {
	cfg    ClientConfig
	log    *slog.Logger
	prefix string

	mu      sync.Mutex
	seq     uint64
	pending map[pendingKey]chan *uspmsg.Msg
}

// pendingKey names a request awaiting its response: the Agent it went to
// and its msg_id. Only that Agent's Response or Error completes it.
type pendingKey struct {
	agent EndpointID
	msgID string
}

// ResponseError is an Error message an Agent sent instead of a response.
type ResponseError struct {
	Code      ErrorCode
	Msg       string
	ParamErrs []ParamError
}

// ParamError is one entry of an Error message's param_errs.
type ParamError struct {
	Path string
	Code ErrorCode
	Msg  string
}

// Error implements error.
func (e *ResponseError) Error() string {
	s := fmt.Sprintf("usp error %d (%s): %s", uint32(e.Code), e.Code, e.Msg)
	for _, p := range e.ParamErrs {
		s += fmt.Sprintf("; %s: %d %s", p.Path, uint32(p.Code), p.Msg)
	}
	return s
}

// USPErrorCode returns the Error message's code.
func (e *ResponseError) USPErrorCode() uint32 { return uint32(e.Code) }

// NewClient returns a Client for cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	if _, err := ParseEndpointID(string(cfg.EndpointID)); err != nil {
		return nil, fmt.Errorf("usp: new client: %w", err)
	}
	if cfg.Transport == nil {
		return nil, errors.New("usp: new client: no transport")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var b [4]byte
	rand.Read(b[:])
	return &Client{cfg: cfg, log: log, prefix: hex.EncodeToString(b[:]), pending: map[pendingKey]chan *uspmsg.Msg{}}, nil
}

// EndpointID returns the Controller's Endpoint ID.
func (c *Client) EndpointID() EndpointID { return c.cfg.EndpointID }

// Do sends req to Agent to and waits for that Agent's response, until
// ctx ends or the timeout passes. An Error message comes back as
// *ResponseError.
func (c *Client) Do(ctx context.Context, to EndpointID, req *uspmsg.Request) (*uspmsg.Response, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	c.mu.Lock()
	c.seq++
	id := c.prefix + "-" + strconv.FormatUint(c.seq, 10)
	key := pendingKey{to, id}
	ch := make(chan *uspmsg.Msg, 1)
	c.pending[key] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, key)
		c.mu.Unlock()
	}()
	if err := c.send(ctx, to, NewRequest(id, req)); err != nil {
		return nil, err
	}
	select {
	case m := <-ch:
		if e := m.GetBody().GetError(); e != nil {
			re := &ResponseError{Code: ErrorCode(e.GetErrCode()), Msg: e.GetErrMsg()}
			for _, pe := range e.GetParamErrs() {
				re.ParamErrs = append(re.ParamErrs, ParamError{Path: pe.GetParamPath(), Code: ErrorCode(pe.GetErrCode()), Msg: pe.GetErrMsg()})
			}
			return nil, re
		}
		return m.GetBody().GetResponse(), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("usp: %s to %s: no response: %w", MsgTypeName(req), to, ctx.Err())
	}
}

// Send sends req without waiting for any response (Operate with
// send_resp false).
func (c *Client) Send(ctx context.Context, to EndpointID, req *uspmsg.Request) error {
	c.mu.Lock()
	c.seq++
	id := c.prefix + "-" + strconv.FormatUint(c.seq, 10)
	c.mu.Unlock()
	return c.send(ctx, to, NewRequest(id, req))
}

func (c *Client) send(ctx context.Context, to EndpointID, m *uspmsg.Msg) error {
	rec, err := NewRecord(to, c.cfg.EndpointID, m)
	if err != nil {
		return err
	}
	b, err := EncodeRecord(rec)
	if err != nil {
		return err
	}
	if err := c.cfg.Transport.SendRecord(ctx, to, b); err != nil {
		return fmt.Errorf("usp: send to %s: %w", to, err)
	}
	return nil
}

// MsgTypeName names a request's type for messages ("Get", "Set", ...).
func MsgTypeName(req *uspmsg.Request) string {
	t, ok := requestType(req)
	if !ok {
		return "request"
	}
	return t.String()
}

// HandleRecord processes the bytes of one Record the MTP received for
// this Controller: responses go to the waiting Do (a Response or Error is
// taken only from the Agent the request went to), Notify requests to
// OnNotify (answered with NotifyResp when send_resp is set). peer is the
// identity the MTP authenticated ("" when none); a Record whose from_id
// differs from it is ignored.
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
	m, err := MsgFromRecord(rec)
	if err != nil {
		return err
	}
	id := m.GetHeader().GetMsgId()
	switch body := m.GetBody().GetMsgBody().(type) {
	case *uspmsg.Body_Response, *uspmsg.Body_Error:
		key := pendingKey{from, id}
		c.mu.Lock()
		ch := c.pending[key]
		delete(c.pending, key)
		c.mu.Unlock()
		if ch == nil {
			// R-MSG.9; also a response from an Agent other than the one
			// the request with this msg_id went to.
			c.log.Debug("response to no pending request of this agent ignored", "from", from, "msg_id", id)
			return nil
		}
		ch <- m // buffered, and only this sender: never blocks
	case *uspmsg.Body_Request:
		nt := body.Request.GetNotify()
		if nt == nil {
			return c.send(ctx, from, NewError(id, Errorf(ErrMessageNotSupported, "a Controller takes only Notify requests")))
		}
		if nt.GetSendResp() {
			resp := NewResponse(id, &uspmsg.Response{RespType: &uspmsg.Response_NotifyResp{NotifyResp: &uspmsg.NotifyResp{SubscriptionId: nt.GetSubscriptionId()}}})
			if err := c.send(ctx, from, resp); err != nil {
				c.log.Warn("NotifyResp not sent", "to", from, "err", err)
			}
		}
		if c.cfg.OnNotify != nil {
			c.cfg.OnNotify(from, nt)
		}
	}
	return nil
}
