//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/swmod/swmodtest"
	"golang.org/x/sys/unix"
)

// The mesh-wide rollout of an app (issue 21): a tenant's meshctl, on the
// home's LAN, asks the leader to put the test app on every AP.

const (
	rolloutTenant  = "proto::apps-a"
	rolloutOther   = "proto::apps-b"
	rolloutAppPort = 7701 // the app's port inside each node's namespace
)

// appsTenantRole may manage its own apps, run and watch rollouts, and
// subscribe.
func appsTenantRole() map[string]any {
	perm := func(targets []string, param, obj, inst, cmd string) map[string]any {
		return map[string]any{"targets": targets, "param": param, "obj": obj, "instantiated_obj": inst, "command_event": cmd}
	}
	return map[string]any{"roles": []any{map[string]any{"name": "apps-tenant", "permissions": []any{
		perm([]string{"Device.SoftwareModules.", "Device.X_USPMESH_Mesh."}, "r--n", "r--n", "r--n", "r-xn"),
		perm([]string{"Device.LocalAgent.Subscription."}, "rw-n", "rw-n", "rw-n", "r--n"),
	}}}}
}

// listenIn opens a TCP listener inside network namespace ns. setns(2)
// moves one thread: the socket is opened on a locked thread that then
// returns to its own namespace. The thread must not end instead: the
// children it started (meshd, through exec with Pdeathsig) would be
// killed with it.
func listenIn(ns, addr string) (net.Listener, error) {
	runtime.LockOSThread()
	own, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer own.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("setns %s: %w", ns, err)
	}
	l, lerr := net.Listen("tcp", addr)
	if err := unix.Setns(int(own.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked (in ns) for the rest of the test
		// rather than run others' goroutines in the wrong namespace.
		if l != nil {
			l.Close()
		}
		return nil, fmt.Errorf("setns back from %s: %w", ns, err)
	}
	runtime.UnlockOSThread()
	return l, lerr
}

