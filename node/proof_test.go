package node

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/discovery"
)

// gossipListener stands where a spoofed peer says its gossip port is: it
// accepts TCP connections and notes when. It closes each at once, or,
// with hold, keeps it without a word until the dialer gives up.
type gossipListener struct {
	l    net.Listener
	hold bool
	addr netip.AddrPort

	mu       sync.Mutex
	accepted []time.Time
	conns    []net.Conn
	closed   bool
	done     chan struct{} // closed when accept returns
}

func listenGossip(t testing.TB, ip string, hold bool) *gossipListener {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	g := &gossipListener{l: l, hold: hold, addr: netip.MustParseAddrPort(l.Addr().String()), done: make(chan struct{})}
	go g.accept()
	t.Cleanup(g.close)
	return g
}

func (g *gossipListener) accept() {
	defer close(g.done)
	for {
		c, err := g.l.Accept()
		if err != nil {
			return
		}
		g.mu.Lock()
		g.accepted = append(g.accepted, time.Now())
		if g.hold && !g.closed {
			g.conns = append(g.conns, c)
			c = nil
		}
		g.mu.Unlock()
		if c != nil {
			_ = c.Close()
		}
	}
}

func (g *gossipListener) close() {
	_ = g.l.Close()
	<-g.done
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for _, c := range g.conns {
		_ = c.Close()
	}
}

// total returns how many connections were accepted.
func (g *gossipListener) total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.accepted)
}

