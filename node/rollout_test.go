//go:build linux

package node

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/swmod/swmodtest"
	"github.com/uspmesh/uspmesh/usp"
)

// rolloutHome is three real mesh nodes on loopback (real DTLS and
// gossip, seeded statically) with the apps runtime, the operator
// (testCtl) and the two tenants of appsConfig, whose role may also run
// Device.X_USPMESH_Mesh.RolloutDU() and read the rollout's progress. It
// returns the nodes in rollout order: the followers by Endpoint ID, the
// leader last.
func rolloutHome(t *testing.T) []*Node {
	t.Helper()
	cfgs := meshConfigs(t, writeSecret(t, t.TempDir()), 3)
	ds := &discoverers{}
	tenants := appsConfig(t)
	tenants.Roles[0].Permissions = append(tenants.Roles[0].Permissions,
		PermissionConfig{Targets: []string{"Device.X_USPMESH_Mesh."}, Param: "r--n", Obj: "r--n", InstantiatedObj: "r--n", CommandEvent: "r-xn"})
	var nodes []*Node
	for _, cfg := range cfgs {
		cfg.PSKHex = hex.EncodeToString(testPSK)
		cfg.AppsRuntime, cfg.Roles, cfg.Controllers = tenants.AppsRuntime, tenants.Roles, tenants.Controllers
		nodes = append(nodes, startNode(t, cfg, Deps{Discover: ds.discover}))
	}
	var leader string
	waitFor(t, 30*time.Second, "one leader that every node follows, with every node a member", func() bool {
		leader = get(t, nodes[0], "Device.X_USPMESH_Mesh.Leader")
		for _, n := range nodes {
			if leader == "" || get(t, n, "Device.X_USPMESH_Mesh.Leader") != leader {
				return false
			}
		}
		for _, n := range nodes {
			if string(n.AgentID()) == leader {
				return len(n.meshNow().aliveAgents()) == len(nodes)
			}
		}
		return false
	})
	slices.SortFunc(nodes, func(a, b *Node) int {
		switch {
		case string(a.AgentID()) == leader:
			return 1
		case string(b.AgentID()) == leader:
			return -1
		}
		return strings.Compare(string(a.AgentID()), string(b.AgentID()))
	})
	return nodes
}

// unitOf is the version of owner's DU of uuid on n, "" when it has none.
func unitOf(n *Node, owner, uuid string) string {
	for _, d := range n.apps.Load().env.DUs() {
		if d.Owner == owner && d.UUID == uuid {
			return d.Version
		}
	}
	return ""
}

