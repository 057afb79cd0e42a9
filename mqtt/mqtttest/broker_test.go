package mqtttest

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
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

func TestNewCAAndWriteConfig(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile, err := NewCA(dir, "fd00::7")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA file holds no certificate")
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"fd00::7", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}

	conf, err := WriteConfig(dir, ConfigOptions{Listen: "[fd00::7]:1883", TLSListen: "[fd00::7]:8883", CAFile: caFile, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"listener 1883 fd00::7", "listener 8883 fd00::7", "allow_anonymous true", "persistence false", "set_tcp_nodelay true", "cafile " + caFile} {
		if !strings.Contains(string(data), want+"\n") {
			t.Errorf("config lacks %q:\n%s", want, data)
		}
	}
	if _, err := WriteConfig(dir, ConfigOptions{Listen: "127.0.0.1:1883", TLSListen: "127.0.0.1:8883"}); err == nil {
		t.Error("TLSListen without certificates accepted")
	}
	if _, err := WriteConfig(dir, ConfigOptions{Listen: "1883"}); err == nil {
		t.Error("Listen without a host accepted")
	}
}
