package election

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// breakDir replaces the directory dir with a regular file, so that no
// file can be created in it, even by root.
func breakDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUnpersistableNodeNotCandidate: the node the rule prefers (n1,
// lowest name) cannot write its state file. It withdraws from candidacy
// (its event says why, the others see it withdrawn), and the others elect
// among themselves within FastProfile's failover bound (4 s) after the
// start-up wait. Once its state dir is back, it follows the leader and
// stands again: when that leader dies, n1 takes over.
func TestUnpersistableNodeNotCandidate(t *testing.T) {
	h := newHarness(t, FastProfile())
	dir := filepath.Join(h.dir, "n1")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := h.config("n1", 0, 0)
	cfg.StateFile = filepath.Join(dir, "n1.state")
	n1 := h.start(cfg)
	breakDir(t, dir)
	nodes := []*testNode{n1, h.start(h.config("n2", 0, 0)), h.start(h.config("n3", 0, 0))}
	h.seedAll(nodes)
	others := nodes[1:]
	waitFor(t, h.wait+4*time.Second, func() (bool, string) {
		why := ""
		ok := true
		for _, n := range others {
			term, leader, is := n.c.Leader()
			why += fmt.Sprintf("%s:(%d,%s,%v) ", n.name, term, leader, is)
			ok = ok && leader == "n2" && len(aliveNames(n)) == 3
		}
		return ok, why
	})
	if _, leader, is := n1.c.Leader(); leader != "" || is {
		t.Fatalf("n1 follows %q (leading %v) without persisting it", leader, is)
	}
	ev := waitEvent(t, n1, 2*time.Second, func(ev LeaderChange) bool { return ev.PersistErr != nil })
	var se *StateFileError
	if !errors.As(ev.PersistErr, &se) || se.Op != "write" || se.Path != cfg.StateFile {
		t.Fatalf("PersistErr %v, want a write error of %s", ev.PersistErr, cfg.StateFile)
	}
	if !withdrawnIn(nodes[1], "n1") {
		t.Fatal("n2 does not see n1 withdrawn")
	}

	// Repair: n1 writes again within PersistRetry, follows n2 and stands.
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, n1, 2*time.Second, func(ev LeaderChange) bool { return ev.PersistErr == nil })
	v, _ := waitAgreed(t, nodes, 3*time.Second)
	if v.Leader != "n2" {
		t.Fatalf("after the repair all follow %v, want n2 still (sticky)", v)
	}
	waitFor(t, 2*time.Second, func() (bool, string) { return !withdrawnIn(nodes[2], "n1"), "n3 still sees n1 withdrawn" })
	if p, err := loadState(cfg.StateFile); err != nil || p != v {
		t.Fatalf("n1 persisted %v, %v; want %v", p, err, v)
	}
	h.kill(nodes[1])
	v2, took := waitAgreed(t, []*testNode{n1, nodes[2]}, 4*time.Second)
	if v2.Leader != "n1" || v2.Term <= v.Term {
		t.Fatalf("after n2's death all follow %v, want n1 above term %d", v2, v.Term)
	}
	t.Logf("failover to the repaired n1: %v", took.Round(time.Millisecond))
}

// TestLeaderLosesPersistence: a leader whose state file stops being
// writable keeps leading while no new term is due; when a newcomer with
// a higher line asks for a bump, it cannot persist it, withdraws and
// steps down, and the others elect above that line.
func TestLeaderLosesPersistence(t *testing.T) {
	h := newHarness(t, FastProfile())
	dir := filepath.Join(h.dir, "n1")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := h.config("n1", 0, 0)
	cfg.StateFile = filepath.Join(dir, "n1.state")
	nodes := []*testNode{h.start(cfg), h.start(h.config("n2", 0, 0)), h.start(h.config("n3", 0, 0))}
	h.seedAll(nodes)
	v1, _ := waitAgreed(t, nodes, 5*time.Second)
	if v1.Leader != "n1" {
		t.Fatalf("leader %v, want n1", v1)
	}
	breakDir(t, dir)

	// A newcomer that followed term 9 elsewhere: n1 must bump to 10.
	nc := h.config("n4", 0, 0)
	if err := saveState(nc.StateFile, Vote{Term: 9, Leader: "zz"}); err != nil {
		t.Fatal(err)
	}
	all := append(nodes, h.start(nc))
	h.seedAll(all)
	waitEvent(t, nodes[0], 5*time.Second, func(ev LeaderChange) bool { return ev.PersistErr != nil })
	others := all[1:]
	waitFor(t, 5*time.Second, func() (bool, string) {
		why := ""
		ok := true
		for _, n := range others {
			term, leader, is := n.c.Leader()
			why += fmt.Sprintf("%s:(%d,%s,%v) ", n.name, term, leader, is)
			ok = ok && leader == "n2" && term > 9
		}
		return ok, why
	})
	if _, _, is := nodes[0].c.Leader(); is {
		t.Fatal("n1 still leads without persisting its term")
	}
}

// waitEvent reads n's events until one satisfies cond, failing after
// timeout.
func waitEvent(t *testing.T, n *testNode, timeout time.Duration, cond func(LeaderChange) bool) LeaderChange {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-n.c.Events():
			if !ok {
				t.Fatalf("%s: events closed", n.name)
			}
			if cond(ev) {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("%s: no such event within %v", n.name, timeout)
		}
	}
}

// withdrawnIn reports whether n sees member name alive and withdrawn.
func withdrawnIn(n *testNode, name string) bool {
	for _, m := range n.c.Members() {
		if m.Name == name && m.State == StateAlive {
			return m.Withdrawn
		}
	}
	return false
}

// TestMinTermFloor: a node whose state file holds a lower term than
// MinTerm, or none, starts from MinTerm: alone, it claims MinTerm + 1.
func TestMinTermFloor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state *Vote
	}{
		{"no state file", nil},
		{"lower term in state file", &Vote{Term: 3, Leader: "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, FastProfile())
			cfg := h.config("n1", 0, 0)
			cfg.MinTerm = 7
			if tc.state != nil {
				if err := saveState(cfg.StateFile, *tc.state); err != nil {
					t.Fatal(err)
				}
			}
			n := h.start(cfg)
			v, _ := waitAgreed(t, []*testNode{n}, 3*time.Second)
			if v != (Vote{Term: 8, Leader: "n1"}) {
				t.Fatalf("claimed %v, want term 8", v)
			}
			if p, err := loadState(cfg.StateFile); err != nil || p != v {
				t.Fatalf("persisted %v, %v; want %v", p, err, v)
			}
		})
	}
}
