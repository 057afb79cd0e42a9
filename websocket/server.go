package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	ws "github.com/coder/websocket"

	"github.com/uspmesh/uspmesh/lograte"
)

// Server HTTP limits.
const (
	serverReadHeaderTimeout = 10 * time.Second
	serverMaxHeaderBytes    = 8 << 10
	// DefaultPath is the resource path when ServerConfig.Path is empty.
	DefaultPath = "/usp"
)

// ServerConfig configures a Server. Its zero value (with a Handler) serves
// plain ws on a random port at /usp. It is not changed after Listen.
type ServerConfig struct {
	// Listen is "host:port"; ":0" picks a free port; "" means ":0".
	Listen string
	// Path is the WebSocket resource (TR-369 R-WS.2); "" means "/usp".
	Path string
	// EndpointID is ours, returned in the bbf-usp-protocol extension to
	// clients that offer it.
	EndpointID string
	// TLS nil serves plain ws (labs only); else wss. Set ClientAuth (and
	// ClientCAs) in it to verify client certificates.
	TLS *tls.Config
	// RequireCert refuses sessions (HTTP 403) without a verified client
	// certificate carrying urn:bbf:usp:id:<EID>. It needs TLS.
	RequireCert bool
	// KeepAlive is the ping interval; 0 means 30 s, negative disables.
	KeepAlive time.Duration
	// MaxRecord is the largest Record accepted; 0 means 64 KiB.
	MaxRecord int
	// Handler receives each Record.
	Handler Handler
	// OnSession, if set, is called when a session is up, from its goroutine.
	OnSession func(c *Conn)
	// OnClose, if set, is called when a session has ended, with its reason.
	OnClose func(c *Conn, err error)
	// HTTP, if set, serves the requests for every other path than Path
	// (a status page beside the MTP), behind the same listener and TLS:
	// with RequireCert only clients with a verified certificate reach it.
	// Nil answers them 404.
	HTTP http.Handler
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
}

// Server accepts USP WebSocket sessions, at most one per peer Endpoint ID.
type Server struct {
	cfg      ServerConfig
	log      *slog.Logger
	refusals *lograte.Limiter
	ln       net.Listener
	addr     netip.AddrPort
	http     *http.Server
	ctx      context.Context
	cancel   context.CancelFunc
	served   chan struct{}

	mu       sync.Mutex
	closed   bool
	sessions map[string]*Conn
	wg       sync.WaitGroup // upgrade handlers and the sessions they run

	closeOnce sync.Once
	closeErr  error
}

// Listen starts a Server on cfg.Listen. It serves until Close or until ctx
// ends; ctx also bounds the sessions.
func Listen(ctx context.Context, cfg ServerConfig) (*Server, error) {
	if err := cfg.resolve(); err != nil {
		return nil, err
	}
	log := orDiscard(cfg.Logger)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("websocket: listen %s: %w", cfg.Listen, err)
	}
	tcpAddr, _ := ln.Addr().(*net.TCPAddr)
	if cfg.TLS != nil {
		tc := cfg.TLS.Clone()
		tc.NextProtos = []string{"http/1.1"} // WebSocket over HTTP/1.1 only
		ln = tls.NewListener(ln, tc)
	}
	s := &Server{
		cfg:      cfg,
		log:      log,
		refusals: lograte.New(log, nil, 0),
		ln:       ln,
		addr:     tcpAddr.AddrPort(),
		served:   make(chan struct{}),
		sessions: make(map[string]*Conn),
	}
	s.start(ctx)
	log.Info("listening", "url", s.URL())
	return s, nil
}

// resolve checks cfg and fills in its defaults.
func (cfg *ServerConfig) resolve() error {
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		return fmt.Errorf("websocket: listen: path %q does not start with /", cfg.Path)
	}
	if cfg.EndpointID != "" {
		if err := validEndpointID(cfg.EndpointID); err != nil {
			return fmt.Errorf("websocket: listen: %w", err)
		}
	}
	if cfg.RequireCert && cfg.TLS == nil {
		return errors.New("websocket: listen: RequireCert needs a TLS config")
	}
	if cfg.Listen == "" {
		cfg.Listen = ":0"
	}
	cfg.KeepAlive, cfg.MaxRecord = withDefaults(cfg.KeepAlive, cfg.MaxRecord)
	return nil
}

// start serves HTTP on s.ln and arranges Close when ctx ends.
func (s *Server) start(ctx context.Context) {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	mux := http.NewServeMux()
	mux.HandleFunc(s.cfg.Path, s.upgrade)
	if s.cfg.HTTP != nil {
		mux.Handle("/", s.cfg.HTTP)
	}
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: serverReadHeaderTimeout,
		MaxHeaderBytes:    serverMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.served)
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	go func() {
		<-s.served
		stop()
	}()
}

// Addr is the address the server listens on.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// URL is ws://host:port/path (wss:// with TLS). An unspecified listen
// address is given as the loopback address, which dials.
func (s *Server) URL() string {
	scheme := "ws"
	if s.cfg.TLS != nil {
		scheme = "wss"
	}
	a := s.addr.Addr()
	switch {
	case a.Is4() && a.IsUnspecified():
		a = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case a.IsUnspecified():
		a = netip.IPv6Loopback()
	}
	return scheme + "://" + netip.AddrPortFrom(a, s.addr.Port()).String() + s.cfg.Path
}

// Session is the live session of peerID, or nil.
func (s *Server) Session(peerID string) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[peerID]
}

