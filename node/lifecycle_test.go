package node

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// TestCloseCancelsRunningCommands: a one-hour ScheduleTimer does not hold
// Close; the command ends cancelled (OperationComplete with 7023 reaches
// its subscriber before the node goes) and its Request row is gone.
func TestCloseCancelsRunningCommands(t *testing.T) {
	n := startNode(t, baseConfig(t), Deps{})
	c := dialNode(t, n, testCtl, testPSK)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.client.Subscribe(ctx, c.agent, usp.Subscription{NotifType: "OperationComplete",
		ReferenceList: []string{"Device.ScheduleTimer()"}}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.client.Operate(ctx, c.agent, "Device.ScheduleTimer()", "one-hour", map[string]string{"DelaySeconds": "3600"})
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.GetOperationResults()[0].GetReqObjPath(); !strings.HasPrefix(p, "Device.LocalAgent.Request.") {
		t.Fatalf("ScheduleTimer answered %v, want a request path", resp)
	}
	if got := rows(t, n, "Device.LocalAgent.Request."); got != 1 {
		t.Fatalf("%d Request rows while the timer runs, want 1", got)
	}
	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(commandGrace + 5*time.Second):
		t.Fatal("Close still waits for a one-hour ScheduleTimer")
	}
	select {
	case nt := <-c.notes:
		oc := nt.GetOperComplete()
		if oc.GetCommandKey() != "one-hour" || usp.ErrorCode(oc.GetCmdFailure().GetErrCode()) != usp.ErrCommandCanceled {
			t.Fatalf("OperationComplete %v, want one-hour failed with 7023", nt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no OperationComplete for the cancelled command")
	}
	if got := rows(t, n, "Device.LocalAgent.Request."); got != 0 {
		t.Fatalf("%d Request rows after Close, want 0", got)
	}
}

// gatedEndpoint wraps the Agent's endpoint: the first Send waits at the
// gate; every Send and Close is logged in order.
type gatedEndpoint struct {
	Endpoint
	sending chan struct{}
	gate    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	events  []string
}

func (g *gatedEndpoint) log(ev string) {
	g.mu.Lock()
	g.events = append(g.events, ev)
	g.mu.Unlock()
}

func (g *gatedEndpoint) Send(ctx context.Context, to string, rec []byte) error {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.sending)
		<-g.gate
		if ctx.Err() != nil {
			g.log("send with a cancelled context")
			return ctx.Err()
		}
	}
	err := g.Endpoint.Send(ctx, to, rec)
	g.log("send")
	return err
}

func (g *gatedEndpoint) Close() error {
	g.log("close")
	return g.Endpoint.Close()
}

// TestCloseAnswersRecordsInProgress: Close stops the intake, lets the
// workers finish what they hold (their answers still go out) and closes
// the endpoint only then.
func TestCloseAnswersRecordsInProgress(t *testing.T) {
	g := &gatedEndpoint{sending: make(chan struct{}), gate: make(chan struct{})}
	listen := func(ctx context.Context, cfg coap.Config, h coap.Handler) (Endpoint, error) {
		ep, err := coap.Listen(ctx, cfg, h)
		if err != nil {
			return nil, err
		}
		g.Endpoint = ep
		return g, nil
	}
	n := startNode(t, baseConfig(t), Deps{Listen: listen})
	c := dialNode(t, n, testCtl, testPSK)
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := c.client.Get(ctx, c.agent, 0, "Device.DeviceInfo.SerialNumber")
		got <- err
	}()
	select {
	case <-g.sending:
	case <-time.After(10 * time.Second):
		t.Fatal("the Get was never answered")
	}
	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	waitFor(t, 5*time.Second, "the intake to stop", func() bool {
		n.intake.mu.RLock()
		defer n.intake.mu.RUnlock()
		return n.intake.stopped
	})
	close(g.gate)
	if err := <-got; err != nil {
		t.Fatalf("the Get in progress at Close was not answered: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.events) < 2 || g.events[0] != "send" || g.events[len(g.events)-1] != "close" {
		t.Fatalf("endpoint events %q: want the answer sent, then the endpoint closed", g.events)
	}
}

// TestIntakeRefusesAfterStop: a Record that arrives after the intake
// stopped is refused (its sender hears 4.00) rather than lost or sent to
// a closed queue.
func TestIntakeRefusesAfterStop(t *testing.T) {
	var handled int
	in := intake{handle: func(context.Context, inbound) { handled++ }}
	in.start(context.Background(), 2)
	rec, err := usp.NewRecord("proto::agent", "proto::ctl", usp.NewRequest("1", &uspmsg.Request{ReqType: &uspmsg.Request_Get{
		Get: &uspmsg.Get{ParamPaths: []string{"Device."}}}}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := usp.EncodeRecord(rec)
	if err := in.offer(b, inbound{mtp: mtpCoAP}); err != nil {
		t.Fatal(err)
	}
	if err := in.offer([]byte("garbage"), inbound{mtp: mtpCoAP}); err == nil {
		t.Fatal("an undecodable Record was queued")
	}
	in.stop()
	if handled != 1 {
		t.Fatalf("handled %d Records before stop returned, want 1", handled)
	}
	if err := in.offer(b, inbound{mtp: mtpCoAP}); !errors.Is(err, errClosing) {
		t.Fatalf("accept after stop: %v, want errClosing", err)
	}
	in.stop() // idempotent
}

// TestCloseIdempotent: Close twice, and Close of a node whose start
// failed half-way, are safe.
func TestCloseIdempotent(t *testing.T) {
	n := startNode(t, baseConfig(t), Deps{})
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	cfg := baseConfig(t)
	cfg.Listen = "256.0.0.1:1" // the endpoint cannot listen: New fails after the model was built
	_, err := New(context.Background(), cfg, Deps{Logger: testLogger(t)})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "listen" {
		t.Fatalf("New with a bad listen address: %v, want a ConfigError naming listen", err)
	}
}

// TestURLIsReachable: a node listening on every address names one a peer
// can use in its URL (it printed coaps://[::]:port before).
func TestURLIsReachable(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Listen = ":0"
	n := startNode(t, cfg, Deps{})
	u, err := url.Parse(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	a, err := netip.ParseAddr(u.Hostname())
	if err != nil || a.IsUnspecified() || u.Port() == "" || u.Port() == "0" {
		t.Fatalf("URL %s names no reachable address", n.URL())
	}
}