// burst returns the most connections accepted within any window of
// length w. Against a held listener every attempt lasts the dialer's
// whole TCP timeout, so for w below it this counts the attempts in
// flight at once, as the dialer sees them.
func (g *gossipListener) burst(w time.Duration) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	most := 0
	for i, at := range g.accepted {
		n := 0
		for _, b := range g.accepted[i:] {
			if b.Sub(at) < w {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// announced is the DNS-SD sighting of an Agent of cluster at addr whose
// gossip port is gossip.
func announced(id, cluster string, addr netip.Addr, port, gossip int, at time.Time) discovery.Peer {
	return discovery.Peer{Kind: discovery.Agent, EndpointID: id, Addrs: []netip.Addr{addr}, Port: port, Path: "usp",
		Encrypt: true, Cluster: cluster, Gossip: gossip, Host: "uspmesh-x.local.", LastSeen: at,
		TXT: map[string]string{"path": "usp", "encrypt": "", "cluster": cluster, "gossip": strconv.Itoa(gossip)}}
}

// startMeshNode starts a mesh node on loopback with fake discovery and
// waits for its mesh; it returns the node and its discovery.
func startMeshNode(t testing.TB, secret string, priority int, deps Deps) (*Node, *fakeDiscovery) {
	t.Helper()
	ds := &discoverers{}
	deps.Discover = ds.discover
	n := startNode(t, meshConfig(t, secret, freePorts(t, 3), priority), deps)
	waitFor(t, 20*time.Second, "the mesh to start", func() bool { return n.meshNow() != nil })
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return n, ds.made[0]
}

// nodeStatus is the Status of n's Node row for id, "" when it has none.
func nodeStatus(t testing.TB, n *Node, id string) string {
	return getOr(t, n, meshRoot+`Node.[EndpointID=="`+id+`"].Status`)
}

// seedsWith lists the cluster seeds of n at addr.
func seedsWith(n *Node, addr netip.AddrPort) []string {
	var out []string
	for _, s := range n.meshNow().cluster.Seeds() {
		if s == addr.String() {
			out = append(out, s)
		}
	}
	return out
}

// TestSpoofedPeerNeverRecorded: an Agent announced with the mesh's
// cluster by someone without the mesh key never gets a Node row and never
// becomes a gossip seed; its address is tried a few times, with back-off,
// and then no more, even when it is announced again.
func TestSpoofedPeerNeverRecorded(t *testing.T) {
	clk := clock.NewFake(time.Now())
	n, disc := startMeshNode(t, writeSecret(t, t.TempDir()), 1, Deps{Clock: clk})
	cluster := n.meshNow().keys.ClusterID
	fake := listenGossip(t, "127.0.0.1", false)
	const id = "os::00256D-SPOOF"
	spoof := announced(id, cluster, fake.addr.Addr(), 5684, int(fake.addr.Port()), clk.Now())
	disc.peers <- spoof
	waitFor(t, 10*time.Second, "a first attempt to gossip with the spoofed peer", func() bool {
		return fake.total() >= 1
	})
	if st := nodeStatus(t, n, id); st != "" {
		t.Errorf("the spoofed peer has a Node row (Status %q)", st)
	}
	if s := seedsWith(n, fake.addr); len(s) > 0 {
		t.Errorf("the spoofed peer's address is a gossip seed: %q", s)
	}
	// The attempts are driven by the node's clock: each Advance lets the
	// next back-off expire.
	waitFor(t, 20*time.Second, "the spoofed peer to be given up", func() bool {
		clk.Advance(time.Second)
		return fake.total() >= proofAttempts
	})
	// Past the next back-off, within the quarantine, it is announced
	// again.
	for range 9 {
		clk.Advance(time.Second)
	}
	disc.peers <- spoof
	// A second spoofed peer is attempted after the first's new sighting
	// was handled.
	other := listenGossip(t, "127.0.0.1", false)
	disc.peers <- announced("os::00256D-SPOOF2", cluster, other.addr.Addr(), 5684, int(other.addr.Port()), clk.Now())
	waitFor(t, 10*time.Second, "the second spoofed peer to be attempted", func() bool {
		return other.total() >= 1
	})
	if total := fake.total(); total != proofAttempts {
		t.Errorf("the spoofed peer was tried %d times, want %d", total, proofAttempts)
	}
	if st := nodeStatus(t, n, id); st != "" {
		t.Errorf("the spoofed peer has a Node row (Status %q)", st)
	}
	if s := seedsWith(n, fake.addr); len(s) > 0 {
		t.Errorf("the spoofed peer's address is a gossip seed: %q", s)
	}
}

// TestSpoofFloodBounded: 500 Agents announced from one address by
// someone without the mesh key, then a genuine second node: the genuine
// node becomes a Node row (a Member) and a gossip seed, the spoofed ones
// neither, and the gossip connections to the spoofed address in flight
// at once stay a handful.
func TestSpoofFloodBounded(t *testing.T) {
	secret := writeSecret(t, t.TempDir())
	a, disc := startMeshNode(t, secret, 2, Deps{})
	b, _ := startMeshNode(t, secret, 1, Deps{})
	cluster := a.meshNow().keys.ClusterID
	fake := listenGossip(t, "127.0.0.2", true)
	go func() {
		for i := range 500 {
			disc.peers <- announced(fmt.Sprintf("os::00256D-SPOOF%03d", i), cluster, fake.addr.Addr(), 5684,
				int(fake.addr.Port()), time.Now())
		}
		bm := b.meshNow()
		disc.peers <- announced(string(b.AgentID()), cluster, bm.ip, int(b.ep.Addr().Port()),
			int(bm.cluster.Addr().Port()), time.Now())
	}()
	waitFor(t, 30*time.Second, "the genuine node to be a Member of a's table", func() bool {
		return nodeStatus(t, a, string(b.AgentID())) == "Member"
	})
	seeds := a.meshNow().cluster.Seeds()
	if !slices.Contains(seeds, b.meshNow().cluster.Addr().String()) {
		t.Errorf("the genuine node is not a seed: %q", seeds)
	}
	if len(seeds) != 1 {
		t.Errorf("%d seeds, want the genuine node's only", len(seeds))
	}
	waitFor(t, 30*time.Second, "a few rounds of attempts at the spoofed address", func() bool {
		return fake.total() >= 2*proofParallel
	})
	if most := fake.burst(a.meshNow().prof.election.TCPTimeout * 8 / 10); most > proofParallel {
		t.Errorf("%d connections to the spoofed address at once (of %d), want at most %d", most, fake.total(), proofParallel)
	}
	if rows := rows(t, a, meshRoot+"Node."); rows != 2 {
		t.Errorf("%d Node rows, want 2 (this node and the genuine one)", rows)
	}
}
