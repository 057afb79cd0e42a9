package node

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/radio/bind"
	"github.com/uspmesh/uspmesh/rollout"
	"github.com/uspmesh/uspmesh/swmod"
	"github.com/uspmesh/uspmesh/usp"
)

// Mesh-wide rollout of an application (package rollout runs it):
//
//   - Device.X_USPMESH_Mesh.RolloutDU() (async, on the leader only)
//     installs or updates one DU on every alive node of the home, one
//     node at a time, the other nodes first (sorted by Endpoint ID) and
//     the leader itself last, as channel switches go: the node that
//     orchestrates stays as it was until every other node is done. It
//     stops at the first node that fails. Inputs: URL, UUID, Version,
//     Username, Password, ExecutionEnvRef (InstallDU()'s, plus Version:
//     a node whose DU has it already is left Unchanged) and AutoStart
//     (default true: the EUs start now and restart when they die). The
//     units belong, on every node, to the Controller that asked. Outputs:
//     Status (Complete or Failed), UUID and Node.{i}.EndpointID, .Result
//     (Installed, Updated, Unchanged, Failed, NotAttempted),
//     .DeploymentUnitRef, .Version, .FaultCode, .FaultString, .Duration
//     (ms). Device.X_USPMESH_Mesh.Rollout. shows the latest rollout as it
//     runs, Rollout.Node.{i}. one row per node in order. A node that is
//     not the leader refuses with 7002 and names the leader; a second
//     rollout while one runs is refused with 7002.
//   - Device.SoftwareModules.X_USPMESH_DeployDU() (async, on every node)
//     is the leader's step on one node: only the Controller of the leader
//     this node follows may run it, with a Term the node's fence admits
//     (7002 otherwise). It installs the DU for Owner where Owner has no
//     DU of that UUID, updates it where Owner's has another version, and
//     reports Operation Install, Update or None.

// Paths of the rollout.
const (
	rolloutObj   = meshRoot + "Rollout."
	rolloutNodes = rolloutObj + "Node."
)

// rolloutTimeout bounds one node's deployment.
const rolloutTimeout = 3 * time.Minute

// rollouts is the node's rollout state.
type rollouts struct {
	running atomic.Bool
	// deployer is the running rollout's, while one runs: it takes the
	// mesh Controller's notifications.
	deployer atomic.Pointer[rollout.USP]
	mu       sync.Mutex // serialises the Rollout rows' writes
}

// notify passes a notification of the mesh Controller to the running
// rollout.
func (r *rollouts) notify(from usp.EndpointID, nt *uspmsg.Notify) {
	if d := r.deployer.Load(); d != nil {
		d.Notify(from, nt)
	}
}

