package coap

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/message/codes"
)

// TestServerRaw drives a NoSec endpoint with hand-built datagrams and
// checks each answer (usp-facts §8, observed behaviour).
func TestServerRaw(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	cfg := nosecConfig()
	cfg.MaxRecordSize = 4096
	b := listen(t, cfg, func(ctx context.Context, in Inbound) error {
		if string(in.Record) == "refuse me" {
			return errors.New("record does not decode")
		}
		return sb.handle(ctx, in)
	})
	c := dialRaw(t, net.UDPAddrFromAddrPort(b.Addr()))
	rt := replyToOpt(c.replyTo())
	cf := func(v uint32) message.Option { return uintOption(message.ContentFormat, v) }
	b1 := func(num uint32, more bool) message.Option {
		return uintOption(message.Block1, block{num: num, more: more, szx: 6}.value())
	}
	full := bytes.Repeat([]byte{1}, 1024)

	tests := []struct {
		name     string
		req      message.Message
		code     codes.Code
		diag     string // expected diagnostic payload, when checked
		delivers string // record the handler must get, when any
	}{
		{"post single block", uspPost([]byte("rec1"), cf(42), rt, b1(0, false)), codes.Changed, "", "rec1"},
		{"post without Block1 or Content-Format", uspPost([]byte("rec2"), rt), codes.Changed, "", "rec2"},
		{"GET on USP path", message.Message{Code: codes.GET, Options: message.Options{}.Add(pathOpts("usp")[0])}, codes.MethodNotAllowed, "", ""},
		{"PUT on USP path", func() message.Message { m := uspPost(nil, rt); m.Code = codes.PUT; return m }(), codes.MethodNotAllowed, "", ""},
		{"other path", message.Message{Code: codes.POST, Options: message.Options{}.Add(pathOpts("agent")[0]).Add(rt)}, codes.NotFound, "", ""},
		{"Content-Format 0", uspPost([]byte("x"), cf(0), rt, b1(0, false)), codes.UnsupportedMediaType, "", ""},
		{"Content-Format 50", uspPost([]byte("x"), cf(50), rt), codes.UnsupportedMediaType, "", ""},
		{"missing reply-to", uspPost([]byte("x"), cf(42), b1(0, false)), codes.BadRequest, "", ""},
		{"two queries", uspPost([]byte("x"), cf(42), rt, rt), codes.BadRequest, "", ""},
		{"malformed reply-to", uspPost([]byte("x"), replyToOpt("coap://[::1")), codes.BadRequest, "", ""},
		{"reply-to host is not the source", uspPost([]byte("x"), replyToOpt("coap://127.0.0.2:5683/ctrl")), codes.BadRequest, "", ""},
		{"reply-to DNS name", uspPost([]byte("x"), replyToOpt("coap://localhost:5683/ctrl")), codes.BadRequest, "", ""},
		{"reply-to coaps to a NoSec endpoint", uspPost([]byte("x"), replyToOpt("coaps://127.0.0.1:5684/ctrl")), codes.BadRequest, "", ""},
		{"handler error", uspPost([]byte("refuse me"), cf(42), rt, b1(0, false)), codes.BadRequest, "record does not decode", ""},
		{"Size1 over the cap", uspPost(full, cf(42), rt, b1(0, true), uintOption(message.Size1, 5000)), codes.RequestEntityTooLarge, "", ""},
		{"single record over the cap", uspPost(bytes.Repeat([]byte{1}, 1100), rt, uintOption(message.Size1, 4097)), codes.RequestEntityTooLarge, "", ""},
		{"block out of order", uspPost(full, cf(42), rt, b1(2, true)), codes.RequestEntityIncomplete, "", ""},
		{"unknown critical option", uspPost([]byte("x"), rt, message.Option{ID: 9, Value: []byte{1}}), codes.BadOption, "", ""},
		{"unknown elective option", uspPost([]byte("rec3"), rt, message.Option{ID: 2048, Value: []byte{1}}), codes.Changed, "", "rec3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.req)
			if r.Type != message.Acknowledgement || r.Code != tc.code {
				t.Fatalf("got %v %v %q, want ACK %v", r.Type, r.Code, r.Payload, tc.code)
			}
			if tc.diag != "" && string(r.Payload) != tc.diag {
				t.Fatalf("diagnostic %q, want %q", r.Payload, tc.diag)
			}
			if tc.code == codes.Changed && (len(r.Options) != 0 || len(r.Payload) != 0) {
				t.Fatalf("2.04 should be bare, got options %v payload %q", r.Options, r.Payload)
			}
			if tc.code == codes.RequestEntityTooLarge {
				if v, _, _ := optUint(r.Options, message.Size1); v != 4096 {
					t.Fatalf("4.13 should carry Size1 4096, got %d", v)
				}
			}
			if tc.delivers != "" {
				in := sb.next(t)
				if string(in.Record) != tc.delivers || in.ReplyTo != c.replyTo() || in.Peer != "" {
					t.Fatalf("handler got %q reply-to %q peer %q", in.Record, in.ReplyTo, in.Peer)
				}
			}
			sb.empty(t)
		})
	}

	t.Run("well-known core", func(t *testing.T) {
		r := c.do(message.Message{Code: codes.GET, Options: message.Options{}.
			Add(message.Option{ID: message.URIPath, Value: []byte(".well-known")}).
			Add(message.Option{ID: message.URIPath, Value: []byte("core")})})
		cfv, _, _ := optUint(r.Options, message.ContentFormat)
		want := `</usp>;if="bbf.usp.a";rt="bbf.usp.endpoint";title="USP Agent";ct=42`
		if r.Code != codes.Content || cfv != 40 || string(r.Payload) != want {
			t.Fatalf("got %v cf %d %q", r.Code, cfv, r.Payload)
		}
	})

	t.Run("Block1 in three blocks, then out of order", func(t *testing.T) {
		rec := bytes.Repeat([]byte("abcd"), 700) // 2800 bytes
		for i, more := range []bool{true, true, false} {
			end := min((i+1)*1024, len(rec))
			r := c.do(uspPost(rec[i*1024:end], cf(42), rt, b1(uint32(i), more), uintOption(message.Size1, 2800)))
			want := codes.Continue
			if !more {
				want = codes.Changed
			}
			echo, present, _ := optUint(r.Options, message.Block1)
			if r.Code != want || !present || decodeBlock(echo) != (block{uint32(i), more, 6}) {
				t.Fatalf("block %d: %v Block1 %+v", i, r.Code, decodeBlock(echo))
			}
		}
		if in := sb.next(t); !bytes.Equal(in.Record, rec) {
			t.Fatalf("reassembled %d bytes", len(in.Record))
		}
		if r := c.do(uspPost(full, rt, b1(0, true))); r.Code != codes.Continue {
			t.Fatalf("block 0: %v", r.Code)
		}
		if r := c.do(uspPost(full, rt, b1(2, true))); r.Code != codes.RequestEntityIncomplete {
			t.Fatalf("skipped block: %v", r.Code)
		}
		if r := c.do(uspPost(full, rt, b1(1, false))); r.Code != codes.RequestEntityIncomplete {
			t.Fatalf("block after a failed transfer: %v", r.Code)
		}
		sb.empty(t)
	})

	t.Run("duplicate MID answered from cache", func(t *testing.T) {
		m := uspPost([]byte("once"), rt, b1(0, false))
		m.MessageID, m.Type, m.Token = 4242, message.Confirmable, message.Token{9}
		raw, _ := encodeMessage(m, nil)
		c.send(raw)
		r1, _ := c.recv(2 * time.Second)
		c.send(raw)
		r2, ok := c.recv(2 * time.Second)
		if !ok || r1.Code != codes.Changed || r2.Code != codes.Changed || r2.MessageID != 4242 {
			t.Fatalf("answers %v / %v", r1.Code, r2.Code)
		}
		sb.next(t)
		sb.empty(t)
	})

	t.Run("NON, ping and garbage", func(t *testing.T) {
		m := uspPost([]byte("non"), rt)
		m.MessageID, m.Type = 7, message.NonConfirmable
		raw, _ := encodeMessage(m, nil)
		c.send(raw)
		if r, ok := c.recv(2 * time.Second); !ok || r.Type != message.Reset || r.MessageID != 7 {
			t.Fatalf("NON: %v", r.Type)
		}
		c.send([]byte{0x40, 0, 0x12, 0x34}) // CoAP ping
		if r, ok := c.recv(2 * time.Second); !ok || r.Type != message.Reset || r.MessageID != 0x1234 {
			t.Fatalf("ping: %v %d", r.Type, r.MessageID)
		}
		for _, g := range [][]byte{{}, {0xff}, {0x40, 2, 0, 1, 0xf0}, bytes.Repeat([]byte{0xde, 0xad}, 700), {0x4f, 1, 2, 3}} {
			c.send(g)
		}
		for {
			if r, ok := c.recv(200 * time.Millisecond); !ok {
				break
			} else if r.Type != message.Reset {
				t.Fatalf("garbage answered with %v", r.Type)
			}
		}
		if r := c.do(uspPost([]byte("still here"), rt)); r.Code != codes.Changed {
			t.Fatalf("after garbage: %v", r.Code)
		}
		sb.next(t)
	})
}

