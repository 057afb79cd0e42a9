package rollout

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// fakeAgents answers Operate of DeployCommand as an Agent would: an
// async request, then (on its own goroutine) the OperationComplete made
// by complete, delivered through u.Notify.
type fakeAgents struct {
	u         *USP
	subErr    error
	subFails  int // transport failures of Subscribe before it works
	subs      []usp.Subscription
	args      map[string]string
	sync      map[string]string                                  // output args of a synchronous answer
	fail      *uspmsg.OperateResp_OperationResult_CommandFailure // Operate's own failure
	complete  func(key string) *uspmsg.Notify_OperationComplete  // nil: never completes
	completed chan struct{}
}

func (f *fakeAgents) Subscribe(_ context.Context, _ usp.EndpointID, s usp.Subscription) (string, string, error) {
	f.subs = append(f.subs, s)
	if f.subFails > 0 {
		f.subFails--
		return "", "", errors.New("coap: dtls handshake failed")
	}
	return "Device.LocalAgent.Subscription.1.", s.ID, f.subErr
}

func (f *fakeAgents) Operate(_ context.Context, to usp.EndpointID, cmd, key string, args map[string]string) (*uspmsg.OperateResp, error) {
	f.args = args
	res := &uspmsg.OperateResp_OperationResult{ExecutedCommand: cmd}
	switch {
	case f.fail != nil:
		res.OperationResp = &uspmsg.OperateResp_OperationResult_CmdFailure{CmdFailure: f.fail}
	case f.sync != nil:
		res.OperationResp = &uspmsg.OperateResp_OperationResult_ReqOutputArgs{ReqOutputArgs: &uspmsg.OperateResp_OperationResult_OutputArgs{OutputArgs: f.sync}}
	default:
		res.OperationResp = &uspmsg.OperateResp_OperationResult_ReqObjPath{ReqObjPath: "Device.LocalAgent.Request.1"}
		if f.complete != nil {
			go func() {
				// Another command's completion and another node's first:
				// neither ends this wait.
				f.u.Notify(to, &uspmsg.Notify{Notification: &uspmsg.Notify_OperComplete{OperComplete: &uspmsg.Notify_OperationComplete{
					CommandName: "X_USPMESH_DeployDU()", CommandKey: "other"}}})
				f.u.Notify("os::elsewhere", &uspmsg.Notify{Notification: &uspmsg.Notify_OperComplete{OperComplete: &uspmsg.Notify_OperationComplete{
					CommandName: "X_USPMESH_DeployDU()", CommandKey: key, OperationResp: &uspmsg.Notify_OperationComplete_CmdFailure{
						CmdFailure: &uspmsg.Notify_OperationComplete_CommandFailure{ErrCode: 7002, ErrMsg: "not this node"}}}}})
				f.u.Notify(to, &uspmsg.Notify{Notification: &uspmsg.Notify_OperComplete{OperComplete: f.complete(key)}})
				close(f.completed)
			}()
		}
	}
	return &uspmsg.OperateResp{OperationResults: []*uspmsg.OperateResp_OperationResult{res}}, nil
}

func completion(key string, out map[string]string) *uspmsg.Notify_OperationComplete {
	return &uspmsg.Notify_OperationComplete{CommandName: "X_USPMESH_DeployDU()", CommandKey: key,
		OperationResp: &uspmsg.Notify_OperationComplete_ReqOutputArgs{ReqOutputArgs: &uspmsg.Notify_OperationComplete_OutputArgs{OutputArgs: out}}}
}

