package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests run meshd and meshctl as a newcomer would in the first hour
// (see README.md, "Outside Controllers").

// TestWrongKeyFailsWithinTimeout: a wrong PSK fails within -timeout and
// says so, as text and as JSON.
func TestWrongKeyFailsWithinTimeout(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	wrong := []string{"-psk-hex", "ffeeddccbbaa99887766554433221100", "-timeout", "2s"}
	for _, json := range []bool{false, true} {
		args := wrong
		if json {
			args = append(args, "-json")
		}
		start := time.Now()
		out, errOut, code := meshctl(t, d, args, "get", "Device.DeviceInfo.")
		if el := time.Since(start); el > 4*time.Second {
			t.Errorf("-json=%v: a wrong key took %s with -timeout 2s", json, el)
		}
		if code != 1 || !strings.Contains(out+errOut, "handshake failed: wrong key?") {
			t.Fatalf("-json=%v: exit %d\nstdout: %s\nstderr: %s", json, code, out, errOut)
		}
	}
	// The right key still works on the same node.
	mustRun(t, d, []string{"-psk-hex", testPSK}, "get", "Device.DeviceInfo.FriendlyName")
	// Nobody listening is no wrong key.
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := fmt.Sprintf("coaps://%s/usp", l.LocalAddr())
	l.Close()
	_, errOut, code := runMeshctl(t, "-url", closed, "-agent", d.agentID, "-listen", "127.0.0.1:0", "-psk-hex", testPSK, "-timeout", "2s", "get", "Device.")
	if code != 1 || strings.Contains(errOut, "wrong key") {
		t.Fatalf("closed port: exit %d, %s", code, errOut)
	}
}

