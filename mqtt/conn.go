package mqtt

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
)

// dialError is a failure to reach the broker at all (TCP or DNS).
type dialError struct {
	addr string
	err  error
}

func (e *dialError) Error() string { return fmt.Sprintf("mqtt: dial %s: %v", e.addr, e.err) }
func (e *dialError) Unwrap() error { return e.err }

// countingConn counts the bytes that cross a connection.
type countingConn struct {
	net.Conn
	sent, recv *atomic.Uint64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.recv.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.sent.Add(uint64(n))
	return n, err
}

// dial opens the TCP connection (counted on the wire) and, when cfg.TLS is
// set, completes the TLS handshake on it, verifying the broker.
func dial(ctx context.Context, cfg *Config, sent, recv *atomic.Uint64) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", cfg.Broker)
	if err != nil {
		return nil, &dialError{addr: cfg.Broker, err: err}
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	conn := net.Conn(&countingConn{Conn: raw, sent: sent, recv: recv})
	if cfg.TLS == nil {
		return conn, nil
	}
	tc := tls.Client(conn, tlsConfig(cfg))
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("mqtt: TLS handshake with %s: %w", cfg.Broker, err)
	}
	return tc, nil
}

// tlsConfig is cfg.TLS with TLS 1.2 as the floor (R-MQTT.48) and the
// Broker host as ServerName when none is set.
func tlsConfig(cfg *Config) *tls.Config {
	t := cfg.TLS.Clone()
	if t.MinVersion < tls.VersionTLS12 {
		t.MinVersion = tls.VersionTLS12
	}
	if t.ServerName == "" {
		if host, _, err := net.SplitHostPort(cfg.Broker); err == nil {
			t.ServerName = host
		}
	}
	return t
}
