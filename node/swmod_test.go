//go:build linux

package node

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/swmod/swmodtest"
	"github.com/uspmesh/uspmesh/usp"
)

// The apps tests run real units: a small static Go program the test
// builds, packaged as a bundle, served over real HTTP, installed over USP
// from Controllers on real CoAP, run by crun when the test runs as root
// with crun on PATH (CI), else as plain processes.

const (
	tenantA = "proto::tenant-a"
	tenantB = "proto::tenant-b"
)

// appBundleFor is the test app as a bundle of version v serving on port.
func appBundleFor(t testing.TB, v string, port int) []byte {
	return swmodtest.Bundle{Version: v, Port: port}.Build(t)
}

// serveBundle serves b over real HTTP and returns its URL with the
// #sha256= fragment.
func serveBundle(t testing.TB, b []byte) string {
	return swmodtest.Serve(t).Put("/app.tar.gz", b)
}

func tcpPort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// appAnswer is the version the app on port answers ("v1"), "" when
// nothing answers.
func appAnswer(port int) string { return swmodtest.AnswerVersion(port) }

// testRuntime is crun as root with crun on PATH, else plain processes.
func testRuntime(t testing.TB) string {
	rt := "process"
	if _, err := exec.LookPath("crun"); err == nil && os.Geteuid() == 0 {
		rt = "crun"
	}
	t.Logf("apps runtime: %s", rt)
	return rt
}

// appsConfig is a lone node with the operator (testCtl, full) and two
// tenants whose role may read, operate and be notified on
// Device.SoftwareModules. and subscribe.
func appsConfig(t testing.TB) Config {
	cfg := baseConfig(t)
	cfg.AppsRuntime = testRuntime(t)
	cfg.Roles = []RoleConfig{{Name: "tenant", Permissions: []PermissionConfig{
		{Targets: []string{"Device.SoftwareModules."}, Param: "r--n", Obj: "r--n", InstantiatedObj: "r--n", CommandEvent: "r-xn"},
		{Targets: []string{"Device.LocalAgent.Subscription."}, Param: "rw-n", Obj: "rw-n", InstantiatedObj: "rw-n", CommandEvent: "r--n"},
	}}}
	cfg.Controllers = append(cfg.Controllers, ControllerConfig{EndpointID: tenantA, Role: "tenant"},
		ControllerConfig{EndpointID: tenantB, Role: "tenant"})
	return cfg
}

// inbox keeps a Controller's notifications for tests that wait for
// several kinds at once.
type inbox struct {
	id   string
	c    *controller
	seen []*uspmsg.Notify
}

// appsClient dials n as id and subscribes to OperationComplete and
// DUStateChange! of Device.SoftwareModules.
func appsClient(t *testing.T, n *Node, id string) *inbox {
	t.Helper()
	c := dialNode(t, n, id, testPSK)
	ctx := context.Background()
	for _, s := range []usp.Subscription{{NotifType: "OperationComplete", ReferenceList: []string{smBase}},
		{NotifType: "Event", ReferenceList: []string{smBase + "DUStateChange!"}}} {
		if _, _, err := c.client.Subscribe(ctx, c.agent, s); err != nil {
			t.Fatalf("%s subscribes: %v", id, err)
		}
	}
	return &inbox{id: id, c: c}
}

// wait returns the first notification match accepts, kept or arriving
// within d, and removes it.
func (in *inbox) wait(t *testing.T, d time.Duration, what string, match func(*uspmsg.Notify) bool) *uspmsg.Notify {
	t.Helper()
	for i, nt := range in.seen {
		if match(nt) {
			in.seen = append(in.seen[:i], in.seen[i+1:]...)
			return nt
		}
	}
	deadline := time.After(d)
	for {
		select {
		case nt := <-in.c.notes:
			if match(nt) {
				return nt
			}
			in.seen = append(in.seen, nt)
		case <-deadline:
			t.Fatalf("%s: no %s within %v (kept: %v)", in.id, what, d, in.seen)
			return nil
		}
	}
}