// TestOutsideControllerRecipe: the key minted into a file, given to meshd
// and meshctl with -psk-file, writes; the mesh secret only reads, and a
// 7006 tells its holder why, once.
func TestOutsideControllerRecipe(t *testing.T) {
	dir := t.TempDir()
	psk, secret := filepath.Join(dir, "ctl.psk"), filepath.Join(dir, "mesh.secret")
	for _, c := range [][]string{{"mint-psk", "-o", psk}, {"secret", "-o", secret}} {
		if _, errOut, code := runMeshctl(t, c...); code != 0 {
			t.Fatalf("%v: exit %d %s", c, code, errOut)
		}
	}
	d := startMeshd(t, filepath.Join(dir, "state"), "-mesh-secret-file", secret, "-psk-file", psk,
		"-controller", "proto::ops=full", "-interface", "lo", "-gossip-port", fmt.Sprint(freePort(t)))
	ops := []string{"-id", "proto::ops", "-psk-file", psk}
	wantLines(t, mustRun(t, d, ops, "set", "Device.DeviceInfo.FriendlyName", "Hall"), "Device.DeviceInfo.FriendlyName => Hall")

	peer := []string{"-secret-file", secret}
	wantLines(t, mustRun(t, d, peer, "get", "Device.DeviceInfo.FriendlyName"), "Device.DeviceInfo.FriendlyName => Hall")
	for _, args := range [][]string{{"set", "Device.DeviceInfo.FriendlyName", "Attic"}, {"-json", "set", "Device.DeviceInfo.", "FriendlyName=Attic"}} {
		out, errOut, code := meshctl(t, d, peer, args...)
		if code != 1 || !strings.Contains(out+errOut, "7006") {
			t.Fatalf("%v with the mesh secret: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
		if n := strings.Count(errOut, "MeshPeer"); n != 1 || !strings.Contains(errOut, "-controller proto::you=full") {
			t.Fatalf("%v: the read-only hint appears %d times:\n%s", args, n, errOut)
		}
	}
	// A 7006 to a PSK Controller gets no mesh-secret hint.
	if _, errOut, _ := meshctl(t, d, ops, "set", "Device.DeviceInfo.Manufacturer", "x"); strings.Contains(errOut, "MeshPeer") {
		t.Fatalf("hint without the mesh secret: %s", errOut)
	}
}

// envelope is -json's output as a test reads it.
type testEnvelope struct {
	Command string            `json:"command"`
	Results []json.RawMessage `json:"results"`
	Errors  []pathError       `json:"errors"`
}

// decodeLines parses every line of out as one envelope with exactly the
// three keys.
func decodeLines(t *testing.T, out string) []testEnvelope {
	t.Helper()
	var envs []testEnvelope
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &keys); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		var ks []string
		for k := range keys {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		if !slices.Equal(ks, []string{"command", "errors", "results"}) {
			t.Fatalf("keys %v in %s", ks, l)
		}
		var e testEnvelope
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		envs = append(envs, e)
	}
	return envs
}

// TestJSONOneShape: every command's -json output is the one envelope,
// its exit status is the text's, and each failure is listed once with its
// path and code.
func TestJSONOneShape(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	sec := []string{"-psk-hex", testPSK}
	for _, c := range []struct {
		args []string
		// text, when set, are the arguments of the text run (which goes
		// first) of a command that changes the Agent.
		text       []string
		command    string
		code       int
		results    int
		errorPaths []string
	}{
		{[]string{"get", "Device.DeviceInfo.FriendlyName"}, nil, "get", 0, 1, nil},
		{[]string{"get", "Device.Nope.", "Device.DeviceInfo.FriendlyName"}, nil, "get", 1, 1, []string{"Device.Nope."}},
		{[]string{"set", "Device.DeviceInfo.FriendlyName", "Hall"}, nil, "set", 0, 1, nil},
		{[]string{"set", "Device.DeviceInfo.", "FriendlyName=Hall"}, nil, "set", 0, 1, nil},
		{[]string{"set", "-partial", "Device.DeviceInfo.", "Manufacturer=x", "FriendlyName=y"}, nil, "set", 1, 0, []string{"Device.DeviceInfo.Manufacturer"}},
		{[]string{"set", "Device.DeviceInfo.", "Manufacturer=x"}, nil, "set", 1, 0, []string{"Device.DeviceInfo.Manufacturer"}},
		{[]string{"add", "Device.LocalAgent.Subscription.", "ID=j", "NotifType=ValueChange", "ReferenceList=Device.DeviceInfo."},
			[]string{"add", "Device.LocalAgent.Subscription.", "ID=t", "NotifType=ValueChange", "ReferenceList=Device.DeviceInfo."}, "add", 0, 1, nil},
		{[]string{"instances", "Device.LocalAgent.Subscription."}, nil, "instances", 0, 2, nil},
		{[]string{"del", "Device.LocalAgent.Subscription.2."}, []string{"del", "Device.LocalAgent.Subscription.1."}, "delete", 0, 1, nil},
		{[]string{"operate", "Device.Nope()"}, nil, "operate", 1, 0, []string{"Device.Nope()"}},
		{[]string{"operate", "Device.ScheduleTimer()", "DelaySeconds=1"}, nil, "operate", 0, 1, nil},
		{[]string{"gsdm", "-first-level", "Device.LocalAgent.Subscription.{i}."}, nil, "supported", 0, 1, nil},
		{[]string{"supported", "Device.Nope."}, nil, "supported", 1, 0, []string{"Device.Nope."}},
		{[]string{"proto"}, nil, "proto", 0, 1, nil},
		{[]string{"bench", "-n", "5"}, nil, "bench", 0, 1, nil},
		{[]string{"subscribe", "Bogus", "Device."}, nil, "subscribe", 1, 0, []string{"Device.LocalAgent.Subscription.{i}.NotifType"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			text := c.args
			if c.text != nil {
				text = c.text
			}
			_, textErr, textCode := meshctl(t, d, sec, text...)
			out, errOut, code := meshctl(t, d, append([]string{"-json"}, sec...), c.args...)
			if code != c.code || textCode != c.code {
				t.Fatalf("exit %d with -json, %d without, want %d\nstdout: %s\nstderr: %s\ntext stderr: %s", code, textCode, c.code, out, errOut, textErr)
			}
			envs := decodeLines(t, out)
			if len(envs) != 1 {
				t.Fatalf("%d JSON lines, want 1: %s", len(envs), out)
			}
			e := envs[0]
			if e.Command != c.command || len(e.Results) != c.results {
				t.Fatalf("command %q with %d results, want %q with %d: %s", e.Command, len(e.Results), c.command, c.results, out)
			}
			var paths []string
			for _, pe := range e.Errors {
				if pe.Code == 0 {
					t.Fatalf("an error without its code: %s", out)
				}
				paths = append(paths, pe.Path)
			}
			if !slices.Equal(paths, c.errorPaths) {
				t.Fatalf("error paths %q, want %q: %s", paths, c.errorPaths, out)
			}
			if errOut != "" {
				t.Fatalf("-json printed the failure again on stderr: %s", errOut)
			}
		})
	}
}

// TestErrorsOnce: as text, each failure is printed once, with its path
// and code: not the object's consequence next to its parameter's cause,
// nor the Agent's message twice.
func TestErrorsOnce(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	sec := []string{"-psk-hex", testPSK}
	for _, c := range []struct {
		args []string
		path string
		code string
		once string
	}{
		{[]string{"set", "-partial", "Device.DeviceInfo.", "Manufacturer=x", "FriendlyName=y"}, "Device.DeviceInfo.Manufacturer", "7013", "not writable"},
		{[]string{"subscribe", "Bogus", "Device."}, "Device.LocalAgent.Subscription.{i}.NotifType", "7012", "is not one of"},
		{[]string{"operate", "Device.Nope()"}, "Device.Nope()", "7026", "has no command"},
	} {
		t.Run(c.args[0], func(t *testing.T) {
			out, errOut, code := meshctl(t, d, sec, c.args...)
			all := out + errOut
			var lines []string
			for _, l := range strings.Split(all, "\n") {
				if strings.Contains(l, "ERROR") {
					lines = append(lines, l)
				}
			}
			if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], c.path) || !strings.Contains(lines[0], c.code) {
				t.Fatalf("exit %d, ERROR lines %q, want one with %s and %s\nstdout: %s\nstderr: %s", code, lines, c.path, c.code, out, errOut)
			}
			if n := strings.Count(all, c.once); n != 1 {
				t.Fatalf("%q appears %d times:\n%s", c.once, n, all)
			}
		})
	}
}

