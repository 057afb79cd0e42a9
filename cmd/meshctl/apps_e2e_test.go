//go:build linux

package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/swmod/swmodtest"
)

// answer is the version the app on port answers ("v1"), "" when
// nothing answers.
func answer(port int) string { return swmodtest.AnswerVersion(port) }

// TestAppsFromMeshctl: meshctl installs the test app on a real meshd
// (crun as root with crun on PATH, else plain processes), lists it
// (text and -json), starts it (the app answers), stops it (it does not),
// uninstalls it (no apps left); a wrong checksum is a clear failure
// (exit 1, FileCorrupted).
func TestAppsFromMeshctl(t *testing.T) {
	rt := "process"
	if _, err := exec.LookPath("crun"); err == nil && os.Geteuid() == 0 {
		rt = "crun"
	}
	t.Logf("apps runtime: %s", rt)
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full", "-apps-runtime", rt)
	sec := []string{"-psk-hex", testPSK}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	files := swmodtest.Serve(t)
	url := files.Put("/counter.tar.gz", swmodtest.Bundle{Version: "1", Port: port}.Build(t))

	out := mustRun(t, d, sec, "install", "-uuid", "e2e-1", url)
	wantLines(t, out, "Install Installed: counter 1 Device.SoftwareModules.DeploymentUnit.1. (e2e-1)")
	out = mustRun(t, d, sec, "apps")
	if !strings.Contains(out, "DU Device.SoftwareModules.DeploymentUnit.1.") || !strings.Contains(out, "Installed") ||
		!strings.Contains(out, "EU Device.SoftwareModules.ExecutionUnit.1.") || !strings.Contains(out, "requested Idle, NoFault") {
		t.Fatalf("apps:\n%s", out)
	}
	out = mustRun(t, d, sec, "start", "counter")
	if !strings.Contains(out, "Active") {
		t.Fatalf("start:\n%s", out)
	}
	if got := answer(port); got != "v1" {
		t.Fatalf("the started app answers %q", got)
	}
	out = mustRun(t, d, sec, "-json", "apps")
	var env struct {
		Results []map[string]string `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &env); err != nil || len(env.Results) != 2 {
		t.Fatalf("apps -json: %v\n%s", err, out)
	}
	if du, eu := env.Results[0], env.Results[1]; du["kind"] != "du" || du["uuid"] != "e2e-1" || du["version"] != "1" ||
		eu["kind"] != "eu" || eu["status"] != "Active" || eu["requested_state"] != "Active" {
		t.Fatalf("apps -json: %v", env.Results)
	}
	out = mustRun(t, d, sec, "stop", "counter")
	if !strings.Contains(out, "Idle") || answer(port) != "" {
		t.Fatalf("stop:\n%s; app answers %q", out, answer(port))
	}
	wantLines(t, mustRun(t, d, sec, "uninstall", "counter"), "Uninstall Uninstalled: counter 1 Device.SoftwareModules.DeploymentUnit.1. (e2e-1)")
	if out := mustRun(t, d, sec, "apps"); out != "" {
		t.Fatalf("apps after uninstall:\n%s", out)
	}

	// An app that cannot start (not executable): start fails at once,
	// with the EU's fault, not after -wait.
	broken := swmodtest.Bundle{Version: "1", Port: port, AppMode: 0o644}.Build(t)
	mustRun(t, d, sec, "install", "-uuid", "e2e-broken", files.Put("/broken.tar.gz", broken))
	begin := time.Now()
	out, errOut, code := meshctl(t, d, sec, "start", "-wait", "25s", "counter")
	if code != 1 || !strings.Contains(out+errOut, "not started: FailureOnStart") || time.Since(begin) > 15*time.Second {
		t.Fatalf("start of a broken app: exit %d after %v\n%s%s", code, time.Since(begin), out, errOut)
	}
	mustRun(t, d, sec, "uninstall", "e2e-broken")

	bad := files.URL() + "/counter.tar.gz#sha256=" + strings.Repeat("0", 64)
	out, errOut, code = meshctl(t, d, sec, "install", bad)
	if code != 1 || !strings.Contains(out+errOut, "7002") || !strings.Contains(out+errOut, "FileCorrupted") {
		t.Fatalf("install with a wrong checksum: exit %d\n%s%s", code, out, errOut)
	}
}
