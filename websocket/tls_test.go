package websocket

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTLS(t *testing.T) {
	checkNoLeak(t)
	ca, other := newCA(t, "test CA"), newCA(t, "other CA")
	serverCert := ca.issue(t, agentID, x509.ExtKeyUsageServerAuth)
	ctlCert := ca.issue(t, ctlID, x509.ExtKeyUsageClientAuth)
	strangerCert := other.issue(t, ctlID, x509.ExtKeyUsageClientAuth)
	serverTLS := &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    ca.pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{EndpointID: agentID, TLS: serverTLS, RequireCert: true, Handler: echo}))
	if !strings.HasPrefix(srv.URL(), "wss://127.0.0.1:") {
		t.Fatalf("URL %s", srv.URL())
	}

	t.Run("verified client certificate", func(t *testing.T) {
		got := make(chan []byte, 1)
		c, err := DialOnce(testCtx(t), DialConfig{
			URL: srv.URL(), EndpointID: ctlID, PeerID: agentID,
			TLS:     &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{ctlCert}},
			Handler: func(_ context.Context, _ *Conn, r []byte) { got <- r },
		})
		if err != nil {
			t.Fatalf("DialOnce: %v", err)
		}
		defer c.Close("test over")
		sc := recv(t, ev.up, 5*time.Second, "session")
		if sc.PeerID() != ctlID || !sc.Authenticated() {
			t.Fatalf("server sees %q authenticated=%v, want %q true", sc.PeerID(), sc.Authenticated(), ctlID)
		}
		if c.PeerID() != agentID || !c.Authenticated() {
			t.Fatalf("client sees %q authenticated=%v, want %q true (server certificate)", c.PeerID(), c.Authenticated(), agentID)
		}
		if err := c.Send(t.Context(), []byte("over tls")); err != nil {
			t.Fatal(err)
		}
		if r := recv(t, got, 5*time.Second, "echo"); string(r) != "over tls" {
			t.Fatalf("echo %q", r)
		}
		_ = c.Close("done")
		recv(t, ev.closed, 5*time.Second, "OnClose")
	})

	refused := []struct {
		name string
		eid  string
		cfg  *tls.Config
	}{
		{"unknown server CA", ctlID, &tls.Config{RootCAs: other.pool, Certificates: []tls.Certificate{ctlCert}}},
		{"no client certificate", ctlID, &tls.Config{RootCAs: ca.pool}},
		{"client certificate from another CA", ctlID, &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{strangerCert}}},
		{"eid other than the certificate's", "proto::liar", &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{ctlCert}}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: tc.eid, TLS: tc.cfg})
			if err == nil {
				_ = c.Close("unexpected")
				t.Fatal("session established")
			}
			t.Logf("refused as expected: %v", err)
		})
	}
	t.Run("server not the expected peer", func(t *testing.T) {
		_, err := DialOnce(testCtx(t), DialConfig{
			URL: srv.URL(), EndpointID: ctlID, PeerID: "proto::someone-else",
			TLS: &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{ctlCert}},
		})
		if err == nil || !strings.Contains(err.Error(), "expected") {
			t.Fatalf("err %v, want a peer mismatch", err)
		}
		recv(t, ev.up, 5*time.Second, "session accepted by the server")
		recv(t, ev.closed, 5*time.Second, "session closed by the client")
	})
	select {
	case c := <-ev.up:
		t.Fatalf("unexpected session from %q", c.PeerID())
	default:
	}
}

func TestTLSWithoutClientCertificates(t *testing.T) {
	checkNoLeak(t)
	ca := newCA(t, "test CA")
	ev := newSessions()
	srv := startServer(t, ev.config(ServerConfig{
		EndpointID: ctlID, Handler: echo,
		TLS: &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "", x509.ExtKeyUsageServerAuth)}},
	}))
	c, err := DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: agentID, PeerID: ctlID, TLS: &tls.Config{RootCAs: ca.pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close("test over")
	sc := recv(t, ev.up, 5*time.Second, "session")
	if sc.PeerID() != agentID || sc.Authenticated() {
		t.Fatalf("server sees %q authenticated=%v", sc.PeerID(), sc.Authenticated())
	}
	if c.PeerID() != ctlID || c.Authenticated() {
		t.Fatalf("client sees %q authenticated=%v", c.PeerID(), c.Authenticated())
	}
	if _, err := Listen(t.Context(), ServerConfig{Listen: "127.0.0.1:0", RequireCert: true}); err == nil {
		t.Fatal("RequireCert without TLS accepted")
	}
	var verr *tls.CertificateVerificationError
	_, err = DialOnce(testCtx(t), DialConfig{URL: srv.URL(), EndpointID: agentID})
	if !errors.As(err, &verr) {
		t.Fatalf("dial with system roots: %v, want a certificate verification error", err)
	}
}
