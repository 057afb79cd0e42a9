package coap

import (
	"context"
	"testing"
	"time"
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
	time.Sleep(3 * cfgB.IdleTimeout) // the state after three idle timeouts is what is checked
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
