package coap

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/plgd-dev/go-coap/v3/message"
)

// TestRestart: B goes away and a new B listens on the same port; A's next
// Send must get through well before CoAP's ~45 s of retransmissions.
// "graceful" closes B (close_notify reaches A); "crash" closes B's socket
// first, so A learns nothing and must notice the silence itself.
func TestRestart(t *testing.T) {
	for _, crash := range []bool{false, true} {
		name := map[bool]string{false: "graceful", true: "crash"}[crash]
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			cfgA := pskConfig("proto::ctrl-a", meshKey)
			cfgA.ACKTimeout = DefaultACKTimeout // the real timing: detection must not need retransmissions
			a := listen(t, cfgA, newSink().handle)
			sb := newSink()
			b := listen(t, pskConfig("proto::agent-b", meshKey), sb.handle)
			ctx := context.Background()
			if err := a.Send(ctx, b.URL(), []byte("before")); err != nil {
				t.Fatal(err)
			}
			sb.next(t)

			if crash {
				_ = b.conn.Close() // no close_notify can leave
			}
			_ = b.Close()
			cfgB := pskConfig("proto::agent-b", meshKey)
			cfgB.Listen = b.Addr().String()
			sb2 := newSink()
			b2 := listen(t, cfgB, sb2.handle)

			start := time.Now()
			if err := a.Send(ctx, b2.URL(), []byte("after")); err != nil {
				t.Fatalf("Send after restart: %v", err)
			}
			el := time.Since(start)
			t.Logf("Send after %s restart took %v", name, el)
			if el > 5*time.Second {
				t.Fatalf("Send after restart took %v", el)
			}
			if in := sb2.next(t); string(in.Record) != "after" {
				t.Fatalf("new B got %q", in.Record)
			}
			sb2.empty(t)
		})
	}
}

// TestSessionsStayUp: with traffic stopped, keep-alive pings keep both
// the client session and the server session open past the idle timeout.
func TestSessionsStayUp(t *testing.T) {
	checkLeaks(t)
	cfgA, cfgB := pskConfig("proto::ctrl-a", meshKey), pskConfig("proto::agent-b", meshKey)
	for _, c := range []*Config{&cfgA, &cfgB} {
		c.KeepAlive, c.IdleTimeout = 100*time.Millisecond, 500*time.Millisecond
	}
	a := listen(t, cfgA, newSink().handle)
	sb := newSink()
	b := listen(t, cfgB, sb.handle)
	ctx := context.Background()
	if err := a.Send(ctx, b.URL(), []byte("1")); err != nil {
		t.Fatal(err)
	}
	sb.next(t)
	s := a.onlySession(t)
	start := time.Now()
	waitFor(t, 5*time.Second, "keep-alive pings to reach B after two idle timeouts", func() bool {
		last, ok := b.onlyPeerLastSeen()
		return ok && last.Sub(start) > 2*cfgB.IdleTimeout
	})
	if got := a.onlySession(t); got != s {
		t.Fatal("client session replaced while idle")
	}
	if _, established := b.dtlsSrv.counts(); established != 1 {
		t.Fatalf("B serves %d sessions after idling, want the same 1", established)
	}
	if err := a.Send(ctx, b.URL(), []byte("2")); err != nil {
		t.Fatal(err)
	}
	if a.onlySession(t) != s {
		t.Fatal("Send after idling dialed a new session")
	}
}

// TestDeadPeerDropped: when the peer disappears, keep-alive closes the
// client session instead of keeping it forever.
func TestDeadPeerDropped(t *testing.T) {
	checkLeaks(t)
	cfgA := pskConfig("proto::ctrl-a", meshKey)
	cfgA.KeepAlive, cfgA.ACKTimeout, cfgA.MaxRetransmit = 100*time.Millisecond, 50*time.Millisecond, 2
	a := listen(t, cfgA, newSink().handle)
	sb := newSink()
	b := listen(t, pskConfig("proto::agent-b", meshKey), sb.handle)
	if err := a.Send(context.Background(), b.URL(), []byte("1")); err != nil {
		t.Fatal(err)
	}
	sb.next(t)
	_ = b.conn.Close()
	_ = b.Close()
	waitFor(t, 3*time.Second, "A to drop the session to the dead peer", func() bool {
		return a.sessionCount() == 0
	})
}

func (e *Endpoint) sessionCount() int {
	e.clients.mu.Lock()
	defer e.clients.mu.Unlock()
	return len(e.clients.sessions)
}

func (e *Endpoint) onlySession(t *testing.T) *clientSession {
	t.Helper()
	e.clients.mu.Lock()
	defer e.clients.mu.Unlock()
	if len(e.clients.sessions) != 1 {
		t.Fatalf("%d client sessions, want 1", len(e.clients.sessions))
	}
	for _, ent := range e.clients.sessions {
		return ent.s
	}
	return nil
}

