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
	"github.com/uspmesh/uspmesh/proto/usprecord"
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
	// Client answered it (NotifyResp when send_resp is set). It is called
	// from the Client's goroutine, one call at a time in arrival order,
	// never after Close returns; a slow OnNotify holds up the
	// notifications behind it, and Close waits for it.
	OnNotify func(from EndpointID, n *uspmsg.Notify)
	// OnConnect, when set, receives the connect and disconnect Records
	// Agents send (an MQTTConnectRecord names the Agent's topic). It is
	// called from HandleRecord's goroutine and must not block.
	OnConnect func(from EndpointID, rec *usprecord.Record)
	// QueueLen bounds the requests (Notify) received and not yet answered
	// (default 64); HandleRecord refuses one that finds the queue full.
	QueueLen int
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// ErrClientClosed is the error of a request, or of a received Notify,
// after Client.Close.
var ErrClientClosed = errors.New("usp: client closed")

// Client is a USP Controller's request side: it sends requests to Agents,
// matches their responses by the Agent they come from and their msg_id,
// and receives their notifications. Feed it every Record the MTP receives
// for the Controller (HandleRecord): responses go straight to the waiting
// request, Notify requests to a queue that the Client's own goroutine
// answers and hands to OnNotify. It is safe for concurrent use; Close
// stops it.
type Client struct {
	cfg    ClientConfig
	log    *slog.Logger
	prefix string

	// life is cancelled by Close: it ends requests in progress and the
	// goroutine that answers the queued notifications.
	life   context.Context
	cancel context.CancelCauseFunc
	queue  chan inboundRequest
	wg     sync.WaitGroup

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
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 64
	}
	var b [4]byte
	rand.Read(b[:])
	c := &Client{cfg: cfg, log: log, prefix: hex.EncodeToString(b[:]), pending: map[pendingKey]chan *uspmsg.Msg{},
		queue: make(chan inboundRequest, cfg.QueueLen)}
	c.life, c.cancel = context.WithCancelCause(context.Background())
	c.wg.Add(1)
	go c.answer()
	return c, nil
}

// Close stops the Client: requests in progress return ErrClientClosed,
// a NotifyResp being sent is abandoned, notifications still queued are
// neither answered nor delivered, and later requests and notifications
// are refused. It waits for the Client's goroutine (and so for an
// OnNotify call in progress) to end. It is idempotent.
func (c *Client) Close() {
	c.cancel(ErrClientClosed)
	c.wg.Wait()
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
	ctx, stop := c.bound(ctx)
	defer stop()
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
		if clientClosed(ctx) {
			return nil, fmt.Errorf("usp: %s to %s: %w", MsgTypeName(req), to, ErrClientClosed)
		}
		return nil, fmt.Errorf("usp: %s to %s: no response: %w", MsgTypeName(req), to, ctx.Err())
	}
}

// Send sends req without waiting for any response (Operate with
// send_resp false).
func (c *Client) Send(ctx context.Context, to EndpointID, req *uspmsg.Request) error {
	ctx, stop := c.bound(ctx)
	defer stop()
	c.mu.Lock()
	c.seq++
	id := c.prefix + "-" + strconv.FormatUint(c.seq, 10)
	c.mu.Unlock()
	return c.send(ctx, to, NewRequest(id, req))
}

// bound returns ctx, also cancelled (with cause ErrClientClosed) when the
// Client closes; stop releases it.
func (c *Client) bound(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	if c.life.Err() != nil {
		cancel(context.Cause(c.life)) // now, not from AfterFunc's goroutine
	}
	unlink := context.AfterFunc(c.life, func() { cancel(context.Cause(c.life)) })
	return ctx, func() {
		unlink()
		cancel(nil)
	}
}

func (c *Client) send(ctx context.Context, to EndpointID, m *uspmsg.Msg) error {
	if clientClosed(ctx) {
		return fmt.Errorf("usp: send to %s: %w", to, ErrClientClosed)
	}
	rec, err := NewRecord(to, c.cfg.EndpointID, m)
	if err != nil {
		return err
	}
	b, err := EncodeRecord(rec)
	if err != nil {
		return err
	}
	if err := c.cfg.Transport.SendRecord(ctx, to, b); err != nil {
		if clientClosed(ctx) {
			err = ErrClientClosed
		}
		return fmt.Errorf("usp: send to %s: %w", to, err)
	}
	return nil
}

// clientClosed reports whether ctx ended because the Client closed.
func clientClosed(ctx context.Context) bool { return errors.Is(context.Cause(ctx), ErrClientClosed) }

// MsgTypeName names a request's type for messages ("Get", "Set", ...).
func MsgTypeName(req *uspmsg.Request) string {
	t, ok := requestType(req)
	if !ok {
		return "request"
	}
	return t.String()
}
