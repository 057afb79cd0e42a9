package coap

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/message/codes"
)

// TestReassemblyBudgetPerPeer: one address holding half-finished Block1
// transfers from many ports, each announcing a maximum-size Record, does
// not lock others out: a multi-block Record from another address still
// goes through, and the flooding address never holds more than its share.
func TestReassemblyBudgetPerPeer(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	b := listen(t, nosecConfig(), sb.handle) // 127.0.0.1, default budgets
	bAddr := net.UDPAddrFromAddrPort(b.Addr())
	full := bytes.Repeat([]byte{0xee}, blockSize)
	start := func(c *rawClient) codes.Code {
		return c.do(uspPost(full, replyToOpt(c.replyTo()),
			uintOption(message.Block1, block{num: 0, more: true, szx: 6}.value()),
			uintOption(message.Size1, DefaultMaxRecordSize))).Code
	}
	var flood []*rawClient
	for i := range 15 {
		c := dialRaw(t, bAddr)
		flood = append(flood, c)
		if code := start(c); code != codes.Continue && code != codes.ServiceUnavailable {
			t.Fatalf("flood transfer %d: %v", i, code)
		}
	}
	if used := b.nosec.srv.budget.inUse(); used > DefaultMaxReassemblyBytes {
		t.Fatalf("budget holds %d bytes, cap %d", used, DefaultMaxReassemblyBytes)
	}

	a := listen(t, func() Config { c := nosecConfig(); c.Listen = "127.0.0.2:0"; return c }(), newSink().handle)
	rec := bytes.Repeat([]byte("legit"), 1000) // 5000 bytes, five blocks
	for i := range 3 {
		if err := a.Send(context.Background(), b.URL(), rec); err != nil {
			t.Fatalf("legitimate multi-block Record %d from another address: %v", i, err)
		}
		if in := sb.next(t); !bytes.Equal(in.Record, rec) || in.Source.Addr() != a.Addr().Addr() {
			t.Fatalf("got %d bytes from %v", len(in.Record), in.Source)
		}
		// The flood keeps restarting its transfers in between.
		for _, c := range flood {
			start(c)
		}
	}
	sb.empty(t)
}

// held returns the transfer in progress and the budget it holds.
func (r *reassembler) held() ([]byte, int) {
	r.budget.mu.Lock()
	defer r.budget.mu.Unlock()
	if r.cur == nil {
		return nil, 0
	}
	return r.cur.buf, r.cur.charged
}

// TestBudgetEviction: beyond its address's share a transfer displaces the
// oldest of its own address; beyond the total it displaces the oldest of
// the address holding the most, never a lighter one.
func TestBudgetEviction(t *testing.T) {
	bud := newBudget(4*blockSize, 2*blockSize)
	now := time.Now()
	heavy, light := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	kb := bytes.Repeat([]byte{1}, blockSize)
	newR := func(owner netip.Addr) *reassembler {
		return &reassembler{max: 8 * blockSize, budget: bud, owner: owner, timeout: time.Minute}
	}
	start := func(r *reassembler) Code { return r.add(block{0, true, 6}, -1, kb, now).code }
	next := func(r *reassembler, num uint32) Code { return r.add(block{num, true, 6}, -1, kb, now).code }

	h := []*reassembler{newR(heavy), newR(heavy), newR(heavy)}
	for i, r := range h {
		if c := start(r); c != CodeContinue {
			t.Fatalf("heavy transfer %d: %v", i, c)
		}
	}
	// The third displaced the first: the address holds two blocks' worth.
	if got := bud.heldBy(heavy); got != 2*blockSize {
		t.Fatalf("heavy address holds %d, share %d", got, bud.perPeer)
	}
	if c := next(h[0], 1); c != CodeRequestEntityIncomplete {
		t.Fatalf("displaced transfer continued: %v", c)
	}
	l1, l2 := newR(light), newR(light)
	if start(l1) != CodeContinue || start(l2) != CodeContinue {
		t.Fatal("light transfers refused")
	}
	// Now full (2 heavy + 2 light): a light transfer growing to a second
	// block goes beyond its address's share, so it displaces that
	// address's older transfer; the heavy ones stay.
	if c := next(l2, 1); c != CodeContinue {
		t.Fatalf("light transfer growing: %v", c)
	}
	if c := next(l1, 1); c != CodeRequestEntityIncomplete {
		t.Fatalf("light address's older transfer should have been displaced: %v", c)
	}
	// A third address finds the budget full: the heaviest address (heavy,
	// tied with light at 2 blocks, holding the oldest transfer) loses its
	// oldest transfer.
	third := newR(netip.MustParseAddr("192.0.2.3"))
	if c := start(third); c != CodeContinue {
		t.Fatalf("newcomer refused: %v", c)
	}
	if c := next(h[1], 1); c != CodeRequestEntityIncomplete {
		t.Fatalf("the heaviest address's oldest transfer should have been displaced: %v", c)
	}
	if c := next(h[2], 1); c != CodeContinue {
		t.Fatalf("heavy's newer transfer: %v", c)
	}
	if used := bud.inUse(); used > bud.max {
		t.Fatalf("budget %d of %d", used, bud.max)
	}
}
