package websocket

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHandshakeHeaders(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo}))
	httpURL := "http" + strings.TrimPrefix(srv.URL(), "ws")
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)

	for _, tc := range []struct {
		name, query, ext, wantExt, wantPeer string
	}{
		{"extension only (USP 1.2 client)", "", FormatExtension(agentID), FormatExtension(ctlID), agentID},
		{"query only (USP 1.3 client): no extension back", "?eid=" + agentID, "", "", agentID},
		{"query wins", "?eid=proto::q", `permessage-deflate, bbf-usp-protocol; eid=proto::x`, FormatExtension(ctlID), "proto::q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := upgradeRequest(t, httpURL+tc.query, "chat, "+Subprotocol)
			if tc.ext != "" {
				req.Header.Set("Sec-WebSocket-Extensions", tc.ext)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("status %s", resp.Status)
			}
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != Subprotocol {
				t.Fatalf("protocol %q", got)
			}
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != tc.wantExt {
				t.Fatalf("extensions %q, want %q", got, tc.wantExt)
			}
			if got := recv(t, ev.up, 5*time.Second, "session").PeerID(); got != tc.wantPeer {
				t.Fatalf("peer %q, want %q", got, tc.wantPeer)
			}
			_ = resp.Body.Close()
			recv(t, ev.closed, 5*time.Second, "session end")
		})
	}
}

func TestDialChecksServerEndpointID(t *testing.T) {
	checkNoLeak(t)
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo}))
	_, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: agentID, PeerID: "proto::other"})
	if err == nil || !strings.Contains(err.Error(), `server is Endpoint "proto::ctl", expected "proto::other"`) {
		t.Fatalf("err %v, want a clear mismatch", err)
	}
	recv(t, ev.closed, 5*time.Second, "server session closed by the client")

	c, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL() + "?x=1", EndpointID: agentID})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close("test over")
	if c.PeerID() != ctlID {
		t.Fatalf("peer %q from the extension, want %q", c.PeerID(), ctlID)
	}
	if got := recv(t, ev.up, 5*time.Second, "session").PeerID(); got != agentID {
		t.Fatalf("server sees %q", got)
	}
}
