package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// Rolling an app out to every AP of a home: rollout URL (or install
// -all URL) runs Device.X_USPMESH_Mesh.RolloutDU() on the leader's
// Agent, which installs or updates the unit on every node, one at a
// time, and stops at the first failure. It prints each node's progress
// as the leader's Device.X_USPMESH_Mesh.Rollout.Node. rows change, then
// one line per node from the command's output.

const (
	rolloutCmd   = "Device.X_USPMESH_Mesh.RolloutDU()"
	rolloutNodes = "Device.X_USPMESH_Mesh.Rollout.Node."
	// rolloutPoll is how often rollout reads the leader's progress rows.
	rolloutPoll = 300 * time.Millisecond
)

// rolloutFlags are rollout's own flags.
type rolloutFlags struct {
	uuid, env, version string
	noStart            bool
	wait               time.Duration
}

func rolloutCommands() []command {
	var rf rolloutFlags
	return []command{{name: "rollout", args: "URL", min: 1,
		help: "Install an app on every AP of the home, or update it where another version is installed (send it to the leader's Agent): one AP at a time, the leader last, stopping at the first AP that fails. Prints each AP's progress, then one line per AP; exit 1 when one failed. The units belong to this Controller on every AP.",
		flags: func(fs *flag.FlagSet, _ *cmdFlags) {
			fs.StringVar(&rf.uuid, "uuid", "", "the unit's UUID on every AP (default: a new one; give the same UUID to update a rolled-out app)")
			fs.StringVar(&rf.version, "version", "", "the version URL holds: APs that have it already are left unchanged")
			fs.StringVar(&rf.env, "env", "", "ExecutionEnvRef on every AP (default: each AP's only one)")
			fs.BoolVar(&rf.noStart, "no-start", false, "install without starting the app (AutoStart false)")
			fs.DurationVar(&rf.wait, "wait", 10*time.Minute, "how long to wait for the rollout to complete")
		},
		run: func(ctx context.Context, s *session, _ *cmdFlags, args []string, r *report) error {
			return rollout(ctx, s, rf, args[0], r)
		}}}
}

