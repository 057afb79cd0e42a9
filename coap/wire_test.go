package coap

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/message/codes"
)

// rawServer is a hand-driven NoSec CoAP peer: the test reads what Send
// puts on the wire and writes the answers.
type rawServer struct {
	t    testing.TB
	conn *net.UDPConn
}

func dialRawServer(t testing.TB) *rawServer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &rawServer{t: t, conn: conn}
}

func (s *rawServer) addr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// recv returns the next datagram decoded, its arrival time and source.
func (s *rawServer) recv(wait time.Duration) (message.Message, time.Time, bool) {
	m, _, at, ok := s.recvFrom(wait)
	return m, at, ok
}

func (s *rawServer) recvFrom(wait time.Duration) (message.Message, netip.AddrPort, time.Time, bool) {
	s.t.Helper()
	buf := make([]byte, maxDatagram)
	_ = s.conn.SetReadDeadline(time.Now().Add(wait))
	n, src, err := s.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return message.Message{}, src, time.Time{}, false
	}
	var m message.Message
	if err := decodeMessage(buf[:n], &m); err != nil {
		s.t.Fatalf("Send put a malformed message on the wire: %v", err)
	}
	return m, src, time.Now(), true
}

// ack answers req with a piggybacked response.
func (s *rawServer) ack(to netip.AddrPort, req message.Message, code codes.Code, opts message.Options, payload []byte) {
	s.t.Helper()
	b, err := encodeMessage(message.Message{
		Token: req.Token, Code: code, MessageID: req.MessageID,
		Type: message.Acknowledgement, Options: opts, Payload: payload,
	}, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.conn.WriteToUDPAddrPort(b, to); err != nil {
		s.t.Fatal(err)
	}
}

// TestSendWireFormat checks the request Send builds, option by option
// (usp-facts §8: Block1 always present, SZX 6, Size1, reply-to).
func TestSendWireFormat(t *testing.T) {
	checkLeaks(t)
	peer := dialRawServer(t)
	a := listen(t, nosecConfig(), newSink().handle)
	to := "coap://" + peer.addr().String() + "/usp"

	type result struct{ err error }
	send := func(rec []byte) chan error {
		done := make(chan error, 1)
		go func() { done <- a.Send(context.Background(), to, rec) }()
		return done
	}
	wantOpts := func(m message.Message, b block, size int) {
		t.Helper()
		if m.Type != message.Confirmable || m.Code != codes.POST || len(m.Token) != tokenLen {
			t.Fatalf("type %v code %v token %x", m.Type, m.Code, m.Token)
		}
		if p := optPath(m.Options); p != "usp" {
			t.Fatalf("path %q", p)
		}
		if cf, _, _ := optUint(m.Options, message.ContentFormat); cf != 42 {
			t.Fatalf("Content-Format %d", cf)
		}
		q, err := m.Options.Queries()
		if err != nil || len(q) != 1 || q[0] != "reply-to="+a.URL() {
			t.Fatalf("queries %q, want reply-to=%s", q, a.URL())
		}
		v, present, _ := optUint(m.Options, message.Block1)
		if !present || decodeBlock(v) != b {
			t.Fatalf("Block1 %+v (present %v), want %+v", decodeBlock(v), present, b)
		}
		if s1, present, _ := optUint(m.Options, message.Size1); !present || int(s1) != size {
			t.Fatalf("Size1 %d, want %d", s1, size)
		}
	}

	// One block: NUM=0 M=0 SZX=6 even though 100 bytes need no blocks.
	rec := bytes.Repeat([]byte{7}, 100)
	done := send(rec)
	m, src, _, ok := peer.recvFrom(2 * time.Second)
	if !ok {
		t.Fatal("nothing sent")
	}
	wantOpts(m, block{num: 0, more: false, szx: 6}, 100)
	if !bytes.Equal(m.Payload, rec) {
		t.Fatal("payload differs")
	}
	if src.Port() == a.Addr().Port() {
		t.Fatal("request should come from the client's own ephemeral port")
	}
	peer.ack(src, m, codes.Changed, nil, nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Three blocks of a 2500-byte record, each but the last answered 2.31.
	rec = bytes.Repeat([]byte{9}, 2500)
	done = send(rec)
	var got []byte
	for i, want := range []block{{0, true, 6}, {1, true, 6}, {2, false, 6}} {
		m, src, _, ok := peer.recvFrom(2 * time.Second)
		if !ok {
			t.Fatalf("block %d not sent", i)
		}
		wantOpts(m, want, 2500)
		got = append(got, m.Payload...)
		if want.more {
			peer.ack(src, m, codes.Continue, message.Options{uintOption(message.Block1, want.value())}, nil)
		} else {
			peer.ack(src, m, codes.Changed, nil, nil)
		}
	}
	if err := <-done; err != nil || !bytes.Equal(got, rec) {
		t.Fatalf("err %v, reassembled %d bytes", err, len(got))
	}

	// An error answer becomes a *ResponseError.
	done = send([]byte("x"))
	m, src, _, _ = peer.recvFrom(2 * time.Second)
	peer.ack(src, m, codes.UnsupportedMediaType, nil, []byte("no"))
	var re *ResponseError
	if err := <-done; !errors.As(err, &re) || re.Code != CodeUnsupportedMediaType || re.Diagnostic != "no" {
		t.Fatalf("got %v", err)
	}

	// A retransmitted request keeps its MID; a ping is answered.
	done = send([]byte("y"))
	m1, src, _, _ := peer.recvFrom(2 * time.Second)
	m2, _, _, ok := peer.recvFrom(3 * time.Second) // TestConfig ACKTimeout 0.5–0.75 s
	if !ok || m2.MessageID != m1.MessageID || !bytes.Equal(m2.Token, m1.Token) {
		t.Fatalf("retransmission MID %d/%d", m1.MessageID, m2.MessageID)
	}
	peer.ack(src, m2, codes.Changed, nil, nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestSendRecordOneToken checks on the wire that every block of one
// multi-block Record carries the same token and that the next Record gets
// another: a peer's reassembly may key on the token (obuspa does).
func TestSendRecordOneToken(t *testing.T) {
	checkLeaks(t)
	peer := dialRawServer(t)
	a := listen(t, nosecConfig(), newSink().handle)
	to := "coap://" + peer.addr().String() + "/usp"

	// sendRecord sends rec through a.Send, answers each block as a
	// server does (2.31 with the Block1 echo, 2.04 for the last) and
	// returns the token of every block.
	sendRecord := func(rec []byte) []message.Token {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- a.Send(context.Background(), to, rec) }()
		var tokens []message.Token
		for more := true; more; {
			m, src, _, ok := peer.recvFrom(2 * time.Second)
			if !ok {
				t.Fatalf("block %d not sent", len(tokens))
			}
			v, _, _ := optUint(m.Options, message.Block1)
			b := decodeBlock(v)
			if int(b.num) != len(tokens) {
				t.Fatalf("got block %d, want %d", b.num, len(tokens))
			}
			tokens = append(tokens, append(message.Token(nil), m.Token...))
			if more = b.more; more {
				peer.ack(src, m, codes.Continue, message.Options{uintOption(message.Block1, v)}, nil)
			} else {
				peer.ack(src, m, codes.Changed, nil, nil)
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return tokens
	}

	first := sendRecord(bytes.Repeat([]byte{1}, 3*blockSize+10))
	second := sendRecord(bytes.Repeat([]byte{2}, 2*blockSize+1))
	for _, rec := range []struct {
		name   string
		tokens []message.Token
		blocks int
	}{{"first", first, 4}, {"second", second, 3}} {
		if len(rec.tokens) != rec.blocks {
			t.Fatalf("%s Record: %d blocks, want %d", rec.name, len(rec.tokens), rec.blocks)
		}
		for i, tok := range rec.tokens {
			if len(tok) != tokenLen || !bytes.Equal(tok, rec.tokens[0]) {
				t.Errorf("%s Record: block %d token %x, block 0 token %x; want one token for all blocks", rec.name, i, []byte(tok), []byte(rec.tokens[0]))
			}
		}
	}
	if bytes.Equal(first[0], second[0]) {
		t.Errorf("two Records share token %x; want a new token per Record", []byte(first[0]))
	}
}

// TestSendRecordStaleSeparateResponse: the blocks of a Record share a
// token, so a separate response to block 0 that the peer repeats (our ACK
// was lost) while block 1 is in flight matches block 1's token; Send must
// ACK it and keep waiting for block 1's own answer.
func TestSendRecordStaleSeparateResponse(t *testing.T) {
	checkLeaks(t)
	peer := dialRawServer(t)
	a := listen(t, nosecConfig(), newSink().handle)
	to := "coap://" + peer.addr().String() + "/usp"
	done := make(chan error, 1)
	go func() { done <- a.Send(context.Background(), to, bytes.Repeat([]byte{3}, blockSize+1)) }()

	b0, src, _, ok := peer.recvFrom(2 * time.Second)
	if !ok {
		t.Fatal("block 0 not sent")
	}
	peer.ack(src, b0, codes.Empty, nil, nil) // separate response follows
	cont, err := encodeMessage(message.Message{
		Token: b0.Token, Code: codes.Continue, MessageID: 0x5150, Type: message.Confirmable,
		Options: message.Options{uintOption(message.Block1, block{num: 0, more: true, szx: 6}.value())},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantACK := func(what string) {
		t.Helper()
		m, _, _, ok := peer.recvFrom(2 * time.Second)
		if !ok || m.Type != message.Acknowledgement || m.MessageID != 0x5150 {
			t.Fatalf("%s: got %v MID %#x (ok %v), want the ACK of MID 0x5150", what, m.Type, m.MessageID, ok)
		}
	}
	if _, err := peer.conn.WriteToUDPAddrPort(cont, src); err != nil {
		t.Fatal(err)
	}
	wantACK("separate 2.31")

	b1, _, _, ok := peer.recvFrom(2 * time.Second)
	if v, _, _ := optUint(b1.Options, message.Block1); !ok || decodeBlock(v).num != 1 || !bytes.Equal(b1.Token, b0.Token) {
		t.Fatalf("block 1: sent %v, Block1 %+v, token %x (block 0: %x)", ok, decodeBlock(v), []byte(b1.Token), []byte(b0.Token))
	}
	if _, err := peer.conn.WriteToUDPAddrPort(cont, src); err != nil { // the repeat
		t.Fatal(err)
	}
	wantACK("repeated separate 2.31")
	peer.ack(src, b1, codes.Changed, message.Options{uintOption(message.Block1, block{num: 1, szx: 6}.value())}, nil)
	if err := <-done; err != nil {
		t.Fatalf("Send: %v (the repeated answer to block 0 was taken for block 1's)", err)
	}
}

// TestRepeatedCriticalOption: a request repeating a critical option that
// is not repeatable (Block1, Block2, Uri-Host, Uri-Port, Accept) is
// answered 4.02 Bad Option and delivers nothing (RFC 7252 §5.4.5, §5.4.1);
// a repeated elective option is ignored, repeatable ones are allowed.
func TestRepeatedCriticalOption(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	b := listen(t, nosecConfig(), sb.handle)
	c := dialRaw(t, net.UDPAddrFromAddrPort(b.Addr()))
	rt := replyToOpt(c.replyTo())
	b1 := func(num uint32, more bool) message.Option {
		return uintOption(message.Block1, block{num: num, more: more, szx: 6}.value())
	}
	for _, tc := range []struct {
		name string
		req  message.Message
		code codes.Code
	}{
		{"two Block1", uspPost([]byte("two blocks"), rt, b1(0, false), b1(1, false)), codes.BadOption},
		{"two equal Block1", uspPost([]byte("same twice"), rt, b1(0, false), b1(0, false)), codes.BadOption},
		{"two Block2", uspPost([]byte("x"), rt, uintOption(message.Block2, 0), uintOption(message.Block2, 0)), codes.BadOption},
		{"two Uri-Host", uspPost([]byte("x"), rt,
			message.Option{ID: message.URIHost, Value: []byte("a")}, message.Option{ID: message.URIHost, Value: []byte("b")}), codes.BadOption},
		{"two Uri-Port", uspPost([]byte("x"), rt, uintOption(message.URIPort, 1), uintOption(message.URIPort, 2)), codes.BadOption},
		{"two Accept", uspPost([]byte("x"), rt, uintOption(message.Accept, 42), uintOption(message.Accept, 42)), codes.BadOption},
		{"two Size1 (elective) are ignored", uspPost([]byte("size1 twice"), rt, b1(0, false),
			uintOption(message.Size1, 11), uintOption(message.Size1, 11)), codes.Changed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := encodeMessage(tc.req, nil)
			if err != nil {
				t.Fatal(err)
			}
			var back message.Message // the datagram really carries both options
			if err := decodeMessage(raw, &back); err != nil || len(back.Options) != len(tc.req.Options) {
				t.Fatalf("encoded %d options, decoded %d (%v)", len(tc.req.Options), len(back.Options), err)
			}
			r := c.do(tc.req)
			if r.Type != message.Acknowledgement || r.Code != tc.code {
				t.Fatalf("got %v %v %q, want ACK %v", r.Type, r.Code, r.Payload, tc.code)
			}
			if tc.code == codes.Changed {
				if in := sb.next(t); string(in.Record) != string(tc.req.Payload) {
					t.Fatalf("handler got %q", in.Record)
				}
			}
			sb.empty(t)
		})
	}
}
