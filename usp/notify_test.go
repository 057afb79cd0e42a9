package usp_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// notifyEnv is an Agent with a Notifier and a Controller Client, joined by
// an in-memory network, on a fake clock.
type notifyEnv struct {
	*harness
	agent  *usp.Agent
	nt     *usp.Notifier
	client *usp.Client
	net    *memNet
	clock  *clock.Fake
	got    chan *uspmsg.Notify
}

func newNotifyEnv(t *testing.T) *notifyEnv { return newNotifyEnvWith(t, nil) }

// newNotifyEnvWith is newNotifyEnv with the Notifier's config adjusted by
// opt.
func newNotifyEnvWith(t *testing.T, opt func(*usp.NotifierConfig)) *notifyEnv {
	t.Helper()
	h := newHarness(t)
	e := &notifyEnv{harness: h, net: newMemNet(), clock: clock.NewFake(harnessClock), got: make(chan *uspmsg.Notify, 64)}
	var err error
	nc := usp.NotifierConfig{Agent: agentID, Model: h.m, Transport: e.net.as(agentID),
		Clock: e.clock, Rand: func() float64 { return 0.5 }}
	if opt != nil {
		opt(&nc)
	}
	e.nt, err = usp.NewNotifier(context.Background(), nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.nt.Close)
	e.agent, err = usp.NewAgent(usp.AgentConfig{EndpointID: agentID, Model: h.m, Controllers: usp.ControllerTable(h.m), Responses: e.nt.HandleResponse})
	if err != nil {
		t.Fatal(err)
	}
	e.agent.OnOperationComplete(e.nt.OperationComplete)
	e.client, err = usp.NewClient(usp.ClientConfig{EndpointID: ctrlID, Transport: e.net.as(ctrlID), Timeout: 5 * time.Second,
		OnNotify: func(from usp.EndpointID, n *uspmsg.Notify) { e.got <- n }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.client.Close)
	e.net.attachAgent(e.agent)
	e.net.attachClient(e.client)
	return e
}

func (e *notifyEnv) subscribe(s usp.Subscription) (string, string) {
	e.t.Helper()
	row, id, err := e.client.Subscribe(context.Background(), agentID, s)
	if err != nil {
		e.t.Fatalf("subscribe: %v", err)
	}
	return row, id
}

func (e *notifyEnv) set(obj, param, v string) {
	e.t.Helper()
	_, err := e.client.Set(context.Background(), agentID, false, upd(obj, param+"!", v))
	if err != nil {
		e.t.Fatalf("set %s%s: %v", obj, param, err)
	}
}

// retryArmed waits (bounded) until a retry timer is armed.
func (e *notifyEnv) retryArmed() {
	e.t.Helper()
	if !e.clock.WaitTimers(1, 5*time.Second) {
		e.t.Fatal("no retry scheduled within 5 s")
	}
}

// next waits (bounded) for the next notification.
func (e *notifyEnv) next() *uspmsg.Notify {
	e.t.Helper()
	select {
	case n := <-e.got:
		return n
	case <-time.After(5 * time.Second):
		e.t.Fatal("no notification within 5 s")
		return nil
	}
}

// none checks that no notification arrives within a short bounded wait.
func (e *notifyEnv) none() {
	e.t.Helper()
	select {
	case n := <-e.got:
		e.t.Fatalf("unexpected notification %v", n)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestTP1_52_53ValueChange(t *testing.T) {
	e := newNotifyEnv(t)
	row, id := e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.LocalAgent.Controller.1.ProvisioningCode"}})
	e.set("Device.LocalAgent.Controller.1.", "ProvisioningCode", "pc-1")
	n := e.next()
	vc := n.GetValueChange()
	if n.GetSubscriptionId() != id || n.GetSendResp() || vc.GetParamPath() != "Device.LocalAgent.Controller.1.ProvisioningCode" || vc.GetParamValue() != "pc-1" {
		t.Fatalf("notify %v", n)
	}
	e.set("Device.LocalAgent.Controller.1.", "ProvisioningCode", "pc-1") // unchanged: no notify
	e.none()
	if _, err := e.client.Delete(context.Background(), agentID, false, row); err != nil {
		t.Fatal(err)
	}
	e.set("Device.LocalAgent.Controller.1.", "ProvisioningCode", "pc-2")
	e.none()
}

func TestValueChangeObjectAndSearchReferences(t *testing.T) {
	e := newNotifyEnv(t)
	e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo.", `Device.LocalAgent.Controller.[EndpointID=="` + string(ctrlID) + `"].Enable`}})
	e.set("Device.DeviceInfo.", "FriendlyName", "Kitchen")
	if n := e.next(); n.GetValueChange().GetParamPath() != "Device.DeviceInfo.FriendlyName" {
		t.Fatalf("object reference: %v", n)
	}
	e.set("Device.LocalAgent.Controller.1.", "Enable", "false")
	if n := e.next(); n.GetValueChange().GetParamPath() != "Device.LocalAgent.Controller.1.Enable" || n.GetValueChange().GetParamValue() != "false" {
		t.Fatalf("search reference: %v", n)
	}
	e.set("Device.Time.", "LocalTimeZone", "CET-1")
	e.none()
}

func TestTP1_54RetryIntervals(t *testing.T) {
	e := newNotifyEnv(t)
	// The Controller's NotifyResp never reaches the Agent.
	e.net.drop = func(from, to usp.EndpointID, b []byte) bool {
		return from == ctrlID && strings.Contains(string(b), "notify-")
	}
	e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo.FriendlyName"}, Retry: true})
	e.set("Device.DeviceInfo.", "FriendlyName", "x")
	first := e.next()
	if !first.GetSendResp() {
		t.Fatalf("NotifRetry gives send_resp: %v", first)
	}
	// With jitter 0.5, retry n waits the middle of [5·2^(n−1), 5·2^n] s:
	// 7.5 s (5–10), 15 s (10–20), 30 s (20–40), 60 s (40–80).
	for _, want := range []time.Duration{7500 * time.Millisecond, 15 * time.Second, 30 * time.Second, time.Minute} {
		e.retryArmed()
		// The retry is due exactly want after the send, not a
		// millisecond before.
		e.clock.Advance(want - time.Millisecond)
		if n := e.clock.Timers(); n != 1 {
			t.Fatalf("retry fired before %v", want)
		}
		e.clock.Advance(time.Millisecond)
		if n := e.next(); n.GetValueChange().GetParamValue() != "x" || n.GetSubscriptionId() != first.GetSubscriptionId() {
			t.Fatalf("retry %v", n)
		}
	}
	// Once answered, retries stop.
	e.net.drop = nil
	e.retryArmed()
	e.clock.Advance(2 * time.Minute)
	e.next()
	waitFor(t, func() bool { return e.clock.Timers() == 0 })
	e.clock.Advance(time.Hour)
	e.none()
}

func TestTP1_56NotifExpiration(t *testing.T) {
	e := newNotifyEnv(t)
	e.net.drop = func(from, to usp.EndpointID, b []byte) bool {
		return from == ctrlID && strings.Contains(string(b), "notify-")
	}
	row, _ := e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo.FriendlyName"}, Retry: true})
	e.set(row, "NotifExpiration", "20")
	e.set("Device.DeviceInfo.", "FriendlyName", "x")
	e.next()
	e.retryArmed()
	e.clock.Advance(8 * time.Second) // retry 1 at 7.5 s
	e.next()
	waitFor(t, func() bool { return e.clock.Timers() == 0 }) // the next (at 22.5 s) is past 20 s: none
	e.clock.Advance(time.Hour)
	e.none()
}

func TestTP1_55TimeToLive(t *testing.T) {
	e := newNotifyEnv(t)
	row, _ := e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo."}, TimeToLive: 20})
	e.clock.Advance(19 * time.Second)
	if rows := e.rows("Device.LocalAgent.Subscription."); !reflect.DeepEqual(rows, []string{row}) {
		t.Fatalf("expired early: %v", rows)
	}
	e.clock.Advance(time.Second)
	waitFor(t, func() bool { return len(e.rows("Device.LocalAgent.Subscription.")) == 0 })
}

func TestTP1_57_58CreationDeletion(t *testing.T) {
	e := newNotifyEnv(t)
	e.subscribe(usp.Subscription{NotifType: "ObjectCreation", ReferenceList: []string{"Device.LocalAgent.Subscription."}})
	e.subscribe(usp.Subscription{NotifType: "ObjectDeletion", ReferenceList: []string{"Device.LocalAgent.Subscription."}})
	if n := e.next(); n.GetObjCreation().GetObjPath() != "Device.LocalAgent.Subscription.2." {
		t.Fatalf("creation of the deletion subscription: %v", n)
	}
	row, id := e.subscribe(usp.Subscription{NotifType: "Event", ReferenceList: []string{"Device.Boot!"}, ID: "boot"})
	n := e.next()
	oc := n.GetObjCreation()
	if oc.GetObjPath() != row || oc.GetUniqueKeys()["ID"] != id || oc.GetUniqueKeys()["Recipient"] != "Device.LocalAgent.Controller.1" {
		t.Fatalf("creation %v", n)
	}
	if _, err := e.client.Delete(context.Background(), agentID, false, row); err != nil {
		t.Fatal(err)
	}
	if n := e.next(); n.GetObjDeletion().GetObjPath() != row {
		t.Fatalf("deletion %v", n)
	}
}

func TestEventAndOperationComplete(t *testing.T) {
	e := newNotifyEnv(t)
	e.subscribe(usp.Subscription{NotifType: "Event", ReferenceList: []string{"Device.Boot!"}, ID: "boot"})
	e.subscribe(usp.Subscription{NotifType: "OperationComplete", ReferenceList: []string{"Device.ScheduleTimer()"}, ID: "op"})
	if err := e.m.Raise(context.Background(), "Device.", "Boot", map[string]string{"Cause": "LocalReboot"}); err != nil {
		t.Fatal(err)
	}
	n := e.next()
	if n.GetSubscriptionId() != "boot" || n.GetEvent().GetEventName() != "Boot!" || n.GetEvent().GetObjPath() != "Device." || n.GetEvent().GetParams()["Cause"] != "LocalReboot" {
		t.Fatalf("event %v", n)
	}
	or, err := e.client.Operate(context.Background(), agentID, "Device.ScheduleTimer()", "key-7", map[string]string{"DelaySeconds": "1"})
	if err != nil || or.GetOperationResults()[0].GetReqObjPath() == "" {
		t.Fatalf("operate %v %v", or, err)
	}
	<-e.timers
	e.fire <- time.Time{}
	n = e.next()
	c := n.GetOperComplete()
	if n.GetSubscriptionId() != "op" || c.GetObjPath() != "Device." || c.GetCommandName() != "ScheduleTimer()" || c.GetCommandKey() != "key-7" || c.GetReqOutputArgs() == nil {
		t.Fatalf("oper_complete %v", n)
	}
}

func TestControllerDeletionDropsItsSubscriptions(t *testing.T) {
	e := newNotifyEnv(t)
	e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo."}})
	e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.Time."}})
	// Controller 2 deletes Controller 1: its subscriptions go too (TP 1.78).
	r := e.send(ctrl2ID, del(false, "Device.LocalAgent.Controller.1."))
	if r.GetBody().GetResponse().GetDeleteResp() == nil {
		t.Fatalf("delete controller: %v", r)
	}
	waitFor(t, func() bool { return len(e.rows("Device.LocalAgent.Subscription.")) == 0 })
}

func TestVolatileSubscriptionsDroppedAtStart(t *testing.T) {
	e := newNotifyEnv(t)
	e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo."}, Persistent: true})
	e.subscribe(usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.Time."}})
	// A restarted Agent's Notifier keeps only the persistent one.
	nt2, err := usp.NewNotifier(context.Background(), usp.NotifierConfig{Agent: agentID, Model: e.m, Transport: e.net.as(agentID), Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer nt2.Close()
	if rows := e.rows("Device.LocalAgent.Subscription."); !reflect.DeepEqual(rows, []string{"Device.LocalAgent.Subscription.1."}) {
		t.Fatalf("rows after restart %v", rows)
	}
}

func TestClientErrors(t *testing.T) {
	e := newNotifyEnv(t)
	_, err := e.client.Set(context.Background(), agentID, false, upd("Device.DeviceInfo.", "Manufacturer!", "x"))
	re, ok := err.(*usp.ResponseError)
	if !ok || re.Code != usp.ErrInvalidArguments || len(re.ParamErrs) != 1 || re.ParamErrs[0].Path != "Device.DeviceInfo.Manufacturer" || re.ParamErrs[0].Code != usp.ErrNotWritable {
		t.Fatalf("error %#v", err)
	}
	// No answer: the request times out, bounded by its context.
	e.net.drop = func(from, to usp.EndpointID, b []byte) bool { return to == agentID }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := e.client.Get(ctx, agentID, 0, "Device.DeviceInfo."); err == nil || !strings.Contains(err.Error(), "no response") {
		t.Fatalf("timeout: %v", err)
	}
}

// waitFor polls cond until it holds, failing after 5 s.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