func TestReassembler(t *testing.T) {
	bud := newBudget(3000, 3000)
	r := reassembler{max: 2500, budget: bud, timeout: time.Second}
	now := time.Now()
	kb := bytes.Repeat([]byte{1}, 1024)
	steps := []struct {
		name  string
		b     block
		size1 int
		data  []byte
		code  Code
		size  int // record size when complete
	}{
		{"single", block{0, false, 6}, -1, []byte("x"), 0, 1},
		{"empty", block{0, false, 6}, 0, nil, 0, 0},
		{"start", block{0, true, 6}, 2048, kb, CodeContinue, 0},
		{"smaller blocks continue at the offset", block{4, true, 8 - 4}, -1, kb[:256], CodeContinue, 0},
		{"misaligned offset", block{6, true, 4}, -1, kb[:256], CodeRequestEntityIncomplete, 0},
		{"no transfer after reset", block{1, false, 6}, -1, kb[:10], CodeRequestEntityIncomplete, 0},
		{"restart", block{0, true, 6}, -1, kb, CodeContinue, 0},
		{"short block with M=1", block{1, true, 6}, -1, kb[:10], CodeRequestEntityIncomplete, 0},
		{"again", block{0, true, 6}, -1, kb, CodeContinue, 0},
		{"second", block{1, true, 6}, -1, kb, CodeContinue, 0},
		{"over the cap", block{2, false, 6}, -1, kb, CodeRequestEntityTooLarge, 0},
		{"Size1 over the cap", block{0, true, 6}, 2501, kb, CodeRequestEntityTooLarge, 0},
		{"BERT", block{0, false, 7}, -1, kb, CodeBadRequest, 0},
		{"payload longer than its block", block{0, false, 0}, -1, kb[:17], CodeRequestEntityIncomplete, 0},
		{"three blocks", block{0, true, 6}, -1, kb, CodeContinue, 0},
		{"a lone block does not disturb the transfer", block{0, false, 6}, -1, kb[:5], 0, 5},
		{"a bad lone block neither", block{0, false, 7}, -1, kb[:5], CodeBadRequest, 0},
		{"three blocks, 2", block{1, true, 6}, -1, kb, CodeContinue, 0},
		{"three blocks, last", block{2, false, 6}, -1, kb[:400], 0, 2448},
	}
	for _, s := range steps {
		out := r.add(s.b, s.size1, s.data, now)
		if out.code != s.code || (s.code == 0 && len(out.record) != s.size) {
			t.Fatalf("%s: got %v (%d bytes, %q), want %v (%d bytes)", s.name, out.code, len(out.record), out.diag, s.code, s.size)
		}
		if buf, _ := r.held(); bud.inUse() > bud.max || len(buf) > r.max {
			t.Fatalf("%s: budget %d, buffer %d", s.name, bud.inUse(), len(buf))
		}
	}
	if bud.inUse() != 0 {
		t.Fatalf("budget holds %d after the transfers", bud.inUse())
	}

	// The budget is shared: a second transfer that does not fit takes the
	// room of the first, whose next block is then refused.
	other := reassembler{max: 2500, budget: bud, timeout: time.Second}
	r.add(block{0, true, 6}, 2500, kb, now)
	if out := other.add(block{0, true, 6}, 2500, kb, now); out.code != CodeContinue {
		t.Fatalf("over budget: %v", out.code)
	}
	if out := r.add(block{1, true, 6}, 2500, kb, now); out.code != CodeRequestEntityIncomplete {
		t.Fatalf("dropped transfer continued: %v", out.code)
	}
	other.expire(now.Add(2 * time.Second))
	if buf, _ := other.held(); bud.inUse() != 0 || buf != nil {
		t.Fatal("expired transfer kept")
	}
}

