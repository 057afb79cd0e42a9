package mqtttest

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

func TestStartTLSRestart(t *testing.T) {
	b := Start(t, Options{TLS: true})
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", b.TLSAddr(), &tls.Config{RootCAs: b.CAPool()})
	if err != nil {
		t.Fatalf("TLS dial: %v\n%s", err, b.Log())
	}
	if err := conn.Handshake(); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	b.Restart(t)
	c, err := net.DialTimeout("tcp", b.Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial after restart: %v", err)
	}
	_ = c.Close()
	if !strings.Contains(b.Log(), "mosquitto version") {
		t.Errorf("log lacks the start banner:\n%s", b.Log())
	}
	b.Stop()
	b.Stop()
}
