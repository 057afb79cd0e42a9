//go:build linux

package swmod

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/swmod/swmodtest"
)

// needCrun skips unless the test runs as root with crun installed.
func needCrun(t *testing.T) *Crun {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: crun creates namespaces and cgroups")
	}
	if _, err := exec.LookPath("crun"); err != nil {
		t.Skip("needs crun (scripts/deps.sh installs it)")
	}
	rt := &Crun{StateRoot: filepath.Join(t.TempDir(), "crun"), CgroupParent: "uspmesh-swmod-test"}
	t.Cleanup(func() {
		// crun removes each EU's cgroup; the empty parent is the test's to remove.
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/uspmesh-swmod-test")
		dirs = append(dirs, "/sys/fs/cgroup/uspmesh-swmod-test")
		for _, d := range dirs {
			os.Remove(d)
		}
	})
	return rt
}

// events collects Env's events.
type events struct{ ch chan Event }

func (ev *events) fn(e Event) {
	select {
	case ev.ch <- e:
	default:
	}
}

func TestCrunLifecycle(t *testing.T) {
	rt := needCrun(t)
	fs := swmodtest.Serve(t)
	port := freePort(t)
	env := []string{fmt.Sprintf("PORT=%d", port)}
	v1 := fs.Put("/counter-1.tar.gz", appBundle(t, "1", env, Limits{}))
	v2 := fs.Put("/counter-2.tar.gz", appBundle(t, "2", env, Limits{}))

	ev := &events{ch: make(chan Event, 256)}
	cfg := TestConfig(t.TempDir())
	cfg.Limits = Limits{MemoryBytes: 64 << 20, CPUMilli: 500, Pids: 64}
	cfg.Events = ev.fn
	e := newEnv(t, cfg, rt)
	ctx := context.Background()

	t0 := time.Now()
	du, err := e.Install(ctx, InstallRequest{URL: v1, Owner: "proto::controller-a"})
	if err != nil {
		t.Fatal(err)
	}
	if du.Status != DUInstalled || !du.Resolved || du.Version != "1" || du.Owner != "proto::controller-a" || len(du.EUIDs) != 1 {
		t.Fatalf("installed DU %+v", du)
	}
	euid := du.EUIDs[0]
	t.Logf("disk per installed unit: %d bytes unpacked (archive %d bytes)", du.DiskUsed, fs.Size("/counter-1.tar.gz"))
	if eu, _ := e.EU(euid); eu.Status != EUIdle || eu.RequestedState != WantIdle {
		t.Fatalf("EU after install %+v, want Idle", eu)
	}
	if err := e.SetRequestedState(ctx, euid, WantActive); err != nil {
		t.Fatal(err)
	}
	eu := waitEU(t, e, euid, 20*time.Second, "Active", func(u EU) bool { return u.Status == EUActive })
	waitFor(t, 10*time.Second, "answering", func() bool { return get(port) != "" })
	t.Logf("install to answering: %v", time.Since(t0))
	if got := get(port); !strings.HasPrefix(got, "v1 ") {
		t.Fatalf("v1 answers %q", got)
	}
	pid := eu.Pid
	cgDir := rt.probe().memoryDir(rt.cgroupPath(containerID(euid)))
	if _, err := os.Stat(cgDir); err != nil {
		t.Fatalf("EU's cgroup: %v", err)
	}
	if rt.probe().present && !rt.probe().v2 {
		b, _ := os.ReadFile(filepath.Join(cgDir, "memory.limit_in_bytes"))
		if strings.TrimSpace(string(b)) != fmt.Sprint(64<<20) {
			t.Fatalf("memory.limit_in_bytes %q, want %d", b, 64<<20)
		}
	}
	// Its own PID namespace: the app is PID 1 inside.
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err != nil || !strings.Contains(string(b), "NSpid:\t"+fmt.Sprint(pid)+"\t1") {
		t.Fatalf("app's NSpid: %v %s", err, b)
	}

	// A failed update leaves the running version alone.
	if _, err := e.Update(ctx, du.DUID, strings.Replace(v2, "sha256=", "sha256=ff", 1)[:len(v2)], ""); err == nil {
		t.Fatal("update with a wrong checksum succeeded")
	}
	if d := e.DUs()[0]; d.Status != DUInstalled || d.Version != "1" || !strings.HasPrefix(get(port), "v1 ") {
		t.Fatalf("after a failed update: %+v, app answers %q", d, get(port))
	}
	du2, err := e.Update(ctx, du.DUID, v2, "")
	if err != nil {
		t.Fatal(err)
	}
	if du2.Version != "2" || du2.DUID != du.DUID {
		t.Fatalf("updated DU %+v", du2)
	}
	waitFor(t, 20*time.Second, "v2 answering", func() bool { return strings.HasPrefix(get(port), "v2 ") })
	if _, err := os.Stat(e.versionDir(du.DUID, 1)); !os.IsNotExist(err) {
		t.Fatalf("old version still there: %v", err)
	}
	if _, ok := procStart(pid); ok {
		t.Fatalf("v1 process %d still runs", pid)
	}
	log, _ := e.Log(euid)
	if !strings.Contains(string(log), fmt.Sprintf("serving on %d", port)) {
		t.Fatalf("log %q lacks the app's output", log)
	}

	if err := e.SetRequestedState(ctx, euid, WantIdle); err != nil {
		t.Fatal(err)
	}
	eu = waitEU(t, e, euid, 20*time.Second, "Idle", func(u EU) bool { return u.Status == EUIdle })
	if eu.FaultCode != NoFault {
		t.Fatalf("fault after a requested stop: %+v", eu)
	}
	if got := get(port); got != "" {
		t.Fatalf("stopped app answers %q", got)
	}
	if err := e.Uninstall(ctx, du.DUID); err != nil {
		t.Fatal(err)
	}
	if len(e.DUs()) != 0 || len(e.EUs()) != 0 {
		t.Fatalf("left after uninstall: %+v %+v", e.DUs(), e.EUs())
	}
	if _, err := os.Stat(cgDir); !os.IsNotExist(err) {
		t.Fatalf("cgroup %s still there: %v", cgDir, err)
	}
	if _, err := os.Stat(e.path(du.DUID)); !os.IsNotExist(err) {
		t.Fatalf("DU directory still there: %v", err)
	}
	if err := rt.run(ctx, "state", containerID(euid)); err == nil {
		t.Fatal("crun still knows the container")
	}
	// The DUStateChange events: Install, the failed Update, Update, Uninstall.
	var ops []string
	for len(ev.ch) > 0 {
		x := <-ev.ch
		if x.Op != "" {
			op := string(x.Op)
			if x.Fault != nil {
				op += " " + string(x.Fault.Kind)
			}
			ops = append(ops, op)
		}
	}
	if want := []string{"Install", "Update FileCorrupted", "Update", "Uninstall"}; !slices.Equal(ops, want) {
		t.Fatalf("DUStateChange ops %v, want %v", ops, want)
	}
}

