package node

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// breakStateDir moves dir aside and puts a regular file in its place, so
// that nothing can be written in it, even by root (chmod does not stop
// root). The returned function puts the directory back.
func breakStateDir(t *testing.T, dir string) (repair func()) {
	t.Helper()
	aside := dir + ".aside"
	if err := os.Rename(dir, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(aside, dir); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUnpersistableNodeWithdraws: the node the rule prefers (highest
// priority) loses its state dir right after its mesh starts, before any
// election. It says Degraded (cannot persist the leader term, not a
// candidate) and the two others elect one of themselves; once its state
// dir is back, it follows that leader.
func TestUnpersistableNodeWithdraws(t *testing.T) {
	secret := writeSecret(t, t.TempDir())
	ds := &discoverers{}
	cfgs := meshConfigs(t, secret, 3)
	nodes := make([]*Node, 3)
	for i := range nodes {
		nodes[i] = startNode(t, cfgs[i], Deps{Discover: ds.discover})
	}
	best := nodes[0]
	waitFor(t, 10*time.Second, "the preferred node's mesh to start", func() bool { return best.meshNow() != nil })
	repair := breakStateDir(t, cfgs[0].StateDir)
	broken := time.Now()

	others := nodes[1:]
	leaderID := ""
	waitFor(t, 15*time.Second, "the two others to elect one of themselves", func() bool {
		l := get(t, others[0], "Device.X_USPMESH_Mesh.Leader")
		if l == "" || l == string(best.AgentID()) || get(t, others[1], "Device.X_USPMESH_Mesh.Leader") != l {
			return false
		}
		leaderID = l
		return true
	})
	t.Logf("figure: others elected %s %v after the state dir broke", leaderID, time.Since(broken).Round(time.Millisecond))
	if st := get(t, best, "Device.X_USPMESH_Mesh.Status"); st != "Degraded" {
		t.Fatalf("the unpersistable node's Status is %q, want Degraded", st)
	}
	if msg := get(t, best, "Device.X_USPMESH_Mesh.StatusMessage"); !strings.Contains(msg, "cannot persist the leader term") ||
		!strings.Contains(msg, "not a candidate") {
		t.Fatalf("StatusMessage %q", msg)
	}
	if l := get(t, best, "Device.X_USPMESH_Mesh.Leader"); l != "" {
		t.Fatalf("the unpersistable node follows %q", l)
	}

	repair()
	waitFor(t, 15*time.Second, "the repaired node to follow the leader", func() bool {
		return get(t, best, "Device.X_USPMESH_Mesh.Leader") == leaderID &&
			get(t, best, "Device.X_USPMESH_Mesh.Status") == "Follower"
	})
	if msg := get(t, best, "Device.X_USPMESH_Mesh.StatusMessage"); msg != "" {
		t.Fatalf("StatusMessage %q once the state dir is back", msg)
	}
	if best.fence.Term() == 0 {
		t.Fatal("the repaired node's fence holds no term")
	}
}

// TestCorruptElectionStateRecovered: a corrupt election.json does not
// keep the mesh down (it was reported as "config: gossip_port"): it is
// set aside as election.json.corrupt, and the node starts from its
// fence's term, so its first claim is above it.
func TestCorruptElectionStateRecovered(t *testing.T) {
	cfg := meshConfig(t, writeSecret(t, t.TempDir()), freePorts(t, 3), 1)
	garbage := []byte(`{"term": 3, "lea`)
	if err := os.WriteFile(filepath.Join(cfg.StateDir, "election.json"), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.StateDir, fenceFile), []byte(`{"term":7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, cfg, Deps{Discover: (&discoverers{}).discover})
	deadline := time.Now().Add(15 * time.Second)
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for get(t, n, "Device.X_USPMESH_Mesh.Status") != "Leader" {
		if time.Now().After(deadline) {
			t.Fatalf("the lone node does not lead: Status %q, StatusMessage %q",
				get(t, n, "Device.X_USPMESH_Mesh.Status"), get(t, n, "Device.X_USPMESH_Mesh.StatusMessage"))
		}
		<-poll.C
	}
	if term := get(t, n, "Device.X_USPMESH_Mesh.Term"); term != "8" {
		t.Fatalf("claimed term %s, want 8 (above the fence's 7)", term)
	}
	if b, err := os.ReadFile(filepath.Join(cfg.StateDir, "election.json.corrupt")); err != nil || !bytes.Equal(b, garbage) {
		t.Fatalf("corrupt file not kept aside: %q, %v", b, err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.StateDir, "election.json"))
	if err != nil || !strings.Contains(string(b), `"term":8`) {
		t.Fatalf("election.json after the claim: %q, %v", b, err)
	}
}

// TestElectionStateErrorNamesStateDir: an election state file that
// cannot be read (here a directory in its place) keeps the mesh down,
// reported under the state dir and the file's name, not the gossip port.
func TestElectionStateErrorNamesStateDir(t *testing.T) {
	cfg := meshConfig(t, writeSecret(t, t.TempDir()), freePorts(t, 3), 1)
	if err := os.Mkdir(filepath.Join(cfg.StateDir, "election.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, cfg, Deps{Discover: (&discoverers{}).discover})
	waitFor(t, 10*time.Second, "the mesh to report Degraded", func() bool {
		return get(t, n, "Device.X_USPMESH_Mesh.Status") == "Degraded"
	})
	msg := get(t, n, "Device.X_USPMESH_Mesh.StatusMessage")
	if !strings.HasPrefix(msg, "config: state_dir") || !strings.Contains(msg, "election.json: read:") {
		t.Fatalf("StatusMessage %q, want it under state_dir naming election.json", msg)
	}
}