// attachRollout lays out the rollout's commands and its status object.
func (n *Node) attachRollout(s *datamodel.Schema) {
	str := func(o *datamodel.ObjectDef, name string, max int) *datamodel.ParamDef {
		return o.Param(name, value.String).MaxLen(max)
	}
	strArg := func(name string, max int, mandatory bool) datamodel.Arg {
		return datamodel.Arg{Name: name, Type: value.String, Mandatory: mandatory, Constraint: value.Constraint{MaxLength: max}}
	}
	duArgs := []datamodel.Arg{strArg("URL", 1024, true), strArg("Version", 32, false), strArg("Username", 256, false),
		strArg("Password", 256, false), strArg("ExecutionEnvRef", 256, false),
		{Name: "AutoStart", Type: value.Boolean, Default: "true"}}
	results := []string{string(rollout.Installed), string(rollout.Updated), string(rollout.Unchanged),
		string(rollout.Failed), string(rollout.NotAttempted)}

	mesh := s.Root().Child("X_USPMESH_Mesh")
	cmd := mesh.Command("RolloutDU", true, n.rolloutCommand)
	cmd.Inputs = append([]datamodel.Arg{strArg("UUID", 36, false)}, duArgs...)
	cmd.Outputs = []datamodel.Arg{
		{Name: "Status", Type: value.String, Constraint: value.Constraint{Enum: []string{"Complete", "Failed"}}},
		{Name: "UUID", Type: value.String},
		{Name: "Node.{i}.EndpointID", Type: value.String},
		{Name: "Node.{i}.Result", Type: value.String, Constraint: value.Constraint{Enum: results}},
		{Name: "Node.{i}.DeploymentUnitRef", Type: value.String},
		{Name: "Node.{i}.Version", Type: value.String},
		{Name: "Node.{i}.FaultCode", Type: value.UnsignedInt},
		{Name: "Node.{i}.FaultString", Type: value.String},
		{Name: "Node.{i}.Duration", Type: value.UnsignedInt},
	}

	ro := mesh.Object("Rollout")
	ro.Param("Status", value.String).Def("Idle").Enum("Idle", "Running", "Complete", "Failed")
	str(ro, "UUID", 36)
	str(ro, "URL", 1024)
	str(ro, "Version", 32)
	str(ro, "Controller", 64)
	ro.Param("Term", value.UnsignedLong)
	ro.Param("StartTime", value.DateTime)
	ro.Param("CompleteTime", value.DateTime)
	str(ro, "Current", 64)
	rn := ro.Table("Node", []string{"EndpointID"})
	rn.Access = datamodel.ObjReadOnly
	rn.Param("Order", value.UnsignedInt)
	str(rn, "EndpointID", 64)
	rn.Param("Result", value.String).Def(string(rollout.Pending)).
		Enum(append([]string{string(rollout.Pending), string(rollout.Running)}, results...)...)
	str(rn, "DeploymentUnitRef", 256)
	str(rn, "Version", 32)
	rn.Param("FaultCode", value.UnsignedInt)
	str(rn, "FaultString", 256)
	rn.Param("Duration", value.UnsignedInt) // milliseconds

	deploy := s.Root().Child("SoftwareModules").Command("X_USPMESH_DeployDU", true, n.deployCommand)
	deploy.Inputs = append([]datamodel.Arg{strArg("UUID", 36, true), strArg("Owner", 64, true),
		{Name: "Term", Type: value.UnsignedLong, Mandatory: true}}, duArgs...)
	deploy.Outputs = []datamodel.Arg{
		{Name: "Operation", Type: value.String, Constraint: value.Constraint{Enum: []string{"Install", "Update", "None"}}},
		{Name: "DeploymentUnitRef", Type: value.String},
		{Name: "Version", Type: value.String},
	}
}