// TestRolloutOnLoopback: tenant A's RolloutDU() on the leader installs
// its unit on every node, the leader last, each unit A's (B sees none,
// nor may B stop or uninstall them: 7006); the follower refuses
// RolloutDU() (7002, naming the leader) and A may not run a node's
// X_USPMESH_DeployDU() itself (7006). A second rollout
// (version 2) meets a node whose fence holds a newer term than the
// leader's: it updates the node before it, stops there (7002 stale term)
// and leaves the leader at version 1; the Rollout. rows say so.
func TestRolloutOnLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-node home takes several seconds")
	}
	nodes := rolloutHome(t)
	lead := nodes[2]
	ctx := context.Background()
	watchRollouts := func(in *inbox) *inbox {
		if _, _, err := in.c.client.Subscribe(ctx, in.c.agent, usp.Subscription{NotifType: "OperationComplete",
			ReferenceList: []string{meshRoot + "RolloutDU()"}}); err != nil {
			t.Fatal(err)
		}
		return in
	}
	a := watchRollouts(appsClient(t, lead, tenantA))
	files := swmodtest.Serve(t)
	v1 := files.Put("/app-1.tar.gz", appBundleFor(t, "1", tcpPort(t)))
	v2 := files.Put("/app-2.tar.gz", appBundleFor(t, "2", tcpPort(t)))

	// The follower refuses and names the leader.
	f := watchRollouts(appsClient(t, nodes[0], tenantA))
	if code, msg := f.run(t, meshRoot+"RolloutDU()", "on-follower", map[string]string{"URL": v1}); code != 7002 || !strings.Contains(msg, string(lead.AgentID())) {
		t.Fatalf("RolloutDU() on a follower: %d %q, want 7002 naming %s", code, msg, lead.AgentID())
	}
	if code, msg := f.run(t, smBase+"X_USPMESH_DeployDU()", "deploy-direct", map[string]string{"URL": v1, "UUID": "x",
		"Owner": tenantA, "Term": "999"}); code != 7006 {
		t.Fatalf("a tenant's own X_USPMESH_DeployDU(): %d %q, want 7006", code, msg)
	}

	out := runRollout(t, a, "roll-1", map[string]string{"URL": v1, "UUID": "app", "AutoStart": "false"})
	if out["Status"] != "Complete" {
		t.Fatalf("first rollout: %v", out)
	}
	for i, n := range nodes {
		p := "Node." + string(rune('1'+i)) + "."
		if out[p+"EndpointID"] != string(n.AgentID()) || out[p+"Result"] != "Installed" || out[p+"Version"] != "1" ||
			!strings.HasPrefix(out[p+"DeploymentUnitRef"], smDU) || out[p+"FaultCode"] != "0" {
			t.Fatalf("first rollout, node %d (%s): %v", i+1, n.AgentID(), out)
		}
		if v := unitOf(n, tenantA, "app"); v != "1" {
			t.Fatalf("node %s: A's unit at version %q, want 1", n.AgentID(), v)
		}
	}
	if got := get(t, lead, rolloutObj+"Status"); got != "Complete" {
		t.Fatalf("Rollout.Status %q", got)
	}
	// The units are A's: B sees none of them and may not stop or remove
	// them (7006).
	b := appsClient(t, nodes[0], tenantB)
	if resp, err := b.c.client.Get(ctx, b.c.agent, 0, smDU); err != nil || len(resp.GetReqPathResults()[0].GetResolvedPathResults()) != 0 {
		t.Fatalf("B's Get of %s on a follower: %v %v", smDU, resp, err)
	}
	ap := nodes[0].apps.Load()
	ap.mu.Lock()
	var duRow, euRow string
	for _, r := range ap.duRow {
		duRow = r
	}
	for _, r := range ap.euRow {
		euRow = r
	}
	ap.mu.Unlock()
	if code, _ := b.run(t, euRow+"SetRequestedState()", "b-stop", map[string]string{"RequestedState": "Idle"}); code != uint32(usp.ErrPermissionDenied) {
		t.Fatalf("B stops A's rolled-out EU %s: code %d, want 7006", euRow, code)
	}
	if code, _ := b.run(t, duRow+"Uninstall()", "b-uninstall", nil); code != uint32(usp.ErrPermissionDenied) {
		t.Fatalf("B uninstalls A's rolled-out DU %s: code %d, want 7006", duRow, code)
	}

	// The middle node follows a newer term than the leader's.
	if err := nodes[1].fence.Raise(lead.fence.Term() + 5); err != nil {
		t.Fatal(err)
	}
	out = runRollout(t, a, "roll-2", map[string]string{"URL": v2, "UUID": "app", "Version": "2", "AutoStart": "false"})
	if out["Status"] != "Failed" || out["Node.1.Result"] != "Updated" || out["Node.1.Version"] != "2" ||
		out["Node.2.Result"] != "Failed" || out["Node.2.FaultCode"] != "7002" || !strings.Contains(out["Node.2.FaultString"], "stale leader term") ||
		out["Node.3.Result"] != "NotAttempted" {
		t.Fatalf("second rollout: %v", out)
	}
	for i, want := range []string{"2", "1", "1"} {
		if v := unitOf(nodes[i], tenantA, "app"); v != want {
			t.Fatalf("after the failed rollout, node %d has version %q, want %s", i+1, v, want)
		}
	}
	if got := get(t, lead, rolloutObj+"Status"); got != "Failed" {
		t.Fatalf("Rollout.Status %q", got)
	}
	row := rolloutNodes + `[EndpointID=="` + string(lead.AgentID()) + `"].`
	if got := get(t, lead, row+"Result"); got != "NotAttempted" {
		t.Fatalf("the leader's Rollout.Node row: %q", got)
	}
}

// runRollout runs RolloutDU() as in and returns its output arguments.
func runRollout(t *testing.T, in *inbox, key string, args map[string]string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := in.c.client.Operate(ctx, in.c.agent, meshRoot+"RolloutDU()", key, args)
	if err != nil || len(resp.GetOperationResults()) != 1 || resp.GetOperationResults()[0].GetReqObjPath() == "" {
		t.Fatalf("RolloutDU(): %v %v", resp, err)
	}
	nt := in.wait(t, 90*time.Second, "RolloutDU()'s OperationComplete", func(nt *uspmsg.Notify) bool {
		return nt.GetOperComplete().GetCommandKey() == key
	})
	if f := nt.GetOperComplete().GetCmdFailure(); f != nil {
		t.Fatalf("RolloutDU() failed: %d %s", f.GetErrCode(), f.GetErrMsg())
	}
	return nt.GetOperComplete().GetReqOutputArgs().GetOutputArgs()
}
