package coap

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/plgd-dev/go-coap/v3/message"
)

// meshKey is the PSK every test endpoint shares.
var meshKey = []byte("0123456789abcdef")

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkLeaks registers a cleanup, run after every later cleanup, that
// waits (bounded) for the goroutine count to return to its start value.
func checkLeaks(t testing.TB) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutine leak: %d running, %d at start\n%s", runtime.NumGoroutine(), base, buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// sink is a Handler that queues what it receives.
type sink struct {
	ch  chan Inbound
	err error
}

func newSink() *sink { return &sink{ch: make(chan Inbound, 1024)} }

func (s *sink) handle(_ context.Context, in Inbound) error {
	if s.err != nil {
		return s.err
	}
	s.ch <- in
	return nil
}

func (s *sink) next(t testing.TB) Inbound {
	t.Helper()
	select {
	case in := <-s.ch:
		return in
	case <-time.After(10 * time.Second):
		t.Fatal("no record received")
		return Inbound{}
	}
}

func (s *sink) empty(t testing.TB) {
	t.Helper()
	select {
	case in := <-s.ch:
		t.Fatalf("unexpected record from %q", in.Peer)
	default:
	}
}

// listen starts an endpoint closed at the end of the test.
func listen(t testing.TB, cfg Config, h Handler) *Endpoint {
	t.Helper()
	e, err := Listen(context.Background(), cfg, h)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func pskConfig(identity string, key []byte) Config {
	c := TestConfig()
	c.PSK = &PSK{Identity: identity, Key: func(string) ([]byte, error) { return key, nil }}
	return c
}

func certConfig(t testing.TB, ca *CA, roots *CA, id string) Config {
	t.Helper()
	cert, err := ca.Issue(id)
	if err != nil {
		t.Fatal(err)
	}
	c := TestConfig()
	c.Cert = &CertConfig{Certificate: cert, Roots: roots.Pool()}
	return c
}

func nosecConfig() Config {
	c := TestConfig()
	c.Insecure = true
	return c
}

func newCA(t testing.TB, name string) *CA {
	t.Helper()
	ca, err := NewCA(name, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// rawClient speaks hand-built CoAP to a NoSec endpoint from its own socket.
type rawClient struct {
	t    testing.TB
	conn *net.UDPConn
	mid  uint16
}

func dialRaw(t testing.TB, to net.Addr) *rawClient {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, to.(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &rawClient{t: t, conn: conn, mid: 100}
}

func (c *rawClient) replyTo() string {
	return "coap://" + c.conn.LocalAddr().String() + "/ctrl"
}

// send writes raw bytes.
func (c *rawClient) send(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one message, or returns false after wait.
func (c *rawClient) recv(wait time.Duration) (message.Message, bool) {
	c.t.Helper()
	buf := make([]byte, maxDatagram)
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := c.conn.Read(buf)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return message.Message{}, false
		}
		c.t.Fatal(err)
	}
	var m message.Message
	if err := decodeMessage(buf[:n], &m); err != nil {
		c.t.Fatalf("bad answer % x: %v", buf[:n], err)
	}
	return m, true
}

// do sends m as a CON with a fresh MID and returns the answer.
func (c *rawClient) do(m message.Message) message.Message {
	c.t.Helper()
	c.mid++
	m.MessageID, m.Type = int32(c.mid), message.Confirmable
	if m.Token == nil {
		m.Token = message.Token{1, 2, 3, 4}
	}
	b, err := encodeMessage(m, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(b)
	r, ok := c.recv(3 * time.Second)
	if !ok {
		c.t.Fatal("no answer")
	}
	if r.MessageID != m.MessageID {
		c.t.Fatalf("answer MID %d, want %d", r.MessageID, m.MessageID)
	}
	return r
}

// uspPost builds a POST /usp with the given extra options (sorted here).
func uspPost(payload []byte, opts ...message.Option) message.Message {
	all := message.Options{}
	all = all.Add(message.Option{ID: message.URIPath, Value: []byte("usp")})
	for _, o := range opts {
		all = all.Add(o)
	}
	return message.Message{Code: 2, Options: all, Payload: payload}
}

func replyToOpt(uri string) message.Option {
	return message.Option{ID: message.URIQuery, Value: []byte("reply-to=" + uri)}
}

func pathOpts(path string) []message.Option {
	var out []message.Option
	for seg := range strings.SplitSeq(path, "/") {
		out = append(out, message.Option{ID: message.URIPath, Value: []byte(seg)})
	}
	return out
}
