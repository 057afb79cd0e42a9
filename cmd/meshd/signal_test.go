//go:build unix

package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildMeshd builds this command into a temporary directory.
func buildMeshd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "meshd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runMeshd starts the meshd binary with args, collects its stdout and
// stderr lines, and waits (bounded) for its start line; the test's end
// kills it.
func runMeshd(t *testing.T, bin string, args ...string) (cmd *exec.Cmd, out, errs *lines) {
	t.Helper()
	cmd = exec.Command(bin, args...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out, errs = &lines{}, &lines{}
	go out.read(stdout)
	go errs.read(stderr)
	out.waitCount(t, "meshd: agent", 1, 20*time.Second)
	return cmd, out, errs
}

// lines collects a stream's lines for waiting on.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) read(r io.Reader) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		l.mu.Lock()
		l.all = append(l.all, s.Text())
		l.mu.Unlock()
	}
}

// count is how many lines so far contain sub.
func (l *lines) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.all {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func (l *lines) waitCount(t *testing.T, sub string, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for l.count(sub) < n {
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("waited %v for %d lines with %q; got:\n%s", d, n, sub, strings.Join(l.all, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSIGHUPReloads: SIGHUP restarts the node with the configuration
// re-read (before, SIGHUP killed meshd); a configuration that does not
// parse is refused and the node keeps running; SIGTERM then ends meshd
// cleanly (exit 0).
func TestSIGHUPReloads(t *testing.T) {
	bin := buildMeshd(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "meshd.json")
	if err := os.WriteFile(conf, []byte(`{"insecure": true, "listen": "127.0.0.1:0", "log_level": "info"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, out, errs := runMeshd(t, bin, "-config", conf, "-state-dir", filepath.Join(dir, "state"))

	// A controller added to the file: the reloaded node provisions it.
	if err := os.WriteFile(conf, []byte(`{"insecure": true, "listen": "127.0.0.1:0",
		"controllers": [{"endpoint_id": "proto::added", "role": "read"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	out.waitCount(t, "meshd: agent", 2, 20*time.Second)
	b, err := os.ReadFile(filepath.Join(dir, "state", "controllers.json"))
	if err != nil || !strings.Contains(string(b), "proto::added") {
		t.Fatalf("after the reload controllers.json is %q (%v), want proto::added", b, err)
	}

	if err := os.WriteFile(conf, []byte(`{"insecure": tru`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	errs.waitCount(t, "reload refused", 1, 20*time.Second)
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("meshd is gone after a bad reload: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("meshd after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("meshd did not end within 20 s of SIGTERM")
	}
	if n := out.count("meshd: agent"); n != 2 {
		t.Fatalf("%d starts, want 2", n)
	}
}

// TestVersionFlag: -version prints the command, its version and the
// platform, and exits 0 without starting anything.
func TestVersionFlag(t *testing.T) {
	out, err := exec.Command(buildMeshd(t), "-version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); !strings.HasPrefix(s, "meshd 0.") || !strings.Contains(s, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Fatalf("-version printed %q", s)
	}
}

// buildMeshctl builds the project's Controller CLI into a temporary
// directory.
func buildMeshctl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "meshctl")
	out, err := exec.Command("go", "build", "-o", bin, "../meshctl").CombinedOutput()
	if err != nil {
		t.Fatalf("go build meshctl: %v\n%s", err, out)
	}
	return bin
}

// lastStart returns the Agent's Endpoint ID and URL of the last start
// line.
func (l *lines) lastStart(t *testing.T) (id, url string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.all) - 1; i >= 0; i-- {
		if f := strings.Fields(l.all[i]); len(f) == 5 && f[1] == "agent" && f[3] == "at" {
			return f[2], f[4]
		}
	}
	t.Fatal("no start line")
	return "", ""
}

// TestRebootAndFactoryReset: Device.Reboot() restarts the node inside
// the running meshd (it answered "not supported" before) and the next
// start keeps what was set; Device.FactoryReset() restarts it with the
// data model wiped (a name set over USP is gone) and the same Endpoint
// ID.
func TestRebootAndFactoryReset(t *testing.T) {
	meshd, meshctl := buildMeshd(t), buildMeshctl(t)
	dir := t.TempDir()
	cmd, out, _ := runMeshd(t, meshd, "-insecure", "-listen", "127.0.0.1:0", "-state-dir", dir,
		"-controller", "proto::meshctl=full", "-friendly-name", "configured")
	ctl := func(args ...string) string {
		t.Helper()
		id, url := out.lastStart(t)
		full := append([]string{"-url", url, "-agent", id, "-listen", "127.0.0.1:0", "-timeout", "5s"}, args...)
		b, err := exec.Command(meshctl, full...).CombinedOutput()
		if err != nil {
			t.Fatalf("meshctl %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	firstID, _ := out.lastStart(t)
	ctl("set", "Device.DeviceInfo.", "FriendlyName=renamed")
	ctl("operate", "Device.Reboot()")
	out.waitCount(t, "meshd: agent", 2, 20*time.Second)
	if got := ctl("get", "Device.DeviceInfo.FriendlyName"); !strings.Contains(got, "renamed") {
		t.Fatalf("after Reboot() FriendlyName reads %q, want the name set before", got)
	}
	ctl("operate", "Device.FactoryReset()")
	out.waitCount(t, "meshd: agent", 3, 20*time.Second)
	if got := ctl("get", "Device.DeviceInfo.FriendlyName"); !strings.Contains(got, "configured") || strings.Contains(got, "renamed") {
		t.Fatalf("after FactoryReset() FriendlyName reads %q, want the configured one", got)
	}
	if id, _ := out.lastStart(t); id != firstID {
		t.Fatalf("FactoryReset() changed the Endpoint ID %s to %s", firstID, id)
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("meshd is gone: %v", err)
	}
}
