package main

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startLine is what meshd prints once its Agent serves.
var startLine = regexp.MustCompile(`^meshd: agent (\S+) at (\S+)$`)

// startMeshdCmd starts cmd, a meshd however wrapped (qemu, ip netns,
// chroot), keeping its stderr in logs and sending its stdout's lines on
// the channel, closed at its end.
func startMeshdCmd(t *testing.T, cmd *exec.Cmd) (<-chan string, *strings.Builder) {
	t.Helper()
	logs := &strings.Builder{}
	cmd.Stderr = logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines, logs
}

// awaitStartLine waits up to d for meshd's next line, its start line,
// and returns the Agent's Endpoint ID and URL; what names meshd in a
// failure.
func awaitStartLine(t *testing.T, lines <-chan string, logs *strings.Builder, what string, d time.Duration) (agent, url string) {
	t.Helper()
	select {
	case l, ok := <-lines:
		m := startLine.FindStringSubmatch(l)
		if !ok || m == nil {
			t.Fatalf("%s did not start: %q\n%s", what, l, logs.String())
		}
		return m[1], m[2]
	case <-time.After(d):
		t.Fatalf("%s: no start line within %v\n%s", what, d, logs.String())
	}
	return "", ""
}

// TestQEMUUser runs the static arm64 and mipsle meshd under qemu-user
// (invoked explicitly: binfmt_misc may not be registered) as a single
// insecure node on loopback, and asks it for its SoftwareVersion with the
// host's meshctl: it must be the version the build stamped.
func TestQEMUUser(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds meshd: skipped in -short")
	}
	t.Parallel()
	needTools(t, "go", "qemu-aarch64-static", "qemu-mipsel-static")
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	host, _ := targetByName("amd64")
	host.GOARCH = goarch(t)
	dir := t.TempDir()
	version := "0.0.0-qemu-test"
	if err := Build(ctx, root, filepath.Join(dir, "host"), host, version); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"arm64", "mipsle"} {
		t.Run(name, func(t *testing.T) {
			tg, _ := targetByName(name)
			start := time.Now()
			bin := filepath.Join(dir, name)
			if err := buildMeshd(ctx, bin, tg, version); err != nil {
				t.Fatal(err)
			}
			built := time.Since(start)
			start = time.Now()
			agent, url := startUnderQEMU(t, ctx, tg.QEMU, filepath.Join(bin, "meshd"))
			up := time.Since(start)
			out, err := exec.CommandContext(ctx, filepath.Join(dir, "host/meshctl"), "-url", url, "-agent", agent,
				"-listen", "127.0.0.1:0", "-timeout", "20s", "get", "Device.DeviceInfo.SoftwareVersion").CombinedOutput()
			if err != nil {
				t.Fatalf("meshctl get: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "SoftwareVersion") || !strings.Contains(string(out), version) {
				t.Fatalf("SoftwareVersion: got %q, want %q", out, version)
			}
			t.Logf("%s under %s: built in %v, serving after %v; %s", name, tg.QEMU, built.Round(time.Second), up.Round(time.Millisecond), strings.TrimSpace(string(out)))
		})
	}
}

// buildMeshd builds only meshd for t into dir.
func buildMeshd(ctx context.Context, dir string, t Target, version string) error {
	saved := Commands
	Commands = []string{"meshd"}
	defer func() { Commands = saved }()
	return Build(ctx, root, dir, t, version)
}

func goarch(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOARCH").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// startUnderQEMU starts meshd under qemu as an insecure single node on
// 127.0.0.1 (a free port) and returns its Agent's Endpoint ID and URL; a
// cleanup stops it and checks it exits cleanly.
func startUnderQEMU(t *testing.T, ctx context.Context, qemu, meshd string) (agent, url string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, qemu, meshd, "-insecure", "-listen", "127.0.0.1:0",
		"-state-dir", t.TempDir(), "-controller", "proto::meshctl=full", "-log-level", "warn")
	lines, logs := startMeshdCmd(t, cmd)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("meshd under %s: exit %v\n%s", qemu, err, logs.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("meshd under %s did not stop within 30 s", qemu)
		}
	})
	return awaitStartLine(t, lines, logs, "meshd under "+qemu, 2*time.Minute)
}