// rolloutCommand runs Device.X_USPMESH_Mesh.RolloutDU().
func (n *Node) rolloutCommand(ctx context.Context, _ datamodel.Row, in map[string]string) (map[string]string, error) {
	const name = meshRoot + "RolloutDU()"
	m := n.meshNow()
	if m == nil || m.client == nil {
		return nil, cmdError(bind.CodeRequestDenied, name, "this node is in no mesh")
	}
	if leader := m.leaderNow(); leader != string(n.agentID) {
		return nil, cmdError(bind.CodeRequestDenied, name, "this node is not the mesh leader (the leader is %q): send RolloutDU() to the leader's Agent", leader)
	}
	if !n.rollouts.running.CompareAndSwap(false, true) {
		return nil, cmdError(bind.CodeRequestDenied, name, "a rollout is running")
	}
	defer n.rollouts.running.Store(false)
	req := rollout.Request{URL: in["URL"], Username: in["Username"], Password: in["Password"], UUID: in["UUID"],
		Version: in["Version"], ExecutionEnvRef: in["ExecutionEnvRef"], AutoStart: in["AutoStart"] != "false",
		Owner: usp.ControllerFrom(ctx), Term: n.fence.Term()}
	if req.UUID == "" {
		req.UUID = newUUIDv4()
	}
	nodes := m.aliveAgents() // the leader last
	d := &rollout.USP{Agents: m.client, Clock: n.deps.Clock, Timeout: rolloutTimeout}
	n.rollouts.deployer.Store(d)
	defer n.rollouts.deployer.Store(nil)
	n.rolloutStart(ctx, req, nodes)
	n.log.Info("rollout", "uuid", req.UUID, "nodes", len(nodes), "controller", req.Owner, "term", req.Term)
	res := rollout.Run(ctx, rollout.Config{Deployer: d, Clock: n.deps.Clock,
		Check: func() error {
			if l := m.leaderNow(); l != string(n.agentID) {
				return fmt.Errorf("this node no longer leads the mesh (the leader is %q)", l)
			}
			return nil
		},
		Progress: func(res []rollout.NodeResult) { n.rolloutProgress(context.WithoutCancel(ctx), res) },
	}, nodes, req)
	status := "Failed"
	if rollout.Succeeded(res) {
		status = "Complete"
	}
	n.rolloutEnd(context.WithoutCancel(ctx), status)
	out := map[string]string{"Status": status, "UUID": req.UUID}
	for i, r := range res {
		p := fmt.Sprintf("Node.%d.", i+1)
		out[p+"EndpointID"], out[p+"Result"] = string(r.Node), string(r.Outcome)
		out[p+"DeploymentUnitRef"], out[p+"Version"] = r.DeploymentUnitRef, r.Version
		out[p+"FaultCode"], out[p+"FaultString"] = strconv.FormatUint(uint64(r.FaultCode), 10), clipUTF8(r.FaultString, 256)
		out[p+"Duration"] = strconv.FormatInt(r.Duration.Milliseconds(), 10)
		n.log.Info("rollout node", "uuid", req.UUID, "node", r.Node, "result", r.Outcome, "duration", r.Duration,
			"fault_code", r.FaultCode, "fault", r.FaultString)
	}
	return out, nil
}

// leaderNow is the Agent Endpoint ID of the leader this node follows.
func (m *mesh) leaderNow() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leader
}

// rolloutStart resets Device.X_USPMESH_Mesh.Rollout. for a new rollout.
func (n *Node) rolloutStart(ctx context.Context, req rollout.Request, nodes []usp.EndpointID) {
	n.rollouts.mu.Lock()
	defer n.rollouts.mu.Unlock()
	if _, err := deleteRows(ctx, n.model, rolloutNodes+"*."); err != nil {
		n.log.Warn("rollout rows", "err", err)
	}
	if err := setParams(ctx, n.model, rolloutObj, map[string]string{"Status": "Running", "UUID": req.UUID,
		"URL": clipUTF8(redactURL(req.URL), 1024), "Version": req.Version, "Controller": string(req.Owner),
		"Term": strconv.FormatUint(req.Term, 10), "StartTime": appTime(n.deps.Clock.Now()),
		"CompleteTime": value.UnknownTime, "Current": ""}); err != nil {
		n.log.Warn("rollout status", "err", err)
	}
	for i, id := range nodes {
		if err := upsertRow(ctx, n.model, rolloutNodes, "EndpointID", string(id), map[string]string{
			"Order": strconv.Itoa(i + 1), "Result": string(rollout.Pending)}); err != nil {
			n.log.Warn("rollout row", "node", id, "err", err)
		}
	}
}

// rolloutProgress writes the nodes' results and the node deploying.
func (n *Node) rolloutProgress(ctx context.Context, res []rollout.NodeResult) {
	n.rollouts.mu.Lock()
	defer n.rollouts.mu.Unlock()
	current := ""
	for _, r := range res {
		if r.Outcome == rollout.Running {
			current = string(r.Node)
		}
		if err := upsertRow(ctx, n.model, rolloutNodes, "EndpointID", string(r.Node), map[string]string{
			"Result": string(r.Outcome), "DeploymentUnitRef": r.DeploymentUnitRef, "Version": r.Version,
			"FaultCode": strconv.FormatUint(uint64(r.FaultCode), 10), "FaultString": clipUTF8(r.FaultString, 256),
			"Duration": strconv.FormatInt(r.Duration.Milliseconds(), 10)}); err != nil {
			n.log.Warn("rollout row", "node", r.Node, "err", err)
		}
	}
	if err := setParams(ctx, n.model, rolloutObj, map[string]string{"Current": current}); err != nil {
		n.log.Warn("rollout status", "err", err)
	}
}

