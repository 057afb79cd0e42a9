package swmod

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
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
	"sync"
	"testing"
	"time"
)

// appSource is the test app: it serves "v<VERSION> <count>" on
// 127.0.0.1:$PORT, or with HOG=1 allocates and touches memory until the
// kernel stops it.
const appSource = `package main

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

func main() {
	if os.Getenv("HOG") == "1" {
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
			fmt.Println("held MiB:", len(keep))
			time.Sleep(time.Millisecond)
		}
	}
	var n atomic.Int64
	fmt.Println("serving on", os.Getenv("PORT"))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "v%s %d\n", os.Getenv("VERSION"), n.Add(1))
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
}
`

var buildApp = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "swmod-app-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(appSource), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module app\n\ngo 1.22\n"), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "app", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build test app: %w: %s", err, out)
	}
	return os.ReadFile(filepath.Join(dir, "app"))
})

func testApp(t testing.TB) []byte {
	t.Helper()
	b, err := buildApp()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: mode, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
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
	m := Manifest{Name: "counter", Vendor: "uspmesh.test", Version: v, Args: []string{"/app"},
		Env: append([]string{"VERSION=" + v}, env...), Limits: lim}
	return tarball(t, true,
		entry{name: "manifest.json", body: manifestJSON(t, m)},
		entry{name: "rootfs/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "rootfs/app", body: testApp(t), mode: 0o755},
		entry{name: "rootfs/bin", typ: tar.TypeSymlink, link: "."},
	)
}

// files serves archives by path on a real HTTP server.
type files struct {
	mu  sync.Mutex
	m   map[string][]byte
	srv *httptest.Server
}

func serveFiles(t *testing.T) *files {
	f := &files{m: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		b, ok := f.m[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// put serves b at p and returns its URL with the #sha256= fragment.
func (f *files) put(p string, b []byte) string {
	f.mu.Lock()
	f.m[p] = b
	f.mu.Unlock()
	sum := sha256.Sum256(b)
	return f.srv.URL + p + "#sha256=" + hex.EncodeToString(sum[:])
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
func get(port int) string {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

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
