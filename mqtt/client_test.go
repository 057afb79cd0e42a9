package mqtt

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
)

// fastRetry keeps reconnection quick in tests.
var fastRetry = Retry{MinWait: 20 * time.Millisecond, Multiplier: 2000, MaxInterval: 200 * time.Millisecond}

// testLogger logs to the test's output (and to recs when not nil).
func testLogger(t *testing.T, recs *records) *slog.Logger {
	h := slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})
	if recs == nil {
		return slog.New(h)
	}
	return slog.New(fanout{h, recs})
}

type fanout []slog.Handler

func (f fanout) Enabled(context.Context, slog.Level) bool { return true }
func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f {
		_ = h.Handle(ctx, r.Clone())
	}
	return nil
}
func (f fanout) WithAttrs(a []slog.Attr) slog.Handler {
	var g fanout
	for _, h := range f {
		g = append(g, h.WithAttrs(a))
	}
	return g
}
func (f fanout) WithGroup(n string) slog.Handler {
	var g fanout
	for _, h := range f {
		g = append(g, h.WithGroup(n))
	}
	return g
}

// dial starts a Client and closes it at the end of the test.
func dialTest(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t, nil)
	}
	if cfg.Retry == (Retry{}) {
		cfg.Retry = fastRetry
	}
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func waitUp(t *testing.T, b *mqtttest.Broker, cs ...*Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, c := range cs {
		if err := c.WaitUp(ctx); err != nil {
			t.Fatalf("WaitUp: %v (status %s, last error %v)\nbroker log:\n%s", err, c.Status(), c.Stats().LastError, b.Log())
		}
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("after %v: still not %s", d, what)
		case <-tick.C:
		}
	}
}

// recv waits for one message on ch.
func recv(t *testing.T, ch <-chan Message, what string) Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s within 5 s", what)
		return Message{}
	}
}

func sink(ch chan<- Message) func(context.Context, Message) {
	return func(_ context.Context, m Message) {
		select {
		case ch <- m:
		default:
		}
	}
}

func binaryRecord(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i/256)
	}
	return p
}

// agentAndController sets up the USP request/response pattern: the agent
// on usp/agent/a answers every message to its Response Topic, prefixed
// with "re:", and the controller on usp/ctl/b forwards what it gets to ch.
func agentAndController(t *testing.T, addr string, agentIn, ctlIn chan Message, edit func(agent, ctl *Config)) (agent, ctl *Client) {
	t.Helper()
	agentCfg := Config{Broker: addr, ClientID: "agent-a", EndpointID: "proto::agent-a", Topics: []string{"usp/agent/a"}, RequestResponseInfo: true}
	ctlCfg := Config{Broker: addr, Topics: []string{"usp/ctl/b"}, Handler: sink(ctlIn)}
	if edit != nil {
		edit(&agentCfg, &ctlCfg)
	}
	var self atomic.Pointer[Client] // the Handler may run before dialTest returns
	agentCfg.Handler = func(ctx context.Context, m Message) {
		sink(agentIn)(ctx, m)
		err := self.Load().Publish(ctx, m.ResponseTopic, append([]byte("re:"), m.Payload...), "usp/agent/a")
		if err != nil && ctx.Err() == nil { // the test may end, closing the agent, before the PUBACK
			t.Errorf("agent answer: %v", err)
		}
	}
	agent = dialTest(t, agentCfg)
	self.Store(agent)
	ctl = dialTest(t, ctlCfg)
	return agent, ctl
}

