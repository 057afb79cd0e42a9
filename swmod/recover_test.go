package swmod

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A process that died mid-operation leaves nothing half-installed: New
// removes temporary trees, directories the state does not know and DUs
// caught Installing or Uninstalling, and brings one caught Updating back
// to Installed on its old version.
func TestRecoverInterrupted(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "swmod")
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mk(".tmp/du-123/rootfs")
	mk("00000000000000aa/v1/rootfs") // unknown to the state: half-installed
	mk("00000000000000bb/v1/rootfs") // Installing
	mk("00000000000000cc/v2/rootfs") // Updating from v2
	mk("00000000000000cc/v3/rootfs") // the update it was placing
	st := state{
		DUs: []DU{
			{DUID: "00000000000000bb", Status: DUInstalling, EUIDs: []string{"e-bb"}},
			{DUID: "00000000000000cc", Status: DUUpdating, Gen: 2, Version: "2", EUIDs: []string{"e-cc"}},
		},
		EUs: []EU{
			{EUID: "e-bb", DUID: "00000000000000bb", Status: EUIdle, RequestedState: WantIdle},
			{EUID: "e-cc", DUID: "00000000000000cc", Status: EUActive, RequestedState: WantIdle},
		},
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(root, "state.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), TestConfig(dir), Process{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dus := e.DUs()
	if len(dus) != 1 || dus[0].DUID != "00000000000000cc" || dus[0].Status != DUInstalled || dus[0].Gen != 2 {
		t.Fatalf("DUs after recovery: %+v", dus)
	}
	if eus := e.EUs(); len(eus) != 1 || eus[0].EUID != "e-cc" || eus[0].Status != EUIdle {
		t.Fatalf("EUs after recovery: %+v", eus)
	}
	got := listing(t, root)
	for _, gone := range []string{".tmp/du-123", "00000000000000aa", "00000000000000bb", "00000000000000cc/v3"} {
		if slices.Contains(got, gone) {
			t.Errorf("%s survived recovery: %q", gone, got)
		}
	}
	if !slices.Contains(got, "00000000000000cc/v2/rootfs") {
		t.Errorf("the Updating DU's old version is gone: %q", got)
	}
}

// TestReopenDoesNotRewriteState: opening an ExecEnv whose state needs no
// recovery writes nothing, so a node whose state dir turned read-only
// still opens it.
func TestReopenDoesNotRewriteState(t *testing.T) {
	dir := t.TempDir()
	e, err := New(context.Background(), Config{Dir: dir}, Process{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "swmod", "state.json")
	before, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	e, err = New(context.Background(), Config{Dir: dir}, Process{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	after, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("reopening rewrote state.json")
	}
}
