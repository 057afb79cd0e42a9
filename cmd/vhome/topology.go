//go:build linux

package main

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
)

// Faults of the home's network. Each call is bounded (every ip command
// has a 10 s limit) and takes effect before it returns.

// LinkDown takes node i's link down at the bridge (its eth0 loses
// carrier): the node is cut from every other node and from the harness.
func (h *Home) LinkDown(i int) error { return h.setLink(i, false) }

// LinkUp brings node i's link back up after LinkDown.
func (h *Home) LinkUp(i int) error { return h.setLink(i, true) }

func (h *Home) setLink(i int, up bool) error {
	m, err := h.member(i)
	if err != nil {
		return err
	}
	h.topo.Lock()
	defer h.topo.Unlock()
	if err := h.net.setLink(context.Background(), i, up); err != nil {
		return err
	}
	h.mu.Lock()
	m.node.LinkDown = !up
	h.mu.Unlock()
	h.log.Info("link", "node", i, "up", up)
	return nil
}

// Partition splits the home in two: groupA's nodes on the main bridge,
// groupB's on a second one, so that no traffic (unicast or multicast)
// passes between the groups. Nodes in neither group stay where they are.
// The harness's Controller still reaches every node (it has a leg on
// each bridge). Heal joins the groups again.
func (h *Home) Partition(groupA, groupB []int) error {
	want := map[int]bool{}
	for _, g := range []struct {
		nodes []int
		far   bool
	}{{groupA, false}, {groupB, true}} {
		for _, i := range g.nodes {
			if far, dup := want[i]; dup && far != g.far {
				return fmt.Errorf("vhome: partition: node %d is in both groups", i)
			}
			if _, err := h.member(i); err != nil {
				return err
			}
			want[i] = g.far
		}
	}
	h.topo.Lock()
	defer h.topo.Unlock()
	for _, i := range slices.Sorted(maps.Keys(want)) {
		if err := h.setSide(i, want[i]); err != nil {
			return err
		}
	}
	h.log.Info("partition", "a", groupA, "b", groupB)
	return nil
}

// Heal undoes every Partition and LinkDown: all nodes on the main bridge,
// all links up.
func (h *Home) Heal() error {
	h.topo.Lock()
	defer h.topo.Unlock()
	for _, n := range h.Nodes() {
		if n.Far {
			if err := h.setSide(n.Index, false); err != nil {
				return err
			}
		}
		if n.LinkDown {
			if err := h.net.setLink(context.Background(), n.Index, true); err != nil {
				return err
			}
			h.mu.Lock()
			h.members[n.Index].node.LinkDown = false
			h.mu.Unlock()
		}
	}
	h.log.Info("healed")
	return nil
}

// setSide moves node i to the far bridge or back; the caller holds topo.
func (h *Home) setSide(i int, far bool) error {
	m, err := h.member(i)
	if err != nil {
		return err
	}
	h.mu.RLock()
	cur, addr := m.node.Far, m.node.Addr
	h.mu.RUnlock()
	if cur == far {
		return nil
	}
	if err := h.net.setSide(context.Background(), i, addr, far); err != nil {
		return err
	}
	h.mu.Lock()
	m.node.Far = far
	h.mu.Unlock()
	return nil
}

// ChangeAddress gives node i new IPv4 and IPv6 addresses, in place of the
// old ones, and returns the IPv4 one. A running meshd keeps its socket on
// the old address, which no longer exists: the usual sequence for a node
// that "leaves and returns with a new address" is Stop (or Kill),
// ChangeAddress, Restart. Node.URL changes at the Restart.
func (h *Home) ChangeAddress(i int) (netip.Addr, error) {
	m, err := h.member(i)
	if err != nil {
		return netip.Addr{}, err
	}
	h.topo.Lock()
	defer h.topo.Unlock()
	h.mu.RLock()
	gen, far := m.gen+1, m.node.Far
	h.mu.RUnlock()
	if err := h.net.readdress(context.Background(), i, gen, far); err != nil {
		return netip.Addr{}, err
	}
	addr := h.net.plan.node(i, gen)
	h.mu.Lock()
	m.gen, m.node.Addr, m.node.Addr6 = gen, addr, h.net.plan.node6(i, gen)
	h.mu.Unlock()
	h.log.Info("new address", "node", i, "addr", addr)
	return addr, nil
}
