package usp_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/proto/usprecord"
	"github.com/uspmesh/uspmesh/usp"
)

// TestNotifierResume: notifications waiting for their retry (the MTP was
// down) go out at once, in order, when Resume says the Controller is
// reachable again; none waits for its back-off.
func TestNotifierResume(t *testing.T) {
	e := newNotifyEnv(t)
	e.net.drop = func(from, to usp.EndpointID, b []byte) bool {
		return from == ctrlID && strings.Contains(string(b), "notify-")
	}
	e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo.FriendlyName"}, Retry: true})
	want := []string{"a", "b", "c"}
	for _, v := range want {
		e.set("Device.DeviceInfo.", "FriendlyName", v)
		if n := e.next(); n.GetValueChange().GetParamValue() != v {
			t.Fatalf("first send %v, want %s", n, v)
		}
	}
	if !e.clock.WaitTimers(3, 5e9) {
		t.Fatal("three retries not armed")
	}
	e.net.drop = nil
	e.nt.Resume(ctrlID)
	for _, v := range want {
		if n := e.next(); n.GetValueChange().GetParamValue() != v {
			t.Fatalf("resumed %v, want %s", n, v)
		}
	}
	// Answered now: no timer remains and no later retry comes.
	waitFor(t, func() bool { return e.clock.Timers() == 0 })
	e.none()
	// A Resume with nothing pending does nothing.
	e.nt.Resume(ctrlID)
	e.none()
}

// TestAgentSubscribedHook: the hook runs after a committed Add of a
// Subscription row, with the request's Controller, and not for other
// writes.
func TestAgentSubscribedHook(t *testing.T) {
	var calls atomic.Int32
	var who atomic.Value
	h := newHarness(t, func(_ *testing.T, _ *datamodel.Model, c *usp.AgentConfig) {
		c.Subscribed = func(ctx context.Context, id usp.EndpointID) {
			calls.Add(1)
			who.Store(id)
		}
	})
	h.send(ctrlID, set(false, upd("Device.DeviceInfo.", "FriendlyName", "x")))
	if calls.Load() != 0 {
		t.Fatal("hook called for a write outside the Subscription table")
	}
	r := h.send(ctrlID, add(false, create("Device.LocalAgent.Subscription.", "NotifType", "ValueChange", "ReferenceList", "Device.DeviceInfo.FriendlyName")))
	if r.GetBody().GetResponse().GetAddResp() == nil {
		t.Fatalf("add: %v", r)
	}
	if calls.Load() != 1 || who.Load() != ctrlID {
		t.Fatalf("hook calls %d from %v, want 1 from %s", calls.Load(), who.Load(), ctrlID)
	}
}

// TestConnectRecords: an Agent takes MTP connect records quietly (no
// answer, no error), and a Client hands them to OnConnect.
func TestConnectRecords(t *testing.T) {
	h := newHarness(t)
	b, err := usp.EncodeRecord(usp.NewWebSocketConnect(agentID, ctrlID))
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := h.a.HandleRecord(context.Background(), "", b); rec != nil || err != nil {
		t.Fatalf("agent answered a connect record: %v, %v", rec, err)
	}
	got := make(chan string, 1)
	c, err := usp.NewClient(usp.ClientConfig{EndpointID: ctrlID, Transport: newMemNet().as(ctrlID),
		OnConnect: func(from usp.EndpointID, rec *usprecord.Record) { got <- rec.GetMqttConnect().GetSubscribedTopic() }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ = usp.EncodeRecord(usp.NewMQTTConnect(ctrlID, agentID, "usp/agent/x"))
	if err := c.HandleRecord(context.Background(), "", b); err != nil {
		t.Fatal(err)
	}
	if topic := <-got; topic != "usp/agent/x" {
		t.Fatalf("OnConnect topic %q", topic)
	}
}

// gatedTransport holds every send until the gate opens.
type gatedTransport struct {
	next usp.Transport
	gate chan struct{}
}

func (g gatedTransport) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	<-g.gate
	return g.next.SendRecord(ctx, to, rec)
}

// TestNotifierHoldsRetryOnFullQueue: NotifRetry notifications that find
// their recipient's queue full (a slow MTP) wait and are all delivered,
// where they used to be dropped.
func TestNotifierHoldsRetryOnFullQueue(t *testing.T) {
	gate := make(chan struct{})
	var open sync.Once
	openGate := func() { open.Do(func() { close(gate) }) }
	e := newNotifyEnvWith(t, func(c *usp.NotifierConfig) {
		c.QueueLen = 2
		c.Transport = gatedTransport{next: c.Transport, gate: gate}
	})
	t.Cleanup(openGate) // before the Notifier's Close, which waits for a held send
	e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo.FriendlyName"}, Retry: true})
	const total = 10
	for i := range total {
		e.set("Device.DeviceInfo.", "FriendlyName", fmt.Sprint("n", i))
	}
	if _, dropped := e.nt.Stats(); dropped != 0 {
		t.Fatalf("%d notifications dropped on a full queue", dropped)
	}
	openGate()
	seen := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(seen) < total && time.Now().Before(deadline) {
		select {
		case n := <-e.got:
			seen[n.GetValueChange().GetParamValue()] = true
		case <-time.After(20 * time.Millisecond):
			e.clock.Advance(time.Second) // the held ones try the queue again
		}
	}
	if len(seen) != total {
		t.Fatalf("%d of %d notifications delivered: %v", len(seen), total, seen)
	}
}