// TestServerBlock1Tokens: our reassembly keys on the peer (DTLS session
// or NoSec source) and the USP path, not on the token, so a sender that
// keeps one token for all blocks of a Record (TR-369, obuspa, our own
// Send) and one that takes a new token per block are both reassembled.
func TestServerBlock1Tokens(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	b := listen(t, nosecConfig(), sb.handle)
	c := dialRaw(t, net.UDPAddrFromAddrPort(b.Addr()))
	rt := replyToOpt(c.replyTo())
	rec := bytes.Repeat([]byte("wxyz"), 700) // 2800 bytes, three blocks
	for _, tc := range []struct {
		name  string
		token func(i int) message.Token
	}{
		{"one token per Record", func(int) message.Token { return message.Token{7, 7, 7, 7} }},
		{"new token per block", func(i int) message.Token { return message.Token{1, 2, 3, byte(i)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, more := range []bool{true, true, false} {
				m := uspPost(rec[i*1024:min((i+1)*1024, len(rec))], rt,
					uintOption(message.Block1, block{num: uint32(i), more: more, szx: 6}.value()),
					uintOption(message.Size1, uint32(len(rec))))
				m.Token = tc.token(i)
				r := c.do(m)
				want := codes.Continue
				if !more {
					want = codes.Changed
				}
				if r.Code != want || !bytes.Equal(r.Token, m.Token) {
					t.Fatalf("block %d: %v token %x, want %v token %x", i, r.Code, []byte(r.Token), want, []byte(m.Token))
				}
			}
			if in := sb.next(t); !bytes.Equal(in.Record, rec) {
				t.Fatalf("reassembled %d bytes, want %d", len(in.Record), len(rec))
			}
			sb.empty(t)
		})
	}
}
