package usp_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/usp"
)

// scopeWatcher is a slog.Handler that records every log record and fails
// on any scope added to it (With, WithGroup): the caller scopes the
// Logger it gives a component, the component does not add its own.
type scopeWatcher struct {
	t  *testing.T
	mu *sync.Mutex
	n  *int
}

func (h scopeWatcher) Enabled(context.Context, slog.Level) bool { return true }

func (h scopeWatcher) Handle(context.Context, slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.n++
	return nil
}

func (h scopeWatcher) WithAttrs(as []slog.Attr) slog.Handler {
	h.t.Errorf("a usp component scoped its logger: With(%v)", as)
	return h
}

func (h scopeWatcher) WithGroup(g string) slog.Handler {
	h.t.Errorf("a usp component scoped its logger: WithGroup(%q)", g)
	return h
}

// TestComponentsUseTheLoggerAsGiven: Agent, Notifier and Client log
// through the Logger of their Config without adding scopes of their own.
func TestComponentsUseTheLoggerAsGiven(t *testing.T) {
	var mu sync.Mutex
	n := 0
	log := slog.New(scopeWatcher{t: t, mu: &mu, n: &n})
	h := newHarness(t)
	ctx := context.Background()
	net := newMemNet()
	nt, err := usp.NewNotifier(ctx, usp.NotifierConfig{Agent: agentID, Model: h.m, Transport: net.as(agentID),
		Clock: clock.NewFake(harnessClock), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nt.Close)
	a, err := usp.NewAgent(usp.AgentConfig{EndpointID: agentID, Model: h.m, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	c, err := usp.NewClient(usp.ClientConfig{EndpointID: ctrlID, Transport: net.as(ctrlID), Timeout: time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	// Records each of them ignores with a debug log.
	other := recordOf(t, "os::012345-OTHER", ctrlID, usp.NewRequest("x", get([]string{"Device."}, 0)))
	if out, err := a.HandleRecord(ctx, ctrlID, other); err != nil || out != nil {
		t.Fatalf("agent: %v %v", out, err)
	}
	if err := c.HandleRecord(ctx, agentID, other); err != nil {
		t.Fatalf("client: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n == 0 {
		t.Fatal("nothing was logged through the given Logger")
	}
}
