// Package mqtttest runs a real Mosquitto broker for tests: Start gives a
// test its own broker on free ports (plain, and TLS with a fresh test CA),
// stopped at the end of the test. WriteConfig and NewCA serve callers that
// run mosquitto themselves (the virtual home starts it inside a network
// namespace).
package mqtttest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MosquittoPath is where Debian's mosquitto package installs the broker.
const MosquittoPath = "/usr/sbin/mosquitto"

const (
	startTimeout = 10 * time.Second
	stopTimeout  = 5 * time.Second
)

// Options configure Start.
type Options struct {
	// TLS adds a TLS listener with a server certificate from a fresh test CA.
	TLS bool
	// RequireClientCert makes the TLS listener demand a client certificate
	// (see Broker.ClientCert).
	RequireClientCert bool
	// Dir holds the configuration, certificates and log; empty means
	// t.TempDir().
	Dir string
	// Host is the listeners' IP; empty means 127.0.0.1.
	Host string
}

// Broker is a running mosquitto process.
type Broker struct {
	dir, conf, logFile, outFile string
	addr, tlsAddr               string
	ca                          *authority
	caFile                      string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start writes a mosquitto.conf (listeners on free ports of o.Host,
// anonymous access, no persistence, a log file in o.Dir), starts mosquitto,
// waits until it accepts connections and registers t.Cleanup(Stop). It
// skips the test if mosquitto is not installed.
func Start(t testing.TB, o Options) *Broker {
	t.Helper()
	if _, err := os.Stat(MosquittoPath); err != nil {
		t.Skipf("mqtttest: %s not found (install the Debian package mosquitto; scripts/deps.sh does): %v", MosquittoPath, err)
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	b := &Broker{dir: o.Dir, logFile: filepath.Join(o.Dir, "mosquitto.log"), outFile: filepath.Join(o.Dir, "mosquitto.out")}
	co := ConfigOptions{Listen: freeAddr(t, o.Host), LogFile: b.logFile, RequireClientCert: o.RequireClientCert}
	b.addr = co.Listen
	if o.TLS {
		a, caFile, certFile, keyFile, err := newCAFiles(o.Dir, o.Host)
		if err != nil {
			t.Fatal(err)
		}
		b.ca, b.caFile = a, caFile
		co.TLSListen, co.CAFile, co.CertFile, co.KeyFile = freeAddr(t, o.Host), caFile, certFile, keyFile
		b.tlsAddr = co.TLSListen
	}
	conf, err := WriteConfig(o.Dir, co)
	if err != nil {
		t.Fatal(err)
	}
	b.conf = conf
	t.Cleanup(b.Stop)
	if err := b.start(); err != nil {
		t.Fatalf("%v\nmosquitto log:\n%s", err, b.Log())
	}
	return b
}

// freeAddr picks a port nobody listens on right now.
func freeAddr(t testing.TB, host string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("mqtttest: free port on %s: %v", host, err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func (b *Broker) start() error {
	out, err := os.OpenFile(b.outFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("mqtttest: %w", err)
	}
	cmd := exec.Command(MosquittoPath, "-c", b.conf)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return fmt.Errorf("mqtttest: start mosquitto: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = out.Close()
		close(exited)
	}()
	b.mu.Lock()
	b.cmd, b.exited = cmd, exited
	b.mu.Unlock()
	return b.waitAccepting(exited)
}

// waitAccepting dials the listeners until they accept, mosquitto exits, or
// startTimeout passes.
func (b *Broker) waitAccepting(exited <-chan struct{}) error {
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, addr := range []string{b.addr, b.tlsAddr} {
		if addr == "" {
			continue
		}
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				_ = c.Close()
				break
			}
			select {
			case <-exited:
				return fmt.Errorf("mqtttest: mosquitto exited before accepting on %s", addr)
			case <-deadline.C:
				return fmt.Errorf("mqtttest: mosquitto not accepting on %s after %v: %w", addr, startTimeout, err)
			case <-tick.C:
			}
		}
	}
	return nil
}

// Addr is the plain listener's "host:port".
func (b *Broker) Addr() string { return b.addr }

// TLSAddr is the TLS listener's "host:port" ("" without Options.TLS).
func (b *Broker) TLSAddr() string { return b.tlsAddr }

// CAFile is the path of the test CA's PEM ("" without Options.TLS).
func (b *Broker) CAFile() string { return b.caFile }

// CAPool is a pool holding only the test CA (nil without Options.TLS).
func (b *Broker) CAPool() *x509.CertPool {
	if b.ca == nil {
		return nil
	}
	p := x509.NewCertPool()
	p.AddCert(b.ca.cert)
	return p
}

// ClientCert issues a client certificate for cn from the test CA and
// returns its PEM files. It panics without Options.TLS.
func (b *Broker) ClientCert(cn string) (certFile, keyFile string) {
	if b.ca == nil {
		panic("mqtttest: ClientCert needs Options.TLS")
	}
	certPEM, keyPEM, err := b.ca.issue(cn, x509.ExtKeyUsageClientAuth)
	if err != nil {
		panic(err)
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r == 0 {
			return '_'
		}
		return r
	}, cn)
	certFile = filepath.Join(b.dir, "client-"+name+".crt")
	keyFile = filepath.Join(b.dir, "client-"+name+".key")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		panic(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		panic(err)
	}
	return certFile, keyFile
}

// ClientTLS is a TLS config trusting the test CA, with a client
// certificate for cn when cn is not empty.
func (b *Broker) ClientTLS(cn string) *tls.Config {
	cfg := &tls.Config{RootCAs: b.CAPool(), MinVersion: tls.VersionTLS12}
	if cn != "" {
		certFile, keyFile := b.ClientCert(cn)
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			panic(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// Stop stops mosquitto (SIGTERM, then SIGKILL after 5 s) and waits for it
// to exit. It is idempotent.
func (b *Broker) Stop() {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-exited:
	case <-t.C:
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Restart stops mosquitto and starts it again on the same ports, waiting
// until it accepts.
func (b *Broker) Restart(t testing.TB) {
	t.Helper()
	b.Stop()
	if err := b.start(); err != nil {
		t.Fatalf("%v\nmosquitto log:\n%s", err, b.Log())
	}
}

// Log is mosquitto's log and console output so far, for failure messages.
func (b *Broker) Log() string {
	var s strings.Builder
	for _, f := range []string{b.outFile, b.logFile} {
		data, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(&s, "(%s: %v)\n", f, err)
		}
		s.Write(data)
	}
	return s.String()
}