// drain moves arrived notifications into seen.
func (in *inbox) drain() {
	for {
		select {
		case nt := <-in.c.notes:
			in.seen = append(in.seen, nt)
		default:
			return
		}
	}
}

// run runs an async command and returns its OperationComplete failure
// (code 0 on success).
func (in *inbox) run(t *testing.T, cmd, key string, args map[string]string) (uint32, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := in.c.client.Operate(ctx, in.c.agent, cmd, key, args)
	if err != nil {
		t.Fatalf("Operate %s: %v", cmd, err)
	}
	res := resp.GetOperationResults()
	if len(res) != 1 {
		t.Fatalf("Operate %s: %v", cmd, resp)
	}
	if f := res[0].GetCmdFailure(); f != nil {
		return f.GetErrCode(), f.GetErrMsg()
	}
	if res[0].GetReqObjPath() == "" {
		return 0, "" // synchronous
	}
	nt := in.wait(t, 60*time.Second, "OperationComplete "+key, func(nt *uspmsg.Notify) bool {
		return nt.GetOperComplete() != nil && nt.GetOperComplete().GetCommandKey() == key
	})
	f := nt.GetOperComplete().GetCmdFailure()
	return f.GetErrCode(), f.GetErrMsg()
}

// duEvent waits for a DUStateChange! whose UUID and operation match.
func (in *inbox) duEvent(t *testing.T, uuid, op string) map[string]string {
	t.Helper()
	nt := in.wait(t, 30*time.Second, "DUStateChange! "+op+" "+uuid, func(nt *uspmsg.Notify) bool {
		ev := nt.GetEvent()
		return ev != nil && ev.GetEventName() == "DUStateChange!" && ev.GetParams()["UUID"] == uuid &&
			ev.GetParams()["OperationPerformed"] == op
	})
	return nt.GetEvent().GetParams()
}

// rowsSeen are the rows of table (with their params) in the
// Controller's Get, by path.
func (in *inbox) rowsSeen(t *testing.T, table string) map[string]map[string]string {
	t.Helper()
	resp, err := in.c.client.Get(context.Background(), in.c.agent, 0, table)
	if err != nil {
		t.Fatalf("Get %s: %v", table, err)
	}
	out := map[string]map[string]string{}
	for _, r := range resp.GetReqPathResults() {
		for _, res := range r.GetResolvedPathResults() {
			out[res.GetResolvedPath()] = res.GetResultParams()
		}
	}
	return out
}

// instancesSeen are the row paths of table in the Controller's
// GetInstances.
func (in *inbox) instancesSeen(t *testing.T, table string) []string {
	t.Helper()
	resp, err := in.c.client.GetInstances(context.Background(), in.c.agent, true, table)
	if err != nil {
		t.Fatalf("GetInstances %s: %v", table, err)
	}
	var out []string
	for _, r := range resp.GetReqPathResults() {
		for _, ci := range r.GetCurrInsts() {
			out = append(out, ci.GetInstantiatedObjPath())
		}
	}
	return out
}

// rowWith returns the one row of rows whose param is v.
func rowWith(t *testing.T, rows map[string]map[string]string, param, v string) string {
	t.Helper()
	for p, r := range rows {
		if r[param] == v {
			return p
		}
	}
	t.Fatalf("no row with %s %q in %v", param, v, rows)
	return ""
}

