package coap

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/dtls/v3"

	"github.com/uspmesh/uspmesh/lograte"
)

// dtlsServer demultiplexes the server socket into DTLS sessions, one
// goroutine each. It replaces pion's listener to bound what a peer can
// make us hold: a datagram from an unknown source creates state only if it
// is a ClientHello, within handshake rates and caps on pending handshakes
// that are fair between source addresses and favour known ones (see
// admitLocked), so that half-open handshakes from one host cannot lock
// legitimate peers out; each session queues at most sessionQueue
// datagrams; established sessions are capped (the least recently active
// is closed for a new one) and closed when idle.
type dtlsServer struct {
	srv   *server
	setup *dtlsSetup
	conn  *net.UDPConn
	cfg   *Config
	log   *slog.Logger
	wg    *sync.WaitGroup
	pool  sync.Pool // *[maxDatagram]byte

	mu          sync.Mutex
	closing     bool
	conns       map[netip.AddrPort]*vconn
	pending     int
	established int
	bucket      tokenBucket // of all unknown sources together
	sources     map[netip.Addr]*handshakeSource
	refused     *lograte.Limiter // failed handshakes, logged once a minute per source address
}

// sessionQueue bounds the datagrams queued for one session.
const sessionQueue = 64

func newDTLSServer(srv *server, setup *dtlsSetup, conn *net.UDPConn, cfg *Config, log *slog.Logger, wg *sync.WaitGroup) *dtlsServer {
	d := &dtlsServer{
		srv: srv, setup: setup, conn: conn, cfg: cfg, log: log, wg: wg,
		conns:   make(map[netip.AddrPort]*vconn),
		bucket:  tokenBucket{rate: float64(cfg.MaxHandshakesPerSecond), burst: float64(cfg.MaxHandshakesPerSecond)},
		sources: make(map[netip.Addr]*handshakeSource),
		refused: lograte.New(log, nil, 0),
	}
	d.pool.New = func() any { return new([maxDatagram]byte) }
	return d
}

// run reads the socket until it is closed.
func (d *dtlsServer) run(ctx context.Context) {
	buf := make([]byte, 64<<10)
	for {
		n, src, err := d.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		if n > maxDatagram {
			continue
		}
		d.route(ctx, netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), buf[:n], time.Now())
	}
}

// route hands a datagram to its session, admitting a new one for a
// ClientHello. A ClientHello from the address of an established session
// (a client that restarted on the same port) starts a successor session
// beside it, as RFC 6347 §4.2.8 asks: epoch-0 records go to the successor
// only, the others to both (each drops what it cannot decrypt), and the
// old session is closed only once the successor's handshake completes.
func (d *dtlsServer) route(ctx context.Context, src netip.AddrPort, data []byte, now time.Time) {
	known := false
	if isClientHello(data) && d.cfg.Known != nil {
		known = d.cfg.Known(src.Addr())
	}
	d.mu.Lock()
	vc := d.conns[src]
	switch {
	case vc == nil:
		if vc = d.admitLocked(ctx, src, data, known, now); vc == nil {
			d.mu.Unlock()
			return
		}
	case (vc.state == stateEstablished || vc.state == stateClosing) && vc.successor == nil && isClientHello(data) && !helloHasCookie(data):
		if nv := d.admitLocked(ctx, src, data, known, now); nv != nil {
			nv.predecessor, vc.successor = vc, nv
		}
	}
	next := vc.successor
	d.mu.Unlock()
	switch {
	case next == nil:
		vc.deliver(data)
	case isEpochZero(data):
		next.deliver(data)
	default:
		next.deliver(data)
		vc.deliver(data)
	}
}

// serve runs one session: handshake, then requests until it closes.
func (d *dtlsServer) serve(ctx context.Context, vc *vconn) {
	defer d.wg.Done()
	defer d.remove(vc)
	var peerID string
	dc, err := dtls.ServerWithOptions(vc, net.UDPAddrFromAddrPort(vc.addr), d.setup.serverOptions(&peerID)...)
	if err != nil {
		d.log.Debug("dtls server setup failed", "peer", vc.addr, "err", err)
		vc.Close()
		return
	}
	hctx, cancel := context.WithTimeout(ctx, d.cfg.HandshakeTimeout)
	if !d.setCancel(vc, cancel) {
		cancel()
	}
	err = dc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		d.refused.Log(ctx, slog.LevelInfo, vc.addr.Addr().String(), "dtls handshake refused: wrong key, unknown identity or unfinished",
			"peer", vc.addr, "identity", peerID, "err", err)
		_ = dc.Close()
		return
	}
	p := d.srv.newPeer(peerID, vc.addr, time.Now())
	if !d.promote(vc, dc, p) {
		_ = dc.Close()
		return
	}
	d.log.Debug("dtls session up", "peer", vc.addr, "identity", peerID)
	buf := make([]byte, maxDatagram)
	for {
		n, err := dc.Read(buf)
		if err != nil {
			break
		}
		if resp := d.srv.handleDatagram(ctx, p, buf[:n], time.Now()); resp != nil {
			if _, err := dc.Write(resp); err != nil {
				break
			}
		}
	}
	_ = dc.Close()
	p.close()
}

