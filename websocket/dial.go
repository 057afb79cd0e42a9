package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	ws "github.com/coder/websocket"
)

// DialConfig configures a client session. It is not changed after
// DialOnce or Dial.
type DialConfig struct {
	// URL is ws://host:port/path or wss://host:port/path. The eid query
	// parameter (TR-369 R-WS.10b) is added; other query data is kept.
	URL string
	// EndpointID is ours, sent in the eid query parameter and in the
	// bbf-usp-protocol extension. Required.
	EndpointID string
	// PeerID is the server's expected Endpoint ID; "" accepts any. A
	// different eid in the server's answer (or in its certificate) fails
	// the session. When the server names none (allowed by R-WS.11b), the
	// session's PeerID is this value.
	PeerID string
	// TLS configures wss: RootCAs to verify the server, Certificates for a
	// client certificate. nil uses the system roots.
	TLS *tls.Config
	// KeepAlive is the ping interval; 0 means 30 s, negative disables.
	KeepAlive time.Duration
	// MaxRecord is the largest Record accepted; 0 means 64 KiB.
	MaxRecord int
	// Retry is the reconnection policy of Dial's Link.
	Retry Retry
	// Handler receives each Record.
	Handler Handler
	// OnUp, if set, is called by a Link after each successful (re)connect,
	// before the Link waits on the session, e.g. to send a
	// WebSocketConnectRecord.
	OnUp func(ctx context.Context, c *Conn)
	// Logger receives the logs; nil discards them.
	Logger *slog.Logger
}

// handshakeTimeout bounds one opening handshake.
const handshakeTimeout = 30 * time.Second

// validate checks cfg and returns the URL to dial, with our eid added.
func (cfg *DialConfig) validate() (string, error) {
	if err := validEndpointID(cfg.EndpointID); err != nil {
		return "", fmt.Errorf("websocket: dial config: EndpointID: %w", err)
	}
	if cfg.PeerID != "" {
		if err := validEndpointID(cfg.PeerID); err != nil {
			return "", fmt.Errorf("websocket: dial config: PeerID: %w", err)
		}
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return "", fmt.Errorf("websocket: dial config: URL: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return "", fmt.Errorf("websocket: dial config: URL %q: scheme must be ws or wss", cfg.URL)
	}
	if u.Host == "" {
		return "", fmt.Errorf("websocket: dial config: URL %q has no host", cfg.URL)
	}
	q := u.Query()
	q.Set(eidParam, cfg.EndpointID)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// extensionCatcher takes the Sec-WebSocket-Extensions header off the
// handshake response before coder/websocket sees it: that library fails
// the handshake on any extension but permessage-deflate, while TR-369
// servers answer with bbf-usp-protocol.
type extensionCatcher struct {
	base http.RoundTripper
	ext  string
}

// RoundTrip implements http.RoundTripper.
func (e *extensionCatcher) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := e.base.RoundTrip(r)
	if resp != nil {
		e.ext = strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ", ")
		resp.Header.Del("Sec-WebSocket-Extensions")
	}
	return resp, err
}

// DialOnce opens one session (for a command-line Controller, or one try
// of a Link). ctx bounds the opening handshake only, as with
// net.Dialer.DialContext: once up, the session runs until Close or until
// the peer ends it.
func DialOnce(ctx context.Context, cfg DialConfig) (*Conn, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return dialOnce(ctx, cfg, u)
}

func dialOnce(ctx context.Context, cfg DialConfig, u string) (*Conn, error) {
	keepAlive, maxRecord := withDefaults(cfg.KeepAlive, cfg.MaxRecord)
	tr := &http.Transport{TLSClientConfig: cfg.TLS.Clone()}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	// WebSocket handshakes are HTTP/1.1 upgrades; never negotiate HTTP/2.
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetHTTP1(true)
	defer tr.CloseIdleConnections()
	catcher := &extensionCatcher{base: tr}
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	pongs, onPong := pongCounter()
	wc, resp, err := ws.Dial(hctx, u, &ws.DialOptions{
		HTTPClient:     &http.Client{Transport: catcher},
		HTTPHeader:     http.Header{"Sec-WebSocket-Extensions": {FormatExtension(cfg.EndpointID)}},
		Subprotocols:   []string{Subprotocol},
		OnPongReceived: onPong,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, fmt.Errorf("websocket: dial %s: refused with HTTP %s %q: %w", cfg.URL, resp.Status, refusal(resp), err)
		}
		return nil, fmt.Errorf("websocket: dial %s: %w", cfg.URL, err)
	}
	peerID, authenticated, err := checkServer(cfg, wc, resp, catcher.ext)
	if err != nil {
		_ = wc.Close(ws.StatusPolicyViolation, "handshake refused")
		return nil, fmt.Errorf("websocket: dial %s: %w", cfg.URL, err)
	}
	remote := resp.Request.URL.Host
	c := newConn(context.WithoutCancel(ctx), wc, connParams{
		peerID: peerID, authenticated: authenticated, remote: remote,
		handler: cfg.Handler, keepAlive: keepAlive, maxRecord: maxRecord,
		log:   orDiscard(cfg.Logger),
		pongs: pongs,
	})
	go c.run()
	return c, nil
}