// TestStatusAlone: a node alone (no mesh secret: no leader, no members)
// agrees with itself.
func TestStatusAlone(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	sec := []string{"-psk-hex", testPSK}
	out := mustRun(t, d, sec, "status")
	if !strings.Contains(out, "agree: yes (1 node)\n") {
		t.Fatalf("status of a node alone:\n%s", out)
	}
	out = mustRun(t, d, append([]string{"-json"}, sec...), "status")
	if e := decodeLines(t, out); len(e) != 1 || e[0].Command != "status" || len(e[0].Results) != 1 || len(e[0].Errors) != 0 {
		t.Fatalf("status -json of a node alone: %s", out)
	}
}

// TestObuspaForms: set PARAM-PATH VALUE, del and gsdm work besides
// today's forms.
func TestObuspaForms(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	sec := []string{"-psk-hex", testPSK}
	wantLines(t, mustRun(t, d, sec, "set", "Device.DeviceInfo.FriendlyName", "Hall of a=b"), "Device.DeviceInfo.FriendlyName => Hall of a=b")
	wantLines(t, mustRun(t, d, sec, "get", "Device.DeviceInfo.FriendlyName"), "Device.DeviceInfo.FriendlyName => Hall of a=b")
	row := strings.SplitN(mustRun(t, d, sec, "add", "Device.LocalAgent.Subscription.", "ID=o", "NotifType=ValueChange", "ReferenceList=Device.DeviceInfo."), "\n", 2)[0]
	wantLines(t, mustRun(t, d, sec, "del", row), "deleted "+row)
	wantLines(t, mustRun(t, d, sec, "gsdm", "-first-level", "Device.LocalAgent.Subscription.{i}."), "  key [Recipient, ID]")
}

// TestSubscribeJSONLines: subscribe -json prints the envelope once
// subscribed and once per notification, one per line.
func TestSubscribeJSONLines(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full", "-controller", "proto::watcher=read")
	sec := []string{"-psk-hex", testPSK}
	sc := startJSONWatcher(t, d, sec)
	mustRun(t, d, sec, "set", "Device.DeviceInfo.FriendlyName", "Attic")
	if !sc.Scan() {
		t.Fatalf("no notification line\n%s", d.logs)
	}
	e := decodeLines(t, sc.Text())
	var n notice
	if len(e) != 1 || e[0].Command != "subscribe" || len(e[0].Results) != 1 || json.Unmarshal(e[0].Results[0], &n) != nil ||
		n.Type != "ValueChange" || n.Path != "Device.DeviceInfo.FriendlyName" || n.Value == nil || *n.Value != "Attic" {
		t.Fatalf("notification line %s", sc.Text())
	}
}

// startJSONWatcher runs "meshctl -json subscribe" as Controller
// proto::watcher on ValueChange of FriendlyName for 20 s and returns its
// output once its first line says it subscribed; the process is killed
// when t ends.
func startJSONWatcher(t *testing.T, d *daemon, sec []string) *bufio.Scanner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	sub := exec.CommandContext(ctx, filepath.Join(binDir, "meshctl"), append([]string{"-url", d.url, "-agent", d.agentID,
		"-listen", "127.0.0.1:0", "-id", "proto::watcher", "-json"},
		append(sec, "subscribe", "-for", "20s", "ValueChange", "Device.DeviceInfo.FriendlyName")...)...)
	out, _ := sub.StdoutPipe()
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Process.Kill(); _ = sub.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatalf("subscribe printed nothing\n%s", d.logs)
	}
	e := decodeLines(t, sc.Text())
	var s subscribed
	if len(e) != 1 || e[0].Command != "subscribe" || len(e[0].Results) != 1 || json.Unmarshal(e[0].Results[0], &s) != nil ||
		!strings.HasPrefix(s.Path, "Device.LocalAgent.Subscription.") || s.ID == "" {
		t.Fatalf("subscribed line %s", sc.Text())
	}
	return sc
}
