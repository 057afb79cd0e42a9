package swmod

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/swmod/swmodtest"
)

// entry is one member of a test archive.
type entry struct {
	name, link string
	typ        byte
	body       []byte
	mode       int64
}

// tarball builds a tar (gzipped if gz) of entries.
func tarball(t testing.TB, gz bool, entries ...entry) []byte {
	t.Helper()
	es := make([]swmodtest.Entry, len(entries))
	for i, e := range entries {
		es[i] = swmodtest.Entry{Name: e.name, Link: e.link, Type: e.typ, Body: e.body, Mode: e.mode}
	}
	return swmodtest.Tarball(t, gz, es...)
}

func manifestJSON(t testing.TB, m Manifest) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// appBundle is the test app packaged as a DU of version v.
func appBundle(t testing.TB, v string, env []string, lim Limits) []byte {
	return swmodtest.Bundle{Version: v, Env: env,
		Limits: swmodtest.Limits{MemoryBytes: lim.MemoryBytes, CPUMilli: lim.CPUMilli, Pids: lim.Pids}}.Build(t)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("after %v: still not %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitEU(t *testing.T, e *Env, euid string, d time.Duration, what string, cond func(EU) bool) EU {
	t.Helper()
	var last EU
	end := time.Now().Add(d)
	for {
		eu, ok := e.EU(euid)
		last = eu
		if ok && cond(eu) {
			return eu
		}
		if time.Now().After(end) {
			t.Fatalf("after %v: EU %s not %s; last %+v", d, euid, what, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get asks the app at port and returns its answer; "" when it does not answer.
func get(port int) string { return swmodtest.Answer(port) }

// listing returns the names under dir, recursively, relative to it.
func listing(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != dir {
			r, _ := filepath.Rel(dir, p)
			out = append(out, r)
		}
		return nil
	})
	return out
}

func newEnv(t *testing.T, cfg Config, rt Runtime) *Env {
	t.Helper()
	e, err := New(context.Background(), cfg, rt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