// Close stops the listener, closes every session with 1001 (going away)
// and waits for their goroutines. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		live := make([]*Conn, 0, len(s.sessions))
		for _, c := range s.sessions {
			live = append(live, c)
		}
		s.mu.Unlock()

		if err := s.http.Close(); err != nil {
			s.closeErr = fmt.Errorf("websocket: close listener: %w", err)
		}
		var wg sync.WaitGroup
		for _, c := range live {
			wg.Go(func() { _ = c.closeWith(ws.StatusGoingAway, "server shutting down") })
		}
		wg.Wait()
		s.wg.Wait()
		s.cancel()
		<-s.served
	})
	return s.closeErr
}

// refuse answers an upgrade request with an HTTP error, logging the reason
// at most once a minute.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code int, why string) {
	s.refusals.Log(r.Context(), slog.LevelWarn, "upgrade refused: "+why, "upgrade refused: "+why, "remote", r.RemoteAddr)
	http.Error(w, "USP WebSocket: "+why, code)
}

// upgrade checks the handshake, accepts the WebSocket and runs the session.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.refuse(w, r, http.StatusServiceUnavailable, "server closing")
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	if !offersSubprotocol(r.Header) {
		s.refuse(w, r, http.StatusBadRequest, "no "+Subprotocol+" subprotocol")
		return
	}
	peerID, authenticated, offeredExt, code, why := s.identify(r)
	if why != "" {
		s.refuse(w, r, code, why)
		return
	}
	if offeredExt && s.cfg.EndpointID != "" {
		w.Header().Set("Sec-WebSocket-Extensions", FormatExtension(s.cfg.EndpointID))
	}
	pongs, onPong := pongCounter()
	wc, err := ws.Accept(w, r, &ws.AcceptOptions{
		Subprotocols:   []string{Subprotocol},
		OnPongReceived: onPong,
		// Any origin: browser apps served from another origin (an in-home
		// app) are a real use. Origin is not authentication here; that is
		// the TLS client certificate's or the USP layer's job.
		InsecureSkipVerify: true,
	})
	if err != nil {
		s.refusals.Log(r.Context(), slog.LevelWarn, "upgrade failed", "upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if wc.Subprotocol() != Subprotocol {
		_ = wc.Close(ws.StatusPolicyViolation, "subprotocol "+Subprotocol+" required")
		return
	}
	c := newConn(s.ctx, wc, connParams{
		peerID: peerID, authenticated: authenticated, remote: r.RemoteAddr,
		handler: s.cfg.Handler, keepAlive: s.cfg.KeepAlive, maxRecord: s.cfg.MaxRecord, log: s.log,
		pongs: pongs,
	})
	s.serve(c)
}

// identify finds the peer's Endpoint ID: the verified certificate's, else
// the eid query parameter (R-WS.10b), else the extension (R-WS.10a). A
// refusal comes back as an HTTP code and a reason.
func (s *Server) identify(r *http.Request) (peerID string, authenticated, offeredExt bool, code int, why string) {
	claimed := r.URL.Query().Get(eidParam)
	extEID, err := ParseExtension(strings.Join(r.Header.Values("Sec-WebSocket-Extensions"), ", "))
	switch {
	case err == nil:
		offeredExt = true
	case errors.Is(err, ErrNoExtension):
	case errors.Is(err, ErrNoEndpointID):
		offeredExt = true
	default:
		return "", false, false, http.StatusBadRequest, "bad Sec-WebSocket-Extensions"
	}
	if claimed == "" {
		claimed = extEID
	}
	if claimed != "" && validEndpointID(claimed) != nil {
		return "", false, false, http.StatusBadRequest, "bad eid"
	}
	if certID := certEndpointID(r.TLS); certID != "" {
		if claimed != "" && claimed != certID {
			return "", false, false, http.StatusForbidden, "eid does not match the client certificate"
		}
		return certID, true, offeredExt, 0, ""
	}
	if s.cfg.RequireCert {
		return "", false, false, http.StatusForbidden, "no verified client certificate with an Endpoint ID"
	}
	if claimed == "" {
		return "", false, false, http.StatusBadRequest, "no eid in the request"
	}
	return claimed, false, offeredExt, 0, ""
}

// serve registers c (closing an older session of the same peer), runs it
// and unregisters it.
func (s *Server) serve(c *Conn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.ws.Close(ws.StatusGoingAway, "server shutting down")
		return
	}
	old := s.sessions[c.peerID]
	s.sessions[c.peerID] = c
	if old != nil {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if old != nil {
		s.log.Info("new session replaces the older one", "peer", c.peerID, "remote", c.remote, "old_remote", old.remote)
		go func() {
			defer s.wg.Done()
			_ = old.closeWith(ws.StatusNormalClosure, "replaced by a newer session")
		}()
	}
	s.log.Info("session up", "peer", c.peerID, "remote", c.remote, "authenticated", c.authenticated)
	if s.cfg.OnSession != nil {
		s.cfg.OnSession(c)
	}
	c.run()

	s.mu.Lock()
	if s.sessions[c.peerID] == c {
		delete(s.sessions, c.peerID)
	}
	s.mu.Unlock()
	err := c.Err()
	s.log.Info("session down", "peer", c.peerID, "remote", c.remote, "err", err)
	if s.cfg.OnClose != nil {
		s.cfg.OnClose(c, err)
	}
}

// offersSubprotocol reports whether the request lists v1.usp.
func offersSubprotocol(h http.Header) bool {
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), Subprotocol) {
				return true
			}
		}
	}
	return false
}
