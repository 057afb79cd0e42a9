package usp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// Endpoint IDs of the Client tests: two Agents the Controller talks to.
const (
	agentA = usp.EndpointID("os::012345-AP000A")
	agentB = usp.EndpointID("os::012345-AP000B")
)

// sent is one Record a Client sent.
type sent struct {
	to  usp.EndpointID
	msg *uspmsg.Msg
}

// wireTransport records what a Client sends; when hold is set, each
// SendRecord signals entered and then blocks until hold is closed or its
// context ends (a DTLS handshake to a peer that does not answer).
type wireTransport struct {
	t       *testing.T
	out     chan sent
	hold    chan struct{}
	entered chan struct{}
}

func newWireTransport(t *testing.T) *wireTransport {
	return &wireTransport{t: t, out: make(chan sent, 16), entered: make(chan struct{}, 16)}
}

// held makes every SendRecord block until the returned func is called
// (at the latest when the test ends).
func (w *wireTransport) held() (release func()) {
	w.hold = make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(w.hold) }) }
	w.t.Cleanup(release)
	return release
}

func (w *wireTransport) SendRecord(ctx context.Context, to usp.EndpointID, b []byte) error {
	if w.hold != nil {
		w.entered <- struct{}{}
		select {
		case <-w.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	rec, err := usp.DecodeRecord(b)
	if err != nil {
		w.t.Errorf("client sent bad bytes: %v", err)
		return err
	}
	m, err := usp.MsgFromRecord(rec)
	if err != nil {
		w.t.Errorf("client sent a bad message: %v", err)
		return err
	}
	w.out <- sent{to, m}
	return nil
}

// next waits (bounded) for the next Record the Client sends.
func (w *wireTransport) next() sent {
	w.t.Helper()
	select {
	case s := <-w.out:
		return s
	case <-time.After(5 * time.Second):
		w.t.Fatal("the client sent nothing within 5 s")
		return sent{}
	}
}

// newTestClient is a Client of ctrlID over w.
func newTestClient(t *testing.T, w *wireTransport, onNotify func(usp.EndpointID, *uspmsg.Notify)) *usp.Client {
	t.Helper()
	return newTestClientConfig(t, usp.ClientConfig{EndpointID: ctrlID, Transport: w, Timeout: 5 * time.Second, OnNotify: onNotify})
}

func newTestClientConfig(t *testing.T, cfg usp.ClientConfig) *usp.Client {
	t.Helper()
	c, err := usp.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// deliver hands the Client a Record carrying msg from Agent from, as the
// MTP does after authenticating from.
func deliver(t *testing.T, c *usp.Client, from usp.EndpointID, msg *uspmsg.Msg) error {
	t.Helper()
	return c.HandleRecord(context.Background(), from, recordOf(t, ctrlID, from, msg))
}

func serialResp(serial string) *uspmsg.Response {
	return getResp(getRR("Device.DeviceInfo.SerialNumber", 0, resolved("Device.DeviceInfo.", "SerialNumber", serial)))
}

// TestClientMatchesResponsesByAgent: a response is matched by the Agent
// it comes from as well as its msg_id, so Agent B cannot complete (by
// chance or by guessing the msg_id) a request sent to Agent A.
func TestClientMatchesResponsesByAgent(t *testing.T) {
	w := newWireTransport(t)
	c := newTestClient(t, w, nil)
	type result struct {
		r   *uspmsg.Response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := c.Do(context.Background(), agentA, get([]string{"Device.DeviceInfo.SerialNumber"}, 0))
		done <- result{r, err}
	}()
	req := w.next()
	if req.to != agentA {
		t.Fatalf("request sent to %s", req.to)
	}
	id := req.msg.GetHeader().GetMsgId()

	// B answers A's msg_id first: ignored (and B gets nothing back).
	if err := deliver(t, c, agentB, usp.NewResponse(id, serialResp("forged-by-B"))); err != nil {
		t.Fatalf("forged response: %v", err)
	}
	if err := deliver(t, c, agentB, usp.NewError(id, usp.Errorf(usp.ErrInternalError, "forged error"))); err != nil {
		t.Fatalf("forged error: %v", err)
	}
	select {
	case r := <-done:
		t.Fatalf("a response from %s completed a request to %s: %v %v", agentB, agentA, r.r, r.err)
	default:
	}
	// A's own answer completes it.
	if err := deliver(t, c, agentA, usp.NewResponse(id, serialResp("AP000A"))); err != nil {
		t.Fatalf("response: %v", err)
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Do: %v", r.err)
		}
		wantProto(t, r.r, serialResp("AP000A"))
	case <-time.After(5 * time.Second):
		t.Fatal("Agent A's response did not complete the request")
	}
}

// notified is one OnNotify call.
type notified struct {
	from usp.EndpointID
	n    *uspmsg.Notify
}

func notifyMsg(id, sub string, sendResp bool) *uspmsg.Msg {
	return usp.NewRequest(id, &uspmsg.Request{ReqType: &uspmsg.Request_Notify{Notify: &uspmsg.Notify{
		SubscriptionId: sub, SendResp: sendResp, Notification: &uspmsg.Notify_Event_{Event: &uspmsg.Notify_Event{
			ObjPath: "Device.", EventName: "Boot!"}}}}})
}

// handleBounded runs HandleRecord of msg from agentA and fails unless it
// returns within 2 s.
func handleBounded(t *testing.T, c *usp.Client, msg *uspmsg.Msg) error {
	t.Helper()
	b := recordOf(t, ctrlID, agentA, msg)
	done := make(chan error, 1)
	go func() { done <- c.HandleRecord(context.Background(), agentA, b) }()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Second):
		t.Fatal("HandleRecord blocked on the transport")
		return nil
	}
}

