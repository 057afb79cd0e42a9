package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// debianRoot is the Debian release the .deb is installed into, with the
// packages an AP's Debian has besides minbase (systemd for the unit,
// procps for ExecReload's kill).
const (
	debianSuite   = "bookworm"
	debianInclude = "systemd,procps"
)

// cachedRoot returns a tarball of a fresh Debian root, made by mmdebstrap
// from the Debian mirror ($USPMESH_DEBIAN_MIRROR, default deb.debian.org)
// once and kept under .cache/dist: minutes the first time, nothing after.
func cachedRoot(t *testing.T, ctx context.Context) string {
	t.Helper()
	dir := filepath.Join(root, ".cache/dist")
	tarball := filepath.Join(dir, fmt.Sprintf("debian-%s-%s.tar", debianSuite, strings.ReplaceAll(debianInclude, ",", "-")))
	if _, err := os.Stat(tarball); err == nil {
		return tarball
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mirror := os.Getenv("USPMESH_DEBIAN_MIRROR")
	if mirror == "" {
		mirror = "http://deb.debian.org/debian"
	}
	start := time.Now()
	tmp := tarball + ".tmp"
	out, err := exec.CommandContext(ctx, "mmdebstrap", "--quiet", "--variant=minbase", "--include="+debianInclude,
		"--format=tar", debianSuite, tmp, mirror).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		t.Fatalf("mmdebstrap %s from %s: %v\n%s", debianSuite, mirror, err, out)
	}
	if err := os.Rename(tmp, tarball); err != nil {
		t.Fatal(err)
	}
	t.Logf("made the Debian root %s in %v", tarball, time.Since(start).Round(time.Second))
	return tarball
}

// TestDebianInstall installs the amd64 .deb into a Debian root made for
// the test, verifies the unit with systemd-analyze, starts meshd the way
// the unit does (its user, capabilities, credential, state and runtime
// directories, ExecStart) in a network namespace of its own, asks it for
// its version with the packaged meshctl, reloads it with SIGHUP, stops
// it, then removes and purges the package and checks that nothing is
// left but what Debian policy keeps (the uspmesh user).
func TestDebianInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a Debian root: skipped in -short")
	}
	t.Parallel()
	needRoot(t)
	needTools(t, "mmdebstrap", "tar", "chroot", "ip", "go")
	ctx, cancel := context.WithTimeout(t.Context(), 18*time.Minute)
	defer cancel()
	dir := t.TempDir()
	rootTar := make(chan string, 1)
	go func() { rootTar <- cachedRoot(t, ctx) }()
	host, _ := targetByName("amd64")
	version := "v0.0.0-deb-test"
	bin := filepath.Join(dir, "bin")
	if err := Build(ctx, root, bin, host, version); err != nil {
		t.Fatal(err)
	}
	deb, err := DebPackage(root, bin, dir, host, Meta{Version: PackageVersion(version), Maintainer: "t <t@example.net>"})
	if err != nil {
		t.Fatal(err)
	}
	tarball := <-rootTar
	start := time.Now()
	r := filepath.Join(dir, "root")
	must(t, ctx, "mkdir", r)
	must(t, ctx, "tar", "-C", r, "-xf", tarball)
	before := tree(t, r)
	must(t, ctx, "cp", deb, r+"/tmp/uspmesh.deb")
	t.Log(must(t, ctx, "chroot", r, "dpkg", "-i", "/tmp/uspmesh.deb"))
	os.Remove(r + "/tmp/uspmesh.deb")
	installed := time.Since(start)

	for _, f := range []string{"/usr/bin/meshd", "/usr/bin/meshctl", "/etc/uspmesh/meshd.json",
		"/lib/systemd/system/uspmesh.service", "/usr/lib/sysusers.d/uspmesh.conf",
		"/etc/systemd/system/multi-user.target.wants/uspmesh.service"} {
		if _, err := os.Lstat(r + f); err != nil {
			t.Errorf("after install: %v", err)
		}
	}
	must(t, ctx, "chroot", r, "getent", "passwd", "uspmesh")
	must(t, ctx, "chroot", r, "systemd-analyze", "verify", "/lib/systemd/system/uspmesh.service")
	t.Log(lastLine(must(t, ctx, "chroot", r, "systemd-analyze", "security", "--offline=true", "--threshold=30", "/lib/systemd/system/uspmesh.service")))

	served := runAsUnit(t, ctx, r, version)

	start = time.Now()
	must(t, ctx, "chroot", r, "dpkg", "-r", "uspmesh")
	for _, f := range []string{"/usr/bin/meshd", "/lib/systemd/system/uspmesh.service"} {
		if _, err := os.Lstat(r + f); err == nil {
			t.Errorf("after dpkg -r: %s is still there", f)
		}
	}
	for _, f := range []string{"/etc/uspmesh/meshd.json", "/etc/uspmesh/mesh.secret", "/var/lib/uspmesh"} {
		if _, err := os.Lstat(r + f); err != nil {
			t.Errorf("dpkg -r removed what it keeps until purge: %v", err)
		}
	}
	must(t, ctx, "chroot", r, "dpkg", "-P", "uspmesh")
	removed := time.Since(start)
	after := tree(t, r)
	var left []string
	for p := range after {
		if _, ok := before[p]; !ok && !policyKeeps(p) {
			left = append(left, p)
		}
	}
	slices.Sort(left)
	if len(left) > 0 {
		t.Errorf("after dpkg -P, left behind:\n%s", strings.Join(left, "\n"))
	}
	t.Logf("unpack the root and install %v, serving %v, remove and purge %v", installed.Round(time.Millisecond), served.Round(time.Millisecond), removed.Round(time.Millisecond))
}

