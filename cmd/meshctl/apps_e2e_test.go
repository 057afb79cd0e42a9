//go:build linux

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// appMain answers "v<VERSION>" on 127.0.0.1:$PORT.
const appMain = `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("v" + os.Getenv("VERSION"))) })
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		os.Exit(3)
	}
}
`

// appBundle builds the test app and packages it as a bundle of version
// v serving on port: manifest.json and rootfs/app, gzipped tar.
func appBundle(t *testing.T, v string, port int) []byte {
	return appBundleMode(t, v, port, 0o755)
}

// appBundleMode is appBundle with the app's file mode.
func appBundleMode(t *testing.T, v string, port int, mode int64) []byte {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"main.go": appMain, "go.mod": "module app\n\ngo 1.22\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "app", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build test app: %v: %s", err, out)
	}
	app, err := os.ReadFile(filepath.Join(dir, "app"))
	if err != nil {
		t.Fatal(err)
	}
	man, _ := json.Marshal(map[string]any{"name": "counter", "vendor": "uspmesh.test", "version": v,
		"args": []string{"/app"}, "env": []string{"VERSION=" + v, fmt.Sprintf("PORT=%d", port)}})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		h    tar.Header
		body []byte
	}{
		{tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(man))}, man},
		{tar.Header{Name: "rootfs/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
		{tar.Header{Name: "rootfs/app", Mode: mode, Size: int64(len(app))}, app},
	} {
		if err := tw.WriteHeader(&f.h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func answer(port int) string {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

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
	bundle := appBundle(t, "1", port)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(bundle) }))
	defer srv.Close()
	sum := sha256.Sum256(bundle)
	url := srv.URL + "/counter.tar.gz#sha256=" + hex.EncodeToString(sum[:])

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
	broken := appBundleMode(t, "1", port, 0o644)
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(broken) }))
	defer srv2.Close()
	sum = sha256.Sum256(broken)
	mustRun(t, d, sec, "install", "-uuid", "e2e-broken", srv2.URL+"/broken.tar.gz#sha256="+hex.EncodeToString(sum[:]))
	begin := time.Now()
	out, errOut, code := meshctl(t, d, sec, "start", "-wait", "25s", "counter")
	if code != 1 || !strings.Contains(out+errOut, "not started: FailureOnStart") || time.Since(begin) > 15*time.Second {
		t.Fatalf("start of a broken app: exit %d after %v\n%s%s", code, time.Since(begin), out, errOut)
	}
	mustRun(t, d, sec, "uninstall", "e2e-broken")

	bad := srv.URL + "/counter.tar.gz#sha256=" + strings.Repeat("0", 64)
	out, errOut, code = meshctl(t, d, sec, "install", bad)
	if code != 1 || !strings.Contains(out+errOut, "7002") || !strings.Contains(out+errOut, "FileCorrupted") {
		t.Fatalf("install with a wrong checksum: exit %d\n%s%s", code, out, errOut)
	}
}
