package rollout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// DeployCommand is the command each node's Agent runs for a rollout:
// install the DU for Owner where it is absent, update it where another
// version is present. Only the Controller of the leader the node follows
// may run it, with a term its fence admits.
//
// Inputs: URL, UUID, Version, Username, Password, ExecutionEnvRef,
// AutoStart (as Request), Owner (the Controller's Endpoint ID) and Term.
// Outputs: Operation ("Install", "Update" or "None"), DeploymentUnitRef
// and Version.
const DeployCommand = "Device.SoftwareModules.X_USPMESH_DeployDU()"

// Agents is what USP needs of the leader's mesh Controller; *usp.Client
// satisfies it.
type Agents interface {
	// Operate sends an Operate with send_resp true.
	Operate(ctx context.Context, to usp.EndpointID, command, key string, args map[string]string) (*uspmsg.OperateResp, error)
	// Subscribe adds an enabled Device.LocalAgent.Subscription row; an
	// Agent that already has one of s.ID answers with a
	// *usp.ResponseError.
	Subscribe(ctx context.Context, to usp.EndpointID, s usp.Subscription) (rowPath, id string, err error)
}

// DefaultTimeout bounds one node's deployment (fetch, unpack, start).
const DefaultTimeout = 5 * time.Minute

// DefaultConnectTimeout bounds the retries of the first request to a
// node; they wait connectRetry, doubling up to connectRetryMax.
const (
	DefaultConnectTimeout = 15 * time.Second
	connectRetry          = 500 * time.Millisecond
	connectRetryMax       = 4 * time.Second
)

// USP deploys on a node over USP: it subscribes the mesh Controller to
// the node's DeployCommand completions, runs the command
// and waits for its OperationComplete, which the node passes to Notify.
type USP struct {
	// Agents is the leader's mesh Controller.
	Agents Agents
	// Clock times the wait (nil: clock.System).
	Clock clock.Clock
	// Timeout bounds one node (0: DefaultTimeout).
	Timeout time.Duration
	// ConnectTimeout bounds the retries of the first request to a node,
	// the subscription (0: DefaultConnectTimeout): a session that is not
	// up yet (a DTLS handshake after a node's start) fails a request or
	// two. A request the Agent answered with an error is not retried.
	ConnectTimeout time.Duration

	keys  atomic.Uint64
	waits usp.Completions
}

var _ Deployer = (*USP)(nil)

// SubscriptionID is the ID of the leader's subscription to a node's
// DeployCommand completions in term: "mesh-rollout-t<term>".
func SubscriptionID(term uint64) string { return fmt.Sprintf("mesh-rollout-t%d", term) }

// Notify takes a notification the mesh Controller received; the
// OperationComplete of a DeployCommand being waited for ends its wait.
func (u *USP) Notify(from usp.EndpointID, nt *uspmsg.Notify) {
	oc := nt.GetOperComplete()
	if oc == nil || oc.GetCommandName() != "X_USPMESH_DeployDU()" {
		return
	}
	u.waits.Deliver(from, oc)
}

// Deploy implements Deployer.
func (u *USP) Deploy(ctx context.Context, node usp.EndpointID, req Request) (NodeResult, error) {
	clk := clock.Or(u.Clock)
	timeout := u.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(context.Canceled)
	stop := clk.AfterFunc(timeout, func() { cancel(fmt.Errorf("no completion within %v", timeout)) })
	defer stop()
	if err := u.subscribeRetrying(ctx, clk, node, req.Term); err != nil {
		return NodeResult{}, fmt.Errorf("subscribe to %s: %w", node, err)
	}
	key := fmt.Sprintf("rollout-t%d-%d-%d", req.Term, clk.Now().UnixNano(), u.keys.Add(1))
	ch, done := u.waits.Wait(node, key)
	defer done()
	resp, err := u.Agents.Operate(ctx, node, DeployCommand, key, deployArgs(req))
	if err != nil {
		return NodeResult{}, asFault(err)
	}
	var out map[string]string
	async := false
	for _, r := range resp.GetOperationResults() {
		switch {
		case r.GetCmdFailure() != nil:
			return NodeResult{}, &Fault{Code: r.GetCmdFailure().GetErrCode(), Msg: r.GetCmdFailure().GetErrMsg()}
		case r.GetReqOutputArgs() != nil:
			out = r.GetReqOutputArgs().GetOutputArgs()
		case r.GetReqObjPath() != "":
			async = true
		}
	}
	if async {
		select {
		case oc := <-ch:
			if f := oc.GetCmdFailure(); f != nil {
				return NodeResult{}, &Fault{Code: f.GetErrCode(), Msg: f.GetErrMsg()}
			}
			out = oc.GetReqOutputArgs().GetOutputArgs()
		case <-ctx.Done():
			return NodeResult{}, fmt.Errorf("%s on %s: %w", DeployCommand, node, context.Cause(ctx))
		}
	}
	return result(out)
}

// subscribe subscribes the mesh Controller to node's DeployCommand
// completions for term; a subscription of that ID already there (the
// Agent refuses the duplicate ID) stands. It asks every time: a node
// that restarted has lost its subscriptions.
func (u *USP) subscribe(ctx context.Context, node usp.EndpointID, term uint64) error {
	_, _, err := u.Agents.Subscribe(ctx, node, usp.Subscription{ID: SubscriptionID(term), NotifType: "OperationComplete",
		ReferenceList: []string{DeployCommand}})
	var re *usp.ResponseError
	if err != nil && !errors.As(err, &re) {
		return err
	}
	return nil
}

// subscribeRetrying is subscribe, tried again after transport errors
// until ConnectTimeout has passed.
func (u *USP) subscribeRetrying(ctx context.Context, clk clock.Clock, node usp.EndpointID, term uint64) error {
	bound := u.ConnectTimeout
	if bound == 0 {
		bound = DefaultConnectTimeout
	}
	end := clk.Now().Add(bound)
	wait := connectRetry
	for {
		err := u.subscribe(ctx, node, term)
		if err == nil || ctx.Err() != nil || !clk.Now().Add(wait).Before(end) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-clk.After(wait):
		}
		wait = min(2*wait, connectRetryMax)
	}
}

// deployArgs are DeployCommand's input arguments for req.
func deployArgs(req Request) map[string]string {
	args := map[string]string{"URL": req.URL, "UUID": req.UUID, "Owner": string(req.Owner),
		"Term": strconv.FormatUint(req.Term, 10), "AutoStart": strconv.FormatBool(req.AutoStart)}
	for k, v := range map[string]string{"Version": req.Version, "Username": req.Username, "Password": req.Password,
		"ExecutionEnvRef": req.ExecutionEnvRef} {
		if v != "" {
			args[k] = v
		}
	}
	return args
}

// result reads DeployCommand's output arguments.
func result(out map[string]string) (NodeResult, error) {
	r := NodeResult{DeploymentUnitRef: out["DeploymentUnitRef"], Version: out["Version"]}
	switch op := out["Operation"]; op {
	case "Install":
		r.Outcome = Installed
	case "Update":
		r.Outcome = Updated
	case "None":
		r.Outcome = Unchanged
	default:
		return r, fmt.Errorf("%s: unknown Operation %q", DeployCommand, op)
	}
	return r, nil
}

// asFault keeps the USP code of an Error response.
func asFault(err error) error {
	var re *usp.ResponseError
	if errors.As(err, &re) {
		return &Fault{Code: uint32(re.Code), Msg: re.Msg}
	}
	return err
}