// policyKeeps says whether a path new after install and purge may stay:
// dpkg's and deb-systemd-helper's own records, and the system user.
func policyKeeps(p string) bool {
	for _, prefix := range []string{"/var/lib/dpkg/", "/var/log/", "/var/lib/systemd/deb-systemd-helper-", "/var/cache/", "/tmp/", "/run/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	switch p {
	case "/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-":
		return true
	}
	return false
}

// runAsUnit starts meshd in root r as uspmesh.service would and checks it
// serves version; it returns how long until it served.
func runAsUnit(t *testing.T, ctx context.Context, r, version string) time.Duration {
	t.Helper()
	unit := readUnit(t, r+"/lib/systemd/system/uspmesh.service")
	user, group := unit["User"], unit["Group"]
	// CI has no Wi-Fi: the radio backend is the one thing changed.
	conf := r + "/etc/uspmesh/meshd.json"
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte(strings.Replace(string(b), `"radio": "linux"`, `"radio": "none"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := must(t, ctx, "chroot", r, "meshctl", "secret")
	if err := os.WriteFile(r+"/etc/uspmesh/mesh.secret", []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	// What systemd does before ExecStart: the state and runtime
	// directories owned by the user, the credential readable by it only.
	state := "/var/lib/" + unit["StateDirectory"]
	runtime := "/run/" + unit["RuntimeDirectory"]
	creds := "/run/credentials/uspmesh.service"
	name, src, _ := strings.Cut(unit["LoadCredential"], ":")
	must(t, ctx, "install", "-d", "-m", unit["StateDirectoryMode"], r+state)
	must(t, ctx, "install", "-d", "-m", unit["RuntimeDirectoryMode"], r+runtime)
	must(t, ctx, "install", "-d", "-m", "0500", r+creds)
	must(t, ctx, "install", "-m", "0400", r+src, r+creds+"/"+name)
	must(t, ctx, "chroot", r, "chown", "-R", user+":"+group, state, runtime, creds)

	ns := fmt.Sprintf("uspmesh-dist-%d", os.Getpid())
	must(t, ctx, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	must(t, ctx, "ip", "-n", ns, "link", "set", "lo", "up")

	caps := strings.ToLower(strings.ReplaceAll(unit["AmbientCapabilities"], "CAP_", ""))
	exe := strings.Fields(strings.ReplaceAll(unit["ExecStart"], "${CREDENTIALS_DIRECTORY}", creds))
	env := []string{"env", "-i", "PATH=/usr/bin:/bin", "CREDENTIALS_DIRECTORY=" + creds}
	for _, kv := range strings.Fields(unit["Environment"]) {
		env = append(env, kv)
	}
	args := append([]string{"netns", "exec", ns, "chroot", r, "setpriv",
		"--reuid=" + user, "--regid=" + group, "--clear-groups", "--no-new-privs",
		"--inh-caps=-all,+" + caps, "--ambient-caps=-all,+" + caps, "--bounding-set=-all,+" + caps},
		append(env, exe...)...)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Dir = "/"
	lines, logs := startMeshdCmd(t, cmd)
	defer cmd.Process.Kill()
	waitStart := func(what string) (string, string) {
		return awaitStartLine(t, lines, logs, "meshd ("+what+")", 60*time.Second)
	}
	agent, url := waitStart("start")
	served := time.Since(start)
	get := func() {
		out := must(t, ctx, "ip", "netns", "exec", ns, "chroot", r, "meshctl", "-url", url, "-agent", agent,
			"-secret-file", "/etc/uspmesh/mesh.secret", "-listen", "127.0.0.1:0", "-timeout", "20s",
			"get", "Device.DeviceInfo.SoftwareVersion")
		if !strings.Contains(out, version) {
			t.Fatalf("SoftwareVersion: %q, want %q", out, version)
		}
	}
	get()
	for _, f := range []string{state + "/meshd.lock", state + "/identity.json"} {
		var st syscall.Stat_t
		if err := syscall.Stat(r+f, &st); err != nil || st.Uid == 0 {
			t.Errorf("%s: %v, uid %d: want the service user's", f, err, st.Uid)
		}
	}
	// ExecReload: SIGHUP restarts the node in place.
	cmd.Process.Signal(syscall.SIGHUP)
	agent, url = waitStart("reload")
	get()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("meshd exit: %v\n%s", err, logs.String())
	}
	// systemd removes the runtime directory and credentials at stop.
	os.RemoveAll(r + runtime)
	os.RemoveAll(r + "/run/credentials")
	return served
}

// readUnit reads the [Service] keys of a unit file.
func readUnit(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	section := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			section = l
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok && section == "[Service]" && !strings.HasPrefix(l, "#") {
			keys[k] = v
		}
	}
	return keys
}

// tree lists every path under r (as seen from inside it).
func tree(t *testing.T, r string) map[string]bool {
	t.Helper()
	paths := map[string]bool{}
	err := filepath.WalkDir(r, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel := strings.TrimPrefix(p, r); rel != "" {
			paths[rel] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func must(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}