// refusal is the start of a refused handshake's response body.
func refusal(resp *http.Response) string {
	if resp.Body == nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	return strings.TrimSpace(string(b))
}

// checkServer checks the subprotocol (R-WS.12) and the server's Endpoint
// ID, and returns it.
func checkServer(cfg DialConfig, wc *ws.Conn, resp *http.Response, ext string) (string, bool, error) {
	if wc.Subprotocol() != Subprotocol {
		return "", false, fmt.Errorf("server did not accept subprotocol %s (got %q)", Subprotocol, wc.Subprotocol())
	}
	peerID, authenticated := "", false
	if id := certEndpointID(resp.TLS); id != "" {
		peerID, authenticated = id, true
	}
	if ext != "" {
		eid, err := ParseExtension(ext)
		switch {
		case err == nil:
			if peerID != "" && eid != peerID {
				return "", false, fmt.Errorf("server claims Endpoint ID %q but its certificate says %q", eid, peerID)
			}
			peerID = eid
		case errors.Is(err, ErrNoExtension), errors.Is(err, ErrNoEndpointID):
		default:
			return "", false, fmt.Errorf("server's extension header: %w", err)
		}
	}
	if cfg.PeerID != "" && peerID != "" && peerID != cfg.PeerID {
		return "", false, fmt.Errorf("server is Endpoint %q, expected %q", peerID, cfg.PeerID)
	}
	if peerID == "" {
		peerID = cfg.PeerID
	}
	return peerID, authenticated, nil
}

// ErrNotConnected is returned (wrapped) by Link.Send while no session is up.
var ErrNotConnected = errors.New("websocket: not connected")

// Link keeps a session to a server up, reconnecting after each failure.
type Link struct {
	cfg    DialConfig
	url    string
	log    *slog.Logger
	rand   func() float64
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	conn *Conn
	up   chan struct{} // closed while conn is set

	closeOnce sync.Once
}

// Dial validates cfg and starts a Link in the background; it returns at
// once. The Link reconnects with cfg.Retry until Close or until ctx ends.
func Dial(ctx context.Context, cfg DialConfig) (*Link, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &Link{
		cfg:    cfg,
		url:    u,
		log:    orDiscard(cfg.Logger).With("url", cfg.URL),
		rand:   randFloat,
		cancel: cancel,
		done:   make(chan struct{}),
		up:     make(chan struct{}),
	}
	go l.run(ctx)
	return l, nil
}

// Send writes record on the current session, or fails with ErrNotConnected.
func (l *Link) Send(ctx context.Context, record []byte) error {
	l.mu.Lock()
	c := l.conn
	l.mu.Unlock()
	if c == nil {
		return fmt.Errorf("websocket: send to %s: %w", l.cfg.URL, ErrNotConnected)
	}
	return c.Send(ctx, record)
}

// Up reports whether a session is up.
func (l *Link) Up() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn != nil
}

// Conn is the current session, or nil.
func (l *Link) Conn() *Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn
}

// WaitUp waits until a session is up, ctx ends, or the Link is closed.
func (l *Link) WaitUp(ctx context.Context) error {
	l.mu.Lock()
	up := l.up
	l.mu.Unlock()
	select {
	case <-up:
		return nil
	case <-l.done:
		return fmt.Errorf("websocket: wait for %s: link closed: %w", l.cfg.URL, ErrNotConnected)
	case <-ctx.Done():
		return fmt.Errorf("websocket: wait for %s: %w", l.cfg.URL, ctx.Err())
	}
}

// Close ends the current session and stops reconnecting; it waits for the
// Link's goroutines and is idempotent.
func (l *Link) Close() error {
	l.closeOnce.Do(l.cancel)
	<-l.done
	return nil
}

// run dials, serves the session until it drops, and waits before retrying.
func (l *Link) run(ctx context.Context) {
	defer close(l.done)
	retries := 0
	for {
		c, err := dialOnce(ctx, l.cfg, l.url)
		if err != nil {
			retries++
			if ctx.Err() != nil {
				return
			}
			l.log.Warn("session failed; will retry", "retry", retries, "err", err)
		} else {
			retries = 1 // R-WS.20: reset once established; the next wait is the first
			l.serve(ctx, c)
			if ctx.Err() != nil {
				return
			}
		}
		t := time.NewTimer(l.cfg.Retry.Delay(retries, l.rand()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// serve publishes c, calls OnUp, and waits for the session to end.
func (l *Link) serve(ctx context.Context, c *Conn) {
	l.mu.Lock()
	l.conn = c
	close(l.up)
	l.mu.Unlock()
	l.log.Info("session up", "peer", c.PeerID())
	if l.cfg.OnUp != nil {
		l.cfg.OnUp(ctx, c)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		_ = c.Close("link closed")
		<-c.Done()
	}
	l.mu.Lock()
	l.conn = nil
	l.up = make(chan struct{})
	l.mu.Unlock()
	l.log.Info("session down", "peer", c.PeerID(), "err", c.Err())
}