func TestCrunMemoryLimit(t *testing.T) {
	rt := needCrun(t)
	if !rt.probe().present {
		t.Skip("no cgroup hierarchy mounted at /sys/fs/cgroup: memory limits cannot be enforced")
	}
	fs := swmodtest.Serve(t)
	url := fs.Put("/hog.tar.gz", appBundle(t, "1", []string{"HOG=1"}, Limits{MemoryBytes: 32 << 20}))
	cfg := TestConfig(t.TempDir())
	cfg.Limits = Limits{MemoryBytes: 256 << 20}
	e := newEnv(t, cfg, rt)
	du, err := e.Install(context.Background(), InstallRequest{URL: url, Owner: "proto::a", AutoStart: false})
	if err != nil {
		t.Fatal(err)
	}
	euid := du.EUIDs[0]
	if eu, _ := e.EU(euid); eu.Limits.MemoryBytes != 32<<20 {
		t.Fatalf("limit in force %d, want the DU's 32 MiB", eu.Limits.MemoryBytes)
	}
	e.SetRequestedState(context.Background(), euid, WantActive)
	eu := waitEU(t, e, euid, 30*time.Second, "faulted", func(u EU) bool { return u.FaultCode == FailureWhileActive && u.Status == EUIdle })
	if !strings.Contains(eu.FaultMessage, "OOM") || eu.RequestedState != WantIdle {
		t.Fatalf("EU after the kill %+v, want an OOM fault and Idle requested", eu)
	}
	log, _ := e.Log(euid)
	if !strings.Contains(string(log), "held MiB: 1") {
		t.Fatalf("hog's log %q", log)
	}
	t.Logf("fault: %s; last log line %q", eu.FaultMessage, lastLine(log))
}

func lastLine(b []byte) string {
	s := strings.Split(strings.TrimSpace(string(b)), "\n")
	return s[len(s)-1]
}

