package coap

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/message/codes"
)

// peer is what the server keeps about one client: one DTLS session, or
// one NoSec source address.
type peer struct {
	identity string
	source   netip.AddrPort
	lastSeen atomic.Int64 // unix nanoseconds of the last datagram

	mu    sync.Mutex // guards the fields below; held while handling
	dedup *dedup
	reasm reassembler
	// The last reply-to seen and its normalized form: a peer sends the
	// same one every time.
	replyRaw, replyNorm string
}

func (s *server) newPeer(identity string, source netip.AddrPort, now time.Time) *peer {
	p := &peer{
		identity: identity,
		source:   source,
		dedup:    newDedup(s.exchangeLifetime),
		reasm: reassembler{
			max:     s.cfg.MaxRecordSize,
			budget:  s.budget,
			owner:   source.Addr(),
			timeout: s.cfg.ReassemblyTimeout,
		},
	}
	p.lastSeen.Store(now.UnixNano())
	return p
}

// expire drops p's reassembly if it timed out and reports whether p has
// been idle for longer than idle.
func (p *peer) expire(now time.Time, idle time.Duration) bool {
	p.mu.Lock()
	p.reasm.expire(now)
	p.mu.Unlock()
	return now.Sub(time.Unix(0, p.lastSeen.Load())) > idle
}

// close releases p's reassembly budget.
func (p *peer) close() {
	p.mu.Lock()
	p.reasm.reset()
	p.mu.Unlock()
}

// server answers the requests of all peers; the NoSec socket loop and the
// DTLS session loops feed it datagrams.
type server struct {
	cfg              *Config
	secure           bool
	handler          Handler
	budget           *budget
	wellKnown        []byte
	exchangeLifetime time.Duration
}

func newServer(cfg *Config, h Handler) *server {
	// RFC 7252 §4.8.2 EXCHANGE_LIFETIME with our transmission parameters:
	// MAX_TRANSMIT_SPAN + 2 × MAX_LATENCY (100 s) + PROCESSING_DELAY.
	span := time.Duration(float64(cfg.ACKTimeout) * float64(int(1)<<cfg.MaxRetransmit-1) * cfg.ACKRandomFactor)
	return &server{
		cfg:     cfg,
		secure:  !cfg.Insecure,
		handler: h,
		budget:  newBudget(cfg.MaxReassemblyBytes, max(cfg.MaxRecordSize, cfg.MaxReassemblyBytes/4)),
		wellKnown: fmt.Appendf(nil, `</%s>;if="%s";rt="bbf.usp.endpoint";title="%s";ct=%d`,
			cfg.Path, cfg.Role, cfg.Role.title(), mediaOctetStream),
		exchangeLifetime: span + 200*time.Second + cfg.ACKTimeout,
	}
}

// answer is the piggybacked response to one request.
type answer struct {
	code    Code
	opts    message.Options
	payload []byte
}

func failure(c Code, diag string) answer {
	return answer{code: c, payload: diagnostic(diag)}
}