// TestRollout: tenant A's `meshctl rollout` on the leader installs the
// test app on the home's three APs, one at a time, the leader last; each
// AP's app answers v1, the units are A's (B sees none on any AP). A
// second rollout (version 2) meets an AP whose downloads the bundle
// server refuses, the second in order: the first AP is updated (answers
// v2), the refused one fails (7002 DownloadFailure) and the rollout
// stops there, the leader untouched (still v1, never fetched v2);
// meshctl exits 1 and says so per AP. Once the server serves that AP
// again, `meshctl install -all` updates every AP to v2.
func TestRollout(t *testing.T) {
	needRoot(t)
	roles, _ := json.Marshal(appsTenantRole())
	rolesFile := filepath.Join(t.TempDir(), "roles.json")
	if err := os.WriteFile(rolesFile, roles, 0o600); err != nil {
		t.Fatal(err)
	}
	// Plain processes: crun under `ip netns exec` (how the harness starts
	// meshd) fails every start, "invalid file system type on
	// '/sys/fs/cgroup'": ip remounts /sys for the namespace without its
	// cgroup2 mount. The node and swmod tests run crun.
	const rt = "process"
	h := startHome(t, HomeConfig{Nodes: 3, SimHome: "../../homes/house.json", Profile: "fast",
		NodeArgs: func(Node) []string {
			return []string{"-config", rolesFile, "-apps-runtime", rt,
				"-controller", rolloutTenant + "=apps-tenant", "-controller", rolloutOther + "=apps-tenant"}
		}})
	leader, _ := awaitAgreement(t, h, seq(0, 3))
	ctx := t.Context()

	// Rollout order: the followers by Endpoint ID, the leader last.
	nodes := h.Nodes()
	slices.SortFunc(nodes, func(a, b *Node) int {
		switch {
		case string(a.AgentID) == leader:
			return 1
		case string(b.AgentID) == leader:
			return -1
		}
		return strings.Compare(string(a.AgentID), string(b.AgentID))
	})
	lead := nodes[2]
	// The leader knows every node alive, and its Controller has reached
	// each over USP, before it rolls out (a rollout goes to the nodes
	// alive when it starts).
	if err := waitFor(meshBound, func() error {
		v, err := h.Get(ctx, lead.Index, "Device.X_USPMESH_Mesh.Node.")
		if err != nil {
			return err
		}
		live, reached := 0, 0
		for p, s := range v {
			switch {
			case strings.HasSuffix(p, ".Status") && (s == "Member" || s == "Leader"):
				live++
			case strings.HasSuffix(p, ".Reachable") && s == "true":
				reached++
			}
		}
		if live != 3 || reached != 3 {
			return fmt.Errorf("the leader lists %d live nodes, %d reached over USP", live, reached)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	l, err := listenIn(h.net.ctlNS(), net.JoinHostPort(h.ControllerAddr().String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	files := swmodtest.ServeOn(t, l)
	v1 := files.Put("/app-1.tar.gz", swmodtest.Bundle{Version: "1", Port: rolloutAppPort}.Build(t))
	v2 := files.Put("/app-2.tar.gz", swmodtest.Bundle{Version: "2", Port: rolloutAppPort}.Build(t))

	meshctl := func(id string, n *Node, args ...string) (string, error) {
		argv := append([]string{filepath.Join(binDir, "meshctl"), "-url", n.URL, "-agent", string(n.AgentID), "-id", id,
			"-psk-hex", h.PSKHex(), "-timeout", "10s"}, args...)
		out, err := h.ExecController(ctx, argv...)
		return string(out), err
	}
	answers := func(n *Node) string {
		out, _ := h.Exec(ctx, n.Index, "curl", "-s", "--max-time", "2", fmt.Sprintf("http://127.0.0.1:%d/", rolloutAppPort))
		v, _, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
		return v
	}

	t0 := time.Now()
	out, err := meshctl(rolloutTenant, lead, "rollout", "-uuid", "counter-home", v1)
	t.Logf("meshctl rollout (v1) in %v:\n%s", time.Since(t0).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("rollout v1: %v", err)
	}
	for i, n := range nodes {
		line := fmt.Sprintf("[%d/3] %s Installed", i+1, n.AgentID)
		if !strings.Contains(out, line) {
			t.Fatalf("rollout v1 output lacks %q", line)
		}
	}
	if !strings.Contains(out, "rollout counter-home: Complete on 3 APs") {
		t.Fatalf("rollout v1 summary missing")
	}
	for _, n := range nodes {
		if err := waitFor(20*time.Second, func() error {
			if v := answers(n); v != "v1" {
				return fmt.Errorf("node %d's app answers %q", n.Index, v)
			}
			return nil
		}); err != nil {
			apps, _ := meshctl(rolloutTenant, n, "apps")
			t.Fatalf("%v; A's apps there:\n%s", err, apps)
		}
	}
	// The units are A's on every AP: B lists none.
	for _, n := range nodes {
		// (With none of its own, B's Get of the tables is refused 7026,
		// not answered empty.)
		if out, err := meshctl(rolloutOther, n, "apps"); strings.Contains(out, "counter") ||
			(err != nil && !strings.Contains(err.Error(), "7026")) {
			t.Fatalf("B's apps on node %d: %v\n%s", n.Index, err, out)
		}
		if out, err := meshctl(rolloutTenant, n, "apps"); err != nil || !strings.Contains(out, "counter-home") {
			t.Fatalf("A's apps on node %d: %v\n%s", n.Index, err, out)
		}
	}

	// The second AP in order cannot fetch version 2.
	refused := nodes[1].Addr.String()
	files.Refuse(func(r *http.Request) bool {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return host == refused && r.URL.Path == "/app-2.tar.gz"
	})
	leadHits := files.Hits(lead.Addr.String())
	t0 = time.Now()
	out, err = meshctl(rolloutTenant, lead, "rollout", "-uuid", "counter-home", "-version", "2", v2)
	t.Logf("meshctl rollout (v2, node %d refused) in %v:\n%s", nodes[1].Index, time.Since(t0).Round(time.Millisecond), out)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("rollout v2 with a failing AP: %v, want exit status 1", err)
	}
	for _, want := range []string{
		fmt.Sprintf("[1/3] %s Updated", nodes[0].AgentID),
		fmt.Sprintf("[2/3] %s Failed", nodes[1].AgentID),
		"DownloadFailure",
		fmt.Sprintf("[3/3] %s NotAttempted", nodes[2].AgentID),
		"rollout counter-home: Failed on 3 APs",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("rollout v2 output lacks %q", want)
		}
	}
	if err := waitFor(20*time.Second, func() error {
		if v := answers(nodes[0]); v != "v2" {
			return fmt.Errorf("the updated node's app answers %q", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes[1:] {
		if v := answers(n); v != "v1" {
			t.Fatalf("node %d (after the failure) answers %q, want v1", n.Index, v)
		}
	}
	if got := files.Hits(lead.Addr.String()); got != leadHits {
		t.Fatalf("the leader fetched %d files during the failed rollout, want none", got-leadHits)
	}

	// The fault mended, `install -all` finishes the job: every AP is
	// updated (no -version: the first AP too) and answers v2.
	files.Refuse(nil)
	t0 = time.Now()
	out, err = meshctl(rolloutTenant, lead, "install", "-all", "-uuid", "counter-home", v2)
	t.Logf("meshctl install -all (v2) in %v:\n%s", time.Since(t0).Round(time.Millisecond), out)
	if err != nil || !strings.Contains(out, "rollout counter-home: Complete on 3 APs") {
		t.Fatalf("install -all v2: %v", err)
	}
	for i, n := range nodes {
		if line := fmt.Sprintf("[%d/3] %s Updated", i+1, n.AgentID); !strings.Contains(out, line) {
			t.Fatalf("install -all output lacks %q", line)
		}
		if err := waitFor(20*time.Second, func() error {
			if v := answers(n); v != "v2" {
				return fmt.Errorf("node %d's app answers %q", n.Index, v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}
