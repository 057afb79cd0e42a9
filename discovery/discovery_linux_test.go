//go:build linux

package discovery

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"
)

const (
	agentA      = "os::00256D-ap1.lab" // a dot: escaped on the wire
	controllerA = "self::ctrl-ap1."    // a final dot: \046 on the wire
	foreignA    = "os::00256D-next-door"
	agentB      = "os::00256D-ap2"
)

// TestNetnsDiscovery registers in one namespace and browses in another,
// over a veth pair with link-local IPv4 and ULA IPv6 addresses only.
func TestNetnsDiscovery(t *testing.T) {
	lab := newNetnsLab(t)
	nsA, nsB := lab.addNS("a"), lab.addNS("b")
	lab.veth(nsA, nsB, "mesh0")
	lab.addr(nsA, "mesh0", "169.254.10.1/16")
	lab.addr(nsA, "mesh0", "fd00:5a::1/64")
	lab.addr(nsB, "mesh0", "169.254.10.2/16")
	lab.addr(nsB, "mesh0", "fd00:5a::2/64")

	// Node B browses for its cluster and advertises its own Agent, which
	// it must not report.
	browser := lab.start(nsB, "browser-b", helperSpec{
		Advertise: &advertiseSpec{Services: []Service{
			{Kind: Agent, EndpointID: agentB, Port: 5684, Path: "/usp", Cluster: "home-1"},
		}},
		Browse: &browseSpec{Cluster: "home-1", Self: []string{agentB},
			Interval: 2 * time.Second, MaxInterval: 4 * time.Second},
		CheckLeaks: true,
	})
	browser.waitReady(t, 10*time.Second)

	// Node A advertises its Agent and Controller, plus an Agent of another
	// cluster standing for a neighbour's mesh on the same link.
	aServices := []Service{
		{Kind: Agent, EndpointID: agentA, Port: 5684, Path: "/usp/agent", FriendlyName: "AP 1 (hall)",
			Encrypt: true, Cluster: "home-1", Gossip: 7946, Extra: map[string]string{"prio": "10"}},
		{Kind: Controller, EndpointID: controllerA, Port: 5685, Path: "/usp/ctrl", Encrypt: true,
			Cluster: "home-1", Gossip: 7946},
		{Kind: Agent, EndpointID: foreignA, Port: 5684, Path: "/usp", Cluster: "home-2"},
	}
	adv := lab.start(nsA, "advertiser-a", helperSpec{
		Advertise: &advertiseSpec{Services: aServices, Recheck: 500 * time.Millisecond},
	})
	ready := adv.waitReady(t, 10*time.Second)

	p, at := browser.waitPeer(t, 15*time.Second, "agent "+agentA, func(p Peer) bool {
		return p.Kind == Agent && p.EndpointID == agentA
	})
	t.Logf("discovery time (browser running, advertiser announces): %v", at.Sub(ready.at))
	wantAddrs := []netip.Addr{netip.MustParseAddr("169.254.10.1"), netip.MustParseAddr("fd00:5a::1")}
	if !slices.Equal(p.Addrs, wantAddrs) || p.Port != 5684 || p.Path != "/usp/agent" ||
		p.Name != "AP 1 (hall)" || !p.Encrypt || p.Cluster != "home-1" || p.Gossip != 7946 ||
		p.TXT["prio"] != "10" || p.Host != hostLabel(agentA)+".local." {
		t.Errorf("agent peer = %+v", p)
	}
	c, _ := browser.waitPeer(t, 15*time.Second, "controller "+controllerA, func(p Peer) bool {
		return p.Kind == Controller && p.EndpointID == controllerA
	})
	if !slices.Equal(c.Addrs, wantAddrs) || c.Port != 5685 || c.Path != "/usp/ctrl" || c.Name != "" {
		t.Errorf("controller peer = %+v", c)
	}
	// The foreign Agent and B's own reach the browser and are dropped.
	browser.waitLog(t, 15*time.Second, map[string]string{"reason": "cluster", "endpoint": foreignA})
	browser.waitLog(t, 15*time.Second, map[string]string{"reason": "self", "endpoint": agentB})

	t.Run("address change re-registers", func(t *testing.T) {
		// Deleting a primary address deletes its secondaries: delete first.
		lab.delAddr(nsA, "mesh0", "169.254.10.1/16")
		lab.addr(nsA, "mesh0", "169.254.20.1/16")
		changed := time.Now()
		p, at := browser.waitPeer(t, 15*time.Second, "agent on 169.254.20.1", func(p Peer) bool {
			return p.EndpointID == agentA && slices.Contains(p.Addrs, netip.MustParseAddr("169.254.20.1")) &&
				!slices.Contains(p.Addrs, netip.MustParseAddr("169.254.10.1"))
		})
		t.Logf("new address reported %v after the change (recheck 500ms, goodbye then announce): %v", at.Sub(changed), p.Addrs)
	})

	t.Run("restart without goodbye", func(t *testing.T) {
		adv.kill()
		lab.delAddr(nsA, "mesh0", "169.254.20.1/16")
		lab.addr(nsA, "mesh0", "169.254.30.1/16")
		adv = lab.start(nsA, "advertiser-a2", helperSpec{Advertise: &advertiseSpec{Services: aServices}})
		ready := adv.waitReady(t, 10*time.Second)
		p, at := browser.waitPeer(t, 15*time.Second, "agent on 169.254.30.1", func(p Peer) bool {
			return p.EndpointID == agentA && slices.Contains(p.Addrs, netip.MustParseAddr("169.254.30.1"))
		})
		t.Logf("restarted advertiser's address reported after %v (browse rounds 2s, 4s, 4s...): %v", at.Sub(ready.at), p.Addrs)
	})

	t.Run("refresh after a restart without goodbye", func(t *testing.T) {
		// Rounds of a minute: only Refresh can explain a report in 2 s.
		slow := lab.start(nsB, "browser-slow", helperSpec{Browse: &browseSpec{Cluster: "home-1",
			Interval: time.Minute, MaxInterval: time.Minute}})
		slow.waitPeer(t, 10*time.Second, "agent on 169.254.30.1", func(p Peer) bool {
			return p.EndpointID == agentA && slices.Contains(p.Addrs, netip.MustParseAddr("169.254.30.1"))
		})
		adv.kill()
		lab.delAddr(nsA, "mesh0", "169.254.30.1/16")
		lab.addr(nsA, "mesh0", "169.254.40.1/16")
		adv = lab.start(nsA, "advertiser-a3", helperSpec{Advertise: &advertiseSpec{Services: aServices}})
		adv.waitReady(t, 10*time.Second)
		slow.send(t, "refresh")
		sent := time.Now()
		p, at := slow.waitPeer(t, 2*time.Second, "agent on 169.254.40.1 after Refresh", func(p Peer) bool {
			return p.EndpointID == agentA && slices.Contains(p.Addrs, netip.MustParseAddr("169.254.40.1"))
		})
		t.Logf("after Refresh the new address came in %v: %v", at.Sub(sent), p.Addrs)
		slow.stop(10 * time.Second)
	})

	t.Run("browser starting late", func(t *testing.T) {
		late := lab.start(nsB, "browser-late", helperSpec{
			Browse: &browseSpec{Cluster: "home-1"}})
		ready := late.waitReady(t, 10*time.Second)
		_, at := late.waitPeer(t, 15*time.Second, "agent "+agentA, func(p Peer) bool { return p.EndpointID == agentA })
		t.Logf("discovery time (advertiser running, browser queries): %v", at.Sub(ready.at))
		late.stop(10 * time.Second)
	})

	adv.stop(10 * time.Second)
	browser.stop(10 * time.Second)
	var before, after int
	for _, text := range browser.allOutput() {
		if _, err := fmt.Sscanf(text, "GOROUTINES %d %d", &before, &after); err == nil {
			break
		}
	}
	if before == 0 || after > before {
		t.Errorf("browser-b: goroutines before Browse/Advertise %d, 10s after Close %d", before, after)
	}
	for _, p := range browser.allPeers() {
		if p.EndpointID == foreignA || p.EndpointID == agentB {
			t.Errorf("browser reported %s %q", p.Kind, p.EndpointID)
		}
	}
}
