package node

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio/sim"
)

// TestHomeOnLoopback runs a three-AP home in one test process, without
// root: three real nodes on loopback (real DTLS between them, real
// memberlist gossip seeded statically instead of mDNS), each on the sim
// radios of homes/house.json. They elect one leader; its control loop
// measures every Agent over USP, plans and switches their channels
// (every AP starts on the same channel), and its keep-alives mark every
// node Reachable.
func TestHomeOnLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-node home takes several seconds")
	}
	secret := writeSecret(t, t.TempDir())
	air := t.TempDir()
	home := filepath.Join("..", "homes", "house.json")
	names := []string{"ap1", "ap2", "ap3"}
	ports := freePorts(t, 3*len(names))
	var seeds []string
	for i := range names {
		seeds = append(seeds, fmt.Sprintf("127.0.0.1:%d", ports[3*i+2]))
	}
	ds := &discoverers{}
	var nodes []*Node
	for i, name := range names {
		sc := sim.DefaultConfig()
		sc.HomePath, sc.Node, sc.AirDir, sc.CACTime = home, name, air, time.Second
		sc.Logger = testLogger(t)
		radios, err := sim.Open(context.Background(), sc)
		if err != nil {
			t.Fatal(err)
		}
		cfg := meshConfig(t, secret, ports[3*i:3*i+3], 10-i, seeds...)
		n := startNode(t, cfg, Deps{Radios: radios, Discover: ds.discover})
		t.Cleanup(func() { _ = radios.Close() }) // after the node's Close (cleanups run last-in first-out)
		nodes = append(nodes, n)
	}
	leaderID := ""
	waitFor(t, 30*time.Second, "one leader that every node follows", func() bool {
		l := get(t, nodes[0], "Device.X_USPMESH_Mesh.Leader")
		if l == "" {
			return false
		}
		for _, n := range nodes {
			if get(t, n, "Device.X_USPMESH_Mesh.Leader") != l {
				return false
			}
		}
		leaderID = l
		return true
	})
	var lead *Node
	for _, n := range nodes {
		if string(n.AgentID()) == leaderID {
			lead = n
		}
	}
	if lead == nil || get(t, lead, "Device.X_USPMESH_Mesh.Status") != "Leader" {
		t.Fatalf("leader %s is not one of the nodes or does not say Leader", leaderID)
	}
	waitFor(t, 60*time.Second, "the leader to apply a channel plan", func() bool {
		return get(t, lead, "Device.X_USPMESH_Mesh.Plan.LastApplied") != "0001-01-01T00:00:00Z" &&
			get(t, lead, "Device.X_USPMESH_Mesh.Plan.Status") == "Idle"
	})
	if msg := get(t, lead, "Device.X_USPMESH_Mesh.Plan.Message"); msg != "" {
		t.Fatalf("plan ended with %q", msg)
	}
	// The 5 GHz radios all started on one channel; after the plan they
	// do not all share it.
	chans := map[string]bool{}
	for _, n := range nodes {
		chans[get(t, n, "Device.WiFi.Radio.2.Channel")] = true
	}
	if len(chans) < 2 {
		t.Fatalf("5 GHz channels after the plan: %v, want them spread", chans)
	}
	waitFor(t, 30*time.Second, "every node Reachable from the leader", func() bool {
		for _, n := range nodes {
			p := "Device.X_USPMESH_Mesh.Node.[EndpointID==\"" + string(n.AgentID()) + "\"].Reachable"
			if rows(t, lead, "Device.X_USPMESH_Mesh.Node.") < len(nodes)-1 {
				return false
			}
			if n != lead && getOr(t, lead, p) != "true" {
				return false
			}
		}
		return true
	})
}

// getOr returns one parameter's value, or "" when the path names none.
func getOr(t testing.TB, n *Node, param string) string {
	t.Helper()
	res, err := n.Model().Get(context.Background(), mustPath(t, param), 0, nil)
	if err != nil || len(res) != 1 || len(res[0].Params) != 1 {
		return ""
	}
	return res[0].Params[0].Value
}
