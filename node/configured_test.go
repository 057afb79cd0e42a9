package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel/access"
)

// TestRemovedControllerLosesAccess: a Controller dropped from the
// configuration loses its row (role) and its subscriptions at the next
// start (before, it kept FullAccess for ever); a Controller that stays
// configured, and one added over USP, keep theirs.
func TestRemovedControllerLosesAccess(t *testing.T) {
	const gone, added = "proto::gone", "proto::added-over-usp"
	cfg := baseConfig(t)
	cfg.Controllers = append(cfg.Controllers, ControllerConfig{EndpointID: gone, Role: "full"})
	n := startNode(t, cfg, Deps{})
	ctx := context.Background()
	if err := access.AssignRole(ctx, n.Model(), added, []string{n.rolePaths[monitorRole().Name]}); err != nil {
		t.Fatal(err)
	}
	row := getOr(t, n, `Device.LocalAgent.Controller.[EndpointID=="`+gone+`"].AssignedRole`)
	if row == "" {
		t.Fatal("the configured Controller has no role: the test premise is wrong")
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	cfg.Controllers = cfg.Controllers[:1]
	n2 := startNode(t, cfg, Deps{})
	for id, want := range map[string]bool{gone: false, testCtl: true, added: true} {
		got := getOr(t, n2, `Device.LocalAgent.Controller.[EndpointID=="`+id+`"].EndpointID`) != ""
		if got != want {
			t.Errorf("Controller %s has a row: %v, want %v", id, got, want)
		}
	}
	c := dialNode(t, n2, gone, testPSK)
	if _, err := c.client.Set(ctx, n2.AgentID(), false, setName("hijacked")); err == nil {
		t.Error("the removed Controller can still Set")
	}
	c2 := dialNode(t, n2, testCtl, testPSK)
	if _, err := c2.client.Set(ctx, n2.AgentID(), false, setName("kept")); err != nil {
		t.Errorf("the configured Controller cannot Set: %v", err)
	}
}

// TestStateDirLocked: a second node on a state dir in use is refused
// with an error naming the holder; once the first closes, it starts.
func TestStateDirLocked(t *testing.T) {
	cfg := baseConfig(t)
	first := startNode(t, cfg, Deps{})
	_, err := New(context.Background(), cfg, Deps{Logger: testLogger(t)})
	if !errors.Is(err, ErrStateDirInUse) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second node on %s: %v, want ErrStateDirInUse naming pid %d", cfg.StateDir, err, os.Getpid())
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDir, lockFile)); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	startNode(t, cfg, Deps{})
}
