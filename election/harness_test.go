package election

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// harness starts nodes of one test cluster on 127.0.0.1.
type harness struct {
	t       *testing.T
	net     *testNet
	key     []byte
	label   string
	dir     string
	profile Profile
	wait    time.Duration // StartupWait
	logger  *slog.Logger
	nodes   map[string]*testNode
}

// testNode is one started node.
type testNode struct {
	name string
	cfg  Config
	c    *Cluster
	tr   *countingTransport
}

func newHarness(t *testing.T, p Profile) *harness {
	t.Helper()
	key := bytes.Repeat([]byte{0x5a}, 32)
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("USPMESH_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return &harness{
		t: t, net: newTestNet(), key: key, label: "uspmesh/test", dir: t.TempDir(),
		profile: p, wait: 300 * time.Millisecond, logger: logger, nodes: make(map[string]*testNode),
	}
}

// config returns the configuration of node name; port 0 picks one.
func (h *harness) config(name string, prio, port int) Config {
	cfg := Config{
		Name:        name,
		BindAddr:    "127.0.0.1",
		BindPort:    port,
		SecretKey:   h.key,
		Label:       h.label,
		Priority:    prio,
		Meta:        NodeMeta{AgentID: name, ControllerID: "self::ctrl-" + name, CoAP: "coaps://127.0.0.1:5684/usp"},
		Profile:     h.profile,
		StartupWait: h.wait,
		StateFile:   filepath.Join(h.dir, name+".state"),
		Logger:      h.logger,
	}
	return cfg
}

// start starts a node from cfg, with the harness's transport wrapper, and
// registers its closing.
func (h *harness) start(cfg Config) *testNode {
	h.t.Helper()
	n := &testNode{name: cfg.Name}
	cfg.wrapTransport = func(nt memberlist.NodeAwareTransport) memberlist.NodeAwareTransport {
		n.tr = &countingTransport{NodeAwareTransport: nt, net: h.net,
			port: nt.(*memberlist.NetTransport).GetAutoBindPort()}
		return n.tr
	}
	c, err := Start(context.Background(), cfg)
	if err != nil {
		h.t.Fatalf("start %s: %v", cfg.Name, err)
	}
	n.c, n.cfg = c, cfg
	n.cfg.BindPort = int(c.Addr().Port())
	h.nodes[cfg.Name] = n
	h.t.Cleanup(func() { _ = c.Close() })
	return n
}

// startN starts nodes n1..nN with priority 0 and gives each the others'
// addresses as seeds, as discovery would.
func (h *harness) startN(count int) []*testNode {
	h.t.Helper()
	var nodes []*testNode
	for i := 1; i <= count; i++ {
		nodes = append(nodes, h.start(h.config(fmt.Sprintf("n%d", i), 0, 0)))
	}
	h.seedAll(nodes)
	return nodes
}

// seedAll gives every node the addresses of all the nodes.
func (h *harness) seedAll(nodes []*testNode) {
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.c.Addr().String())
	}
	for _, n := range nodes {
		n.c.SetSeeds(addrs)
	}
}

// kill stops a node as SIGKILL would: no leave message.
func (h *harness) kill(n *testNode) {
	h.t.Helper()
	if err := n.c.shutdown(false); err != nil {
		h.t.Fatalf("kill %s: %v", n.name, err)
	}
}

// aliveNames lists the alive members n sees.
func aliveNames(n *testNode) []string {
	var out []string
	for _, m := range n.c.Members() {
		if m.State == StateAlive {
			out = append(out, m.Name)
		}
	}
	return out
}

// agreed reports whether all nodes follow the same leader, which is one
// of them and the only one claiming, and every node lists all of them.
func agreed(nodes []*testNode) (Vote, bool, string) {
	var first Vote
	leaders := 0
	var b strings.Builder
	for i, n := range nodes {
		term, leader, is := n.c.Leader()
		fmt.Fprintf(&b, "%s:(%d,%s,%v,%d members) ", n.name, term, leader, is, len(aliveNames(n)))
		if is {
			leaders++
		}
		if i == 0 {
			first = Vote{term, leader}
		}
		if leader == "" || (Vote{term, leader}) != first || len(aliveNames(n)) != len(nodes) {
			return Vote{}, false, b.String()
		}
	}
	inSet := false
	for _, n := range nodes {
		inSet = inSet || n.name == first.Leader
	}
	return first, leaders == 1 && inSet, b.String()
}

// waitAgreed polls until the nodes agree, failing after timeout. It
// returns the agreed vote and how long the wait took.
func waitAgreed(t *testing.T, nodes []*testNode, timeout time.Duration) (Vote, time.Duration) {
	t.Helper()
	var v Vote
	d := waitFor(t, timeout, func() (bool, string) {
		var ok bool
		var why string
		v, ok, why = agreed(nodes)
		return ok, why
	})
	return v, d
}

// waitFor polls cond every 10 ms until it holds, failing the test with
// cond's last description after timeout. It returns the time waited.
func waitFor(t *testing.T, timeout time.Duration, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leaderOf returns the node named v.Leader.
func leaderOf(nodes []*testNode, v Vote) *testNode {
	for _, n := range nodes {
		if n.name == v.Leader {
			return n
		}
	}
	return nil
}

// without returns nodes less drop.
func without(nodes []*testNode, drop *testNode) []*testNode {
	var out []*testNode
	for _, n := range nodes {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}

// checkNoLeak fails if, within 5 s, the goroutine count does not come
// back to at most base, and prints the goroutines left.
func checkNoLeak(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sortedNames returns the names of nodes, sorted.
func sortedNames(nodes []*testNode) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.name)
	}
	sort.Strings(out)
	return out
}
