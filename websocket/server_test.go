package websocket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	ws "github.com/coder/websocket"
)

const (
	ctlID   = "proto::ctl"
	agentID = "proto::agent"
)

// sessions collects a server's session events.
type sessions struct {
	up     chan *Conn
	closed chan error
}

func newSessions() *sessions {
	return &sessions{up: make(chan *Conn, 16), closed: make(chan error, 16)}
}

func (s *sessions) config(cfg ServerConfig) ServerConfig {
	cfg.OnSession = func(c *Conn) { s.up <- c }
	cfg.OnClose = func(_ *Conn, err error) { s.closed <- err }
	return cfg
}

// echo sends every record back.
func echo(ctx context.Context, c *Conn, record []byte) {
	_ = c.Send(ctx, record)
}

func TestEcho(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo}))
	got := make(chan []byte, 256)
	c, err := DialOnce(testCtx(t), DialConfig{
		URL: srv.URL(), EndpointID: agentID, PeerID: ctlID,
		Handler: func(_ context.Context, _ *Conn, r []byte) { got <- r },
	})
	if err != nil {
		t.Fatalf("DialOnce: %v", err)
	}
	t.Cleanup(func() { _ = c.Close("test over") })
	sc := recv(t, ev.up, 5*time.Second, "server session")
	if sc.PeerID() != agentID || sc.Authenticated() {
		t.Fatalf("server sees peer %q authenticated=%v, want %q false", sc.PeerID(), sc.Authenticated(), agentID)
	}
	if c.PeerID() != ctlID {
		t.Fatalf("client sees peer %q, want %q", c.PeerID(), ctlID)
	}
	if srv.Session(agentID) != sc {
		t.Fatalf("Session(%q) is not the live session", agentID)
	}

	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if err := c.Send(t.Context(), all); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, got, 5*time.Second, "echo"); !bytes.Equal(r, all) {
		t.Fatalf("echo differs: % x", r)
	}

	const senders, each = 8, 25
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				if err := c.Send(t.Context(), fmt.Appendf(nil, "g%d-m%d", g, i)); err != nil {
					t.Errorf("send: %v", err)
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for range senders * each {
		seen[string(recv(t, got, 5*time.Second, "concurrent echoes"))] = true
	}
	if len(seen) != senders*each {
		t.Fatalf("got %d distinct records, want %d", len(seen), senders*each)
	}

	if err := c.Close("done"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close("again"); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	recv(t, c.Done(), 5*time.Second, "client Done")
	if err := recv(t, ev.closed, 5*time.Second, "server OnClose"); ws.CloseStatus(err) != ws.StatusNormalClosure {
		t.Fatalf("server saw %v, want close 1000", err)
	}
	waitFor(t, 5*time.Second, "session unregistered", func() bool { return srv.Session(agentID) == nil })
	if err := srv.Close(); err != nil {
		t.Fatalf("server Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second server Close: %v", err)
	}
}

// upgradeRequest is a hand-made WebSocket opening handshake.
func upgradeRequest(t *testing.T, url string, protocol string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	if protocol != "" {
		req.Header.Set("Sec-WebSocket-Protocol", protocol)
	}
	return req
}

func TestUpgradeWithoutSubprotocol(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	log, logs := testLogger(t)
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo, Logger: log}))
	httpURL := "http" + strings.TrimPrefix(srv.URL(), "ws") + "?eid=" + agentID
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)

	for _, proto := range []string{"", "v2.usp, chat"} {
		resp, err := client.Do(upgradeRequest(t, httpURL, proto))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("protocol %q: status %d, want 400", proto, resp.StatusCode)
		}
	}
	// A request naming no Endpoint ID is refused too.
	resp, err := client.Do(upgradeRequest(t, strings.TrimSuffix(httpURL, "?eid="+agentID), Subprotocol))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("no eid: status %d, want 400", resp.StatusCode)
	}
	select {
	case c := <-ev.up:
		t.Fatalf("session %q created by a refused upgrade", c.PeerID())
	default:
	}
	if n := logs.count("upgrade refused: no v1.usp subprotocol"); n != 1 {
		t.Fatalf("refusal logged %d times, want once", n)
	}

	c, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: agentID})
	if err != nil {
		t.Fatalf("good client after refusals: %v", err)
	}
	defer c.Close("test over")
	if got := recv(t, ev.up, 5*time.Second, "session").PeerID(); got != agentID {
		t.Fatalf("peer %q, want %q", got, agentID)
	}
}