// TestAppsOverUSP: tenant A installs the test app with InstallDU()
// (OperationComplete and its DUStateChange!), starts it with
// SetRequestedState(Active) and the app answers; tenant B installs the
// same URL and UUID and gets a second unit; B neither sees A's rows nor
// receives A's events, and is refused (7006) stopping or uninstalling
// A's unit; the operator sees both. A restart of the node brings A's
// unit back Active. A updates it to version 2 (B may not: 7006), stops
// it (Idle, the app no longer answers) and uninstalls it (rows gone,
// DUStateChange! Uninstalled).
func TestAppsOverUSP(t *testing.T) {
	cfg := appsConfig(t)
	n := startNode(t, cfg, Deps{})
	port := tcpPort(t)
	url := serveBundle(t, appBundleFor(t, "1", port))
	a, b, op := appsClient(t, n, tenantA), appsClient(t, n, tenantB), appsClient(t, n, testCtl)

	start := time.Now()
	if code, msg := a.run(t, smBase+"InstallDU()", "a-install", map[string]string{"URL": url, "UUID": "app-1"}); code != 0 {
		t.Fatalf("A's InstallDU: %d %s", code, msg)
	}
	ev := a.duEvent(t, "app-1", "Install")
	if ev["CurrentState"] != "Installed" || ev["FaultCode"] != "0" || !strings.HasPrefix(ev["DeploymentUnitRef"], smDU) ||
		!strings.HasPrefix(ev["ExecutionUnitRefList"], smEU) || ev["Version"] != "1" {
		t.Fatalf("A's DUStateChange! %v", ev)
	}
	aDU, aEU := ev["DeploymentUnitRef"]+".", ev["ExecutionUnitRefList"]+"."
	// Before B has a unit, its Get of the tables answers as for empty
	// tables, not 7026, which would tell B that another tenant has units.
	for _, table := range []string{smDU, smEU} {
		resp, err := b.c.client.Get(context.Background(), b.c.agent, 0, table)
		if err != nil {
			t.Fatalf("B's Get %s: %v", table, err)
		}
		for _, r := range resp.GetReqPathResults() {
			if r.GetErrCode() != 0 || len(r.GetResolvedPathResults()) != 0 {
				t.Fatalf("B's Get %s with only A's rows: code %d %q, %d rows; want an empty table",
					table, r.GetErrCode(), r.GetErrMsg(), len(r.GetResolvedPathResults()))
			}
		}
	}
	if code, msg := b.run(t, smBase+"InstallDU()", "b-install", map[string]string{"URL": url, "UUID": "app-1"}); code != 0 {
		t.Fatalf("B's InstallDU of the same URL and UUID: %d %s", code, msg)
	}
	bDU := b.duEvent(t, "app-1", "Install")["DeploymentUnitRef"] + "."
	if bDU == aDU {
		t.Fatalf("two tenants share %s", bDU)
	}

	// Visibility: each tenant its own; the operator both.
	for _, c := range []struct {
		who  *inbox
		want []string
	}{{a, []string{aDU}}, {b, []string{bDU}}, {op, []string{aDU, bDU}}} {
		got := c.who.rowsSeen(t, smDU)
		inst := c.who.instancesSeen(t, smDU)
		if len(got) != len(c.want) || len(inst) != len(c.want) {
			t.Fatalf("%v sees DU rows %v and instances %v, want %v", c.who.id, got, inst, c.want)
		}
		for _, w := range c.want {
			if got[w]["UUID"] != "app-1" || got[w]["Status"] != "Installed" {
				t.Fatalf("%v's view of %s: %v", c.who.id, w, got[w])
			}
		}
	}
	if eus := b.rowsSeen(t, smEU); len(eus) != 1 || eus[aEU] != nil {
		t.Fatalf("B sees EU rows %v (A's is %s)", eus, aEU)
	}

	if code, msg := a.run(t, aEU+"SetRequestedState()", "a-start", map[string]string{"RequestedState": "Active"}); code != 0 {
		t.Fatalf("A starts its EU: %d %s", code, msg)
	}
	waitFor(t, 30*time.Second, "A's app answering", func() bool { return appAnswer(port) == "v1" })
	t.Logf("A's InstallDU to its app answering (B's install and A's start in between): %v", time.Since(start).Round(time.Millisecond))
	waitFor(t, 10*time.Second, "A's EU Active", func() bool { return get(t, n, aEU+"Status") == "Active" })

	// B may not stop or remove A's app.
	if code, _ := b.run(t, aEU+"SetRequestedState()", "b-stop", map[string]string{"RequestedState": "Idle"}); code != uint32(usp.ErrPermissionDenied) {
		t.Fatalf("B stops A's EU: code %d, want 7006", code)
	}
	if code, _ := b.run(t, aDU+"Uninstall()", "b-uninstall", nil); code != uint32(usp.ErrPermissionDenied) {
		t.Fatalf("B uninstalls A's DU: code %d, want 7006", code)
	}
	if appAnswer(port) != "v1" || get(t, n, aEU+"Status") != "Active" {
		t.Fatal("A's app stopped after B's refused commands")
	}
	// B received its own DUStateChange! only; the operator both.
	op.duEvent(t, "app-1", "Install")
	op.duEvent(t, "app-1", "Install")
	b.drain()
	for _, nt := range b.seen {
		if ev := nt.GetEvent(); ev != nil && ev.GetParams()["DeploymentUnitRef"]+"." == aDU {
			t.Fatalf("B received A's DUStateChange! %v", ev)
		}
	}

	// A restart brings A's unit back Active and B's Idle.
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "A's app stopped with the node", func() bool { return appAnswer(port) == "" })
	n = startNode(t, cfg, Deps{})
	waitFor(t, 30*time.Second, "A's app answering after the restart", func() bool { return appAnswer(port) == "v1" })
	a, b = appsClient(t, n, tenantA), appsClient(t, n, tenantB)
	du := rowWith(t, a.rowsSeen(t, smDU), "UUID", "app-1")
	eu := rowWith(t, a.rowsSeen(t, smEU), "Name", "counter")
	waitFor(t, 10*time.Second, "A's EU Active after the restart", func() bool { return get(t, n, eu+"Status") == "Active" })
	if got := rows(t, n, smDU); got != 2 {
		t.Fatalf("%d DU rows after the restart, want 2", got)
	}

	// A updates its unit to version 2 (the running app is replaced); B may not.
	v2 := serveBundle(t, appBundleFor(t, "2", port))
	if code, _ := b.run(t, du+"Update()", "b-update", map[string]string{"URL": v2}); code != uint32(usp.ErrPermissionDenied) {
		t.Fatalf("B updates A's DU: code %d, want 7006", code)
	}
	if code, msg := a.run(t, du+"Update()", "a-update", map[string]string{"URL": v2}); code != 0 {
		t.Fatalf("A updates: %d %s", code, msg)
	}
	if ev := a.duEvent(t, "app-1", "Update"); ev["CurrentState"] != "Installed" || ev["Version"] != "2" || ev["FaultCode"] != "0" {
		t.Fatalf("A's Update DUStateChange! %v", ev)
	}
	waitFor(t, 30*time.Second, "version 2 answering", func() bool { return appAnswer(port) == "v2" })
	if got := get(t, n, du+"Version"); got != "2" || get(t, n, eu+"DiskSpaceInUse") == "0" || get(t, n, eu+"DiskSpaceInUse") == "-1" {
		t.Fatalf("DU Version %s after the update", got)
	}

	if code, msg := a.run(t, eu+"SetRequestedState()", "a-stop", map[string]string{"RequestedState": "Idle"}); code != 0 {
		t.Fatalf("A stops its EU: %d %s", code, msg)
	}
	waitFor(t, 20*time.Second, "A's EU Idle", func() bool { return get(t, n, eu+"Status") == "Idle" && appAnswer(port) == "" })
	if code, msg := a.run(t, du+"Uninstall()", "a-uninstall", nil); code != 0 {
		t.Fatalf("A uninstalls: %d %s", code, msg)
	}
	if ev := a.duEvent(t, "app-1", "Uninstall"); ev["CurrentState"] != "Uninstalled" || ev["FaultCode"] != "0" {
		t.Fatalf("A's Uninstall DUStateChange! %v", ev)
	}
	waitFor(t, 10*time.Second, "A's rows gone", func() bool { return rows(t, n, smDU) == 1 && rows(t, n, smEU) == 1 })
	if left := a.rowsSeen(t, smDU); len(left) != 0 {
		t.Fatalf("A still sees %v", left)
	}
}

