package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ws "github.com/coder/websocket"
)

// Defaults shared by the server and the client.
const (
	// DefaultKeepAlive is the ping interval when a config says 0.
	DefaultKeepAlive = 30 * time.Second
	// DefaultMaxRecord is the largest Record accepted when a config says 0.
	DefaultMaxRecord = 64 << 10
	// maxCloseReason is the longest close reason a close frame carries.
	maxCloseReason = 123
	// certIDPrefix starts the SAN URI carrying an Endpoint ID.
	certIDPrefix = "urn:bbf:usp:id:"
)

// ErrClosed is the end reason of a session closed by this side.
var ErrClosed = errors.New("websocket: session closed")

// ErrKeepAlive is the end reason of a session whose peer stopped answering
// pings.
var ErrKeepAlive = errors.New("websocket: keep-alive: no pong from peer")

// ErrTextFrame is the end reason of a session whose peer sent a text
// message (closed with 1003, TR-369 R-WS.16).
var ErrTextFrame = errors.New("websocket: text message received; USP Records travel in binary messages")

// Handler receives each binary message of a session: one Record. It is
// called from the session's read goroutine, one message at a time, so it
// must not block long: while it runs, no other message is read and pongs
// are not processed, so a Handler slower than the keep-alive interval gets
// the session dropped. Hand long work to another goroutine. record is not
// reused by the package. ctx ends with the session.
type Handler func(ctx context.Context, c *Conn, record []byte)

// Conn is one WebSocket session carrying USP Records.
type Conn struct {
	ws            *ws.Conn
	peerID        string
	authenticated bool
	remote        string
	handler       Handler
	keepAlive     time.Duration
	log           *slog.Logger
	pongs         *atomic.Int64 // pongs received, counted by the library's callback

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	err error
}

// connParams is what a Conn is built from.
type connParams struct {
	peerID        string
	authenticated bool
	remote        string
	handler       Handler
	keepAlive     time.Duration
	maxRecord     int
	log           *slog.Logger
	pongs         *atomic.Int64
}

// newConn wraps an established WebSocket; start must follow.
func newConn(ctx context.Context, c *ws.Conn, p connParams) *Conn {
	c.SetReadLimit(int64(p.maxRecord))
	ctx, cancel := context.WithCancel(ctx)
	return &Conn{
		ws:            c,
		peerID:        p.peerID,
		authenticated: p.authenticated,
		remote:        p.remote,
		handler:       p.handler,
		keepAlive:     p.keepAlive,
		log:           p.log.With("peer", p.peerID, "remote", p.remote),
		pongs:         p.pongs,
		ctx:           ctx,
		cancel:        cancel,
		done:          make(chan struct{}),
	}
}

// PeerID is the peer's Endpoint ID: from its verified TLS certificate when
// Authenticated, else the one it claimed in the handshake.
func (c *Conn) PeerID() string { return c.peerID }

// Authenticated reports whether PeerID came from a verified certificate's
// SAN URI urn:bbf:usp:id:<EID>.
func (c *Conn) Authenticated() bool { return c.authenticated }

// Remote is the peer's network address ("host:port").
func (c *Conn) Remote() string { return c.remote }

// Done is closed when the session has ended and its read goroutine is gone.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the session ended (nil while it is up): ErrClosed, ErrKeepAlive
// or ErrTextFrame wrapped, or the read error. Use ws.CloseStatus from
// github.com/coder/websocket on it for the peer's close code.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// setErr records the first end reason.
func (c *Conn) setErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

// Send writes record as one binary message. It is safe for concurrent use;
// messages are not interleaved.
func (c *Conn) Send(ctx context.Context, record []byte) error {
	if err := c.ws.Write(ctx, ws.MessageBinary, record); err != nil {
		return fmt.Errorf("websocket: send to %s: %w", c.peerID, err)
	}
	return nil
}

