package websocket

import (
	"context"
	"errors"
	"testing"
	"time"

	ws "github.com/coder/websocket"
)

// tinyRetry reconnects within milliseconds.
var tinyRetry = Retry{MinWait: 5 * time.Millisecond, Multiplier: 2000, MaxInterval: 20 * time.Millisecond}

func TestLinkReconnects(t *testing.T) {
	checkNoLeak(t)
	got := make(chan []byte, 16)
	cfg := ServerConfig{
		EndpointID: ctlID,
		Handler:    func(_ context.Context, _ *Conn, r []byte) { got <- r },
	}
	srv := startServer(t, cfg)
	ups := make(chan *Conn, 4)
	link, err := Dial(t.Context(), DialConfig{
		URL: srv.URL(), EndpointID: agentID, PeerID: ctlID, Retry: tinyRetry,
		OnUp: func(ctx context.Context, c *Conn) {
			_ = c.Send(ctx, []byte("hello from OnUp"))
			ups <- c
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = link.Close() })
	if err := link.WaitUp(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	recv(t, ups, 5*time.Second, "first OnUp")
	if r := recv(t, got, 5*time.Second, "OnUp record"); string(r) != "hello from OnUp" {
		t.Fatalf("got %q", r)
	}
	if err := link.Send(t.Context(), []byte("one")); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, got, 5*time.Second, "record"); string(r) != "one" {
		t.Fatalf("got %q", r)
	}

	// The server goes away: the Link notices and Send fails fast.
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "link down", func() bool { return !link.Up() })
	if err := link.Send(t.Context(), []byte("lost")); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Send while down: %v, want ErrNotConnected", err)
	}

	// A new server on the same port: the Link comes back by itself.
	cfg.Listen = srv.Addr().String()
	srv2 := startServer(t, cfg)
	recv(t, ups, 5*time.Second, "second OnUp")
	if r := recv(t, got, 5*time.Second, "OnUp record after reconnect"); string(r) != "hello from OnUp" {
		t.Fatalf("got %q", r)
	}
	if err := link.WaitUp(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := link.Send(t.Context(), []byte("two")); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, got, 5*time.Second, "record after reconnect"); string(r) != "two" {
		t.Fatalf("got %q", r)
	}
	if srv2.Session(agentID) == nil {
		t.Fatal("new server has no session for the Link")
	}

	if err := link.Close(); err != nil {
		t.Fatal(err)
	}
	if err := link.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if link.Up() {
		t.Fatal("Up after Close")
	}
	if err := link.WaitUp(testCtx(t)); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("WaitUp after Close: %v", err)
	}
	waitFor(t, 5*time.Second, "server session gone", func() bool { return srv2.Session(agentID) == nil })
}

func TestLinkRetriesUntilServerAppears(t *testing.T) {
	checkNoLeak(t)
	// Find a free port, then leave it unserved for a while.
	probe := startServer(t, ServerConfig{})
	addr := probe.Addr().String()
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
	link, err := Dial(t.Context(), DialConfig{URL: "ws://" + addr + "/usp", EndpointID: agentID, Retry: tinyRetry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = link.Close() })
	if err := link.Send(t.Context(), []byte("x")); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Send before up: %v", err)
	}
	startServer(t, ServerConfig{Listen: addr, EndpointID: ctlID})
	if err := link.WaitUp(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if got := link.Conn().PeerID(); got != ctlID {
		t.Fatalf("peer %q, want %q", got, ctlID)
	}
}

func TestDialConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  DialConfig
	}{
		{"no endpoint id", DialConfig{URL: "ws://127.0.0.1:1/usp"}},
		{"bad scheme", DialConfig{URL: "http://127.0.0.1:1/usp", EndpointID: agentID}},
		{"no host", DialConfig{URL: "ws:///usp", EndpointID: agentID}},
		{"bad peer id", DialConfig{URL: "ws://127.0.0.1:1/usp", EndpointID: agentID, PeerID: "a b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Dial(t.Context(), tc.cfg); err == nil {
				t.Fatal("Dial accepted the config")
			}
			if _, err := DialOnce(t.Context(), tc.cfg); err == nil {
				t.Fatal("DialOnce accepted the config")
			}
		})
	}
}

func TestServerCloseEndsSessionsAndLeaksNothing(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo, KeepAlive: 50 * time.Millisecond}))
	var conns []*Conn
	for _, eid := range []string{"proto::a", "proto::b", "proto::c"} {
		c, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: eid, KeepAlive: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		recv(t, ev.up, 5*time.Second, "session")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		recv(t, c.Done(), 5*time.Second, "client session end")
		if code := ws.CloseStatus(c.Err()); code != ws.StatusGoingAway {
			t.Fatalf("client end reason %v, want close 1001", c.Err())
		}
		if err := c.Close("after"); err != nil {
			t.Fatalf("Close after the peer closed: %v", err)
		}
	}
	for range conns {
		recv(t, ev.closed, 5*time.Second, "OnClose")
	}
	if _, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: agentID}); err == nil {
		t.Fatal("dial to a closed server succeeded")
	}
}

func TestListenEndsWithContext(t *testing.T) {
	checkNoLeak(t)
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := Listen(ctx, ServerConfig{Listen: "127.0.0.1:0", EndpointID: ctlID})
	if err != nil {
		t.Fatal(err)
	}
	c, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: agentID})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	recv(t, c.Done(), 5*time.Second, "session end after the server's context ended")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}