func (d *dtlsServer) setCancel(vc *vconn, cancel context.CancelFunc) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if vc.state != statePending {
		return false
	}
	vc.cancel = cancel
	return true
}

// promote turns a pending session into an established one, closing the
// least recently active session beyond MaxSessions.
func (d *dtlsServer) promote(vc *vconn, dc *dtls.Conn, p *peer) bool {
	d.mu.Lock()
	if d.closing || vc.state != statePending {
		d.mu.Unlock()
		return false
	}
	vc.state, vc.dc, vc.peer = stateEstablished, dc, p
	d.pendingDoneLocked(vc)
	d.established++
	var victims []*vconn
	if old := vc.predecessor; old != nil {
		// The client restarted on the same port: its new session replaces
		// the old one.
		d.conns[vc.addr] = vc
		old.successor, vc.predecessor = nil, nil
		victims = append(victims, old)
	}
	if d.established > d.cfg.MaxSessions {
		if v := d.leastActiveLocked(vc); v != nil {
			victims = append(victims, v)
		}
	}
	for _, v := range victims {
		v.state = stateClosing
		d.established--
	}
	d.mu.Unlock()
	for _, v := range victims {
		d.log.Debug("dtls session replaced or evicted", "peer", v.addr)
		_ = v.dc.Close()
	}
	return true
}

func (d *dtlsServer) leastActiveLocked(except *vconn) *vconn {
	var victim *vconn
	for _, c := range d.conns {
		if c == except || c.state != stateEstablished {
			continue
		}
		if victim == nil || c.peer.lastSeen.Load() < victim.peer.lastSeen.Load() {
			victim = c
		}
	}
	return victim
}

// remove forgets vc when its session goroutine ends.
func (d *dtlsServer) remove(vc *vconn) {
	d.mu.Lock()
	d.forgetLocked(vc)
	d.mu.Unlock()
	vc.Close()
}

func (d *dtlsServer) forgetLocked(vc *vconn) {
	switch vc.state {
	case statePending:
		d.pendingDoneLocked(vc)
	case stateEstablished:
		d.established--
	}
	vc.state = stateGone
	if p := vc.predecessor; p != nil && p.successor == vc {
		p.successor = nil
	}
	if d.conns[vc.addr] == vc {
		if next := vc.successor; next != nil {
			d.conns[vc.addr], next.predecessor = next, nil
		} else {
			delete(d.conns, vc.addr)
		}
	}
	vc.predecessor, vc.successor = nil, nil
}

// expire closes idle sessions and times out stale reassemblies.
func (d *dtlsServer) expire(now time.Time) {
	var idle []*vconn
	d.mu.Lock()
	for _, c := range d.conns {
		if c.state == stateEstablished && c.peer.expire(now, d.cfg.IdleTimeout) {
			idle = append(idle, c)
		}
	}
	d.forgetSourcesLocked(now)
	d.mu.Unlock()
	for _, c := range idle {
		d.log.Debug("dtls session idle, closing", "peer", c.addr)
		_ = c.dc.Close()
	}
}

// closeAll stops admitting sessions and closes all of them, sending
// close_notify on established ones so that their peers redial at once.
func (d *dtlsServer) closeAll() {
	d.mu.Lock()
	d.closing = true
	all := make([]*vconn, 0, len(d.conns))
	for _, c := range d.conns {
		all = append(all, c)
		if c.successor != nil {
			all = append(all, c.successor)
		}
	}
	d.mu.Unlock()
	for _, c := range all {
		d.mu.Lock()
		st, dc, cancel := c.state, c.dc, c.cancel
		d.mu.Unlock()
		switch {
		case st == stateEstablished || st == stateClosing:
			_ = dc.Close()
		case cancel != nil:
			cancel()
		}
		c.Close()
	}
}

// counts reports pending and established sessions (for tests).
func (d *dtlsServer) counts() (pending, established int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pending, d.established
}

// isClientHello reports whether data starts with a DTLS handshake record
// of epoch 0 carrying a ClientHello (RFC 6347 §4.1, §4.2.2).
func isClientHello(data []byte) bool {
	const recordHeader, handshakeHeader = 13, 12
	return len(data) >= recordHeader+handshakeHeader &&
		data[0] == 22 && data[1] == 0xfe && data[3] == 0 && data[4] == 0 &&
		data[recordHeader] == 1
}

// helloHasCookie reports whether a ClientHello (see isClientHello)
// carries a cookie: a client's first ClientHello has none, its second
// echoes the server's (RFC 6347 §4.2.1).
func helloHasCookie(data []byte) bool {
	const sessionIDLen = 13 + 12 + 2 + 32 // record, handshake header, version, random
	if len(data) <= sessionIDLen {
		return false
	}
	cookieLen := sessionIDLen + 1 + int(data[sessionIDLen])
	return len(data) > cookieLen && data[cookieLen] != 0
}

// isEpochZero reports whether data's first record is of epoch 0 (not
// encrypted: a new handshake).
func isEpochZero(data []byte) bool {
	return len(data) >= 13 && data[3] == 0 && data[4] == 0
}
