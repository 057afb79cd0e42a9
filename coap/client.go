package coap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/message/codes"
)

// sessionKey names one client session: the destination address and the
// Endpoint ID the sender means to reach there (WithPeer), which picks the
// PSK. Two identities behind one address (a port reused by another
// endpoint) get two sessions, each with its own key.
type sessionKey struct {
	addr netip.AddrPort
	peer string
}

// clientPool keeps our client sessions, one per destination, for
// as long as the peer answers (always-on): concurrent Sends to a new
// destination share one dial; at MaxSessions the least recently used
// session is closed.
type clientPool struct {
	cfg      *Config
	secure   bool
	setup    *dtlsSetup
	log      *slog.Logger
	ctx      context.Context
	wg       *sync.WaitGroup
	bindIP   netip.Addr // our listen IP, or invalid when unspecified
	port     uint16     // our listen port
	inflight chan struct{}

	mu       sync.Mutex
	closing  bool
	sessions map[sessionKey]*poolEntry
}

type poolEntry struct {
	s    *clientSession // nil while dialing
	done chan struct{}  // closed when the dial ended
	err  error
}

// session returns the live session to dst for the peer ctx names
// (WithPeer), dialing one if needed.
func (p *clientPool) session(ctx context.Context, dst netip.AddrPort, to string) (*clientSession, error) {
	key := sessionKey{addr: dst, peer: PeerFrom(ctx)}
	for {
		p.mu.Lock()
		if p.closing {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		ent := p.sessions[key]
		switch {
		case ent != nil && ent.s != nil && !ent.s.isClosed():
			p.mu.Unlock()
			ent.s.lastUse.Store(time.Now().UnixNano())
			return ent.s, nil
		case ent != nil && ent.s == nil && ent.err == nil:
			p.mu.Unlock()
			select {
			case <-ent.done:
				if ent.err != nil {
					return nil, ent.err
				}
				continue
			case <-ctx.Done():
				return nil, p.unfinished(ctx, dst)
			}
		}
		ent = &poolEntry{done: make(chan struct{})}
		p.sessions[key] = ent
		victim := p.lruLocked()
		p.mu.Unlock()
		if victim != nil {
			victim.close(fmt.Errorf("%w: evicted", errSessionLost))
		}
		// The dial runs on its own, bounded by HandshakeTimeout, so that
		// this caller can give up at its own deadline while the others
		// waiting for the same peer (and later sends) still get the
		// session.
		if !p.goTracked(func() {
			s, err := p.dial(key, to)
			_, _ = p.settle(key, ent, s, err)
		}) {
			return p.settle(key, ent, nil, ErrClosed)
		}
		select {
		case <-ent.done:
			if ent.err != nil {
				return nil, ent.err
			}
			return ent.s, nil
		case <-ctx.Done():
			return nil, p.unfinished(ctx, dst)
		}
	}
}

// unfinished is the error of a caller whose context ended while a
// session to dst was being set up: for DTLS, a handshake not finished.
func (p *clientPool) unfinished(ctx context.Context, dst netip.AddrPort) error {
	if p.secure {
		return fmt.Errorf("%w with %s: not finished: %w", ErrHandshake, dst, ctx.Err())
	}
	return ctx.Err()
}

// settle records the end of a dial.
func (p *clientPool) settle(key sessionKey, ent *poolEntry, s *clientSession, err error) (*clientSession, error) {
	p.mu.Lock()
	closing := p.closing
	if err == nil && closing {
		err = ErrClosed
	}
	if err != nil {
		ent.err = err
		if p.sessions[key] == ent {
			delete(p.sessions, key)
		}
	} else {
		ent.s = s
	}
	close(ent.done)
	p.mu.Unlock()
	if s != nil && err != nil {
		s.close(err)
		return nil, err
	}
	return s, err
}

// lruLocked picks the least recently used session when the pool is full.
func (p *clientPool) lruLocked() *clientSession {
	if len(p.sessions) <= p.cfg.MaxSessions {
		return nil
	}
	var victim *clientSession
	for _, e := range p.sessions {
		if e.s != nil && (victim == nil || e.s.lastUse.Load() < victim.lastUse.Load()) {
			victim = e.s
		}
	}
	return victim
}

// dial opens a session to key's address from a new connected UDP socket
// (bound to our listen IP when we have one, so that the source matches
// reply-to), keyed for key's peer.
func (p *clientPool) dial(key sessionKey, to string) (*clientSession, error) {
	dst := key.addr
	var laddr *net.UDPAddr
	if p.bindIP.IsValid() {
		laddr = &net.UDPAddr{IP: p.bindIP.AsSlice()}
	}
	uc, err := net.DialUDP("udp", laddr, net.UDPAddrFromAddrPort(dst))
	if err != nil {
		return nil, fmt.Errorf("coap: dial %s: %w", dst, err)
	}
	local := p.bindIP
	if !local.IsValid() {
		local = uc.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	}
	replyTo := formatURI(p.secure, local, p.port, p.cfg.Path)
	var (
		conn   sessionConn = uc
		peerID string
	)
	if p.secure {
		dc, err := dtls.ClientWithOptions(connectedPacketConn{uc}, uc.RemoteAddr(), p.setup.clientOptions(to, key.peer, &peerID)...)
		if err != nil {
			_ = uc.Close()
			return nil, fmt.Errorf("coap: dtls client for %s: %w", dst, err)
		}
		hctx, cancel := context.WithTimeout(p.ctx, p.cfg.HandshakeTimeout)
		err = dc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = dc.Close()
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("%w: %w", ErrTimeout, err)
			}
			return nil, fmt.Errorf("%w with %s: %w", ErrHandshake, dst, err)
		}
		conn = dc
	}
	s := newClientSession(p, to, key, conn, replyTo, peerID)
	if !p.goTracked(s.readLoop) {
		_ = conn.Close()
		return nil, ErrClosed
	}
	p.log.Debug("client session up", "peer", dst, "identity", peerID)
	return s, nil
}

