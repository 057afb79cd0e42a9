package coap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Inbound is one complete Record received on the USP resource.
type Inbound struct {
	// Record is the reassembled Record; the handler may keep it.
	Record []byte
	// Peer is the identity the DTLS layer authenticated: the client's PSK
	// identity, or the Endpoint ID from its certificate's URI SAN
	// "urn:bbf:usp:id:<EndpointID>"; "" in NoSec mode.
	Peer string
	// ReplyTo is the request's reply-to URI (coap://… or coaps://…),
	// already checked against the datagram's source and normalized to
	// scheme://ip:port/path.
	ReplyTo string
	// Source is the datagram's source address.
	Source netip.AddrPort
}

// Handler accepts Records. It is called synchronously before the POST is
// acknowledged, so it must be quick (decode and queue): a non-nil error
// makes the server answer 4.00 Bad Request with the error text as
// diagnostic payload, nil makes it answer 2.04 Changed. The USP response
// travels later, as a new POST, through Endpoint.Send. Calls for one DTLS
// session (or, in NoSec mode, for the whole endpoint) are sequential.
type Handler func(ctx context.Context, in Inbound) error

// Endpoint is one USP CoAP endpoint: a server on the USP resource and a
// client that posts Records to peers, over DTLS or (explicitly) NoSec.
type Endpoint struct {
	cfg    Config
	log    *slog.Logger
	conn   *net.UDPConn
	addr   netip.AddrPort
	secure bool

	ctx    context.Context
	cancel context.CancelFunc
	stop   func() bool // stops closing on the Listen context
	wg     sync.WaitGroup
	once   sync.Once

	nosec   *nosecServer
	dtlsSrv *dtlsServer
	clients *clientPool
}

// Listen starts serving cfg.Path on cfg.Listen and returns the Endpoint;
// it serves until Close or until ctx is done.
func Listen(ctx context.Context, cfg Config, h Handler) (*Endpoint, error) {
	if h == nil {
		return nil, errors.New("coap: nil handler")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("coap: listen %s: %w", cfg.Listen, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("coap: listen %s: %w", cfg.Listen, err)
	}
	la := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	e := &Endpoint{
		cfg:    cfg,
		log:    cfg.Logger,
		conn:   conn,
		addr:   netip.AddrPortFrom(la.Addr().Unmap(), la.Port()),
		secure: !cfg.Insecure,
	}
	e.ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	srv := newServer(&e.cfg, h)
	setup := &dtlsSetup{cfg: &e.cfg, loggers: pionLogger{log: e.log}}
	e.clients = &clientPool{
		cfg: &e.cfg, secure: e.secure, setup: setup, log: e.log, ctx: e.ctx, wg: &e.wg,
		port:     e.addr.Port(),
		inflight: make(chan struct{}, cfg.MaxInflightTotal),
		sessions: make(map[sessionKey]*poolEntry),
	}
	if ip := e.addr.Addr(); !ip.IsUnspecified() {
		e.clients.bindIP = ip
	}
	if e.secure {
		e.dtlsSrv = newDTLSServer(srv, setup, conn, &e.cfg, e.log, &e.wg)
		e.goRun(e.dtlsSrv.run)
	} else {
		e.nosec = newNoSecServer(srv, conn, cfg.MaxSessions)
		e.goRun(e.nosec.run)
	}
	e.goRun(e.janitor)
	e.stop = context.AfterFunc(ctx, e.shutdown)
	e.log.Debug("listening", "url", e.URL())
	return e, nil
}

func (e *Endpoint) goRun(f func(context.Context)) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f(e.ctx)
	}()
}

// Addr returns the address the endpoint serves on.
func (e *Endpoint) Addr() netip.AddrPort { return e.addr }

// URL returns our USP URI, e.g. coaps://127.0.0.1:5684/usp. Its host is
// the listen IP; when that is unspecified (0.0.0.0 or ::) the URL carries
// it as is, and Send puts the local IP towards each peer in reply-to.
func (e *Endpoint) URL() string {
	return formatURI(e.secure, e.addr.Addr(), e.addr.Port(), e.cfg.Path)
}

// Send posts record to the peer's USP URI to (coap:// in NoSec mode,
// coaps:// in DTLS mode): a CON POST with Content-Format 42, Uri-Query
// reply-to=<our URI as that peer reaches us>, Block1 always present
// (1024-byte blocks, each but the last answered 2.31 Continue) and Size1.
// It returns nil on 2.04 (any 2.xx), a *ResponseError on 4.xx/5.xx,
// ErrTimeout when the peer stays silent through the retransmissions, or
// the context's error. Sessions are opened on first use and kept; a
// session the peer closed or forgot (it restarted) is replaced and the
// record sent once more on the new one, so in rare cases (an answer lost
// just before the session was replaced) a peer may get a Record twice.
func (e *Endpoint) Send(ctx context.Context, to string, record []byte) error {
	u, err := parseURI(to)
	if err != nil {
		return err
	}
	if u.secure != e.secure {
		return fmt.Errorf("coap: send to %s: this endpoint speaks %s only", to, scheme(e.secure))
	}
	if len(record) > e.cfg.MaxRecordSize {
		return fmt.Errorf("coap: send to %s: record of %d bytes exceeds MaxRecordSize", to, len(record))
	}
	if e.ctx.Err() != nil {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.SendTimeout)
	defer cancel()
	dst, err := u.resolve(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		s, err := e.clients.session(ctx, dst, to)
		if err != nil {
			return fmt.Errorf("coap: send to %s: %w", to, err)
		}
		err = s.sendRecord(ctx, u.path, record)
		if err == nil {
			return nil
		}
		if errors.Is(err, errSessionLost) && attempt == 0 && ctx.Err() == nil && e.ctx.Err() == nil {
			e.log.Debug("session lost under a request, retrying on a new one", "peer", dst, "err", err)
			continue
		}
		if e.ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		return fmt.Errorf("coap: send to %s: %w", to, err)
	}
}

// Close stops serving, closes all sessions (sending close_notify, so that
// peers redial at once), closes the socket and waits for every goroutine.
// It is idempotent; do not call it from a Handler.
func (e *Endpoint) Close() error {
	e.stop()
	e.shutdown()
	return nil
}

func (e *Endpoint) shutdown() {
	e.once.Do(func() {
		e.cancel()
		e.clients.closeAll()
		if e.dtlsSrv != nil {
			e.dtlsSrv.closeAll()
		} else {
			e.nosec.closeAll()
		}
		_ = e.conn.Close()
		e.wg.Wait()
		e.log.Debug("closed", "url", e.URL())
	})
}

// janitor runs the periodic work: keep-alive pings, idle sessions,
// expired reassemblies.
func (e *Endpoint) janitor(ctx context.Context) {
	tick := min(e.cfg.IdleTimeout, e.cfg.ReassemblyTimeout)
	if e.cfg.KeepAlive > 0 {
		tick = min(tick, e.cfg.KeepAlive)
	}
	tick = min(max(tick/4, 50*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if e.dtlsSrv != nil {
				e.dtlsSrv.expire(now)
			} else {
				e.nosec.expire(now, e.cfg.IdleTimeout)
			}
			e.clients.keepAlive(now)
		}
	}
}
