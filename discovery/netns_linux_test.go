//go:build linux

package discovery

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The namespace tests run advertisers and browsers in helper processes
// (this test binary re-executed with `ip netns exec NS`), because zeroconf
// starts goroutines that a thread-bound setns could not follow.

// requireRootEnv makes skipped root tests fail, for CI.
const requireRootEnv = "USPMESH_REQUIRE_ROOT_TESTS"

// netnsLab owns the network namespaces of one test; they carry a random
// prefix and are deleted in t.Cleanup.
type netnsLab struct {
	t      *testing.T
	prefix string
}

func newNetnsLab(t *testing.T) *netnsLab {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv(requireRootEnv) == "1" {
			t.Fatalf("%s=1 but not root: the namespace tests need root", requireRootEnv)
		}
		t.Skip("needs root for network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("iproute2 `ip` not found: %v", err)
	}
	var r [3]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	return &netnsLab{t: t, prefix: "usd" + hex.EncodeToString(r[:])}
}

// ip runs `ip args...` with a deadline and fails the test on error.
func (l *netnsLab) ip(args ...string) {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// addNS creates namespace <prefix>-<name> with lo up and no route but
// the connected ones, and returns its name.
func (l *netnsLab) addNS(name string) string {
	l.t.Helper()
	ns := l.prefix + "-" + name
	l.ip("netns", "add", ns)
	l.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "ip", "netns", "del", ns).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	})
	l.ip("-n", ns, "link", "set", "lo", "up")
	return ns
}

// veth joins namespaces a and b with a veth pair named dev on both ends,
// up and multicast-capable.
func (l *netnsLab) veth(a, b, dev string) {
	l.t.Helper()
	l.ip("link", "add", dev, "netns", a, "type", "veth", "peer", "name", dev, "netns", b)
	for _, ns := range []string{a, b} {
		l.ip("-n", ns, "link", "set", dev, "multicast", "on", "up")
	}
}

// addr adds an address; IPv6 ones skip duplicate address detection.
func (l *netnsLab) addr(ns, dev, cidr string) {
	l.t.Helper()
	args := []string{"-n", ns, "addr", "add", cidr, "dev", dev}
	if strings.Contains(cidr, ":") {
		args = append(args, "nodad")
	}
	l.ip(args...)
}

// delAddr removes an address.
func (l *netnsLab) delAddr(ns, dev, cidr string) {
	l.t.Helper()
	l.ip("-n", ns, "addr", "del", cidr, "dev", dev)
}

// line is one line of a helper's output with the time the test read it.
type line struct {
	text string
	at   time.Time
}

// helperProc is a helper process running in a namespace.
type helperProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout chan line // PEER/READY/CLOSED/LEAK lines
	logs   chan line // JSON log records and anything else on stderr
	exited chan struct{}
	err    error // of cmd.Wait, once exited is closed

	mu     sync.Mutex
	peers  []Peer   // every peer reported so far
	output []string // every line, for the failure report
}

// start runs the helper with spec in ns. Cleanup kills it if the test
// has not stopped it.
func (l *netnsLab) start(ns, name string, spec helperSpec) *helperProc {
	l.t.Helper()
	js, err := json.Marshal(spec)
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(js))
	h := &helperProc{t: l.t, name: name, cmd: cmd,
		stdout: make(chan line, 4096), logs: make(chan line, 4096), exited: make(chan struct{})}
	if h.stdin, err = cmd.StdinPipe(); err != nil {
		l.t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	errOut, err := cmd.StderrPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("start helper %s: %v", name, err)
	}
	var pipes sync.WaitGroup
	pipes.Go(func() { h.scan(out, h.stdout) })
	pipes.Go(func() { h.scan(errOut, h.logs) })
	go func() {
		pipes.Wait()
		h.err = cmd.Wait()
		close(h.exited)
	}()
	l.t.Cleanup(func() {
		h.kill()
		if l.t.Failed() {
			h.mu.Lock()
			defer h.mu.Unlock()
			l.t.Logf("output of helper %s:\n%s", name, strings.Join(h.output, "\n"))
		}
	})
	return h
}

