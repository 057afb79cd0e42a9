//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestFaultReadOnlyAtBoot: a node whose state dir is read-only when
// meshd starts (a flash that failed and was remounted read-only while
// the AP was off) still starts, rejoins its home and serves (meshd
// exited at start before: its data model was saved even when nothing
// had changed). It follows the leader; it cannot be elected, as it
// cannot persist a term.
func TestFaultReadOnlyAtBoot(t *testing.T) {
	h := startHome(t, HomeConfig{Nodes: 3, Profile: "fast"})
	all := seq(0, 3)
	leader, _ := awaitAgreement(t, h, all)
	ri := (indexOf(h, leader) + 1) % 3
	if err := h.Stop(ri); err != nil {
		t.Fatal(err)
	}
	n, err := h.Node(ri)
	if err != nil {
		t.Fatal(err)
	}
	dir := n.StateDir
	mount := func(args ...string) error {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("mount %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
		return nil
	}
	// A read-only bind mount of the dir on itself, in our mount
	// namespace: ip netns exec copies it into the restarted meshd's.
	if err := mount("--bind", dir, dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	if err := mount("-o", "remount,bind,ro", dir); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := h.Restart(t.Context(), ri); err != nil {
		t.Fatalf("node %d with a read-only state dir did not start: %v", ri, err)
	}
	l, _ := awaitAgreement(t, h, all)
	t.Logf("figures: node %d restarted on a read-only state dir and follows %s after %v", ri, l, time.Since(t0).Round(time.Millisecond))
	if l == string(n.AgentID) {
		t.Fatalf("the read-only node %d leads", ri)
	}
}
