package election

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Figures for the design targets, measured with real memberlist on
// loopback. They take minutes, so they run only with
// USPMESH_SLOW_TESTS=1:
//
//	USPMESH_SLOW_TESTS=1 go test -p 1 -run TestFigures -v ./election/
//
// USPMESH_IDLE_SECONDS sets the idle-traffic window (default 120 s; at
// least 30).

func slowOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("USPMESH_SLOW_TESTS") != "1" {
		t.Skip("set USPMESH_SLOW_TESTS=1 to measure the figures")
	}
}

func TestFigures(t *testing.T) {
	slowOnly(t)
	t.Run("idle traffic DefaultProfile 5 nodes", figureIdleTraffic)
	t.Run("cold start and failover DefaultProfile", func(t *testing.T) { figureFailover(t, DefaultProfile(), 5, 8*time.Second) })
	t.Run("cold start and failover FastProfile", func(t *testing.T) { figureFailover(t, FastProfile(), 10, 4*time.Second) })
	t.Run("partition heal DefaultProfile", func(t *testing.T) { figureHeal(t, DefaultProfile()) })
}

// figureIdleTraffic counts what five idle nodes send, through the test
// transport, over the window. Memberlist's first push/pull comes one
// PushPullInterval after a random stagger, so a window of a minute or two
// may hold fewer push/pulls than the steady one per node per interval;
// the steady-state figure therefore adds one measured push/pull exchange
// per node per PushPullInterval to the measured UDP rate.
func figureIdleTraffic(t *testing.T) {
	window := 120 * time.Second
	if s, err := strconv.Atoi(os.Getenv("USPMESH_IDLE_SECONDS")); err == nil && s >= 30 {
		window = time.Duration(s) * time.Second
	}
	p := DefaultProfile()
	h := newHarness(t, p)
	nodes := h.startN(5)
	waitAgreed(t, nodes, 10*time.Second)
	// Let the start-up gossip (joins, metadata updates) die out.
	time.Sleep(5 * time.Second)

	before := make([]traffic, len(nodes))
	for i, n := range nodes {
		before[i] = n.tr.snapshot()
	}
	time.Sleep(window)
	var total traffic
	secs := window.Seconds()
	for i, n := range nodes {
		d := n.tr.snapshot().sub(before[i])
		total = total.add(d)
		t.Logf("%s: %d datagrams %d B, %d streams %d B, ~%.0f B/s on the wire",
			n.name, d.packets, d.packetBytes, d.streams, d.streamBytes, float64(d.wireBytes())/secs)
	}
	if _, ok, why := agreed(nodes); !ok {
		t.Fatalf("cluster not stable during the window: %s", why)
	}
	perNode := func(b int64) float64 { return float64(b) / secs / float64(len(nodes)) }
	t.Logf("figure: idle traffic per node, DefaultProfile, 5 nodes, measured over %v: payload %.0f B/s "+
		"(UDP %.0f B/s in %.2f datagrams/s of %.0f B; TCP %.0f B/s in %d push/pulls), on the wire ≈ %.0f B/s",
		window, perNode(total.packetBytes+total.streamBytes), perNode(total.packetBytes),
		float64(total.packets)/secs/float64(len(nodes)), float64(total.packetBytes)/float64(max(total.packets, 1)),
		perNode(total.streamBytes), total.streams, perNode(total.wireBytes()))

	// One push/pull exchange, as memberlist makes it (Join is a push/pull).
	b := nodes[0].tr.snapshot()
	if _, err := nodes[0].c.Join([]string{nodes[1].c.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	pp := nodes[0].tr.snapshot().sub(b)
	pp.packets, pp.packetBytes = 0, 0
	udp := traffic{packets: total.packets, packetBytes: total.packetBytes}
	steady := perNode(udp.wireBytes()) + float64(pp.wireBytes())/p.PushPullInterval.Seconds()
	t.Logf("figure: one push/pull at 5 nodes: %d B of payload both ways, ≈ %d B on the wire; "+
		"steady idle traffic per node (UDP measured + one push/pull per %v): ≈ %.0f B/s on the wire (target 500)",
		pp.streamBytes, pp.wireBytes(), p.PushPullInterval, steady)
	if steady > 500 {
		t.Errorf("idle traffic %.0f B/s per node above the 500 B/s target", steady)
	}
}

// figureFailover measures, trials times, the cold start of five nodes
// (the default start-up wait included) and the failover after the leader
// is killed without a leave.
func figureFailover(t *testing.T, p Profile, trials int, limit time.Duration) {
	var cold, fail []time.Duration
	for i := range trials {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			h := newHarness(t, p)
			h.wait = DefaultStartupWait
			start := time.Now()
			nodes := h.startN(5)
			v1, _ := waitAgreed(t, nodes, 10*time.Second)
			cold = append(cold, time.Since(start))
			// Let the start-up gossip settle, as in a running home.
			time.Sleep(3 * p.GossipInterval)
			old := leaderOf(nodes, v1)
			h.kill(old)
			_, d := waitAgreed(t, without(nodes, old), 3*limit)
			fail = append(fail, d)
		})
	}
	t.Logf("figure: cold start of 5 nodes (start-up wait %v): %s", DefaultStartupWait, spread(cold))
	t.Logf("figure: failover after SIGKILL of the leader, 5 nodes, probe %v: %s (target %v)", p.ProbeInterval, spread(fail), limit)
	if slices.Max(fail) > limit {
		t.Errorf("failover up to %v, target %v", slices.Max(fail), limit)
	}
}

// figureHeal measures the time from the end of a partition to one leader.
func figureHeal(t *testing.T, p Profile) {
	h := newHarness(t, p)
	nodes := h.startN(5)
	v1, _ := waitAgreed(t, nodes, 10*time.Second)
	old := leaderOf(nodes, v1)
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
	waitAgreed(t, sideA, 60*time.Second)
	vB, _ := waitAgreed(t, sideB, 60*time.Second)
	split := time.Since(cut)
	h.net.partition(false)
	v, took := waitAgreed(t, nodes, 30*time.Second)
	t.Logf("figure: partition with default timings: split into two leaders after %v; healed to one leader (%v, was %v) in %v (RejoinInterval %v, target 10 s)",
		split.Round(time.Millisecond), v, vB, took.Round(time.Millisecond), p.RejoinInterval)
	if took > 10*time.Second {
		t.Errorf("heal took %v", took)
	}
}

// spread summarises durations: min, median, max.
func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return "no samples"
	}
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	return fmt.Sprintf("min %v, median %v, max %v over %d", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]), len(s))
}

// BenchmarkDecide measures the leader rule on an eight-node home.
func BenchmarkDecide(b *testing.B) {
	in := Input{Self: "n3", Persisted: Vote{7, "n1"}, Settled: true}
	for i := range 8 {
		in.Members = append(in.Members, View{Name: fmt.Sprintf("n%d", i), Priority: i % 3, Term: 7, Leader: "n1", Claim: i == 1})
	}
	for b.Loop() {
		Decide(in)
	}
}
