//go:build linux

package discovery

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// slowTestsEnv enables the minute-long measurements.
const slowTestsEnv = "USPMESH_SLOW_TESTS"

// TestMDNSBytesAtRest measures what one mesh node sends over mDNS with
// the default intervals: two nodes, each advertising an Agent and a
// Controller and browsing both types, on a veth pair; the figures are the
// growth of node A's interface TX counters over the first 60 s after the
// start-up announcements, and over one browse round of both nodes, from
// which the rate at rest follows. The namespaces carry nothing else (no
// default route, no other daemon), so the counters are mDNS plus the
// rare IPv6 neighbour discovery; bytes include the 14-byte Ethernet
// header.
func TestMDNSBytesAtRest(t *testing.T) {
	if testing.Short() || os.Getenv(slowTestsEnv) != "1" {
		t.Skipf("a 70 s measurement: set %s=1 and drop -short", slowTestsEnv)
	}
	lab := newNetnsLab(t)
	nsA, nsB := lab.addNS("a"), lab.addNS("b")
	lab.veth(nsA, nsB, "mesh0")
	lab.addr(nsA, "mesh0", "169.254.10.1/16")
	lab.addr(nsA, "mesh0", "fd00:5a::1/64")
	lab.addr(nsB, "mesh0", "169.254.10.2/16")
	lab.addr(nsB, "mesh0", "fd00:5a::2/64")

	node := func(ns, name, serial string) *helperProc {
		agent, ctrl := "os::00256D-"+serial, "self::ctrl-"+serial
		h := lab.start(ns, name, helperSpec{
			Advertise: &advertiseSpec{Services: []Service{
				{Kind: Agent, EndpointID: agent, Port: 5684, Path: "/usp/agent", FriendlyName: "AP " + serial,
					Encrypt: true, Cluster: "3f2a9c1d7e5b4a60", Gossip: 7946},
				{Kind: Controller, EndpointID: ctrl, Port: 5685, Path: "/usp/ctrl", Encrypt: true,
					Cluster: "3f2a9c1d7e5b4a60", Gossip: 7946},
			}},
			Browse: &browseSpec{Cluster: "3f2a9c1d7e5b4a60", Self: []string{agent, ctrl}},
		})
		h.waitReady(t, 10*time.Second)
		return h
	}
	a := node(nsA, "node-a", "A1B2C3D4E5")
	b := node(nsB, "node-b", "F6A7B8C9D0")
	a.waitPeer(t, 10*time.Second, "node B's agent", func(p Peer) bool { return p.EndpointID == "os::00256D-F6A7B8C9D0" })
	b.waitPeer(t, 10*time.Second, "node A's agent", func(p Peer) bool { return p.EndpointID == "os::00256D-A1B2C3D4E5" })

	// Let the start-up probes and announcements (about 3.5 s) finish.
	settle(t, 5*time.Second)
	bytes0, pkts0 := txCounters(t, nsA, "mesh0")
	const window = 60 * time.Second
	settle(t, window)
	bytes1, pkts1 := txCounters(t, nsA, "mesh0")
	db, dp := bytes1-bytes0, pkts1-pkts0
	t.Logf("first minute after start-up: node A sent %d B in %d packets in %v: %.0f B/min (rounds of %v, then doubling)",
		db, dp, window, float64(db)/window.Minutes(), DefaultInterval)

	// At rest each node runs one round per type every DefaultMaxInterval.
	// Start one on both nodes at once and count what A sends for it: its
	// queries and its answers to both nodes' queries.
	bytes0, pkts0 = txCounters(t, nsA, "mesh0")
	a.send(t, "refresh")
	b.send(t, "refresh")
	settle(t, 5*time.Second)
	bytes1, pkts1 = txCounters(t, nsA, "mesh0")
	perRound, perRoundPkts := bytes1-bytes0, pkts1-pkts0
	atRest := float64(perRound) * time.Minute.Seconds() / DefaultMaxInterval.Seconds()
	t.Logf("one browse round on both nodes: node A sent %d B in %d packets; at rest (a round per %v): %.0f B/min, %.1f B/s",
		perRound, perRoundPkts, DefaultMaxInterval, atRest, atRest/60)
	a.stop(10 * time.Second)
	b.stop(10 * time.Second)
}

// settle lets d pass: the measurement window, not a wait for a condition.
func settle(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	<-ctx.Done()
}

// txCounters reads the TX byte and packet counters of dev in ns.
func txCounters(t *testing.T, ns, dev string) (bytes, packets uint64) {
	t.Helper()
	read := func(name string) uint64 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "cat",
			fmt.Sprintf("/sys/class/net/%s/statistics/%s", dev, name)).Output()
		if err != nil {
			t.Fatalf("read %s of %s in %s: %v", name, dev, ns, err)
		}
		n, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return read("tx_bytes"), read("tx_packets")
}