// rolloutNode is one AP's line of a rollout, as progress or as outcome.
type rolloutNode struct {
	Order      int    `json:"order"`
	Total      int    `json:"total"`
	EndpointID string `json:"endpoint_id"`
	Result     string `json:"result"`
	Unit       string `json:"deployment_unit,omitempty"`
	Version    string `json:"version,omitempty"`
	FaultCode  uint32 `json:"fault_code,omitempty"`
	Fault      string `json:"fault,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	progress   bool
}

func (n rolloutNode) text(w io.Writer) {
	prefix := fmt.Sprintf("[%d/%d] %s", n.Order, n.Total, n.EndpointID)
	if n.progress {
		fmt.Fprintf(w, "%s: %s\n", prefix, n.Result)
		return
	}
	took := time.Duration(n.DurationMS) * time.Millisecond
	switch n.Result {
	case "Failed":
		fmt.Fprintf(w, "%s %-12s %7v  %d %s\n", prefix, n.Result, took, n.FaultCode, n.Fault)
	case "NotAttempted":
		fmt.Fprintf(w, "%s %-12s\n", prefix, n.Result)
	default:
		fmt.Fprintf(w, "%s %-12s %7v  v%s %s\n", prefix, n.Result, took, n.Version, n.Unit)
	}
}

// rolloutSummary is the last line of a rollout.
type rolloutSummary struct {
	UUID   string  `json:"uuid"`
	Status string  `json:"status"`
	Nodes  int     `json:"nodes"`
	Secs   float64 `json:"seconds"`
}

func (s rolloutSummary) text(w io.Writer) {
	fmt.Fprintf(w, "rollout %s: %s on %d APs in %v\n", s.UUID, s.Status, s.Nodes,
		time.Duration(s.Secs*float64(time.Second)).Round(time.Millisecond))
}

func rollout(ctx context.Context, s *session, rf rolloutFlags, url string, r *report) error {
	row, _, err := s.client.Subscribe(ctx, s.to, usp.Subscription{NotifType: "OperationComplete", ReferenceList: []string{rolloutCmd}})
	if err != nil {
		return about(err, rolloutCmd)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.timeout)
		defer cancel()
		s.client.Delete(dctx, s.to, true, row)
	}()
	uuid := rf.uuid
	if uuid == "" {
		uuid = newUUID()
	}
	in := map[string]string{"URL": url, "UUID": uuid, "AutoStart": strconv.FormatBool(!rf.noStart)}
	if rf.version != "" {
		in["Version"] = rf.version
	}
	if rf.env != "" {
		in["ExecutionEnvRef"] = rf.env
	}
	start := time.Now()
	key := "meshctl-" + randomHex(6)
	resp, err := s.client.Operate(ctx, s.to, rolloutCmd, key, in)
	if err != nil {
		return about(err, rolloutCmd)
	}
	res := resp.GetOperationResults()
	if len(res) != 1 {
		return fmt.Errorf("%s: %d results, want 1", rolloutCmd, len(res))
	}
	if f := res[0].GetCmdFailure(); f != nil {
		r.fail(pathError{Path: rolloutCmd, Code: f.GetErrCode(), Message: f.GetErrMsg()})
		return nil
	}
	oc, err := rolloutWait(ctx, s, r, key, rf.wait)
	if err != nil {
		return err
	}
	if f := oc.GetCmdFailure(); f != nil {
		r.fail(pathError{Path: rolloutCmd, Code: f.GetErrCode(), Message: f.GetErrMsg()})
		return nil
	}
	out := oc.GetReqOutputArgs().GetOutputArgs()
	nodes := rolloutOutput(out)
	for _, n := range nodes {
		r.add(n)
		if n.Result == "Failed" {
			r.fail(pathError{Agent: n.EndpointID, Path: rolloutCmd, Code: n.FaultCode, Message: "the rollout stopped at this AP"})
		}
	}
	r.add(rolloutSummary{UUID: out["UUID"], Status: out["Status"], Nodes: len(nodes), Secs: time.Since(start).Seconds()})
	return nil
}

// rolloutWait waits for the OperationComplete of key, printing the
// leader's progress rows as they change (text output only).
func rolloutWait(ctx context.Context, s *session, r *report, key string, wait time.Duration) (*uspmsg.Notify_OperationComplete, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(rolloutPoll)
	defer tick.Stop()
	shown := map[string]string{} // EndpointID → Result printed
	for {
		select {
		case n := <-s.notify:
			if oc := n.n.GetOperComplete(); oc != nil && oc.GetCommandKey() == key {
				return oc, nil
			}
		case <-tick.C:
			if r.json {
				continue
			}
			rows, err := rolloutProgress(ctx, s)
			if err != nil {
				continue // the next tick tries again; the wait is bounded
			}
			for _, n := range rows {
				if shown[n.EndpointID] != n.Result && n.Result != "Pending" {
					shown[n.EndpointID] = n.Result
					n.progress = true
					r.add(n)
				}
			}
			if err := r.flush(); err != nil {
				return nil, err
			}
		case <-deadline.C:
			return nil, fmt.Errorf("%s: not complete after %v (-wait)", rolloutCmd, wait)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// rolloutProgress reads the leader's Rollout.Node. rows in order.
func rolloutProgress(ctx context.Context, s *session) ([]rolloutNode, error) {
	resp, err := s.client.Get(ctx, s.to, 0, rolloutNodes)
	if err != nil {
		return nil, err
	}
	var out []rolloutNode
	for _, rr := range resp.GetReqPathResults() {
		for _, res := range rr.GetResolvedPathResults() {
			v := res.GetResultParams()
			order, _ := strconv.Atoi(v["Order"])
			out = append(out, rolloutNode{Order: order, EndpointID: v["EndpointID"], Result: v["Result"]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	for i := range out {
		out[i].Total = len(out)
	}
	return out, nil
}

// rolloutOutput reads RolloutDU()'s Node.{i}. output arguments in order.
func rolloutOutput(out map[string]string) []rolloutNode {
	var nodes []rolloutNode
	for i := 1; ; i++ {
		p := fmt.Sprintf("Node.%d.", i)
		id, ok := out[p+"EndpointID"]
		if !ok {
			break
		}
		code, _ := strconv.ParseUint(out[p+"FaultCode"], 10, 32)
		ms, _ := strconv.ParseInt(out[p+"Duration"], 10, 64)
		nodes = append(nodes, rolloutNode{Order: i, EndpointID: id, Result: out[p+"Result"],
			Unit: strings.TrimSuffix(out[p+"DeploymentUnitRef"], ".") + ".", Version: out[p+"Version"],
			FaultCode: uint32(code), Fault: out[p+"FaultString"], DurationMS: ms})
	}
	for i := range nodes {
		nodes[i].Total = len(nodes)
		if nodes[i].Unit == "." {
			nodes[i].Unit = ""
		}
	}
	return nodes
}
