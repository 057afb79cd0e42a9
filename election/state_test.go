package election

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "election.state")

	if v, err := loadState(path); err != nil || !v.IsZero() {
		t.Fatalf("missing file: %v, %v", v, err)
	}
	if v, err := loadState(""); err != nil || !v.IsZero() {
		t.Fatalf("no file: %v, %v", v, err)
	}
	if err := saveState(path, Vote{5, "os::x"}); err != nil {
		t.Fatal(err)
	}
	if v, err := loadState(path); err != nil || v != (Vote{5, "os::x"}) {
		t.Fatalf("load: %v, %v", v, err)
	}
	if err := saveState(path, Vote{6, "os::y"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := loadState(path); v != (Vote{6, "os::y"}) {
		t.Fatalf("overwrite: %v", v)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

// (f) A corrupt state file is an error naming the file, from loadState and
// from Start.
func TestStateFileCorrupt(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"garbage", "\x00\x01garbage"},
		{"truncated", `{"term": 3, "lea`},
		{"term without leader", `{"term": 3, "leader": ""}`},
		{"leader without term", `{"term": 0, "leader": "a"}`},
		{"unknown field", `{"term": 3, "leader": "a", "x": 1}`},
		{"trailing", `{"term": 3, "leader": "a"} {}`},
		{"negative term", `{"term": -3, "leader": "a"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "election.state")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadState(path)
			var se *StateFileError
			if !errors.As(err, &se) || se.Path != path || se.Op != "parse" || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v", err)
			}
			h := newHarness(t, FastProfile())
			cfg := h.config("a", 0, 0)
			cfg.StateFile = path
			c, err := Start(context.Background(), cfg)
			if err == nil {
				c.Close()
				t.Fatal("Start accepted a corrupt state file")
			}
			if !errors.As(err, &se) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Start: %v", err)
			}
		})
	}
}

func TestStateFileWriteError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "election.state")
	err := saveState(path, Vote{1, "a"})
	var se *StateFileError
	if !errors.As(err, &se) || se.Op != "write" || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

// A new term that cannot be persisted is not followed or announced: the
// node stays without a leader until the state file can be written.
func TestPersistFailureBlocksClaim(t *testing.T) {
	h := newHarness(t, FastProfile())
	dir := filepath.Join(t.TempDir(), "state")
	cfg := h.config("solo", 0, 0)
	cfg.StateFile = filepath.Join(dir, "election.state")
	n := h.start(cfg) // the directory does not exist: first start, nothing to load
	deadline := time.Now().Add(h.wait + 5*h.profile.RecheckInterval)
	for time.Now().Before(deadline) {
		if term, leader, is := n.c.Leader(); leader != "" || is || term != 0 {
			t.Fatalf("followed (%d, %q, %v) without persisting it", term, leader, is)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if v, _ := waitAgreed(t, []*testNode{n}, 3*time.Second); v != (Vote{1, "solo"}) {
		t.Fatalf("after the directory appeared: %v", v)
	}
	if v, err := loadState(cfg.StateFile); err != nil || v != (Vote{1, "solo"}) {
		t.Fatalf("persisted %v, %v", v, err)
	}
}