// redial replaces a session suspected dead by a fresh one, if the peer
// completes a new handshake (see clientSession.suspect).
func (p *clientPool) redial(old *clientSession) {
	p.goTracked(func() {
		fresh, err := p.dial(old.key, old.to)
		if err != nil {
			p.log.Debug("redial after silence failed", "peer", old.dst, "err", err)
			old.suspected.Store(false)
			return
		}
		p.mu.Lock()
		ent := p.sessions[old.key]
		swapped := !p.closing && ent != nil && ent.s == old
		if swapped {
			p.sessions[old.key] = &poolEntry{s: fresh, done: closedChan()}
		}
		p.mu.Unlock()
		if !swapped {
			fresh.close(errSessionLost)
			return
		}
		p.log.Debug("peer answered a new handshake but not the old session: replaced", "peer", old.dst)
		old.close(fmt.Errorf("%w: replaced after the peer stopped answering", errSessionLost))
	})
}

// goTracked runs f in a goroutine that Close waits for, unless the pool
// is closing.
func (p *clientPool) goTracked(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
	return true
}

// forget drops a closed session from the pool.
func (p *clientPool) forget(s *clientSession) {
	p.mu.Lock()
	if ent := p.sessions[s.key]; ent != nil && ent.s == s {
		delete(p.sessions, s.key)
	}
	p.mu.Unlock()
}

// keepAlive pings the sessions that heard nothing for KeepAlive; one
// whose ping fails is closed.
func (p *clientPool) keepAlive(now time.Time) {
	if p.cfg.KeepAlive <= 0 {
		return
	}
	p.mu.Lock()
	var idle []*clientSession
	for _, e := range p.sessions {
		if s := e.s; s != nil && now.Sub(time.Unix(0, s.lastRecv.Load())) >= p.cfg.KeepAlive && s.pinging.CompareAndSwap(false, true) {
			idle = append(idle, s)
		}
	}
	p.mu.Unlock()
	for _, s := range idle {
		p.goTracked(func() {
			defer s.pinging.Store(false)
			if err := s.ping(p.ctx); err != nil && p.ctx.Err() == nil {
				p.log.Debug("keep-alive failed, closing session", "peer", s.dst, "err", err)
				s.close(fmt.Errorf("%w: keep-alive: %w", errSessionLost, err))
			}
		})
	}
}

// closeAll closes every session (sending close_notify in DTLS mode).
func (p *clientPool) closeAll() {
	p.mu.Lock()
	p.closing = true
	var all []*clientSession
	for _, e := range p.sessions {
		if e.s != nil {
			all = append(all, e.s)
		}
	}
	p.mu.Unlock()
	for _, s := range all {
		s.close(ErrClosed)
	}
}

// sendRecord posts record to path on s: Block1 always present, 1024-byte
// blocks, each waiting for 2.31 Continue, the last for 2.04 (R-COAP.5/.7).
// All blocks carry one token, new for each Record.
func (s *clientSession) sendRecord(ctx context.Context, path string, record []byte) error {
	if len(record) > blockSize {
		s.blockMu.Lock()
		defer s.blockMu.Unlock()
	}
	token := s.reserveToken()
	defer s.releaseToken(token)
	offset, szx := 0, uint8(blockSZX)
	for {
		size := 16 << szx
		end := min(offset+size, len(record))
		b := block{num: uint32(offset / size), more: end < len(record), szx: szx}
		r, err := s.post(ctx, path, token, b, len(record), record[offset:end])
		if err != nil {
			return err
		}
		switch {
		case r.code.Class() != 2:
			return &ResponseError{Code: r.code, Diagnostic: string(r.payload)}
		case b.more && r.code != CodeContinue:
			return fmt.Errorf("coap: peer answered %s to block %d of %d bytes", r.code, b.num, len(record))
		case !b.more && r.code == CodeContinue:
			return fmt.Errorf("coap: peer answered %s to the last block", r.code)
		case !b.more:
			return nil
		}
		if rb := decodeBlock(r.block1); r.hasB1 && rb.szx < szx {
			szx = rb.szx // the server asked for smaller blocks (RFC 7959 §2.5)
		}
		offset = end
	}
}

// post sends one block of a Record as a CON POST with the Record's token.
func (s *clientSession) post(ctx context.Context, path string, token uint32, b block, total int, payload []byte) (response, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return response{}, err
	}
	defer release()
	opts := make(message.Options, 0, 8)
	if path != "" {
		for seg := range strings.SplitSeq(path, "/") {
			opts = append(opts, message.Option{ID: message.URIPath, Value: []byte(seg)})
		}
	}
	opts = append(opts,
		uintOption(message.ContentFormat, mediaOctetStream),
		message.Option{ID: message.URIQuery, Value: []byte(replyToPrefix + s.replyTo)},
		uintOption(message.Block1, b.value()),
		uintOption(message.Size1, uint32(total)))
	return s.roundTrip(ctx, message.Message{Code: codes.POST, Options: opts, Payload: payload}, token)
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