// rolloutEnd writes the rollout's status.
func (n *Node) rolloutEnd(ctx context.Context, status string) {
	n.rollouts.mu.Lock()
	defer n.rollouts.mu.Unlock()
	if err := setParams(ctx, n.model, rolloutObj, map[string]string{"Status": status, "Current": "",
		"CompleteTime": appTime(n.deps.Clock.Now())}); err != nil {
		n.log.Warn("rollout status", "err", err)
	}
}

// deployCommand runs Device.SoftwareModules.X_USPMESH_DeployDU(): the
// leader's step of a rollout on this node.
func (n *Node) deployCommand(ctx context.Context, _ datamodel.Row, in map[string]string) (map[string]string, error) {
	const name = smBase + "X_USPMESH_DeployDU()"
	m := n.meshNow()
	caller := string(usp.ControllerFrom(ctx))
	if m == nil {
		return nil, cmdError(bind.CodeRequestDenied, name, "this node is in no mesh")
	}
	m.mu.Lock()
	leads := m.leads(caller, m.leader)
	m.mu.Unlock()
	if !leads {
		return nil, cmdError(datamodel.CodePermissionDenied, name, "only the Controller of the mesh leader this node follows may run it")
	}
	term, err := strconv.ParseUint(in["Term"], 10, 64)
	if err != nil {
		return nil, cmdError(datamodel.CodeInvalidCmdArgs, name, "Term: %q is not an unsignedLong", in["Term"])
	}
	if err := n.fence.Admit(ctx, term); err != nil {
		return nil, cmdError(bind.CodeRequestDenied, name, "term %d refused: %v", term, err)
	}
	a := n.apps.Load()
	if a == nil {
		msg := "applications are off on this node (apps_runtime)"
		if e := n.appsErr.Load(); e != nil {
			msg = "applications are unavailable on this node: " + (*e).Error()
		}
		return nil, cmdError(datamodel.CodeCommandFailure, name, "%s", msg)
	}
	return a.deploy(ctx, name, in)
}

// deploy installs the DU of in for its Owner, or updates Owner's DU of
// that UUID to in's URL unless it has in's Version already.
func (a *apps) deploy(ctx context.Context, name string, in map[string]string) (map[string]string, error) {
	if err := a.checkEnv(name, in["ExecutionEnvRef"]); err != nil {
		return nil, err
	}
	u, err := withCredentials(in["URL"], in["Username"], in["Password"])
	if err != nil {
		return nil, &datamodel.Error{Code: datamodel.CodeInvalidCmdArgs, Path: name, Msg: "URL: " + err.Error()}
	}
	owner, uuid := in["Owner"], in["UUID"]
	var have *swmod.DU
	for _, d := range a.env.DUs() {
		if d.UUID == uuid && d.Owner == owner {
			have = &d
			break
		}
	}
	op := "Install"
	var du swmod.DU
	switch {
	case have == nil:
		du, err = a.env.Install(ctx, swmod.InstallRequest{URL: u, UUID: uuid, Owner: owner, AutoStart: in["AutoStart"] != "false"})
	case in["Version"] != "" && have.Version == in["Version"]:
		op, du = "None", *have
	default:
		op = "Update"
		du, err = a.env.Update(ctx, have.DUID, u, "")
	}
	if err != nil {
		return nil, faultError(name, err)
	}
	a.mu.Lock()
	row := a.duRow[du.DUID]
	a.mu.Unlock()
	return map[string]string{"Operation": op, "DeploymentUnitRef": trimDot(row), "Version": du.Version}, nil
}

func trimDot(s string) string { return strings.TrimSuffix(s, ".") }

// newUUIDv4 is a random (version 4) UUID: the rollout's UUID when the
// caller gives none, the same on every node.
func newUUIDv4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