// TestClientRestartSamePort: a client that restarts and dials again from
// the same address and port (as implementations with one socket for
// client and server do) gets a new session at once, not after the old
// one idles out (RFC 6347 §4.2.8).
func TestClientRestartSamePort(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	b := listen(t, pskConfig("proto::agent-b", meshKey), sb.handle)
	setup := &dtlsSetup{cfg: &Config{PSK: &PSK{Identity: "proto::ctrl-fixed", Key: func(string) ([]byte, error) { return meshKey, nil }}},
		loggers: pionLogger{log: slog.New(slog.DiscardHandler)}}
	laddr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	post := func(uc *net.UDPConn, body string) {
		t.Helper()
		var peer string
		dc, err := dtls.ClientWithOptions(connectedPacketConn{uc}, uc.RemoteAddr(), setup.clientOptions("", "", &peer)...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := dc.HandshakeContext(ctx); err != nil {
			t.Fatalf("handshake from %v: %v", uc.LocalAddr(), err)
		}
		m := uspPost([]byte(body), replyToOpt("coaps://127.0.0.1:5684/usp"))
		m.MessageID, m.Type, m.Token = 1, message.Confirmable, message.Token{1}
		raw, _ := encodeMessage(m, nil)
		if _, err := dc.Write(raw); err != nil {
			t.Fatal(err)
		}
		if in := sb.next(t); string(in.Record) != body || in.Peer != "proto::ctrl-fixed" {
			t.Fatalf("got %q from %q", in.Record, in.Peer)
		}
		_ = uc.Close() // crash: no close_notify
		_ = dc.Close()
	}
	uc, err := net.DialUDP("udp", laddr, net.UDPAddrFromAddrPort(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	laddr = uc.LocalAddr().(*net.UDPAddr)
	post(uc, "first life")
	uc, err = net.DialUDP("udp", laddr, net.UDPAddrFromAddrPort(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	post(uc, "second life")
	waitFor(t, 2*time.Second, "the old session to be replaced", func() bool {
		_, established := b.dtlsSrv.counts()
		return established == 1
	})
}

// TestSessionsBounded: beyond MaxSessions the least recently active
// session is closed, on the server and in the client pool, and the
// endpoints keep working. The server's count drops when the eviction is
// decided, not when the evicted session's goroutine ends: before that it
// read one over the cap for a moment (4 runs in 2000), and a handshake
// finishing in that moment evicted a second session.
func TestSessionsBounded(t *testing.T) {
	checkLeaks(t)
	cfgB := pskConfig("proto::agent-b", meshKey)
	cfgB.MaxSessions = 2
	sb := newSink()
	b := listen(t, cfgB, sb.handle)
	cfgA := pskConfig("proto::ctrl-a", meshKey)
	cfgA.MaxSessions = 2
	a := listen(t, cfgA, newSink().handle)
	ctx := context.Background()
	var others []*Endpoint
	for i := range 3 {
		o := listen(t, pskConfig(fmt.Sprintf("proto::ctrl-%d", i), meshKey), newSink().handle)
		others = append(others, o)
		if err := o.Send(ctx, b.URL(), []byte("hi")); err != nil {
			t.Fatal(err)
		}
		sb.next(t)
		if err := a.Send(ctx, o.URL(), []byte("hi")); err != nil {
			t.Fatal(err)
		}
	}
	if _, established := b.dtlsSrv.counts(); established > 2 {
		t.Fatalf("B serves %d sessions, cap 2", established)
	}
	if n := a.sessionCount(); n > 2 {
		t.Fatalf("A keeps %d client sessions, cap 2", n)
	}
	// The evicted peer got close_notify and simply redials.
	if err := others[0].Send(ctx, b.URL(), []byte("again")); err != nil {
		t.Fatal(err)
	}
	sb.next(t)
}

// onlyPeerLastSeen returns when B last heard from its only DTLS session.
func (e *Endpoint) onlyPeerLastSeen() (time.Time, bool) {
	d := e.dtlsSrv
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.conns) != 1 {
		return time.Time{}, false
	}
	for _, c := range d.conns {
		if c.state == stateEstablished {
			return time.Unix(0, c.peer.lastSeen.Load()), true
		}
	}
	return time.Time{}, false
}

// TestSessionKeyFollowsPeer: the client picks its PSK by the Endpoint ID
// it means to reach (WithPeer), and keeps one session per identity, so a
// session opened for one identity is never reused for another at the
// same address.
func TestSessionKeyFollowsPeer(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	b := listen(t, pskConfig("proto::agent-b", meshKey), sb.handle)
	other := bytes.Repeat([]byte{0x5a}, 32)
	cfg := pskConfig("proto::ctrl", meshKey)
	cfg.PSK.PeerKey = func(_, peer string) ([]byte, error) {
		if peer == "proto::agent-b" {
			return meshKey, nil
		}
		return other, nil
	}
	cfg.HandshakeTimeout = 500 * time.Millisecond
	a := listen(t, cfg, func(context.Context, Inbound) error { return nil })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Send(WithPeer(ctx, "proto::agent-b"), b.URL(), []byte("right key")); err != nil {
		t.Fatalf("send with the peer's key: %v", err)
	}
	if got := sb.next(t); string(got.Record) != "right key" {
		t.Fatalf("record %q", got.Record)
	}
	// Same address, another identity: its own session with its own
	// key, which b does not share.
	if err := a.Send(WithPeer(ctx, "proto::someone-else"), b.URL(), []byte("wrong key")); err == nil {
		t.Fatal("a send meant for another identity reused the session keyed for agent-b")
	}
	sb.empty(t)
}
