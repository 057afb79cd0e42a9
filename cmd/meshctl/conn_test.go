package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

const (
	testAgent = usp.EndpointID("os::012345-AP0001")
	testSelf  = usp.EndpointID("proto::meshctl")
)

// notifyRecord is a Notify (Boot! event, no NotifyResp asked) from
// testAgent to testSelf.
func notifyRecord(t *testing.T) []byte {
	t.Helper()
	msg := usp.NewRequest("n1", &uspmsg.Request{ReqType: &uspmsg.Request_Notify{Notify: &uspmsg.Notify{
		SubscriptionId: "boot", Notification: &uspmsg.Notify_Event_{Event: &uspmsg.Notify_Event{ObjPath: "Device.", EventName: "Boot!"}}}}})
	rec, err := usp.NewRecord(testSelf, testAgent, msg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := usp.EncodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSessionReceivesBeforeListenReturns: the endpoint can hand a Record
// to its handler before coap.Listen has returned (a peer that answers
// fast, a retransmission); the session's Client must already exist.
func TestSessionReceivesBeforeListenReturns(t *testing.T) {
	ctx := context.Background()
	o := defaults()
	o.url, o.listen, o.timeout = "coap://127.0.0.1:9/usp", "127.0.0.1:0", 5*time.Second
	cc := coap.Config{Listen: o.listen, Path: o.replyPath, Role: coap.Controller, Insecure: true}
	var early error
	listen := func(ctx context.Context, cfg coap.Config, h coap.Handler) (*coap.Endpoint, error) {
		early = h(ctx, coap.Inbound{Record: notifyRecord(t)}) // NoSec: no authenticated peer
		return coap.Listen(ctx, cfg, h)
	}
	s, err := openSession(ctx, o, testAgent, testSelf, openCoAP(cc, &routes{def: o.url}, listen))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if early != nil {
		t.Fatalf("a Record received before Listen returned: %v", early)
	}
	select {
	case n := <-s.notify:
		if n.from != testAgent || n.n.GetEvent().GetEventName() != "Boot!" {
			t.Fatalf("notification %s %v", n.from, n.n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the early notification was not delivered")
	}
}

// TestSendBeforeOpen: a send before the session's MTP is open is an
// error, not a nil dereference.
func TestSendBeforeOpen(t *testing.T) {
	g := &gate{}
	if err := g.SendRecord(context.Background(), testAgent, []byte{0}); !errors.Is(err, errNotListening) {
		t.Fatalf("send before the MTP is open: %v", err)
	}
}