func TestRequestResponse(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	agentIn, ctlIn := make(chan Message, 4), make(chan Message, 4)
	agent, ctl := agentAndController(t, b.Addr(), agentIn, ctlIn, nil)
	waitUp(t, b, agent, ctl)

	rec := binaryRecord(3000)
	if err := ctl.Publish(t.Context(), "usp/agent/a", rec, "usp/ctl/b"); err != nil {
		t.Fatal(err)
	}
	got := recv(t, agentIn, "request at the agent")
	if got.Topic != "usp/agent/a" || got.ResponseTopic != "usp/ctl/b" || got.ContentType != ContentType || !bytes.Equal(got.Payload, rec) {
		t.Errorf("agent got topic %q response topic %q content type %q, %d bytes (equal %v)",
			got.Topic, got.ResponseTopic, got.ContentType, len(got.Payload), bytes.Equal(got.Payload, rec))
	}
	ans := recv(t, ctlIn, "answer at the controller")
	if ans.Topic != "usp/ctl/b" || ans.ResponseTopic != "usp/agent/a" || ans.ContentType != ContentType || !bytes.Equal(ans.Payload, append([]byte("re:"), rec...)) {
		t.Errorf("controller got %q %q %q, %d bytes", ans.Topic, ans.ResponseTopic, ans.ContentType, len(ans.Payload))
	}

	if s := agent.Status(); s != StatusConnected {
		t.Errorf("agent status %s", s)
	}
	as, _ := agent.Session()
	cs, ok := ctl.Session()
	if !ok || as.ClientID != "agent-a" || as.AssignedClientID != "" || cs.AssignedClientID == "" || cs.ClientID != cs.AssignedClientID {
		t.Errorf("sessions: agent %+v, controller %+v", as, cs)
	}
	if len(as.Subscribed) != 1 || as.Subscribed[0] != "usp/agent/a" {
		t.Errorf("agent subscribed %q", as.Subscribed)
	}
	st := ctl.Stats()
	if st.Connects != 1 || st.MessagesSent != 1 || st.MessagesReceived != 1 || st.BytesSent < uint64(len(rec)) || st.BytesReceived < uint64(len(rec)) {
		t.Errorf("controller stats %+v", st)
	}
}

func TestPublishNotConnected(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nobody listens there now
	c := dialTest(t, Config{Broker: addr, Topics: []string{"x"}})
	waitFor(t, 5*time.Second, "Error_BrokerUnreachable", func() bool { return c.Status() == StatusErrorBrokerUnreachable })
	err = c.Publish(t.Context(), "x", []byte("r"), "y")
	if !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Publish while down = %v, want ErrNotConnected", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if s := c.Status(); s != StatusDisabled {
		t.Errorf("status after Close %s", s)
	}
	if err := c.Publish(t.Context(), "x", []byte("r"), "y"); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close = %v", err)
	}
	if err := c.WaitUp(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitUp after Close = %v", err)
	}
}

func TestTLS(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{TLS: true})
	good := dialTest(t, Config{Broker: b.TLSAddr(), TLS: &tls.Config{RootCAs: b.CAPool()}, Topics: []string{"usp/agent/tls"}})
	waitUp(t, b, good)

	// A client trusting another CA: Error_Misconfigured, logged once for
	// the whole streak of failed attempts.
	otherCA, _, _, err := mqtttest.NewCA(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(otherCA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	var recs records
	bad := dialTest(t, Config{Broker: b.TLSAddr(), TLS: &tls.Config{RootCAs: pool}, Topics: []string{"x"}, Logger: testLogger(t, &recs)})
	waitFor(t, 5*time.Second, "three failed attempts", func() bool { return recs.count("mqtt: connect failed", nil) >= 3 })
	if s := bad.Status(); s != StatusErrorMisconfigured {
		t.Errorf("status %s, want %s", s, StatusErrorMisconfigured)
	}
	var unknown x509.UnknownAuthorityError
	if err := bad.Stats().LastError; !errors.As(err, &unknown) {
		t.Errorf("last error %v, want an unknown authority", err)
	}
	warn := slog.LevelWarn
	if n := recs.count("mqtt: connect failed", &warn); n != 1 {
		t.Errorf("%d warnings for one streak of TLS failures, want 1", n)
	}
	if err := bad.Close(); err != nil {
		t.Fatal(err)
	}
	if err := good.Publish(t.Context(), "usp/agent/tls", []byte("still fine"), "r"); err != nil {
		t.Errorf("good client after the bad one: %v", err)
	}
}

func TestTLSClientCertificate(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{TLS: true, RequireClientCert: true})
	in := make(chan Message, 1)
	with := dialTest(t, Config{Broker: b.TLSAddr(), TLS: b.ClientTLS("proto::agent-cert"), Topics: []string{"usp/agent/cert"}, Handler: sink(in)})
	waitUp(t, b, with)
	if err := with.Publish(t.Context(), "usp/agent/cert", []byte("rec"), "usp/agent/cert"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, in, "message over mutual TLS"); string(m.Payload) != "rec" {
		t.Errorf("got %q", m.Payload)
	}

	without := dialTest(t, Config{Broker: b.TLSAddr(), TLS: &tls.Config{RootCAs: b.CAPool()}, Topics: []string{"x"}})
	waitFor(t, 5*time.Second, "a failed attempt", func() bool { return without.Stats().LastError != nil })
	// TLS 1.3 completes the handshake before the broker checks the
	// certificate: its refusal arrives as an alert or a reset during
	// CONNECT, so the status is Error (reached, but the session failed)
	// or Error_Misconfigured (the alert was read).
	if s := without.Status(); s != StatusError && s != StatusErrorMisconfigured {
		t.Errorf("status without a client certificate %s (last error %v), want Error or Error_Misconfigured", s, without.Stats().LastError)
	}
}

