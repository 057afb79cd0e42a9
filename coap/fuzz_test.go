package coap

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/message/codes"
)

// fuzzServer is a NoSec server core with a small record cap.
func fuzzServer(t testing.TB) *server {
	cfg, err := Config{Insecure: true, MaxRecordSize: 4096, MaxReassemblyBytes: 8192}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return newServer(&cfg, func(_ context.Context, in Inbound) error {
		if len(in.Record) > 0 && in.Record[0] == 'x' {
			return errors.New("x is refused")
		}
		return nil
	})
}

func seedDatagram(f *testing.F, m message.Message) {
	b, err := encodeMessage(m, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

// FuzzServerPacket feeds arbitrary datagrams to the server's message
// handling: it must never panic, every answer must decode, and the
// reassembly budget must stay within its bound.
func FuzzServerPacket(f *testing.F) {
	rt := replyToOpt("coap://192.0.2.1:5683/ctrl")
	for _, m := range []message.Message{
		uspPost([]byte("rec"), rt, uintOption(message.Block1, 6)),
		uspPost(make([]byte, 1024), rt, uintOption(message.Block1, 0x0e), uintOption(message.Size1, 3000)),
		uspPost([]byte("x"), rt),
		uspPost(nil, rt, uintOption(message.ContentFormat, 0)),
		{Code: codes.GET, Options: message.Options{
			{ID: message.URIPath, Value: []byte(".well-known")}, {ID: message.URIPath, Value: []byte("core")}}},
	} {
		m.MessageID, m.Type, m.Token = 1, message.Confirmable, message.Token{1, 2, 3, 4}
		seedDatagram(f, m)
	}
	f.Add([]byte{0x40, 0, 0, 1})
	f.Add([]byte{0x50, 2, 0, 1, 0xff, 1})
	f.Add([]byte{0x4f, 2, 0, 1})
	srv := fuzzServer(f)
	src := netip.MustParseAddrPort("192.0.2.1:40000")
	f.Fuzz(func(t *testing.T, data []byte) {
		p := srv.newPeer("", src, time.Now())
		defer p.close()
		for range 2 { // the second pass takes the duplicate path
			resp := srv.handleDatagram(context.Background(), p, data, time.Now())
			if resp != nil {
				var m message.Message
				if err := decodeMessage(resp, &m); err != nil {
					t.Fatalf("answer does not decode: %v", err)
				}
			}
			if used := srv.budget.inUse(); used > srv.budget.max || used < 0 {
				t.Fatalf("budget %d of %d", used, srv.budget.max)
			}
		}
	})
}

// FuzzBlock1 runs arbitrary block sequences through two reassemblers of
// different addresses sharing a budget: it must never panic, never hold
// more than the caps, and account its budget exactly.
func FuzzBlock1(f *testing.F) {
	f.Add([]byte{0, 0x0e, 0, 0xff, 1, 0x0e, 0, 0xff, 2, 0x06, 0, 10})
	f.Add([]byte{0, 0x0e, 3, 0xff, 2, 0x0e, 0, 0xff})
	f.Add([]byte{0, 0x0b, 1, 0x80, 4, 0x0c, 2, 0x40, 0, 0x07, 0, 1})
	f.Add([]byte{0, 0x0e, 2, 0xff, 0, 0x8e, 2, 0xff, 1, 0x0e, 0, 0xff, 1, 0x8e, 0, 0xff})
	const maxRecord = 5000
	f.Fuzz(func(t *testing.T, steps []byte) {
		bud := newBudget(6000, 5000)
		rs := []*reassembler{
			{max: maxRecord, budget: bud, owner: netip.MustParseAddr("192.0.2.1"), timeout: time.Second},
			{max: maxRecord, budget: bud, owner: netip.MustParseAddr("192.0.2.2"), timeout: time.Second},
		}
		now := time.Now()
		payload := make([]byte, 2048)
		for len(steps) >= 4 {
			// num, which|M|SZX, Size1 selector, payload length (scaled)
			r := rs[steps[1]>>7]
			b := block{num: uint32(steps[0]), more: steps[1]&0x08 != 0, szx: steps[1] & 0x07}
			size1 := []int{-1, 0, 2048, maxRecord + 1}[steps[2]%4]
			n := int(steps[3]) * 8
			if steps[3] == 0xff {
				n = b.size() % 2049
			}
			out := r.add(b, size1, payload[:min(n, len(payload))], now)
			if out.code == 0 && len(out.record) > maxRecord {
				t.Fatalf("record of %d bytes over the cap", len(out.record))
			}
			charged := 0
			for _, r := range rs {
				buf, c := r.held()
				if len(buf) > maxRecord || cap(buf) > maxRecord || c > bud.perPeer {
					t.Fatalf("buffer %d/%d, charged %d, over the cap", len(buf), cap(buf), c)
				}
				charged += c
			}
			if used := bud.inUse(); used != charged || used > bud.max {
				t.Fatalf("budget %d, charged %d, max %d", used, charged, bud.max)
			}
			steps = steps[4:]
			now = now.Add(100 * time.Millisecond)
			r.expire(now)
		}
		for _, r := range rs {
			r.reset()
		}
		if bud.inUse() != 0 {
			t.Fatalf("budget %d after reset", bud.inUse())
		}
	})
}
