// Package swmodtest is the test application of the apps tests (swmod,
// node, meshctl, the virtual home): a small static Go program that
// serves its version and a counter over HTTP, built once per test
// process, packaged as a deployment unit bundle (manifest.json and
// rootfs/), and a real HTTP server that serves bundles with their
// #sha256= fragment.
//
// Data enters as a Bundle (version, environment, limits) and leaves as
// the bundle's bytes and the URL a node installs it from. It imports
// nothing of the project, so swmod's own tests can use it.
package swmodtest

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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Source is the test app: it serves "v<VERSION> <count>" on
// 127.0.0.1:$PORT, or with HOG=1 allocates and touches memory until the
// kernel stops it.
const Source = `package main

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
	dir, err := os.MkdirTemp("", "swmodtest-app-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for name, body := range map[string]string{"main.go": Source, "go.mod": "module app\n\ngo 1.22\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "app", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build test app: %w: %s", err, out)
	}
	return os.ReadFile(filepath.Join(dir, "app"))
})

// App returns the test app's static binary, built once per process.
func App(t testing.TB) []byte {
	t.Helper()
	b, err := buildApp()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Entry is one member of a test archive. Type is a tar type flag
// (regular file when 0), Mode its permissions (0644 when 0).
type Entry struct {
	Name, Link string
	Type       byte
	Body       []byte
	Mode       int64
}

// Tarball builds a tar of entries, gzipped if gz.
func Tarball(t testing.TB, gz bool, entries ...Entry) []byte {
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
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.Name, Linkname: e.Link, Typeflag: typ, Mode: mode, Size: int64(len(e.Body))}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(e.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// Limits are a bundle's resource requests, as manifest.json spells them.
type Limits struct {
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	CPUMilli    int64 `json:"cpu_milli,omitempty"`
	Pids        int64 `json:"pids,omitempty"`
}

// Bundle describes the test app packaged as a DU: name "counter", vendor
// "uspmesh.test".
type Bundle struct {
	// Version is the DU's version and the app's $VERSION.
	Version string
	// Port, when not 0, is the app's $PORT.
	Port int
	// Env is more of the app's environment (KEY=value).
	Env []string
	// Limits are the DU's resource requests.
	Limits Limits
	// AppMode is rootfs/app's mode (0755 when 0; 0644 makes an app
	// that cannot start).
	AppMode int64
}

// Build returns the bundle: a gzipped tar of manifest.json, rootfs/,
// rootfs/app and a rootfs/bin symlink to ".".
func (b Bundle) Build(t testing.TB) []byte {
	t.Helper()
	env := append([]string{"VERSION=" + b.Version}, b.Env...)
	if b.Port != 0 {
		env = append(env, fmt.Sprintf("PORT=%d", b.Port))
	}
	man, err := json.Marshal(map[string]any{"name": "counter", "vendor": "uspmesh.test", "version": b.Version,
		"args": []string{"/app"}, "env": env, "limits": b.Limits})
	if err != nil {
		t.Fatal(err)
	}
	mode := b.AppMode
	if mode == 0 {
		mode = 0o755
	}
	return Tarball(t, true,
		Entry{Name: "manifest.json", Body: man},
		Entry{Name: "rootfs/", Type: tar.TypeDir, Mode: 0o755},
		Entry{Name: "rootfs/app", Body: App(t), Mode: mode},
		Entry{Name: "rootfs/bin", Type: tar.TypeSymlink, Link: "."},
	)
}

// Answer is what the app on 127.0.0.1:port answers ("v<VERSION>
// <count>"), "" when nothing answers within a second.
func Answer(port int) string {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// AnswerVersion is the "v<VERSION>" of Answer, "" when nothing answers.
func AnswerVersion(port int) string {
	v, _, _ := strings.Cut(Answer(port), " ")
	return v
}

// Files serves archives by path over real HTTP.
type Files struct {
	base   string
	mu     sync.Mutex
	m      map[string][]byte
	refuse func(*http.Request) bool
	hits   map[string]int // remote IP → requests answered
}

// Serve starts a Files server on 127.0.0.1, closed by t's cleanup.
func Serve(t testing.TB) *Files {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ServeOn(t, l)
}

// ServeOn serves on l (e.g. a listener opened in another network
// namespace), closed by t's cleanup.
func ServeOn(t testing.TB, l net.Listener) *Files {
	f := &Files{base: "http://" + l.Addr().String(), m: map[string][]byte{}, hits: map[string]int{}}
	srv := &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return f
}

func (f *Files) serve(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	f.mu.Lock()
	b, ok := f.m[r.URL.Path]
	refuse := f.refuse != nil && f.refuse(r)
	if ok && !refuse {
		f.hits[host]++
	}
	f.mu.Unlock()
	switch {
	case refuse:
		http.Error(w, "refused by the test", http.StatusForbidden)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Write(b)
	}
}

// Put serves b at p and returns its URL with the #sha256= fragment.
func (f *Files) Put(p string, b []byte) string {
	f.mu.Lock()
	f.m[p] = b
	f.mu.Unlock()
	sum := sha256.Sum256(b)
	return f.base + p + "#sha256=" + hex.EncodeToString(sum[:])
}

// Refuse answers 403 Forbidden to the requests refuse accepts (nil:
// none).
func (f *Files) Refuse(refuse func(*http.Request) bool) {
	f.mu.Lock()
	f.refuse = refuse
	f.mu.Unlock()
}

// Hits is how many files f served to the client at IP host.
func (f *Files) Hits(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[host]
}

// Size is the length of the file served at p (0 when none).
func (f *Files) Size(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.m[p])
}

// URL is the server's base URL (http://host:port).
func (f *Files) URL() string { return f.base }
