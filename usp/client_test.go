package usp_test

import (
	"context"
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
// SendRecord blocks until hold is closed or its context ends.
type wireTransport struct {
	t    *testing.T
	out  chan sent
	hold chan struct{}
}

func newWireTransport(t *testing.T) *wireTransport {
	return &wireTransport{t: t, out: make(chan sent, 16)}
}

func (w *wireTransport) SendRecord(ctx context.Context, to usp.EndpointID, b []byte) error {
	if w.hold != nil {
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
	c, err := usp.NewClient(usp.ClientConfig{EndpointID: ctrlID, Transport: w, Timeout: 5 * time.Second, OnNotify: onNotify})
	if err != nil {
		t.Fatal(err)
	}
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