// TestAppsBadInput: an unreachable URL, a wrong checksum and an unknown
// ExecutionEnvRef end InstallDU() with a clear fault in its
// OperationComplete (and a failed DUStateChange! for the first two; the
// unknown ExecEnv's 7223 is reported as 7022 with 7223 in the message,
// as cmd_failure allows no 72xx code); nothing is installed.
func TestAppsBadInput(t *testing.T) {
	n := startNode(t, appsConfig(t), Deps{})
	a := appsClient(t, n, tenantA)
	good := serveBundle(t, appBundleFor(t, "1", tcpPort(t)))
	wrongSum := good[:strings.Index(good, "#")] + "#sha256=" + strings.Repeat("0", 64)
	for _, c := range []struct {
		name string
		args map[string]string
		code uint32
		msg  string
	}{
		{"unreachable", map[string]string{"URL": "http://127.0.0.1:1/x.tar.gz#sha256=" + strings.Repeat("0", 64), "UUID": "bad-1"}, 7002, "DownloadFailure"},
		{"wrong checksum", map[string]string{"URL": wrongSum, "UUID": "bad-2"}, 7002, "FileCorrupted"},
		{"unknown env", map[string]string{"URL": good, "UUID": "bad-3", "ExecutionEnvRef": "Device.SoftwareModules.ExecEnv.9"}, uint32(usp.ErrCommandFailure), "unknown execution environment \"Device.SoftwareModules.ExecEnv.9\" (this node has Device.SoftwareModules.ExecEnv.1) (7223)"},
		{"no URL", map[string]string{"UUID": "bad-4"}, uint32(usp.ErrInvalidCommandArguments), "URL"},
	} {
		code, msg := a.run(t, smBase+"InstallDU()", c.name, c.args)
		if code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, code, msg, c.code, c.msg)
		}
		if c.code == 7002 {
			if ev := a.duEvent(t, c.args["UUID"], "Install"); ev["CurrentState"] != "Failed" || ev["FaultCode"] != "7002" || ev["FaultString"] == "" {
				t.Errorf("%s: DUStateChange! %v", c.name, ev)
			}
		}
	}
	if got := rows(t, n, smDU); got != 0 {
		t.Fatalf("%d DU rows after failed installs", got)
	}
	if got := get(t, n, smEnv+"1.Type"); got != n.cfg.AppsRuntime {
		t.Fatalf("ExecEnv Type %q, want %q", got, n.cfg.AppsRuntime)
	}
}

