package coap

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/message/codes"
)

// sessionConn is the datagram connection of a client session: a
// *dtls.Conn, or a connected *net.UDPConn in NoSec mode.
type sessionConn interface {
	Read(b []byte) (int, error)
	Write(b []byte) (int, error)
	Close() error
}

// clientSession is our client side towards one peer address: it sends CON
// requests, matches ACKs by Message ID (and separate responses by token),
// retransmits per RFC 7252 §4.2, and reads in its own goroutine. Every
// block of one Record carries the Record's token (see reserveToken).
type clientSession struct {
	pool    *clientPool
	to      string // the USP URI it was dialed for
	dst     netip.AddrPort
	key     sessionKey
	secure  bool
	conn    sessionConn
	replyTo string // our URI as this peer reaches it
	peerID  string // server's Endpoint ID (certificate mode), else ""

	inflight chan struct{} // MaxInflight slots
	blockMu  sync.Mutex    // one multi-block transfer at a time

	lastRecv  atomic.Int64 // unix nanoseconds
	lastUse   atomic.Int64
	pinging   atomic.Bool
	suspected atomic.Bool

	mu      sync.Mutex
	closed  bool
	err     error
	done    chan struct{}
	pending map[uint16]*exchange
	tokens  map[uint32]*exchange // the exchange in flight with each token
	records map[uint32]struct{}  // tokens held by the Records being sent
	nextMID uint16
	rng     *mrand.ChaCha8
}

// exchange is one CON request waiting for its answer.
type exchange struct {
	mid      uint16
	token    uint32
	hasToken bool  // false for a CoAP ping, which carries no token
	blockNum int64 // NUM of the request's Block1 option, or -1
	resp     chan response
}

// stale reports whether m, a separate response matched to ex by token,
// answers an earlier block of the same Record: its Block1 echo names
// another block (the blocks of a Record share one token).
func (ex *exchange) stale(m *message.Message) bool {
	v, present, ok := optUint(m.Options, message.Block1)
	return present && ok && ex.blockNum >= 0 && int64(v>>4) != ex.blockNum
}

// response is the part of an answer the client needs.
type response struct {
	typ     message.Type
	code    Code
	block1  uint32
	hasB1   bool
	payload []byte
}

func newClientSession(pool *clientPool, to string, key sessionKey, conn sessionConn, replyTo, peerID string) *clientSession {
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	s := &clientSession{
		pool: pool, to: to, dst: key.addr, key: key, secure: pool.secure, conn: conn,
		replyTo: replyTo, peerID: peerID,
		inflight: make(chan struct{}, pool.cfg.MaxInflight),
		done:     make(chan struct{}),
		pending:  make(map[uint16]*exchange),
		tokens:   make(map[uint32]*exchange),
		records:  make(map[uint32]struct{}),
		rng:      mrand.NewChaCha8(seed),
	}
	s.nextMID = uint16(s.rng.Uint64())
	now := time.Now().UnixNano()
	s.lastRecv.Store(now)
	s.lastUse.Store(now)
	return s
}

// close ends the session once; pending exchanges fail with err.
func (s *clientSession) close(err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed, s.err = true, err
	close(s.done)
	s.mu.Unlock()
	_ = s.conn.Close()
	s.pool.forget(s)
}

func (s *clientSession) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// readLoop dispatches answers until the connection fails or closes.
func (s *clientSession) readLoop() {
	buf := make([]byte, maxDatagram)
	var m message.Message
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			s.close(fmt.Errorf("%w: %w", errSessionLost, err))
			return
		}
		s.lastRecv.Store(time.Now().UnixNano())
		if decodeMessage(buf[:n], &m) != nil {
			continue
		}
		s.dispatch(&m)
	}
}

func (s *clientSession) dispatch(m *message.Message) {
	code := Code(m.Code)
	s.mu.Lock()
	var (
		ex    *exchange
		stale bool
	)
	switch {
	case m.Type == message.Acknowledgement || m.Type == message.Reset:
		ex = s.pending[uint16(m.MessageID)]
	case code >= codeFirstResponse && len(m.Token) == tokenLen:
		ex = s.tokens[binary.BigEndian.Uint32(m.Token)] // separate response
		stale = ex != nil && ex.stale(m)
	}
	s.mu.Unlock()
	if m.Type == message.Confirmable {
		// ACK a separate response; reset anything else (RFC 7252 §4.2).
		ack := resetMessage(uint16(m.MessageID))
		if ex != nil {
			ack[0] = 0x40 | byte(message.Acknowledgement)<<4
		}
		_, _ = s.conn.Write(ack)
	}
	if ex == nil || stale || (m.Code != codes.Empty && (len(m.Token) != tokenLen || binary.BigEndian.Uint32(m.Token) != ex.token)) {
		return // not ours, a late answer to an earlier block, or a response whose token does not match
	}
	r := response{typ: m.Type, code: code, payload: append([]byte(nil), m.Payload...)}
	if v, present, ok := optUint(m.Options, message.Block1); present && ok {
		r.block1, r.hasB1 = v, true
	}
	select {
	case ex.resp <- r:
	default:
	}
}

// reserveToken picks a random token for one Record and holds it until
// releaseToken: all blocks of the Record carry it, as a peer's Block1
// reassembly may key on the token (obuspa does), and no other exchange
// on s uses it meanwhile, not even between two blocks.
func (s *clientSession) reserveToken() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		tok := uint32(s.rng.Uint64())
		if _, busy := s.records[tok]; !busy {
			s.records[tok] = struct{}{}
			return tok
		}
	}
}