func TestReconnectAfterBrokerRestart(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	agentIn, ctlIn := make(chan Message, 4), make(chan Message, 4)
	var agentUps, ctlUps atomic.Int32
	agent, ctl := agentAndController(t, b.Addr(), agentIn, ctlIn, func(a, c *Config) {
		a.OnUp = func(context.Context, Session) { agentUps.Add(1) }
		c.OnUp = func(ctx context.Context, s Session) {
			ctlUps.Add(1)
			// OnUp may publish (an MQTTConnectRecord, say).
			if err := s.Publish(ctx, "usp/ctl/b", []byte("hello"), "usp/ctl/b"); err != nil {
				t.Errorf("publish from OnUp: %v", err)
			}
		}
	})
	waitUp(t, b, agent, ctl)
	if m := recv(t, ctlIn, "OnUp's publish"); string(m.Payload) != "hello" {
		t.Fatalf("got %q", m.Payload)
	}

	b.Restart(t)
	waitFor(t, 10*time.Second, "both clients up again", func() bool { return agentUps.Load() == 2 && ctlUps.Load() == 2 })
	if m := recv(t, ctlIn, "OnUp's publish after the restart"); string(m.Payload) != "hello" {
		t.Fatalf("got %q", m.Payload)
	}
	if err := ctl.Publish(t.Context(), "usp/agent/a", []byte("after restart"), "usp/ctl/b"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, agentIn, "request after the restart"); string(m.Payload) != "after restart" {
		t.Errorf("agent got %q", m.Payload)
	}
	if m := recv(t, ctlIn, "answer after the restart"); string(m.Payload) != "re:after restart" {
		t.Errorf("controller got %q", m.Payload)
	}
	if st := agent.Stats(); st.Connects != 2 || st.LastError == nil {
		t.Errorf("agent stats %+v, want 2 connects and the loss as last error", st)
	}
	if s := agent.Status(); s != StatusConnected {
		t.Errorf("agent status %s", s)
	}
}

func TestOversizedDropped(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	in := make(chan Message, 4)
	var recs records
	rx := dialTest(t, Config{Broker: b.Addr(), Topics: []string{"usp/agent/small"}, MaxPayload: 1024, Handler: sink(in), Logger: testLogger(t, &recs)})
	tx := dialTest(t, Config{Broker: b.Addr(), Topics: []string{"usp/ctl/tx"}})
	waitUp(t, b, rx, tx)

	if err := tx.Publish(t.Context(), "usp/agent/small", binaryRecord(4096), "usp/ctl/tx"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Publish(t.Context(), "usp/agent/small", binaryRecord(1024), "usp/ctl/tx"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, in, "the normal message"); !bytes.Equal(m.Payload, binaryRecord(1024)) {
		t.Errorf("first message handled has %d bytes, want the 1024-byte one", len(m.Payload))
	}
	if st := rx.Stats(); st.Dropped != 1 || st.MessagesReceived != 2 {
		t.Errorf("stats %+v, want 1 dropped of 2", st)
	}
	if n := recs.count("mqtt: inbound PUBLISH dropped", nil); n != 1 {
		t.Errorf("%d drop log lines, want 1", n)
	}
	if s := rx.Status(); s != StatusConnected {
		t.Errorf("status %s after an oversized message", s)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	before := runtime.NumGoroutine()
	in := make(chan Message, 1)
	c, err := Dial(context.Background(), Config{Broker: b.Addr(), Topics: []string{"usp/agent/close"}, Handler: sink(in), Retry: fastRetry, Logger: testLogger(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	waitUp(t, b, c)
	if err := c.Publish(t.Context(), "usp/agent/close", []byte("x"), "usp/agent/close"); err != nil {
		t.Fatal(err)
	}
	recv(t, in, "own message")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Close()
		_ = c.Close()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := c.Close(); err != nil {
		t.Errorf("third Close: %v", err)
	}
	waitFor(t, 5*time.Second, "back to the goroutines from before Dial", func() bool { return runtime.NumGoroutine() <= before })
	if s := c.Status(); s != StatusDisabled {
		t.Errorf("status %s", s)
	}
}

func TestCancelledContextStopsClient(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Dial(ctx, Config{Broker: b.Addr(), Topics: []string{"x"}, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	waitUp(t, b, c)
	cancel()
	waitFor(t, 5*time.Second, "Disabled", func() bool { return c.Status() == StatusDisabled })
	_ = c.Close()
}