// TestAppsConfig: apps_runtime takes crun, process or off; limits are
// not negative; with "off" InstallDU() fails clearly and no state is
// kept under <state dir>/swmod.
func TestAppsConfig(t *testing.T) {
	for _, c := range []struct {
		field string
		set   func(*Config)
	}{
		{"apps_runtime", func(c *Config) { c.AppsRuntime = "docker" }},
		{"apps_memory_mb", func(c *Config) { c.AppsMemoryMB = -1 }},
		{"apps_cpu_milli", func(c *Config) { c.AppsCPUMilli = -1 }},
		{"apps_pids", func(c *Config) { c.AppsPids = -1 }},
	} {
		cfg := baseConfig(t)
		cfg.applyDefaults()
		c.set(&cfg)
		var ce *ConfigError
		if err := cfg.Validate(); !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("%s: Validate %v", c.field, err)
		}
	}
	cfg := baseConfig(t)
	cfg.AppsRuntime = "off"
	n := startNode(t, cfg, Deps{})
	a := appsClient(t, n, testCtl)
	code, msg := a.run(t, smBase+"InstallDU()", "off", map[string]string{"URL": "http://127.0.0.1:1/x"})
	if code != uint32(usp.ErrCommandFailure) || !strings.Contains(msg, "apps_runtime") {
		t.Fatalf("InstallDU with apps off: %d %q", code, msg)
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDir, appsDir)); err == nil {
		t.Fatal("apps off, yet a swmod directory")
	}
}

