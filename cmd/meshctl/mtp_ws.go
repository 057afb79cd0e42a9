package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/websocket"
)

// errNeedCert: a wss session without a client certificate.
var errNeedCert = errors.New("wss:// needs -cert and -key: the Agent identifies Controllers by their client certificate")

// wsLink is the WebSocket MTP over a session meshctl opened to the
// Agent's server: requests, answers and notifications share it.
type wsLink struct {
	conn *websocket.Conn
}

// SendRecord writes rec on the session.
func (w *wsLink) SendRecord(ctx context.Context, _ usp.EndpointID, rec []byte) error {
	if err := w.conn.Send(ctx, rec); err != nil {
		return fmt.Errorf("websocket send: %w", err)
	}
	return nil
}

// Close ends the session.
func (w *wsLink) Close() error { return w.conn.Close("meshctl done") }

// openWS dials the Agent's WebSocket server at t.url as Controller self,
// expecting the Agent -agent; wss presents -cert and verifies with -ca.
func openWS(o options, t target, self usp.EndpointID) (openFunc, error) {
	dc := websocket.DialConfig{URL: t.url, EndpointID: string(self), PeerID: o.agent}
	if t.tls {
		tc, err := clientTLS(o, true)
		if err != nil {
			return nil, err
		}
		dc.TLS = tc
	}
	return func(ctx context.Context, deliver deliverFunc) (link, error) {
		dc.Handler = func(ctx context.Context, c *websocket.Conn, rec []byte) {
			_ = deliver(ctx, usp.EndpointID(c.PeerID()), rec)
		}
		dctx, cancel := context.WithTimeout(ctx, o.timeout)
		defer cancel()
		c, err := websocket.DialOnce(dctx, dc)
		if err != nil {
			return nil, fmt.Errorf("websocket %s: %w", t.url, err)
		}
		return &wsLink{conn: c}, nil
	}, nil
}

// wsServerLink is the WebSocket MTP in listen mode: the Agent keeps a
// session to meshctl's server, and Records go over its latest one.
type wsServerLink struct {
	srv   *websocket.Server
	agent usp.EndpointID
}

// SendRecord writes rec on the Agent's current session.
func (w *wsServerLink) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	c := w.srv.Session(string(to))
	if c == nil {
		return fmt.Errorf("websocket: no session of %s at %s", to, w.srv.URL())
	}
	if err := c.Send(ctx, rec); err != nil {
		return fmt.Errorf("websocket send: %w", err)
	}
	return nil
}

// Close stops the server and its sessions.
func (w *wsServerLink) Close() error { return w.srv.Close() }

// openWSListen serves -ws-listen at -ws-path and waits up to -timeout for
// the session of Agent agent. With -cert the server is wss and requires a
// client certificate issued by -ca.
func openWSListen(o options, self, agent usp.EndpointID, notes io.Writer) (openFunc, error) {
	sc := websocket.ServerConfig{Listen: o.wsListen, Path: o.wsPath, EndpointID: string(self)}
	if o.cert != "" {
		if o.key == "" || o.ca == "" {
			return nil, fmt.Errorf("-ws-listen with -cert needs -key and -ca (the trust store of the Agents' client certificates)")
		}
		cert, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return nil, fmt.Errorf("-cert/-key: %w", err)
		}
		pool, err := readPool(o.ca)
		if err != nil {
			return nil, err
		}
		sc.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
		sc.RequireCert = true
	}
	return func(ctx context.Context, deliver deliverFunc) (link, error) {
		up := make(chan struct{}, 1)
		sc.Handler = func(ctx context.Context, c *websocket.Conn, rec []byte) {
			_ = deliver(ctx, usp.EndpointID(c.PeerID()), rec)
		}
		sc.OnSession = func(c *websocket.Conn) {
			if c.PeerID() == string(agent) {
				select {
				case up <- struct{}{}:
				default:
				}
			}
		}
		srv, err := websocket.Listen(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("-ws-listen %s: %w", o.wsListen, err)
		}
		fmt.Fprintf(notes, "meshctl: waiting up to %s for %s to connect to %s\n", o.timeout, agent, srv.URL())
		if srv.Session(string(agent)) == nil {
			t := time.NewTimer(o.timeout)
			defer t.Stop()
			select {
			case <-up:
			case <-t.C:
				srv.Close()
				return nil, fmt.Errorf("-ws-listen: %s did not connect to %s within %s (the Agent's configuration must name this URL as the MTP of Controller %s)", agent, srv.URL(), o.timeout, o.id)
			case <-ctx.Done():
				srv.Close()
				return nil, ctx.Err()
			}
		}
		return &wsServerLink{srv: srv, agent: agent}, nil
	}, nil
}