// handleDatagram processes one datagram from p and returns the datagram
// to send back, or nil. It never panics on any input.
func (s *server) handleDatagram(ctx context.Context, p *peer, data []byte, now time.Time) []byte {
	p.lastSeen.Store(now.UnixNano())
	var req message.Message
	if err := decodeMessage(data, &req); err != nil {
		return rejectMalformed(data)
	}
	mid := uint16(req.MessageID)
	switch {
	case req.Type == message.Acknowledgement || req.Type == message.Reset:
		return nil // we send no CON from the server socket
	case req.Type == message.NonConfirmable:
		return resetMessage(mid) // only CON requests are served
	case Code(req.Code) == codeEmpty || Code(req.Code) > codeMaxRequest:
		return resetMessage(mid) // CoAP ping, or a response we did not ask for
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if resp, ok := p.dedup.lookup(mid, now); ok {
		return resp
	}
	a := s.answer(ctx, p, &req, now)
	resp, err := encodeMessage(message.Message{
		Token:     req.Token,
		Options:   a.opts,
		Code:      codes.Code(a.code),
		Payload:   a.payload,
		MessageID: req.MessageID,
		Type:      message.Acknowledgement,
	}, make([]byte, 0, 64+len(a.payload)))
	if err != nil {
		return nil
	}
	p.dedup.store(mid, resp, now)
	return resp
}

// answer routes one CON request (TR-369 R-COAP.4–.13).
func (s *server) answer(ctx context.Context, p *peer, req *message.Message, now time.Time) answer {
	if id, bad := badCriticalOption(req.Options); bad {
		if knownCritical(id) {
			return failure(CodeBadOption, fmt.Sprintf("critical option %d repeated", id))
		}
		return failure(CodeBadOption, fmt.Sprintf("unsupported critical option %d", id))
	}
	switch optPath(req.Options) {
	case ".well-known/core":
		if Code(req.Code) != codeGET {
			return failure(CodeMethodNotAllowed, "only GET is allowed on /.well-known/core")
		}
		return answer{
			code:    CodeContent,
			opts:    message.Options{uintOption(message.ContentFormat, mediaLinkFormat)},
			payload: s.wellKnown,
		}
	case s.cfg.Path:
	default:
		return failure(CodeNotFound, "no such resource")
	}
	if Code(req.Code) != codePOST {
		return failure(CodeMethodNotAllowed, "only POST is allowed on the USP resource")
	}
	if cf, present, ok := optUint(req.Options, message.ContentFormat); present && (!ok || cf != mediaOctetStream) {
		return failure(CodeUnsupportedMediaType, "Content-Format must be 42 (application/octet-stream)")
	}
	replyTo, err := s.replyTo(req.Options, p)
	if err != nil {
		return failure(CodeBadRequest, err.Error())
	}
	size1 := -1
	if v, present, ok := optUint(req.Options, message.Size1); present {
		if !ok {
			return failure(CodeBadRequest, "bad Size1 option")
		}
		size1 = int(min(v, math.MaxInt32))
	}
	var (
		record []byte
		echo   message.Options
	)
	if v, present, ok := optUint(req.Options, message.Block1); present {
		if !ok {
			return failure(CodeBadRequest, "bad Block1 option")
		}
		b := decodeBlock(v)
		out := p.reasm.add(b, size1, req.Payload, now)
		switch out.code {
		case 0:
		case CodeContinue:
			return answer{code: CodeContinue, opts: message.Options{uintOption(message.Block1, b.value())}}
		case CodeRequestEntityTooLarge:
			a := failure(out.code, out.diag)
			a.opts = message.Options{uintOption(message.Size1, uint32(s.cfg.MaxRecordSize))}
			return a
		default:
			return failure(out.code, out.diag)
		}
		record = out.record
		if b.num > 0 {
			echo = message.Options{uintOption(message.Block1, b.value())}
		}
	} else {
		if size1 > s.cfg.MaxRecordSize || len(req.Payload) > s.cfg.MaxRecordSize {
			a := failure(CodeRequestEntityTooLarge, "record exceeds the maximum record size")
			a.opts = message.Options{uintOption(message.Size1, uint32(s.cfg.MaxRecordSize))}
			return a
		}
		record = append([]byte{}, req.Payload...)
	}
	in := Inbound{Record: record, Peer: p.identity, ReplyTo: replyTo, Source: p.source}
	if err := s.handler(ctx, in); err != nil {
		return failure(CodeBadRequest, err.Error())
	}
	return answer{code: CodeChanged, opts: echo}
}

// replyTo finds the one Uri-Query reply-to=<URI> and checks it against p's
// source address (R-COAP.2).
func (s *server) replyTo(opts message.Options, p *peer) (string, error) {
	var (
		query []byte
		n     int
	)
	for _, o := range opts {
		if o.ID == message.URIQuery {
			query = o.Value
			n++
		}
	}
	if n != 1 || !bytes.HasPrefix(query, []byte(replyToPrefix)) {
		return "", fmt.Errorf("coap: need exactly one Uri-Query %q, got %d queries", replyToPrefix+"<URI>", n)
	}
	raw := query[len(replyToPrefix):]
	if p.replyNorm != "" && string(raw) == p.replyRaw {
		return p.replyNorm, nil
	}
	norm, err := checkReplyTo(string(raw), p.source, s.secure)
	if err != nil {
		return "", err
	}
	p.replyRaw, p.replyNorm = string(raw), norm
	return norm, nil
}

// resetMessage is an RST for mid.
func resetMessage(mid uint16) []byte {
	return []byte{0x40 | byte(message.Reset)<<4, 0, byte(mid >> 8), byte(mid)}
}

// rejectMalformed answers a datagram that does not decode: an RST when its
// header is that of a CON message (RFC 7252 §4.2), else nothing.
func rejectMalformed(data []byte) []byte {
	if len(data) < 4 || data[0]>>6 != 1 || message.Type(data[0]>>4&0x3) != message.Confirmable {
		return nil
	}
	return resetMessage(uint16(data[2])<<8 | uint16(data[3]))
}
