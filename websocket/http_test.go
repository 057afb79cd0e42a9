package websocket

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// httpURL is the server's http:// base (no path).
func httpURL(s *Server) string {
	return "http://" + strings.TrimSuffix(strings.TrimPrefix(s.URL(), "ws://"), s.cfg.Path)
}

func TestHTTPHook(t *testing.T) {
	checkNoLeak(t)
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "page "+r.URL.Path)
	})
	for _, tc := range []struct {
		name     string
		handler  http.Handler
		path     string
		wantCode int
		wantBody string
	}{
		{"hook serves its path", page, "/ui/", http.StatusOK, "page /ui/"},
		{"hook serves the root", page, "/", http.StatusOK, "page /"},
		{"no hook: 404", nil, "/ui/", http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newSessions()
			srv := startServer(t, ev.config(ServerConfig{EndpointID: ctlID, Handler: echo, HTTP: tc.handler}))
			resp, err := http.Get(httpURL(srv) + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			http.DefaultClient.CloseIdleConnections()
			if resp.StatusCode != tc.wantCode || (tc.wantBody != "" && string(body) != tc.wantBody) {
				t.Fatalf("GET %s: %d %q, want %d %q", tc.path, resp.StatusCode, body, tc.wantCode, tc.wantBody)
			}
			// The MTP path still upgrades, the hook or not.
			got := make(chan []byte, 1)
			c, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: agentID, PeerID: ctlID,
				Handler: func(_ context.Context, _ *Conn, r []byte) { got <- r }})
			if err != nil {
				t.Fatalf("DialOnce beside the hook: %v", err)
			}
			t.Cleanup(func() { _ = c.Close("test over") })
			if err := c.Send(t.Context(), []byte("rec")); err != nil {
				t.Fatal(err)
			}
			if r := recv(t, got, 5*time.Second, "echo"); string(r) != "rec" {
				t.Fatalf("echo %q", r)
			}
		})
	}
}
