package election

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// testNet is the loopback "network" of the tests' nodes: it can split
// them into groups that cannot reach each other, and it counts what each
// node sends.
type testNet struct {
	mu          sync.Mutex
	group       map[int]int // gossip port → group
	partitioned bool
	loss        float64            // probability that a datagram is lost, 0..1
	linkLoss    map[[2]int]float64 // by the ports of a link's ends, lower first: overrides loss
	rng         *rand.Rand
}

func newTestNet() *testNet {
	return &testNet{group: make(map[int]int), rng: rand.New(rand.NewPCG(1, 2))}
}

// setLoss makes every datagram (each hop of a probe, each gossip packet)
// lost with probability p. Streams model TCP over the same link: the
// dial's SYN or SYN-ACK is lost with probability 1-(1-p)², which costs
// Linux's 1 s initial retransmission timeout, and each data segment of a
// dialed stream (either way) is lost with probability p, which costs
// 200 ms (the minimum retransmission timeout) per loss.
func (n *testNet) setLoss(p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.loss = p
}

// setLinkLoss makes the link between the nodes on ports a and b lose
// datagrams with probability p, in both directions, whatever setLoss
// says for the others.
func (n *testNet) setLinkLoss(a, b int, p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.linkLoss == nil {
		n.linkLoss = make(map[[2]int]float64)
	}
	n.linkLoss[[2]int{min(a, b), max(a, b)}] = p
}

// lose draws whether one datagram from the node on port from to addr is
// lost.
func (n *testNet) lose(from int, addr string) bool {
	_, ps, _ := net.SplitHostPort(addr)
	to, _ := strconv.Atoi(ps)
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.linkLoss[[2]int{min(from, to), max(from, to)}]
	if !ok {
		p = n.loss
	}
	return p > 0 && n.rng.Float64() < p
}

// segmentDelay waits as a lost data segment would: TCP's minimum
// retransmission timeout of 200 ms, once per loss drawn.
func (n *testNet) segmentDelay(from int, addr string) {
	for n.lose(from, addr) {
		time.Sleep(200 * time.Millisecond)
	}
}

// synDelay draws the extra delay of a stream's handshake.
func (n *testNet) synDelay(from int, addr string) time.Duration {
	if n.lose(from, addr) || n.lose(from, addr) {
		return time.Second
	}
	return 0
}

// setGroup puts the node listening on port into group g.
func (n *testNet) setGroup(port, g int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group[port] = g
}

// partition cuts (true) or heals (false) the links between groups.
func (n *testNet) partition(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.partitioned = on
}

// cut reports whether traffic from the node on port to addr is dropped.
func (n *testNet) cut(from int, addr string) bool {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	to, _ := strconv.Atoi(p)
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.partitioned && n.group[from] != n.group[to]
}

// errCut is what a dial across the partition returns.
var errCut = errors.New("testnet: partitioned")

// errLost is what a dial whose handshake was lost until its timeout
// returns.
var errLost = errors.New("testnet: handshake lost")

// countingTransport wraps memberlist's NetTransport: it drops packets and
// refuses streams across a partition, and counts bytes sent. Stream bytes
// are counted on the dialing side, in both directions, so that every
// stream byte is counted once over all nodes.
type countingTransport struct {
	memberlist.NodeAwareTransport
	net  *testNet
	port int

	packets     atomic.Int64 // UDP datagrams sent
	packetBytes atomic.Int64 // UDP payload bytes sent
	streams     atomic.Int64 // TCP connections dialed
	streamBytes atomic.Int64 // TCP payload bytes, both directions
	segments    atomic.Int64 // Write and Read calls with data on dialed streams
}

var _ memberlist.NodeAwareTransport = (*countingTransport)(nil)

// WriteTo sends a packet unless the destination is cut off.
func (t *countingTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress sends a packet unless the destination is cut off; a cut
// packet is dropped silently, as a network would.
func (t *countingTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if t.net.cut(t.port, a.Addr) || t.net.lose(t.port, a.Addr) {
		return time.Now(), nil
	}
	t.packets.Add(1)
	t.packetBytes.Add(int64(len(b)))
	return t.NodeAwareTransport.WriteToAddress(b, a)
}

// DialTimeout dials a stream unless the destination is cut off.
func (t *countingTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout dials a stream unless the destination is cut off.
func (t *countingTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if t.net.cut(t.port, a.Addr) {
		return nil, errCut
	}
	if d := t.net.synDelay(t.port, a.Addr); d > 0 {
		if d >= timeout {
			time.Sleep(timeout)
			return nil, errLost
		}
		time.Sleep(d)
		timeout -= d
	}
	c, err := t.NodeAwareTransport.DialAddressTimeout(a, timeout)
	if err != nil {
		return nil, err
	}
	t.streams.Add(1)
	return &countingConn{Conn: c, t: t, to: a.Addr}, nil
}

// countingConn counts the bytes of a dialed stream.
type countingConn struct {
	net.Conn
	t  *countingTransport
	to string // the address dialed
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.t.net.segmentDelay(c.t.port, c.to)
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.t.streamBytes.Add(int64(n))
		c.t.segments.Add(1)
	}
	return n, err
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.t.net.segmentDelay(c.t.port, c.to)
		c.t.streamBytes.Add(int64(n))
		c.t.segments.Add(1)
	}
	return n, err
}

// traffic is a snapshot of a transport's counters.
type traffic struct {
	packets, packetBytes, streams, streamBytes, segments int64
}

func (t *countingTransport) snapshot() traffic {
	return traffic{t.packets.Load(), t.packetBytes.Load(), t.streams.Load(), t.streamBytes.Load(), t.segments.Load()}
}

func (a traffic) sub(b traffic) traffic {
	return traffic{a.packets - b.packets, a.packetBytes - b.packetBytes, a.streams - b.streams,
		a.streamBytes - b.streamBytes, a.segments - b.segments}
}

func (a traffic) add(b traffic) traffic {
	return traffic{a.packets + b.packets, a.packetBytes + b.packetBytes, a.streams + b.streams,
		a.streamBytes + b.streamBytes, a.segments + b.segments}
}

// Header sizes for the on-wire estimate (IPv4, no IP options): UDP adds
// 28 bytes per datagram; TCP with timestamps 52 bytes per segment. A
// short connection costs about 7 segments without data (handshake,
// teardown, their ACKs), and each data segment is acknowledged.
const (
	udpHeader   = 28
	tcpHeader   = 52
	tcpConnSegs = 7
)

// wireBytes estimates the bytes on the wire, IP headers included.
func (a traffic) wireBytes() int64 {
	return a.packetBytes + a.packets*udpHeader +
		a.streamBytes + a.segments*2*tcpHeader + a.streams*tcpConnSegs*tcpHeader
}
