package election

import (
	"testing"
	"time"
)

// (c) A partition leaves one leader on each side: the side that kept the
// leader keeps its term, the other elects a leader with a higher term.
// When the network heals, the rejoin loop merges the two clusters and the
// lower term gives way, within 10 s.
func TestPartitionAndHeal(t *testing.T) {
	h := newHarness(t, FastProfile())
	nodes := h.startN(5)
	v1, _ := waitAgreed(t, nodes, 5*time.Second)
	old := leaderOf(nodes, v1)

	// Side A: the leader and one follower; side B: the other three.
	others := without(nodes, old)
	sideA, sideB := []*testNode{old, others[0]}, others[1:]
	for _, n := range sideA {
		h.net.setGroup(n.tr.port, 1)
	}
	for _, n := range sideB {
		h.net.setGroup(n.tr.port, 2)
	}
	h.net.partition(true)
	cut := time.Now()
	// Generous bounds: memberlist's failure detection is slower when CI
	// runs other packages' tests beside this one; the time is logged.
	vA, _ := waitAgreed(t, sideA, 15*time.Second)
	vB, _ := waitAgreed(t, sideB, 15*time.Second)
	t.Logf("partition %v | %v: one leader per side after %v: %v and %v",
		sortedNames(sideA), sortedNames(sideB), time.Since(cut).Round(time.Millisecond), vA, vB)
	if vA != v1 {
		t.Fatalf("side A moved from %v to %v", v1, vA)
	}
	if vB.Term <= v1.Term {
		t.Fatalf("side B leader %v, not above %v", vB, v1)
	}

	h.net.partition(false)
	v, took := waitAgreed(t, nodes, 10*time.Second)
	t.Logf("figure: partition heal to one leader (FastProfile, RejoinInterval %v): %v, %v",
		h.profile.RejoinInterval, took.Round(time.Millisecond), v)
	if v != vB {
		t.Fatalf("after heal all follow %v, want side B's %v (higher term)", v, vB)
	}
}
