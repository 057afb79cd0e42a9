package leader

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// Agents is what the Loop needs of the node's mesh Controller: USP Get,
// Operate and Subscribe to one Agent. *usp.Client satisfies it. Calls
// come from several goroutines at once.
type Agents interface {
	// Get sends a Get of paths with max_depth (0 = everything).
	Get(ctx context.Context, to usp.EndpointID, maxDepth uint32, paths ...string) (*uspmsg.GetResp, error)
	// Operate sends an Operate with send_resp true.
	Operate(ctx context.Context, to usp.EndpointID, command, key string, args map[string]string) (*uspmsg.OperateResp, error)
	// Subscribe adds an enabled Device.LocalAgent.Subscription row; an
	// Agent that already has one of s.ID answers with a
	// *usp.ResponseError.
	Subscribe(ctx context.Context, to usp.EndpointID, s usp.Subscription) (rowPath, id string, err error)
}

// Paths and names the Loop uses on the Agents.
const (
	radioTable     = "Device.WiFi.Radio."
	ssidTable      = "Device.WiFi.SSID."
	resultTable    = "Device.WiFi.NeighboringWiFiDiagnostic.Result."
	scanCommand    = "Device.WiFi.NeighboringWiFiDiagnostic()"
	switchCommand  = "X_USPMESH_Switch()"
	termParam      = "Device.X_USPMESH_Mesh.Term"
	channelWatched = "Device.WiFi.Radio.*.Channel"
	// opsWatched are the completions of the radios' switch commands
	// (OperationComplete): how a switch that failed says why.
	opsWatched = "Device.WiFi.Radio.*." + switchCommand
)

// opsSubscriptionID is the ID of the leader's subscription to the
// Agents' switch completions in term.
func opsSubscriptionID(term uint64) string { return SubscriptionID(term) + "-ops" }

// completion is how command cmd ended, from its OperationComplete.
func completion(cmd string, oc *uspmsg.Notify_OperationComplete) error {
	if f := oc.GetCmdFailure(); f != nil {
		return fmt.Errorf("%s: %d %s", cmd, f.GetErrCode(), f.GetErrMsg())
	}
	return nil
}

// SubscriptionID is the ID of the leader's subscription to the Agents'
// radio channels in term: "mesh-leader-t<term>".
func SubscriptionID(term uint64) string { return fmt.Sprintf("mesh-leader-t%d", term) }

// withTimeout returns a context of ctx cancelled once d has passed on
// clk, with cause context.DeadlineExceeded.
func withTimeout(ctx context.Context, clk clock.Clock, d time.Duration) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancelCause(ctx)
	stop := clk.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return cctx, func() {
		stop()
		cancel(context.Canceled)
	}
}

// getRows Gets paths on Agent a and returns the parameters by object
// path.
func (l *Loop) getRows(ctx context.Context, a usp.EndpointID, paths ...string) (map[string]map[string]string, error) {
	resp, err := l.cfg.Agents.Get(ctx, a, 0, paths...)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, rr := range resp.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			return nil, fmt.Errorf("get %s: %d %s", rr.GetRequestedPath(), rr.GetErrCode(), rr.GetErrMsg())
		}
		for _, res := range rr.GetResolvedPathResults() {
			row := out[res.GetResolvedPath()]
			if row == nil {
				row = map[string]string{}
				out[res.GetResolvedPath()] = row
			}
			for k, v := range res.GetResultParams() {
				row[k] = v
			}
		}
	}
	return out, nil
}

// commandKeys numbers the command keys of one process.
var commandKeys atomic.Uint64

// operateWait runs an async command and waits until it ends: its
// OperationComplete arrives (a failure returns the Agent's error), or
// the Agent's Request row disappears and no OperationComplete follows
// within a poll interval (an Agent that does not notify: the caller
// verifies). It returns the request path.
func (l *Loop) operateWait(ctx context.Context, a usp.EndpointID, cmd string, args map[string]string) (string, error) {
	key := fmt.Sprintf("mesh-%d-%d", l.clk.Now().UnixNano(), commandKeys.Add(1))
	done, forget := l.ops.Wait(a, key)
	defer forget()
	resp, err := l.cfg.Agents.Operate(ctx, a, cmd, key, args)
	if err != nil {
		return "", err
	}
	var req string
	for _, r := range resp.GetOperationResults() {
		if f := r.GetCmdFailure(); f != nil {
			return "", fmt.Errorf("%s: %d %s", cmd, f.GetErrCode(), f.GetErrMsg())
		}
		if p := r.GetReqObjPath(); p != "" {
			req = p
		}
	}
	if req == "" {
		return "", nil // completed synchronously
	}
	// A completion that is there wins over a timer that fired with it.
	arrived := func() (*uspmsg.Notify_OperationComplete, bool) {
		select {
		case oc := <-done:
			return oc, true
		default:
			return nil, false
		}
	}
	for {
		select {
		case oc := <-done:
			return req, completion(cmd, oc)
		case <-ctx.Done():
			return req, fmt.Errorf("%s on %s: %w", cmd, a, context.Cause(ctx))
		case <-l.clk.After(l.cfg.PollInterval):
		}
		if oc, ok := arrived(); ok {
			return req, completion(cmd, oc)
		}
		r, err := l.cfg.Agents.Get(ctx, a, 1, req)
		if err != nil {
			continue
		}
		gone := true
		for _, rr := range r.GetReqPathResults() {
			if rr.GetErrCode() == 0 && len(rr.GetResolvedPathResults()) > 0 {
				gone = false
			}
		}
		if gone {
			// The Agent removes the row before it notifies.
			select {
			case oc := <-done:
				return req, completion(cmd, oc)
			case <-ctx.Done():
			case <-l.clk.After(l.cfg.PollInterval):
			}
			if oc, ok := arrived(); ok {
				return req, completion(cmd, oc)
			}
			return req, nil
		}
	}
}

// subscribeRadios subscribes the leader's Controller to Agent a's radio
// channels and switch completions for term; an existing subscription of
// that ID stands.
func (l *Loop) subscribeRadios(ctx context.Context, a usp.EndpointID, term uint64) error {
	id := SubscriptionID(term)
	_, _, err := l.cfg.Agents.Subscribe(ctx, a, usp.Subscription{ID: id, NotifType: "ValueChange",
		ReferenceList: []string{channelWatched}})
	var re *usp.ResponseError
	if errors.As(err, &re) {
		// Already subscribed (a unique-key clash on ID) counts as done.
		err = re
		if res, gerr := l.cfg.Agents.Get(ctx, a, 1, "Device.LocalAgent.Subscription.[ID=="+path.Quote(id)+"]."); gerr == nil {
			for _, rr := range res.GetReqPathResults() {
				if len(rr.GetResolvedPathResults()) > 0 {
					err = nil
				}
			}
		}
	}
	if err != nil {
		return err
	}
	// The switch completions: an Agent that refuses them (or has the ID
	// already) leaves the leader to poll and verify, as before.
	_, _, err = l.cfg.Agents.Subscribe(ctx, a, usp.Subscription{ID: opsSubscriptionID(term), NotifType: "OperationComplete",
		ReferenceList: []string{opsWatched}})
	if errors.As(err, &re) {
		return nil
	}
	return err
}
