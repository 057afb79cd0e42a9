//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

func TestAddrPlan(t *testing.T) {
	p := addrPlan{run: 255}
	for _, c := range []struct{ got, want string }{
		{p.ctl().String(), "198.18.255.1"},
		{p.node(0, 0).String(), "198.18.255.10"},
		{p.node(3, 1).String(), "198.18.0.13"}, // the third byte wraps, within 198.18.0.0/16
		{p.node6(0, 0).String(), "fd75:736d:6800:ff::a"},
		{p.node6(3, 1).String(), "fd75:736d:6800:ff::10d"},
		{p.mac(-1), "02:75:68:ff:00:01"},
		{p.mac(7), "02:75:68:ff:01:07"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestParseStartLine(t *testing.T) {
	for _, c := range []struct {
		line, agent, url string
		ok               bool
	}{
		{"meshd: agent os::000000-ABC at coaps://198.18.1.10:5684/usp", "os::000000-ABC", "coaps://198.18.1.10:5684/usp", true},
		{"meshd: agent os::000000-ABC at coaps://x/usp\r", "os::000000-ABC", "coaps://x/usp", true},
		{"time=... level=INFO msg=listening", "", "", false},
		{"meshd: agent  at ", "", "", false},
	} {
		a, u, ok := parseStartLine(c.line)
		if a != c.agent || u != c.url || ok != c.ok {
			t.Errorf("%q: got %q %q %v", c.line, a, u, ok)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	meshd := filepath.Join(t.TempDir(), "meshd")
	if err := os.WriteFile(meshd, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg HomeConfig
		ok  bool
	}{
		{HomeConfig{MeshdPath: meshd}, true},
		{HomeConfig{MeshdPath: meshd, Prefix: "uh12ab"}, true},
		{HomeConfig{MeshdPath: meshd, Prefix: "xx12ab"}, false},
		{HomeConfig{MeshdPath: meshd, Prefix: "uh123456789"}, false},
		{HomeConfig{MeshdPath: meshd, Prefix: "uh-a"}, false},
		{HomeConfig{MeshdPath: meshd, Nodes: MaxNodes + 1}, false},
		{HomeConfig{MeshdPath: meshd + "-nope"}, false},
	} {
		got, err := c.cfg.withDefaults()
		if (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.cfg, err)
		}
		if err == nil && (got.Nodes != 3 || got.Self == "" || got.StartTimeout == 0 || got.Logger == nil) {
			t.Errorf("defaults not filled: %+v", got)
		}
	}
}

func TestMarkerOwned(t *testing.T) {
	m := runMarker{Prefix: "uhabc123", Namespaces: []string{"uhabc123-br", "uhabc123-n0", "uhabc1234-n0", "other", "uhabc123-", "uhabc123-../x"}}
	if got, want := m.owned(), []string{"uhabc123-br", "uhabc123-n0"}; !slices.Equal(got, want) {
		t.Errorf("owned %q, want %q", got, want)
	}
	if got := (runMarker{Prefix: "usd01", Namespaces: []string{"usd01-a"}}).owned(); got != nil {
		t.Errorf("owned of a foreign prefix: %q", got)
	}
	tmp := filepath.Clean(os.TempDir())
	for _, c := range []struct {
		dir    string
		remove bool
		want   bool
	}{
		{filepath.Join(tmp, "vhome-uhabc123-42"), true, true},
		{filepath.Join(tmp, "vhome-uhabc123-42"), false, false},
		{filepath.Join(tmp, "vhome-uhother-42"), true, false},
		{"/home/x/vhome-uhabc123-42", true, false},
	} {
		m.RunDir, m.RemoveRunDir = c.dir, c.remove
		if got := m.cleanableDir(); got != c.want {
			t.Errorf("cleanableDir(%s, %v) = %v", c.dir, c.remove, got)
		}
	}
	if !newMarker("uhabc123", nil, "", false).alive() {
		t.Error("own marker not alive")
	}
}

// TestClean leaves a run's namespaces behind a dead harness, then cleans.
func TestClean(t *testing.T) {
	needRoot(t)
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	n := &network{prefix: "uh" + hex.EncodeToString(rnd[:3]), plan: addrPlan{run: rnd[3]}}
	t.Cleanup(func() { _ = destroyNamespaces(context.Background(), n.created) })
	if err := n.build(t.Context(), 2); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	live := newMarker("uhlive1", []string{"uhlive1-n0"}, "", false) // this process: left alone
	if _, err := writeMarker(dir, live); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	m := newMarker(n.prefix, n.namespaces(2), "", false)
	m.PID = dead.Process.Pid
	if _, err := writeMarker(dir, m); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := clean(t.Context(), dir, false, &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("clean said:\n%s", out.String())
	assertGone(t, n.prefix, "")
	if _, err := os.Stat(filepath.Join(dir, n.prefix+".json")); err == nil {
		t.Error("dead run's marker left")
	}
	if _, err := os.Stat(filepath.Join(dir, "uhlive1.json")); err != nil || !strings.Contains(out.String(), "uhlive1: in use") {
		t.Errorf("live run's marker: %v; clean said %q", err, out.String())
	}
}

func TestFlattenGet(t *testing.T) {
	r := &uspmsg.GetResp{ReqPathResults: []*uspmsg.GetResp_RequestedPathResult{
		{RequestedPath: "Device.X_USPMESH_Mesh.", ResolvedPathResults: []*uspmsg.GetResp_ResolvedPathResult{
			{ResolvedPath: "Device.X_USPMESH_Mesh.", ResultParams: map[string]string{"Status": "Leader", "Term": "4"}},
			{ResolvedPath: "Device.X_USPMESH_Mesh.Node.2.", ResultParams: map[string]string{"EndpointID": "os::b"}},
			{ResolvedPath: "Device.X_USPMESH_Mesh.Node.10.", ResultParams: map[string]string{"EndpointID": "os::c"}},
			{ResolvedPath: "Device.X_USPMESH_Mesh.Node.1.", ResultParams: map[string]string{"EndpointID": "os::a"}},
		}},
		{RequestedPath: "Device.Nope.", ErrCode: 7026, ErrMsg: "invalid path"},
	}}
	vals, err := flattenGet(r)
	var pe *PathError
	if !errors.As(err, &pe) || pe.Path != "Device.Nope." || pe.Code != 7026 {
		t.Errorf("error %v", err)
	}
	var v nodeView
	v.fill(vals)
	if v.Status != "Leader" || v.Term != "4" || v.Leader != "" || !slices.Equal(v.Peers, []string{"os::a", "os::b", "os::c"}) {
		t.Errorf("view %+v", v)
	}
}

func TestRenderTable(t *testing.T) {
	var b bytes.Buffer
	views := []nodeView{
		{Index: 0, Addr: "198.18.1.10", AgentID: "os::000000-A", Name: "node0", Status: "Leader", Leader: "os::000000-A", Term: "3",
			Score: "1.5", Baseline: "4.25", Peers: []string{"os::000000-A", "os::000000-B"}, Channels: []string{"2.4:1/20", "5:36/80"}},
		{Index: 1, Addr: "198.18.1.11", AgentID: "os::000000-B", Problem: "no answer"},
	}
	renderTable(&b, views)
	want := `#  NAME   ADDRESS      STATUS       LEADER  TERM  2.4GHz  5GHz   PLAN       NODES
0  node0  198.18.1.10  Leader       node0   3     1/20    36/80  4.25->1.5  2
1  -      198.18.1.11  (no answer)  -       -     -       -      -          0
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestDemoScreenFits: the demo's screen for a five-node home with long
// names and a plan names nodes, not Endpoint IDs, keeps the plan's
// before->after, and stays within 100 columns.
func TestDemoScreenFits(t *testing.T) {
	var views []nodeView
	for i := range 5 {
		views = append(views, nodeView{Index: i + 1, Addr: fmt.Sprintf("198.18.255.%d", 100+i), AgentID: fmt.Sprintf("os::000000-%012d", i),
			Name: fmt.Sprintf("node%d", i+1), Status: "Degraded", Leader: "os::000000-000000000000", Term: "123456",
			Score: "12.3456", Baseline: "45.6789", Peers: make([]string, 5), Channels: []string{"2.4:11/40", "5:100/160"}})
	}
	views[0].Status = "Leader"
	views[0].Plan = demoPlan{Term: "123456", Applied: "2026-12-05T12:00:00Z", Moves: []demoMove{
		{Node: "os::000000-000000000003", Radio: "wlan1", From: "36", To: "149", Status: "Applied"}}}
	var b bytes.Buffer
	renderTable(&b, views)
	renderPlan(&b, latestPlan(views))
	b.WriteString(legend)
	out := b.String()
	for _, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("%d columns: %q", n, l)
		}
	}
	if strings.Contains(out, "os::") {
		t.Errorf("an Endpoint ID shown where a name should be:\n%s", out)
	}
	if !strings.Contains(out, "node4    wlan1    channel 36 -> 149") {
		t.Errorf("the plan's move is not shown by node name:\n%s", out)
	}
}