// TestClientHandleRecordDoesNoIO: HandleRecord runs inside the MTP's
// handler (under the CoAP peer lock), so it must not wait on the network:
// a Notify is queued, and the Client's goroutine sends the NotifyResp and
// then calls OnNotify.
func TestClientHandleRecordDoesNoIO(t *testing.T) {
	w := newWireTransport(t)
	release := w.held()
	got := make(chan notified, 4)
	c := newTestClient(t, w, func(from usp.EndpointID, n *uspmsg.Notify) { got <- notified{from, n} })

	if err := handleBounded(t, c, notifyMsg("n1", "sub-1", true)); err != nil {
		t.Fatalf("HandleRecord: %v", err)
	}
	select {
	case n := <-got:
		t.Fatalf("OnNotify before the NotifyResp was sent: %v", n)
	default:
	}
	release()
	resp := w.next()
	if resp.to != agentA || resp.msg.GetHeader().GetMsgId() != "n1" ||
		resp.msg.GetBody().GetResponse().GetNotifyResp().GetSubscriptionId() != "sub-1" {
		t.Fatalf("NotifyResp %v to %s", resp.msg, resp.to)
	}
	select {
	case n := <-got:
		if n.from != agentA || n.n.GetSubscriptionId() != "sub-1" || n.n.GetEvent().GetEventName() != "Boot!" {
			t.Fatalf("OnNotify %s %v", n.from, n.n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnNotify not called")
	}
}

// TestClientNotifyQueue: notifications are answered and delivered in
// arrival order; one that finds the queue full is refused with an error
// (the MTP answers 4.00 and the Agent retries it) and never delivered; a
// request other than Notify is answered 7001 from the queue too.
func TestClientNotifyQueue(t *testing.T) {
	w := newWireTransport(t)
	release := w.held()
	got := make(chan notified, 8)
	c := newTestClientConfig(t, usp.ClientConfig{EndpointID: ctrlID, Transport: w, Timeout: 5 * time.Second, QueueLen: 2,
		OnNotify: func(from usp.EndpointID, n *uspmsg.Notify) { got <- notified{from, n} }})

	if err := handleBounded(t, c, notifyMsg("n1", "s", true)); err != nil {
		t.Fatal(err)
	}
	select { // the goroutine took n1 and is sending its NotifyResp
	case <-w.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the NotifyResp of n1 was not sent")
	}
	if err := handleBounded(t, c, notifyMsg("n2", "s", false)); err != nil {
		t.Fatal(err)
	}
	if err := handleBounded(t, c, usp.NewRequest("g1", get([]string{"Device."}, 0))); err != nil {
		t.Fatal(err)
	}
	if err := handleBounded(t, c, notifyMsg("n3", "s", true)); err == nil {
		t.Fatal("a Notify beyond QueueLen was accepted")
	}
	release()
	for _, want := range []string{"n1", "g1"} { // n2 asks no NotifyResp
		s := w.next()
		if s.msg.GetHeader().GetMsgId() != want {
			t.Fatalf("sent %v, want the answer to %s", s.msg, want)
		}
		if want == "g1" && s.msg.GetBody().GetError().GetErrCode() != uint32(usp.ErrMessageNotSupported) {
			t.Fatalf("answer to a Get: %v", s.msg)
		}
	}
	for _, want := range []bool{true, false} {
		select {
		case n := <-got:
			if n.n.GetSendResp() != want {
				t.Fatalf("OnNotify out of order: %v", n.n)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("OnNotify not called")
		}
	}
	// n3 was refused by HandleRecord, so it never joined the queue, which
	// is now empty.
	select {
	case n := <-got:
		t.Fatalf("a refused Notify was delivered: %v", n.n)
	case s := <-w.out:
		t.Fatalf("a refused Notify was answered: %v", s.msg)
	default:
	}
}

// TestClientClose: Close ends a Do in progress and a NotifyResp stuck in
// the transport, is idempotent, and a closed Client refuses requests
// and notifications.
func TestClientClose(t *testing.T) {
	w := newWireTransport(t)
	c := newTestClient(t, w, func(usp.EndpointID, *uspmsg.Notify) { t.Error("OnNotify after Close") })
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(context.Background(), agentA, get([]string{"Device."}, 0))
		done <- err
	}()
	w.next() // the request is out; its response never comes
	w.held()
	if err := handleBounded(t, c, notifyMsg("n1", "s", true)); err != nil {
		t.Fatal(err)
	}
	<-w.entered // the NotifyResp is stuck in the transport
	closed := make(chan struct{})
	go func() {
		c.Close()
		c.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case err := <-done:
		if !errors.Is(err, usp.ErrClientClosed) {
			t.Fatalf("pending Do: %v, want ErrClientClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("pending Do did not end at Close")
	}
	if _, err := c.Do(context.Background(), agentA, get([]string{"Device."}, 0)); !errors.Is(err, usp.ErrClientClosed) {
		t.Fatalf("Do after Close: %v", err)
	}
	if err := handleBounded(t, c, notifyMsg("n2", "s", false)); !errors.Is(err, usp.ErrClientClosed) {
		t.Fatalf("Notify after Close: %v", err)
	}
}
