package node

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nodeRow returns one parameter of the Node row of id on n, or "" when
// there is no such row.
func nodeRow(t testing.TB, n *Node, id, param string) string {
	return getOr(t, n, `Device.X_USPMESH_Mesh.Node.[EndpointID=="`+id+`"].`+param)
}

// TestLostNodeRowsExpire runs three nodes on loopback. On a follower
// every node's row reads Reachable true while gossip hears it (it read
// false on followers before: only the leader wrote it). When a node
// stops, its row turns Lost and Reachable false, and after
// LostNodeExpiry the row is gone (it stayed for ever before).
func TestLostNodeRowsExpire(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-node mesh takes several seconds")
	}
	secret := writeSecret(t, t.TempDir())
	ds := &discoverers{}
	var nodes []*Node
	for _, cfg := range meshConfigs(t, secret, 3) {
		cfg.LostNodeExpiry = Duration(3 * time.Second)
		n, err := New(context.Background(), cfg, Deps{Logger: testLogger(t), Discover: ds.discover})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	closed := map[*Node]bool{}
	t.Cleanup(func() {
		for _, n := range nodes {
			if !closed[n] {
				_ = n.Close()
			}
		}
	})
	var lead *Node
	waitFor(t, 30*time.Second, "one leader that every node follows", func() bool {
		l := get(t, nodes[0], "Device.X_USPMESH_Mesh.Leader")
		for _, n := range nodes {
			if l == "" || get(t, n, "Device.X_USPMESH_Mesh.Leader") != l {
				return false
			}
			if string(n.AgentID()) == l {
				lead = n
			}
		}
		return lead != nil
	})
	var followers []*Node
	for _, n := range nodes {
		if n != lead {
			followers = append(followers, n)
		}
	}
	waitFor(t, 15*time.Second, "every node Reachable on both followers", func() bool {
		for _, f := range followers {
			for _, n := range nodes {
				if nodeRow(t, f, string(n.AgentID()), "Reachable") != "true" {
					return false
				}
			}
		}
		return true
	})

	gone, watcher := followers[1], followers[0]
	id := string(gone.AgentID())
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	closed[gone] = true
	start := time.Now()
	waitFor(t, 30*time.Second, "the stopped node's row to say Lost, not Reachable, on the other follower", func() bool {
		return nodeRow(t, watcher, id, "Status") == "Lost" && nodeRow(t, watcher, id, "Reachable") == "false"
	})
	lostAt := time.Since(start)
	waitFor(t, 30*time.Second, "the lost node's row to expire on every other node", func() bool {
		return nodeRow(t, watcher, id, "Status") == "" && nodeRow(t, lead, id, "Status") == ""
	})
	t.Logf("row Lost after %v, removed after %v (expiry 3s)", lostAt.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	// The others' rows stay.
	for _, n := range []*Node{lead, watcher} {
		if nodeRow(t, watcher, string(n.AgentID()), "Status") == "" {
			t.Fatalf("the row of live node %s went too", n.AgentID())
		}
	}
}

// TestMissingIdentityWarns: a node whose identity.json is gone while its
// earlier state is still there gets a new Endpoint ID, and says so
// loudly (before, it did so silently).
func TestMissingIdentityWarns(t *testing.T) {
	cfg := baseConfig(t)
	first := startNode(t, cfg, Deps{})
	old := first.AgentID()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(cfg.StateDir, identityFile)); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	second := startNode(t, cfg, Deps{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if second.AgentID() == old {
		t.Fatalf("Endpoint ID %s kept without identity.json: the test premise is wrong", old)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "NEW Endpoint ID") ||
		!strings.Contains(out, "datamodel.json") || !strings.Contains(out, string(second.AgentID())) {
		t.Fatalf("no warning naming the new identity and the earlier state; log:\n%s", out)
	}
	// A genuinely first start is quiet about it.
	logs2 := &syncBuffer{}
	startNode(t, baseConfig(t), Deps{Logger: slog.New(slog.NewTextHandler(logs2, nil))})
	if strings.Contains(logs2.String(), "NEW Endpoint ID") {
		t.Fatalf("first start warned of a lost identity:\n%s", logs2.String())
	}
}