func (s *clientSession) releaseToken(tok uint32) {
	s.mu.Lock()
	delete(s.records, tok)
	s.mu.Unlock()
}

// register allocates a Message ID for ex and files it under its MID and,
// when it has one, its token (reserved by the Record it belongs to; the
// blocks of a Record are sent one after another, so the token is free).
func (s *clientSession) register(ex *exchange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.err
	}
	if _, busy := s.tokens[ex.token]; busy && ex.hasToken {
		return fmt.Errorf("coap: token %08x already in flight to %s", ex.token, s.dst)
	}
	for {
		ex.mid = s.nextMID
		s.nextMID++
		if _, busy := s.pending[ex.mid]; !busy {
			break
		}
	}
	s.pending[ex.mid] = ex
	if ex.hasToken {
		s.tokens[ex.token] = ex
	}
	return nil
}

func (s *clientSession) unregister(ex *exchange) {
	s.mu.Lock()
	delete(s.pending, ex.mid)
	if ex.hasToken && s.tokens[ex.token] == ex {
		delete(s.tokens, ex.token)
	}
	s.mu.Unlock()
}

// initialTimeout is ACK_TIMEOUT × a random factor in [1, ACK_RANDOM_FACTOR).
func (s *clientSession) initialTimeout() time.Duration {
	cfg := s.pool.cfg
	s.mu.Lock()
	f := 1 + (cfg.ACKRandomFactor-1)*float64(s.rng.Uint64()>>11)/(1<<53)
	s.mu.Unlock()
	return time.Duration(float64(cfg.ACKTimeout) * f)
}

// roundTrip sends m as a CON (a CoAP ping when m is empty) and waits for
// its answer, retransmitting with exponential back-off. A request carries
// token, which its caller reserved (reserveToken); a ping carries none.
// A request that gets no answer at all closes the session, so that the
// next one redials.
func (s *clientSession) roundTrip(ctx context.Context, m message.Message, token uint32) (response, error) {
	ex := &exchange{token: token, hasToken: m.Code != codes.Empty, blockNum: -1, resp: make(chan response, 2)}
	if v, present, ok := optUint(m.Options, message.Block1); present && ok {
		ex.blockNum = int64(v >> 4)
	}
	if err := s.register(ex); err != nil {
		return response{}, err
	}
	defer s.unregister(ex)
	m.Type, m.MessageID = message.Confirmable, int32(ex.mid)
	if ex.hasToken {
		m.Token = binary.BigEndian.AppendUint32(nil, ex.token)
	}
	data, err := encodeMessage(m, make([]byte, 0, 128+len(m.Payload)))
	if err != nil {
		return response{}, err
	}
	sentAt := time.Now()
	if _, err := s.conn.Write(data); err != nil {
		s.close(fmt.Errorf("%w: %w", errSessionLost, err))
		return response{}, s.err
	}
	timeout := s.initialTimeout()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	retransmits := 0
	for {
		select {
		case r := <-ex.resp:
			if r.typ == message.Acknowledgement && r.code == codeEmpty {
				timer.Stop() // separate response follows; wait for it
				continue
			}
			if r.typ == message.Reset {
				return response{}, ErrReset
			}
			return r, nil
		case <-timer.C:
			if retransmits == 0 && time.Unix(0, s.lastRecv.Load()).Before(sentAt) {
				s.suspect()
			}
			if retransmits >= s.pool.cfg.MaxRetransmit {
				s.close(fmt.Errorf("%w: %w", errSessionLost, ErrTimeout))
				return response{}, ErrTimeout
			}
			retransmits++
			timeout *= 2
			if _, err := s.conn.Write(data); err != nil {
				s.close(fmt.Errorf("%w: %w", errSessionLost, err))
				return response{}, s.err
			}
			timer.Reset(timeout)
		case <-ctx.Done():
			return response{}, ctx.Err()
		case <-s.done:
			return response{}, s.err
		}
	}
}

// suspect reacts to silence on a DTLS session: a peer that restarted
// drops records of the old session without a word (pion, like RFC 6347
// servers, ignores records of an unknown association). When a request
// heard nothing at all on the session by its first retransmission, we
// dial a fresh session in the background; if that handshake succeeds the
// peer is up but our session is unknown to it, so the fresh session
// replaces the old one and the requests pending on it are resent there.
func (s *clientSession) suspect() {
	if !s.secure || s.isClosed() || !s.suspected.CompareAndSwap(false, true) {
		return
	}
	s.pool.redial(s)
}

// acquire takes an in-flight slot of the session and of the endpoint.
func (s *clientSession) acquire(ctx context.Context) (func(), error) {
	select {
	case s.inflight <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, s.err
	}
	select {
	case s.pool.inflight <- struct{}{}:
	case <-ctx.Done():
		<-s.inflight
		return nil, ctx.Err()
	case <-s.done:
		<-s.inflight
		return nil, s.err
	}
	return func() { <-s.pool.inflight; <-s.inflight }, nil
}

// ping probes the peer with an empty CON, answered by RST when it is up.
func (s *clientSession) ping(ctx context.Context) error {
	_, err := s.roundTrip(ctx, message.Message{Code: codes.Empty}, 0)
	if errors.Is(err, ErrReset) {
		return nil
	}
	if err == nil {
		return fmt.Errorf("coap: ping of %s answered with a response", s.dst)
	}
	return err
}