func TestUSPDeploy(t *testing.T) {
	req := Request{URL: "http://h/app.tar.gz#sha256=00", UUID: "u-1", Version: "2", Owner: "proto::tenant-a", Term: 7, AutoStart: true}
	for _, tc := range []struct {
		name     string
		agents   *fakeAgents
		want     Outcome
		wantCode uint32
		wantMsg  string
	}{
		{name: "async install", agents: &fakeAgents{complete: func(key string) *uspmsg.Notify_OperationComplete {
			return completion(key, map[string]string{"Operation": "Install", "DeploymentUnitRef": "Device.SoftwareModules.DeploymentUnit.3", "Version": "2"})
		}}, want: Installed},
		{name: "async update, subscription already there", agents: &fakeAgents{subErr: &usp.ResponseError{Code: 7004, Msg: "duplicate ID"},
			complete: func(key string) *uspmsg.Notify_OperationComplete {
				return completion(key, map[string]string{"Operation": "Update", "Version": "2"})
			}}, want: Updated},
		{name: "async failure", agents: &fakeAgents{complete: func(key string) *uspmsg.Notify_OperationComplete {
			return &uspmsg.Notify_OperationComplete{CommandName: "X_USPMESH_DeployDU()", CommandKey: key,
				OperationResp: &uspmsg.Notify_OperationComplete_CmdFailure{CmdFailure: &uspmsg.Notify_OperationComplete_CommandFailure{ErrCode: 7022, ErrMsg: "7227 DUResources: disk full"}}}
		}}, wantCode: 7022, wantMsg: "7227 DUResources: disk full"},
		{name: "refused at once", agents: &fakeAgents{fail: &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: 7002, ErrMsg: "stale term"}},
			wantCode: 7002, wantMsg: "stale term"},
		{name: "synchronous answer", agents: &fakeAgents{sync: map[string]string{"Operation": "None", "Version": "2"}}, want: Unchanged},
		{name: "unknown operation", agents: &fakeAgents{sync: map[string]string{"Operation": "Dance"}}, wantCode: 0, wantMsg: "unknown Operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &USP{Agents: tc.agents}
			tc.agents.u, tc.agents.completed = u, make(chan struct{})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r, err := u.Deploy(ctx, "os::node-1", req)
			if tc.wantMsg != "" {
				var f *Fault
				if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("err %v, want one saying %q", err, tc.wantMsg)
				}
				if tc.wantCode != 0 && (!errors.As(err, &f) || f.Code != tc.wantCode) {
					t.Fatalf("err %v, want a Fault of code %d", err, tc.wantCode)
				}
				return
			}
			if err != nil || r.Outcome != tc.want {
				t.Fatalf("Deploy: %+v %v, want %s", r, err, tc.want)
			}
			a := tc.agents
			if len(a.subs) != 1 || a.subs[0].ID != "mesh-rollout-t7" || a.subs[0].NotifType != "OperationComplete" || a.subs[0].ReferenceList[0] != DeployCommand {
				t.Fatalf("subscriptions %+v", a.subs)
			}
			for k, v := range map[string]string{"URL": req.URL, "UUID": "u-1", "Version": "2", "Owner": "proto::tenant-a", "Term": "7", "AutoStart": "true"} {
				if a.args[k] != v {
					t.Fatalf("input %s = %q, want %q (all: %v)", k, a.args[k], v, a.args)
				}
			}
			if _, ok := a.args["Password"]; ok {
				t.Fatalf("an empty Password is sent: %v", a.args)
			}
		})
	}
}

// A node that never completes fails after Timeout on the clock.
func TestUSPDeployTimeout(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	a := &fakeAgents{}
	u := &USP{Agents: a, Clock: clk, Timeout: time.Minute}
	a.u = u
	done := make(chan error, 1)
	go func() {
		_, err := u.Deploy(context.Background(), "os::slow", Request{Term: 1})
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		clk.Advance(30 * time.Second)
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "no completion within 1m0s") {
				t.Fatalf("err %v, want the timeout", err)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("Deploy did not end after its timeout")
		}
	}
}

// A node whose session is not up yet fails the first requests: Deploy
// tries the subscription again (on the clock) and goes on; a node that
// never answers fails once ConnectTimeout has passed.
func TestUSPDeployRetriesTheSession(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fails int
		ok    bool
	}{{"two failures", 2, true}, {"never", 1000, false}} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(0, 0))
			a := &fakeAgents{subFails: tc.fails, sync: map[string]string{"Operation": "Install"}}
			u := &USP{Agents: a, Clock: clk, ConnectTimeout: 10 * time.Second}
			a.u = u
			done := make(chan error, 1)
			go func() {
				_, err := u.Deploy(context.Background(), "os::booting", Request{Term: 1})
				done <- err
			}()
			deadline := time.Now().Add(10 * time.Second)
			for {
				select {
				case err := <-done:
					if tc.ok && (err != nil || len(a.subs) != 3) {
						t.Fatalf("Deploy: %v after %d subscriptions, want success on the third", err, len(a.subs))
					}
					if !tc.ok && (err == nil || !strings.Contains(err.Error(), "dtls handshake failed") || clk.Now().Sub(time.Unix(0, 0)) > 10*time.Second) {
						t.Fatalf("Deploy: %v at %v, want the transport error within ConnectTimeout", err, clk.Now().Sub(time.Unix(0, 0)))
					}
					return
				case <-time.After(5 * time.Millisecond):
					clk.Advance(250 * time.Millisecond)
				}
				if time.Now().After(deadline) {
					t.Fatal("Deploy did not end")
				}
			}
		})
	}
}
