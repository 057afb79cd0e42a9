package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/usp"
)

// Request is the DU to put on every node.
type Request struct {
	// URL of the DU (a "#sha256=<hex>" fragment names its checksum);
	// Username and Password, when set, authenticate its fetch.
	URL, Username, Password string
	// UUID names the DU on every node: a node that has a DU of this UUID
	// belonging to Owner updates it, the others install it.
	UUID string
	// Version, when set, is the version the DU's URL holds: a node whose
	// DU already has it leaves it (Unchanged). Empty updates every node
	// that has the DU.
	Version string
	// ExecutionEnvRef is the execution environment on each node; empty
	// is each node's default.
	ExecutionEnvRef string
	// AutoStart starts the DU's execution units on install and restarts
	// them when they die.
	AutoStart bool
	// Owner is the Controller the units belong to on every node: the
	// Controller that asked for the rollout.
	Owner usp.EndpointID
	// Term is the leader term the rollout runs in; every node's fence
	// must admit it.
	Term uint64
}

// Outcome is what became of the DU on one node.
type Outcome string

// Outcomes of one node.
const (
	Pending      Outcome = "Pending"      // not reached yet
	Running      Outcome = "Running"      // the node is deploying
	Installed    Outcome = "Installed"    // installed where it was absent
	Updated      Outcome = "Updated"      // updated where another version was
	Unchanged    Outcome = "Unchanged"    // the node had Version already
	Failed       Outcome = "Failed"       // FaultCode and FaultString say why
	NotAttempted Outcome = "NotAttempted" // after an earlier node failed
)

// NodeResult is one node's part of a rollout.
type NodeResult struct {
	Node    usp.EndpointID
	Outcome Outcome
	// DeploymentUnitRef is the DU's row on the node
	// (Device.SoftwareModules.DeploymentUnit.{i}), Version its version.
	DeploymentUnitRef, Version string
	// FaultCode and FaultString say why the node Failed (USP error code
	// and message).
	FaultCode   uint32
	FaultString string
	// Duration is the node's time from the request to its completion.
	Duration time.Duration
}

// Deployer puts the DU on one node and returns when the node has
// finished: its result (Outcome Installed, Updated or Unchanged), or an
// error (a *Fault, or any other error: the node Failed).
type Deployer interface {
	Deploy(ctx context.Context, node usp.EndpointID, req Request) (NodeResult, error)
}

// Fault is a node's USP failure of the deployment.
type Fault struct {
	Code uint32
	Msg  string
}

func (f *Fault) Error() string { return fmt.Sprintf("%d %s", f.Code, f.Msg) }

// CodeCommandFailure (7022) is the fault code of a failure that carries
// none of its own: a timeout, a lost session, a deposed leader.
const CodeCommandFailure uint32 = 7022

// Config are the parts of one Run.
type Config struct {
	// Deployer deploys on one node.
	Deployer Deployer
	// Clock times the nodes (nil: clock.System).
	Clock clock.Clock
	// Check, when set, is asked before each node; an error stops the
	// rollout there (e.g. this node no longer leads), the node Failed
	// with it.
	Check func() error
	// Progress, when set, receives a copy of the results after every
	// change: a node starting (Running) and a node ending.
	Progress func([]NodeResult)
}

// Succeeded says whether every node ended Installed, Updated or
// Unchanged.
func Succeeded(res []NodeResult) bool {
	for _, r := range res {
		switch r.Outcome {
		case Installed, Updated, Unchanged:
		default:
			return false
		}
	}
	return true
}

// Run deploys req on nodes in their order, one at a time, and stops at
// the first node that fails: the nodes after it stay NotAttempted. A
// cancelled ctx fails the node deploying then.
func Run(ctx context.Context, cfg Config, nodes []usp.EndpointID, req Request) []NodeResult {
	clk := clock.Or(cfg.Clock)
	res := make([]NodeResult, len(nodes))
	for i, n := range nodes {
		res[i] = NodeResult{Node: n, Outcome: Pending}
	}
	report := func() {
		if cfg.Progress != nil {
			cfg.Progress(append([]NodeResult(nil), res...))
		}
	}
	report()
	for i, n := range nodes {
		res[i].Outcome = Running
		report()
		start := clk.Now()
		r, err := deployOne(ctx, cfg, n, req)
		r.Node, r.Duration = n, clk.Now().Sub(start)
		if err != nil {
			r.Outcome, r.FaultCode, r.FaultString = Failed, CodeCommandFailure, err.Error()
			var f *Fault
			if errors.As(err, &f) {
				r.FaultCode, r.FaultString = f.Code, f.Msg
			}
		}
		res[i] = r
		if r.Outcome == Failed {
			for j := i + 1; j < len(nodes); j++ {
				res[j].Outcome = NotAttempted
			}
			report()
			return res
		}
		report()
	}
	return res
}

// deployOne checks that the rollout may go on, then deploys on node n.
func deployOne(ctx context.Context, cfg Config, n usp.EndpointID, req Request) (NodeResult, error) {
	if err := ctx.Err(); err != nil {
		return NodeResult{}, fmt.Errorf("rollout stopped: %w", context.Cause(ctx))
	}
	if cfg.Check != nil {
		if err := cfg.Check(); err != nil {
			return NodeResult{}, err
		}
	}
	r, err := cfg.Deployer.Deploy(ctx, n, req)
	if err == nil {
		switch r.Outcome {
		case Installed, Updated, Unchanged:
		default:
			err = fmt.Errorf("node %s reported outcome %q", n, r.Outcome)
		}
	}
	return r, err
}