func TestCrunRestart(t *testing.T) {
	rt := needCrun(t)
	fs := swmodtest.Serve(t)
	port := freePort(t)
	url := fs.Put("/c.tar.gz", appBundle(t, "7", []string{fmt.Sprintf("PORT=%d", port)}, Limits{}))
	cfg := TestConfig(t.TempDir())
	e, err := New(context.Background(), cfg, rt)
	if err != nil {
		t.Fatal(err)
	}
	du, err := e.Install(context.Background(), InstallRequest{URL: url, Owner: "proto::a", AutoStart: true})
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	idle, err := e.Install(context.Background(), InstallRequest{URL: url, Owner: "proto::b"})
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "v7 answering", func() bool { return strings.HasPrefix(get(port), "v7 ") })
	e.Close()
	e.Close()
	if get(port) != "" {
		t.Fatal("app still answers after Close")
	}
	e2 := newEnv(t, cfg, rt)
	if got := e2.DUs(); len(got) != 2 {
		t.Fatalf("DUs after restart: %+v", got)
	}
	waitEU(t, e2, du.EUIDs[0], 20*time.Second, "Active again", func(u EU) bool { return u.Status == EUActive })
	waitFor(t, 20*time.Second, "answering again", func() bool { return strings.HasPrefix(get(port), "v7 ") })
	if eu, _ := e2.EU(idle.EUIDs[0]); eu.Status != EUIdle || eu.RequestedState != WantIdle {
		t.Fatalf("the Idle unit after restart: %+v", eu)
	}
	// Killed from outside, an AutoStart unit comes back with a fault.
	eu, _ := e2.EU(du.EUIDs[0])
	syscall.Kill(eu.Pid, syscall.SIGKILL)
	waitEU(t, e2, eu.EUID, 20*time.Second, "restarted", func(u EU) bool { return u.Restarts == 1 && u.Status == EUActive && u.Pid != eu.Pid })
	waitFor(t, 20*time.Second, "answering after the kill", func() bool { return strings.HasPrefix(get(port), "v7 ") })
}

func TestInstallFaults(t *testing.T) {
	rt := needCrun(t)
	fs := swmodtest.Serve(t)
	good := appBundle(t, "1", nil, Limits{})
	goodURL := fs.Put("/good.tar.gz", good)
	wrong := strings.Replace(goodURL, "sha256=", "sha256=00", 1)[:len(goodURL)]
	escape := fs.Put("/escape.tar", tarball(t, false, goodManifest(t), entry{name: "rootfs/../../../escaped", body: []byte("x")}))
	corrupt := fs.Put("/corrupt.tar.gz", good[:len(good)/2])
	linkOut := fs.Put("/link.tar", tarball(t, false, goodManifest(t), entry{name: "rootfs/x", typ: tar.TypeSymlink, link: "/etc/passwd"}))
	tests := []struct {
		name, url string
		want      FaultKind
	}{
		{"wrong checksum", wrong, FaultChecksum},
		{"no checksum", strings.Split(goodURL, "#")[0], FaultChecksum},
		{"unreachable", "http://127.0.0.1:1/x.tar#sha256=" + strings.Repeat("0", 64), FaultDownload},
		{"not found", fs.URL() + "/none#sha256=" + strings.Repeat("0", 64), FaultDownload},
		{"corrupt archive", corrupt, FaultArchive},
		{"path escape", escape, FaultArchive},
		{"symlink out", linkOut, FaultArchive},
		{"ftp", "ftp://example.org/x", FaultDownload},
	}
	dir := t.TempDir()
	ev := &events{ch: make(chan Event, 64)}
	cfg := TestConfig(dir)
	cfg.Events = ev.fn
	e := newEnv(t, cfg, rt)
	before := listing(t, dir)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Install(context.Background(), InstallRequest{URL: tc.url, Owner: "proto::a"})
			var f *Fault
			if !errors.As(err, &f) || f.Kind != tc.want {
				t.Fatalf("err %v, want a %s fault", err, tc.want)
			}
			if x := <-ev.ch; x.Op != OpInstall || x.Fault == nil || x.Fault.Kind != tc.want || x.DU.Status != DUUninstalled {
				t.Fatalf("event %+v", x)
			}
			if len(e.DUs()) != 0 {
				t.Fatalf("a DU was recorded: %+v", e.DUs())
			}
			if got := listing(t, dir); !slices.Equal(got, before) {
				t.Fatalf("files now %q, before %q", got, before)
			}
			t.Logf("%s", err)
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "escaped")); !os.IsNotExist(err) {
		t.Fatal("the escaping file was written")
	}
}

func TestDiskFull(t *testing.T) {
	rt := needCrun(t)
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a small tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	fs := swmodtest.Serve(t)
	big := tarball(t, true, goodManifest(t), entry{name: "rootfs/", typ: tar.TypeDir}, entry{name: "rootfs/data", body: make([]byte, 3<<20)})
	url := fs.Put("/big.tar.gz", big)
	e := newEnv(t, TestConfig(mnt), rt)
	before := listing(t, mnt)
	_, err := e.Install(context.Background(), InstallRequest{URL: url, Owner: "proto::a"})
	var f *Fault
	if !errors.As(err, &f) || f.Kind != FaultResources || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err %v, want a %s fault saying the disk is full", err, FaultResources)
	}
	if got := listing(t, mnt); !slices.Equal(got, before) {
		t.Fatalf("files now %q, before %q", got, before)
	}
	var st syscall.Statfs_t
	syscall.Statfs(mnt, &st)
	if free := st.Bfree * uint64(st.Bsize); free < 900<<10 {
		t.Fatalf("only %d bytes free after the failed install: something was left", free)
	}
	t.Logf("%v", err)
}
