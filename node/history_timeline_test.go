package node

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
)

// TestTimelineOnLoopback: two mesh nodes on loopback (real DTLS, real
// gossip); the leader's Timeline() asks the other's History.Query() over
// its mesh Controller and merges both nodes' records by time, each
// tagged with its node; the follower refuses to assemble it.
func TestTimelineOnLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("a two-node mesh takes several seconds")
	}
	home, _ := dipHome(t)
	secret := writeSecret(t, t.TempDir())
	air := t.TempDir()
	ds := &discoverers{}
	var nodes []*Node
	for i, cfg := range meshConfigs(t, secret, 2) {
		cfg.HistoryPeriod, cfg.HistoryFlashEvery = Duration(time.Second), Duration(time.Second)
		nodes = append(nodes, startNode(t, cfg, Deps{Radios: openSim(t, home, []string{"ap1", "ap2"}[i], air), Discover: ds.discover}))
	}
	var lead, follower *Node
	waitFor(t, 30*time.Second, "one leader that both nodes follow, listed as members", func() bool {
		l := get(t, nodes[0], meshRoot+"Leader")
		if l == "" || get(t, nodes[1], meshRoot+"Leader") != l {
			return false
		}
		lead, follower = nodes[0], nodes[1]
		if string(nodes[1].AgentID()) == l {
			lead, follower = nodes[1], nodes[0]
		}
		m := lead.meshNow()
		m.mu.Lock()
		defer m.mu.Unlock()
		_, ok := m.members[string(follower.AgentID())]
		return ok
	})
	ctx := context.Background()
	var recs []TimelineRecord
	var out map[string]string
	waitFor(t, 20*time.Second, "both nodes' radio records in the timeline", func() bool {
		var err error
		out, err = lead.timeline(ctx, datamodel.Row{}, map[string]string{"Kind": "Radio", "Limit": "200"})
		if err != nil {
			t.Fatal(err)
		}
		recs = nil
		if err := json.Unmarshal([]byte(out["Records"]), &recs); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, r := range recs {
			seen[r.Node]++
		}
		return out["Failed"] == "" && seen[string(lead.AgentID())] >= 4 && seen[string(follower.AgentID())] >= 4
	})
	for i, r := range recs {
		if r.Kind != "Radio" || r.Radio == "" || (r.Node != string(lead.AgentID()) && r.Node != string(follower.AgentID())) {
			t.Fatalf("record %+v", r)
		}
		if i > 0 && r.Time.Before(recs[i-1].Time) {
			t.Fatalf("record %d at %v before %v", i, r.Time, recs[i-1].Time)
		}
	}
	if want := string(lead.AgentID()) + "," + string(follower.AgentID()); out["Nodes"] != want {
		t.Errorf("Nodes %q, want %q", out["Nodes"], want)
	}
	if _, err := follower.timeline(ctx, datamodel.Row{}, map[string]string{}); err == nil {
		t.Error("the follower assembled a timeline")
	}
}
