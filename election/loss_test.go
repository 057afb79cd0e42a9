package election

import (
	"testing"
	"time"
)

// TestLossyLANKeepsLeader: 20 % of the datagrams between five nodes are
// lost for a while; the leader stays the leader. On such a link
// memberlist now and then declares an alive leader dead (a probe and its
// indirect checks lost, then the refutation of the suspicion late), and
// leadership, being sticky, must not move for that.
func TestLossyLANKeepsLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 20 s")
	}
	h := newHarness(t, FastProfile())
	nodes := h.startN(5)
	v, _ := waitAgreed(t, nodes, 10*time.Second)
	h.net.setLoss(0.2)
	const period = 20 * time.Second
	readings, changes := watchVote(t, nodes, v, period)
	h.net.setLoss(0)
	t.Logf("figure: %v at 20 %% loss, FastProfile, 5 nodes: %d readings, %d of another leader or term", period, readings, changes)
	if got, _ := waitAgreed(t, nodes, 10*time.Second); got != v {
		t.Fatalf("after the loss: %s term %d, was %s term %d", got.Leader, got.Term, v.Leader, v.Term)
	}
}

// lossyLink is the loss on the leader's links in
// TestLeaderFalselyDeadIsHeld.
const lossyLink = 0.85

// TestLeaderFalselyDeadIsHeld: the links between the leader and the
// members other than the next candidate are very lossy, the rest are
// clean. Those members now and then declare the leader dead and tell the
// candidate, which still hears the leader well; the candidate must not
// take over.
func TestLeaderFalselyDeadIsHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 30 s")
	}
	h := newHarness(t, FastProfile())
	nodes := h.startN(5)
	v, _ := waitAgreed(t, nodes, 10*time.Second)
	l := leaderOf(nodes, v)
	for _, n := range nodes {
		if n != l && n.name != "n2" {
			h.net.setLinkLoss(l.cfg.BindPort, n.cfg.BindPort, lossyLink)
		}
	}
	const period = 30 * time.Second
	_, changes := watchVote(t, nodes, v, period)
	t.Logf("figure: %v with the leader's links to 3 of 4 members at %.0f %% loss: %d readings of another leader or term",
		period, 100*lossyLink, changes)
}

// watchVote reads every node's leader every 100 ms for period and fails
// the test (naming the first five) on each reading of a leader other
// than v. It returns the readings and the changes seen.
func watchVote(t *testing.T, nodes []*testNode, v Vote, period time.Duration) (readings, changes int) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < period {
		for _, n := range nodes {
			term, leader, _ := n.c.Leader()
			readings++
			if leader != "" && (Vote{term, leader}) != v {
				changes++
				if changes <= 5 {
					t.Errorf("%.1fs: %s follows %s term %d, was %s term %d",
						time.Since(start).Seconds(), n.name, leader, term, v.Leader, v.Term)
				}
			}
		}
		time.Sleep(100 * time.Millisecond) // the polling period of the watch
	}
	return readings, changes
}