// Close ends the session with close code 1000 and reason (cut to 123
// bytes). It returns once the close handshake is done or has timed out
// (5 s); Done follows shortly. Calling it again, or after the peer closed,
// returns nil. It may be called from a Handler.
func (c *Conn) Close(reason string) error {
	return c.closeWith(ws.StatusNormalClosure, reason)
}

// closeWith ends the session with code and reason.
func (c *Conn) closeWith(code ws.StatusCode, reason string) error {
	c.setErr(fmt.Errorf("%w: %s", ErrClosed, reason))
	if len(reason) > maxCloseReason {
		reason = reason[:maxCloseReason]
	}
	err := c.ws.Close(code, reason)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("websocket: close session with %s: %w", c.peerID, err)
	}
	return nil
}

// run reads messages until the session ends, with the keep-alive beside it.
// It closes Done when both have stopped.
func (c *Conn) run() {
	defer close(c.done)
	var wg sync.WaitGroup
	if c.keepAlive > 0 {
		wg.Go(c.pingLoop)
	}
	c.readLoop()
	c.cancel()
	// Make sure the socket is gone even if the read ended on a local error.
	_ = c.ws.CloseNow()
	wg.Wait()
}

// readLoop hands each binary message to the Handler.
func (c *Conn) readLoop() {
	for {
		typ, msg, err := c.ws.Read(c.ctx)
		if err != nil {
			c.setErr(fmt.Errorf("websocket: read from %s: %w", c.peerID, err))
			if errors.Is(err, ws.ErrMessageTooBig) {
				c.log.Warn("record too large; session closed with 1009", "err", err)
			}
			return
		}
		if typ != ws.MessageBinary {
			c.setErr(ErrTextFrame)
			c.log.Warn("text message received; closing with 1003")
			_ = c.ws.Close(ws.StatusUnsupportedData, "USP Records must be binary messages")
			return
		}
		if c.handler != nil {
			c.handler(c.ctx, c, msg)
		}
	}
}

// pingLoop pings every keepAlive and drops the session when a pong does
// not come back within keepAlive.
func (c *Conn) pingLoop() {
	t := time.NewTicker(c.keepAlive)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.keepAlive)
		err := c.ws.Ping(ctx)
		cancel()
		if err == nil {
			continue
		}
		if c.ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			// The session is ending for another reason, which the read
			// loop reports.
			return
		}
		c.setErr(fmt.Errorf("%w: %w", ErrKeepAlive, err))
		c.log.Warn("peer stopped answering pings; dropping the session", "err", err)
		_ = c.ws.CloseNow()
		return
	}
}

// certEndpointID returns the Endpoint ID in the first SAN URI
// urn:bbf:usp:id:<EID> of the leaf of a verified chain, or "".
func certEndpointID(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	for _, u := range cs.VerifiedChains[0][0].URIs {
		s := u.String()
		if len(s) > len(certIDPrefix) && strings.EqualFold(s[:len(certIDPrefix)], certIDPrefix) {
			eid := s[len(certIDPrefix):]
			if validEndpointID(eid) == nil {
				return eid
			}
		}
	}
	return ""
}

// pongCounter returns a counter and the coder/websocket callback feeding it.
func pongCounter() (*atomic.Int64, func(context.Context, []byte)) {
	n := new(atomic.Int64)
	return n, func(context.Context, []byte) { n.Add(1) }
}

// Pongs is how many pongs the peer has sent in answer to keep-alive pings.
func (c *Conn) Pongs() int64 { return c.pongs.Load() }

// withDefaults resolves the keep-alive and record size settings.
func withDefaults(keepAlive time.Duration, maxRecord int) (time.Duration, int) {
	switch {
	case keepAlive == 0:
		keepAlive = DefaultKeepAlive
	case keepAlive < 0:
		keepAlive = 0
	}
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	return keepAlive, maxRecord
}

// orDiscard returns l, or a logger that drops everything.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