func (h *helperProc) scan(r io.Reader, ch chan line) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		text := sc.Text()
		h.mu.Lock()
		h.output = append(h.output, text)
		h.mu.Unlock()
		if p, ok := strings.CutPrefix(text, "PEER "); ok {
			var peer Peer
			if err := json.Unmarshal([]byte(p), &peer); err == nil {
				h.mu.Lock()
				h.peers = append(h.peers, peer)
				h.mu.Unlock()
			}
		}
		select {
		case ch <- line{text, time.Now()}:
		default: // nobody is reading this one: drop it
		}
	}
}

// allPeers returns every peer the helper has reported.
func (h *helperProc) allPeers() []Peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Peer(nil), h.peers...)
}

// allOutput returns every line the helper has written so far.
func (h *helperProc) allOutput() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.output...)
}

// waitLine waits until a stdout line satisfies match, until timeout.
func (h *helperProc) waitLine(t testing.TB, timeout time.Duration, what string, match func(string) bool) line {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case l := <-h.stdout:
			if match(l.text) {
				return l
			}
		case <-deadline.C:
			t.Fatalf("%s: no %s within %v", h.name, what, timeout)
		}
	}
}

// waitReady waits for the helper's READY line.
func (h *helperProc) waitReady(t testing.TB, timeout time.Duration) line {
	t.Helper()
	return h.waitLine(t, timeout, "READY", func(s string) bool { return s == "READY" })
}

// waitPeer waits until the helper reports a peer that satisfies match.
func (h *helperProc) waitPeer(t testing.TB, timeout time.Duration, what string, match func(Peer) bool) (Peer, time.Time) {
	t.Helper()
	var p Peer
	l := h.waitLine(t, timeout, what, func(s string) bool {
		js, ok := strings.CutPrefix(s, "PEER ")
		if !ok {
			return false
		}
		p = Peer{}
		return json.Unmarshal([]byte(js), &p) == nil && match(p)
	})
	return p, l.at
}

// waitLog waits until the helper logs a record with every attribute of
// want (compared as strings), until timeout.
func (h *helperProc) waitLog(t testing.TB, timeout time.Duration, want map[string]string) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case l := <-h.logs:
			var rec map[string]any
			if json.Unmarshal([]byte(l.text), &rec) != nil {
				continue
			}
			if logMatches(rec, want) {
				return
			}
		case <-deadline.C:
			t.Fatalf("%s: no log record %v within %v", h.name, want, timeout)
		}
	}
}

func logMatches(rec map[string]any, want map[string]string) bool {
	for k, v := range want {
		if fmt.Sprint(rec[k]) != v {
			return false
		}
	}
	return true
}

// send writes a command line to the helper's stdin.
func (h *helperProc) send(t testing.TB, cmd string) {
	t.Helper()
	if _, err := io.WriteString(h.stdin, cmd+"\n"); err != nil {
		t.Fatalf("helper %s: send %q: %v", h.name, cmd, err)
	}
}

// stop closes the helper's stdin, which makes it close its Advertiser
// (goodbyes) and Browser, and waits for it to exit.
func (h *helperProc) stop(timeout time.Duration) {
	h.t.Helper()
	h.stdin.Close()
	select {
	case <-h.exited:
		if h.err != nil {
			h.t.Errorf("helper %s exited: %v", h.name, h.err)
		}
	case <-time.After(timeout):
		h.t.Errorf("helper %s still running %v after stdin closed", h.name, timeout)
		h.kill()
	}
}

// kill ends the helper at once (no goodbyes) and reaps it.
func (h *helperProc) kill() {
	select {
	case <-h.exited:
		return
	default:
	}
	_ = h.cmd.Process.Kill()
	select {
	case <-h.exited:
	case <-time.After(10 * time.Second):
		h.t.Errorf("helper %s not reaped 10s after SIGKILL", h.name)
	}
}
