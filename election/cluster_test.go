package election

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"testing"
	"time"
)

// (a) Five nodes started together agree on one leader within 3 s, the
// default start-up wait included.
func TestColdStartFiveNodes(t *testing.T) {
	h := newHarness(t, FastProfile())
	h.wait = DefaultStartupWait
	start := time.Now()
	nodes := h.startN(5)
	v, _ := waitAgreed(t, nodes, 3*time.Second)
	took := time.Since(start)
	t.Logf("figure: cold start of 5 nodes to agreement: %v (start-up wait %v), leader %v", took.Round(time.Millisecond), h.wait, v)
	if v.Term != 1 || v.Leader != "n1" {
		t.Errorf("agreed on %v, want term 1 led by n1 (lowest name)", v)
	}
	if took > 3*time.Second {
		t.Errorf("cold start took %v, target 3 s", took)
	}
}

// (b) Killing the leader (no leave) makes the survivors agree on a new
// leader with a higher term within 4 s; the old leader, restarted with
// its state file, rejoins as a follower of the new term.
func TestLeaderKillAndRestart(t *testing.T) {
	h := newHarness(t, FastProfile())
	nodes := h.startN(5)
	v1, _ := waitAgreed(t, nodes, 5*time.Second)
	old := leaderOf(nodes, v1)

	h.kill(old)
	killed := time.Now()
	survivors := without(nodes, old)
	v2, _ := waitAgreed(t, survivors, 4*time.Second)
	t.Logf("figure: failover (FastProfile, 5 nodes): %v, %v → %v", time.Since(killed).Round(time.Millisecond), v1, v2)
	if v2.Term <= v1.Term || v2.Leader == old.name {
		t.Fatalf("new leader %v after %v", v2, v1)
	}

	// Restart on the same port with the same state file.
	back := h.start(old.cfg)
	all := append(survivors, back)
	h.seedAll(all)
	v3, _ := waitAgreed(t, all, 5*time.Second)
	if v3 != v2 {
		t.Fatalf("after restart all follow %v, want %v", v3, v2)
	}
	if _, _, is := back.c.Leader(); is {
		t.Fatal("restarted old leader leads")
	}
	if p, err := loadState(old.cfg.StateFile); err != nil || p != v2 {
		t.Fatalf("restarted node persisted %v, %v; want %v", p, err, v2)
	}
}