// rawDial opens a session with coder/websocket directly, to send what
// this package never sends.
func rawDial(t *testing.T, srv *Server, eid string) *ws.Conn {
	t.Helper()
	c, _, err := ws.Dial(testCtx(t), srv.URL()+"?eid="+eid, &ws.DialOptions{Subprotocols: []string{Subprotocol}})
	if err != nil {
		t.Fatalf("raw dial: %v", err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func TestBadMessagesCloseTheSession(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo, MaxRecord: 1024}))
	for _, tc := range []struct {
		name    string
		typ     ws.MessageType
		size    int
		code    ws.StatusCode
		wantErr error
	}{
		{"text", ws.MessageText, 10, ws.StatusUnsupportedData, ErrTextFrame},
		{"oversized", ws.MessageBinary, 2048, ws.StatusMessageTooBig, ws.ErrMessageTooBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rawDial(t, srv, agentID)
			recv(t, ev.up, 5*time.Second, "session")
			if err := c.Write(testCtx(t), tc.typ, bytes.Repeat([]byte("x"), tc.size)); err != nil {
				t.Fatalf("write: %v", err)
			}
			_, _, err := c.Read(testCtx(t))
			if got := ws.CloseStatus(err); got != tc.code {
				t.Fatalf("close status %v (%v), want %v", got, err, tc.code)
			}
			if err := recv(t, ev.closed, 5*time.Second, "OnClose"); !errors.Is(err, tc.wantErr) {
				t.Fatalf("server end reason %v, want %v", err, tc.wantErr)
			}
		})
	}
	// The server still serves; a record at the limit passes.
	c := rawDial(t, srv, agentID)
	recv(t, ev.up, 5*time.Second, "session")
	rec := bytes.Repeat([]byte{7}, 1024)
	if err := c.Write(testCtx(t), ws.MessageBinary, rec); err != nil {
		t.Fatal(err)
	}
	typ, got, err := c.Read(testCtx(t))
	if err != nil || typ != ws.MessageBinary || !bytes.Equal(got, rec) {
		t.Fatalf("echo after bad sessions: %v %d bytes %v", typ, len(got), err)
	}
	_ = c.Close(ws.StatusNormalClosure, "")
}

func TestSameEndpointIDReplacesSession(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo}))
	cfg := DialConfig{URL: srv.URL(), EndpointID: agentID}
	first, err := DialOnce(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close("test over")
	s1 := recv(t, ev.up, 5*time.Second, "first session")

	got := make(chan []byte, 1)
	cfg.Handler = func(_ context.Context, _ *Conn, r []byte) { got <- r }
	second, err := DialOnce(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close("test over")
	s2 := recv(t, ev.up, 5*time.Second, "second session")

	recv(t, first.Done(), 5*time.Second, "first session closed")
	recv(t, s1.Done(), 5*time.Second, "server side of the first session closed")
	recv(t, ev.closed, 5*time.Second, "OnClose of the first")
	if srv.Session(agentID) != s2 {
		t.Fatalf("Session(%q) is not the newer session", agentID)
	}
	if err := second.Send(t.Context(), []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, got, 5*time.Second, "echo on the second"); string(r) != "still here" {
		t.Fatalf("echo %q", r)
	}
	if err := first.Send(t.Context(), []byte("x")); err == nil {
		t.Fatal("send on the replaced session succeeded")
	}
}

func TestKeepAliveKeepsAnsweringPeer(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo, KeepAlive: 20 * time.Millisecond}))
	c, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: agentID, KeepAlive: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close("test over")
	sc := recv(t, ev.up, 5*time.Second, "session")
	waitFor(t, 5*time.Second, "five pongs each way", func() bool { return sc.Pongs() >= 5 && c.Pongs() >= 5 })
	select {
	case err := <-ev.closed:
		t.Fatalf("session ended: %v", err)
	default:
	}
	if srv.Session(agentID) != sc {
		t.Fatal("session gone")
	}
}

func TestKeepAliveDropsSilentPeer(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo, KeepAlive: 50 * time.Millisecond}))

	var d net.Dialer
	nc, err := d.DialContext(testCtx(t), "tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintf(nc, "GET /usp?eid=%s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v1.usp\r\n\r\n",
		agentID, srv.Addr())
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Protocol") != Subprotocol {
		t.Fatalf("handshake: %s, protocol %q", resp.Status, resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	recv(t, ev.up, 5*time.Second, "session")
	// Now silent: the pings go unanswered.
	if err := recv(t, ev.closed, 5*time.Second, "drop"); !errors.Is(err, ErrKeepAlive) {
		t.Fatalf("end reason %v, want ErrKeepAlive", err)
	}
	if srv.Session(agentID) != nil {
		t.Fatal("dropped session still registered")
	}
	// The socket is gone: reading drains the pings, then ends.
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Fatalf("socket not closed by the server: %v", err)
	}
}