// FuzzAppRow: any path maps to "" or to the DU or EU row it starts with.
func FuzzAppRow(f *testing.F) {
	for _, s := range []string{smDU + "1.Name", smEU + "12.", smDU, smEU + ".", "Device.DeviceInfo.", smDU + "3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		row := appRow(p)
		if row == "" {
			return
		}
		if !strings.HasPrefix(p, row) || !strings.HasSuffix(row, ".") ||
			!(strings.HasPrefix(row, smDU) || strings.HasPrefix(row, smEU)) || strings.Count(row, ".") != 4 {
			t.Fatalf("appRow(%q) = %q", p, row)
		}
	})
}

// TestAppsRelativeStateDir: with a relative state dir (meshd
// -state-dir state) an app still starts: crun runs it from the bundle's
// directory, where the relative rootfs path named nothing
// (FailureOnStart: "crun run ...: exit status 1" before the fix).
func TestAppsRelativeStateDir(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg := appsConfig(t)
	cfg.StateDir = "state"
	n := startNode(t, cfg, Deps{})
	a := appsClient(t, n, testCtl)
	port := tcpPort(t)
	if code, msg := a.run(t, smBase+"InstallDU()", "install", map[string]string{"URL": serveBundle(t, appBundleFor(t, "1", port)), "UUID": "rel"}); code != 0 {
		t.Fatalf("InstallDU: %d %s", code, msg)
	}
	eu := a.duEvent(t, "rel", "Install")["ExecutionUnitRefList"] + "."
	if code, msg := a.run(t, eu+"SetRequestedState()", "start", map[string]string{"RequestedState": "Active"}); code != 0 {
		t.Fatalf("start: %d %s", code, msg)
	}
	waitFor(t, 30*time.Second, "the app answering", func() bool {
		if f := get(t, n, eu+"ExecutionFaultCode"); f != "NoFault" {
			t.Fatalf("%s: %s", f, get(t, n, eu+"ExecutionFaultMessage"))
		}
		return appAnswer(port) == "v1"
	})
}

// TestRedactURL: credentials never reach DeploymentUnit.{i}.URL.
func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://u:secret@h/a.tar#sha256=00": "http://h/a.tar#sha256=00",
		"http://h/a.tar":                    "http://h/a.tar",
		"%zz":                               "%zz",
	} {
		if got := redactURL(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
	u, err := withCredentials("http://h/a.tar#sha256=00", "u", "secret")
	if err != nil || redactURL(u) != "http://h/a.tar#sha256=00" {
		t.Fatalf("withCredentials then redactURL: %q, %v", u, err)
	}
}

// TestAppsUnavailableNodeStarts: an application runtime that cannot
// open its directory (here a file stands where it goes; a read-only or
// full flash alike) leaves the node running without apps, and
// InstallDU() says why.
func TestAppsUnavailableNodeStarts(t *testing.T) {
	cfg := baseConfig(t)
	cfg.AppsRuntime = "process"
	if err := os.WriteFile(filepath.Join(cfg.StateDir, appsDir), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, cfg, Deps{})
	a := appsClient(t, n, testCtl)
	code, msg := a.run(t, smBase+"InstallDU()", "unavailable", map[string]string{"URL": "http://127.0.0.1:1/x"})
	if code != uint32(usp.ErrCommandFailure) || !strings.Contains(msg, "unavailable") {
		t.Fatalf("InstallDU without a runtime: %d %q", code, msg)
	}
}