// (e) A node of higher priority joining a cluster that has a leader does
// not take over, even after its start-up wait.
func TestStickyLeader(t *testing.T) {
	h := newHarness(t, FastProfile())
	nodes := h.startN(3)
	v1, _ := waitAgreed(t, nodes, 5*time.Second)

	z := h.start(h.config("z", 100, 0))
	all := append(nodes, z)
	h.seedAll(all)
	v2, _ := waitAgreed(t, all, 5*time.Second)
	if v2 != v1 {
		t.Fatalf("leader changed from %v to %v when z joined", v1, v2)
	}
	// Watch well past z's start-up wait: the leader must not change.
	until := time.Now().Add(h.wait + 5*h.profile.RecheckInterval)
	for time.Now().Before(until) {
		if v, ok, why := agreed(all); !ok || v != v1 {
			t.Fatalf("leadership moved: %s", why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// (d) A node with another SecretKey, or another Label, never joins:
// it sees only itself and the others never list it, though both sides
// keep trying.
func TestForeignNodeNeverJoins(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"other key", func(c *Config) { c.SecretKey = bytes.Repeat([]byte{0xa5}, 32) }},
		{"other label", func(c *Config) { c.Label = "uspmesh/other" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, FastProfile())
			nodes := h.startN(3)
			waitAgreed(t, nodes, 5*time.Second)
			cfg := h.config("intruder", 100, 0)
			tc.mutate(&cfg)
			x := h.start(cfg)
			h.seedAll(append(nodes, x))
			// Both sides dial each other every RejoinInterval; wait for
			// several attempts each way.
			waitFor(t, 10*time.Second, func() (bool, string) {
				var theirs int64
				for _, n := range nodes {
					theirs += n.tr.snapshot().streams
				}
				return x.tr.snapshot().streams >= 3 && theirs >= 6, "too few join attempts"
			})
			if got := aliveNames(x); !slices.Equal(got, []string{"intruder"}) {
				t.Errorf("intruder lists %v", got)
			}
			for _, n := range nodes {
				for _, m := range n.c.Members() {
					if m.Name == "intruder" {
						t.Errorf("%s lists the intruder (%v)", n.name, m.State)
					}
				}
			}
			if _, ok, why := agreed(nodes); !ok {
				t.Errorf("cluster disturbed: %s", why)
			}
		})
	}
}

// (f) A persisted term survives a restart: a node that led term 1 claims
// term 2 when it comes back alone; a record of another leader's term 7
// makes it claim 8.
func TestStateSurvivesRestart(t *testing.T) {
	h := newHarness(t, FastProfile())
	cfg := h.config("solo", 0, 0)
	n := h.start(cfg)
	waitAgreed(t, []*testNode{n}, 3*time.Second)
	if term, _, _ := n.c.Leader(); term != 1 {
		t.Fatalf("first term %d", term)
	}
	n.c.Close()
	n = h.start(cfg)
	v, _ := waitAgreed(t, []*testNode{n}, 3*time.Second)
	if v != (Vote{2, "solo"}) {
		t.Fatalf("after restart %v, want (2, solo)", v)
	}
	n.c.Close()
	if err := saveState(cfg.StateFile, Vote{7, "gone-node"}); err != nil {
		t.Fatal(err)
	}
	n = h.start(cfg)
	if v, _ := waitAgreed(t, []*testNode{n}, 3*time.Second); v != (Vote{8, "solo"}) {
		t.Fatalf("after record of term 7: %v, want (8, solo)", v)
	}
	if p, err := loadState(cfg.StateFile); err != nil || p != (Vote{8, "solo"}) {
		t.Fatalf("persisted %v, %v", p, err)
	}
}

// Events reports leadership as it changes, and is closed by Close.
func TestEvents(t *testing.T) {
	h := newHarness(t, FastProfile())
	n := h.start(h.config("solo", 0, 0))
	select {
	case ev := <-n.c.Events():
		if ev != (LeaderChange{Term: 1, Leader: "solo", IsLeader: true}) {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no event")
	}
	n.c.Close()
	n.c.Close()
	for range n.c.Events() {
	}
}

// With BindPort 0 the port bound is the one advertised, and others can
// join it; memberlist alone would advertise AdvertisePort as configured.
func TestAutoBindPortAdvertised(t *testing.T) {
	h := newHarness(t, FastProfile())
	a := h.start(h.config("a", 0, 0))
	b := h.start(h.config("b", 0, 0))
	if p := a.c.Addr().Port(); p == 0 || int(p) != a.tr.port {
		t.Fatalf("advertised port %d, bound %d", p, a.tr.port)
	}
	if got := a.c.ml.LocalNode().Port; int(got) != a.tr.port {
		t.Fatalf("memberlist advertises port %d, bound %d", got, a.tr.port)
	}
	if _, err := b.c.Join([]string{a.c.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	waitAgreed(t, []*testNode{a, b}, 3*time.Second)
	for _, m := range b.c.Members() {
		if m.Name == "a" && (m.Addr != a.c.Addr() || m.Meta.ControllerID != "self::ctrl-a") {
			t.Fatalf("b sees a as %+v", m)
		}
	}
}

// Closing every node leaves no goroutine behind.
func TestNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		h := newHarness(t, FastProfile())
		nodes := h.startN(3)
		waitAgreed(t, nodes, 5*time.Second)
		h.kill(nodes[2])
		for _, n := range nodes {
			if err := n.c.Close(); err != nil {
				t.Fatal(err)
			}
		}
		// A cancelled Start context closes the cluster too.
		ctx, cancel := context.WithCancel(context.Background())
		cfg := h.config("ctx", 0, 0)
		c, err := Start(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		for range c.Events() {
		}
	}()
	checkNoLeak(t, base)
}
