//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio/sim"
)

// The tests of this package run real meshd processes in network
// namespaces. Those needing root skip without it, unless
// USPMESH_REQUIRE_ROOT_TESTS=1 (then they fail).

var (
	binDir    string
	liveHomes sync.Map // *Home → struct{}, for teardown on a signal
)

func TestMain(m *testing.M) {
	maybeRunRelay()     // this test binary is also the Controller's relay
	maybeRunFaultTool() // and the rogue host of the fault suite
	dir, err := os.MkdirTemp("", "vhome-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, cmd := range []string{"meshd", "meshctl"} {
		if checkPrivileges() != nil {
			break // the tests that run them will skip (or fail)
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "github.com/uspmesh/uspmesh/cmd/"+cmd).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", cmd, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	// On Ctrl-C, tear the live homes down before dying.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		liveHomes.Range(func(h, _ any) bool { _ = h.(*Home).Close(); return true })
		os.RemoveAll(dir)
		os.Exit(1)
	}()
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needRoot skips t without the privileges StartHome needs.
func needRoot(t *testing.T) {
	t.Helper()
	if err := checkPrivileges(); err != nil {
		if os.Getenv("USPMESH_REQUIRE_ROOT_TESTS") == "1" {
			t.Fatalf("USPMESH_REQUIRE_ROOT_TESTS=1 but: %v", err)
		}
		t.Skip(err)
	}
}

// startHome starts a home for t with the test's meshd and logger; Close
// is registered as a cleanup.
func startHome(t *testing.T, cfg HomeConfig) *Home {
	t.Helper()
	needRoot(t)
	cfg.MeshdPath = filepath.Join(binDir, "meshd")
	cfg.Logger = testLogger(t)
	t0 := time.Now()
	h, err := StartHome(t.Context(), cfg)
	if err != nil {
		t.Fatalf("StartHome: %v", err)
	}
	liveHomes.Store(h, struct{}{})
	t.Cleanup(func() {
		defer liveHomes.Delete(h)
		if err := h.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Logf("home %s of %d nodes up in %v", h.Prefix(), len(h.Nodes()), time.Since(t0).Round(time.Millisecond))
	return h
}

// testLogger logs to t's output until t ends (later logs are dropped).
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{w: t.Output()}
	t.Cleanup(w.stop) // registered first, runs last
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	w    io.Writer
	done bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(b), nil
	}
	return w.w.Write(b)
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// waitFor polls cond every 100 ms until it returns nil or d passes,
// and returns its last error.
func waitFor(d time.Duration, cond func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// getName reads node i's FriendlyName through the harness, bounded by d.
func getName(h *Home, i int, d time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	v, err := h.Get(ctx, i, "Device.DeviceInfo.FriendlyName")
	return v["Device.DeviceInfo.FriendlyName"], err
}

// assertGone checks that nothing of run prefix is left: namespaces,
// processes (their command lines name the run's dir or prefix), marker,
// run dir.
func assertGone(t *testing.T, prefix, runDir string) {
	t.Helper()
	names, err := listNamespaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for ns := range names {
		if strings.HasPrefix(ns, prefix+"-") {
			t.Errorf("namespace %s left", ns)
		}
	}
	for _, p := range procsMatching(prefix, runDir) {
		t.Errorf("process left: %s", p)
	}
	if _, err := os.Stat(filepath.Join(markerDir, prefix+".json")); err == nil {
		t.Errorf("marker of %s left", prefix)
	}
	if runDir != "" {
		if _, err := os.Stat(runDir); err == nil {
			t.Errorf("run dir %s left", runDir)
		}
	}
}

// procsMatching lists the live processes whose command line contains one
// of the (non-empty) strings.
func procsMatching(subs ...string) []string {
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil || len(b) == 0 {
			continue
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		for _, s := range subs {
			if s != "" && strings.Contains(cmdline, s) {
				out = append(out, filepath.Base(filepath.Dir(d))+": "+cmdline)
				break
			}
		}
	}
	return out
}

// writeHomeFile writes home as JSON into a file named name in a
// directory the test removes, and returns its path.
// loadHome reads homes/<name>, the repository's home descriptions.
func loadHome(t *testing.T, name string) *sim.Home {
	t.Helper()
	home, err := sim.LoadHome(filepath.Join("..", "..", "homes", name))
	if err != nil {
		t.Fatal(err)
	}
	return home
}

func writeHomeFile(t *testing.T, home *sim.Home, name string) string {
	t.Helper()
	data, err := json.MarshalIndent(home, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
