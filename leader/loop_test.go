package leader

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

func TestChannelChangeReplansBeforePlanPeriod(t *testing.T) {
	cfg := testConfig()
	cfg.PlanPeriod = 50 * time.Minute
	h := start(t, cfg, settledHome()...)
	h.firstRound(cfg)
	h.waitRounds("the first round", 1)
	waitFor(t, &h.clk.note, "the periodic round's timer", func() bool { return h.clk.countArmed(cfg.PlanPeriod) == 1 })
	notified := h.clk.Now()
	h.loop.Notify(agentB, valueChange("Device.WiFi.Radio.1.Channel", "52"))
	waitFor(t, &h.clk.note, "the settle timer", func() bool { return h.clk.countArmed(cfg.FirstPlan) == 2 })
	h.clk.Advance(cfg.FirstPlan)
	h.waitRounds("the round the change asked for", 2)
	h.stop()

	if got, want := firstGetAfter(h, notified), notified.Add(cfg.FirstPlan); !got.Equal(want) {
		t.Errorf("round after the change began at %v, want %v", got.Sub(epoch), want.Sub(epoch))
	}
	if got := h.rep.plans[1]["Message"]; got != "no plan gains 5%" {
		t.Errorf("second round's Message %q", got)
	}
}

func TestNotifyAsksForRoundOnChannelChangesOnly(t *testing.T) {
	for _, tt := range []struct {
		name string
		nt   *uspmsg.Notify
		want int
	}{
		{"radio channel", valueChange("Device.WiFi.Radio.2.Channel", "6"), 1},
		{"other parameter", valueChange("Device.WiFi.Radio.2.TransmitPower", "80"), 0},
		{"channel-like suffix", valueChange("Device.WiFi.Radio.2.AutoChannel", "1"), 0},
		{"not a value change", &uspmsg.Notify{Notification: &uspmsg.Notify_Event_{Event: &uspmsg.Notify_Event{
			ObjPath: "Device.WiFi.Radio.2.", EventName: "Channel"}}}, 0},
		{"empty", &uspmsg.Notify{}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			m := newFakeMesh(newTestClock(cfg.PollInterval))
			cfg.Self, cfg.Agents, cfg.Members, cfg.Report = agentA, m, m.members, newFakeReport()
			l, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			l.Notify(agentB, tt.nt)
			l.Notify(agentB, tt.nt) // never blocks; one request is enough
			if got := len(l.replan); got != tt.want {
				t.Errorf("%d round requests, want %d", got, tt.want)
			}
		})
	}
}

// subscribeIDs lists the subscription IDs requested so far, in order.
func subscribeIDs(h *harness) []string {
	var out []string
	for _, o := range h.mesh.snapshot() {
		if o.kind == "subscribe" {
			out = append(out, o.subID)
		}
	}
	return out
}

func TestDemotionDropsSubscriptions(t *testing.T) {
	cfg := FastConfig()
	cfg.FirstPlan = 50 * time.Minute // keep-alives only
	home := crowdedHome()
	h := start(t, cfg, home...)
	n := len(home)
	subscribed := func(ids ...string) func() bool {
		return func() bool { return slices.Equal(subscribeIDs(h), ids) }
	}
	rep := func(k int) func() bool {
		return func() bool {
			for _, a := range home {
				if len(h.rep.reach(a.id)) < k {
					return false
				}
			}
			return true
		}
	}
	t5 := slices.Repeat([]string{"mesh-leader-t5"}, n)
	h.setTerm(5, true)
	waitFor(t, &h.mesh.note, "term 5's subscriptions", subscribed(t5...))
	waitFor(t, &h.rep.note, "the first keep-alive's outcome", rep(1))
	// The next keep-alive, KeepAlive later, only Gets: each Agent's
	// keep-alive bound and the period are the n+1 timers armed.
	waitFor(t, &h.clk.note, "the next keep-alive's timer", func() bool { return h.clk.countArmed(cfg.KeepAlive) == n+1 })
	h.clk.Advance(cfg.KeepAlive)
	waitFor(t, &h.rep.note, "the second keep-alive's outcome", rep(2))
	if got := h.mesh.count(isGet(termParam)); got != n {
		t.Errorf("%d keep-alive Gets, want %d", got, n)
	}

	h.setTerm(5, false)
	if got := h.clk.Timers(); got != 0 {
		t.Errorf("%d timers wait while not leading, want none", got)
	}
	sent := len(h.mesh.snapshot())
	h.clk.Advance(time.Hour) // nothing waits to fire
	if got := h.mesh.snapshot()[sent:]; len(got) != 0 {
		t.Errorf("requests while not leading: %+v", got)
	}

	t6 := slices.Repeat([]string{"mesh-leader-t6"}, n)
	h.setTerm(6, true)
	waitFor(t, &h.mesh.note, "term 6's subscriptions", subscribed(slices.Concat(t5, t6)...))
	// A new term straight after another resubscribes too.
	h.setTerm(7, true)
	waitFor(t, &h.mesh.note, "term 7's subscriptions", subscribed(slices.Concat(t5, t6, slices.Repeat([]string{"mesh-leader-t7"}, n))...))
	h.stop()
}

func TestKeepAlivesFanOut(t *testing.T) {
	cfg := FastConfig()
	cfg.FirstPlan = 50 * time.Minute // keep-alives only
	home := crowdedHome()
	for _, a := range home[1:] {
		a.dead = true
	}
	h := start(t, cfg, home...)
	h.setTerm(1, true)
	waitFor(t, &h.rep.note, "the live Agent's outcome", func() bool { return len(h.rep.reach(agentA)) == 1 })
	if got := h.rep.reach(agentA); !got[0] {
		t.Errorf("live Agent reported unreachable")
	}
	if !h.clk.Now().Equal(epoch) {
		t.Errorf("clock moved to %v before the live Agent's outcome", h.clk.Now().Sub(epoch))
	}
	for _, a := range home[1:] {
		if got := h.rep.reach(a.id); len(got) != 0 {
			t.Errorf("%s reported %v before its keep-alive timed out", a.id, got)
		}
	}
	waitFor(t, &h.mesh.note, "every Agent's subscription", func() bool { return len(subscribeIDs(h)) == len(home) })
	h.clk.Advance(cfg.KeepAlive)
	for _, a := range home[1:] {
		waitFor(t, &h.rep.note, "a dead Agent's outcome", func() bool { return slices.Equal(h.rep.reach(a.id), []bool{false}) })
	}
	// The next keep-alive is due at once: the live Agent, subscribed,
	// gets a keep-alive Get; the dead ones are asked to subscribe again.
	waitFor(t, &h.rep.note, "the live Agent's second outcome", func() bool { return slices.Equal(h.rep.reach(agentA), []bool{true, true}) })
	waitFor(t, &h.mesh.note, "the dead Agents' second subscriptions", func() bool { return len(subscribeIDs(h)) == 2*len(home)-1 })
	h.stop()
	var live []string
	for _, o := range h.mesh.snapshot() {
		if o.to == agentA {
			live = append(live, o.kind+" "+strings.Join(o.paths, ",")+o.subID+" "+o.at.Sub(epoch).String())
		}
	}
	if want := []string{"subscribe mesh-leader-t1 0s", "subscribe-ops mesh-leader-t1-ops 0s", "get Device.X_USPMESH_Mesh.Term 2s"}; !slices.Equal(live, want) {
		t.Errorf("live Agent's requests %q, want %q", live, want)
	}
}

func TestExistingSubscriptionCounts(t *testing.T) {
	cfg := FastConfig()
	cfg.FirstPlan = 50 * time.Minute
	home := crowdedHome()[:1]
	h := start(t, cfg, home...)
	home[0].subs["mesh-leader-t3"] = true // left by an earlier session
	h.setTerm(3, true)
	waitFor(t, &h.rep.note, "the keep-alive's outcome", func() bool { return len(h.rep.reach(agentA)) == 1 })
	waitFor(t, &h.clk.note, "the next keep-alive's timer", func() bool { return h.clk.countArmed(cfg.KeepAlive) == 2 })
	h.clk.Advance(cfg.KeepAlive)
	waitFor(t, &h.rep.note, "the second outcome", func() bool { return len(h.rep.reach(agentA)) == 2 })
	h.stop()
	var got []string
	for _, o := range h.mesh.snapshot() {
		got = append(got, o.kind+" "+strings.Join(o.paths, ",")+o.subID)
	}
	want := []string{"subscribe mesh-leader-t3", `get Device.LocalAgent.Subscription.[ID=="mesh-leader-t3"].`,
		"subscribe-ops mesh-leader-t3-ops", "get Device.X_USPMESH_Mesh.Term"}
	if !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	if r := h.rep.reach(agentA); !slices.Equal(r, []bool{true, true}) {
		t.Errorf("Reachable %v, want true twice", r)
	}
}

func TestNewLeadershipWaitsForOldRound(t *testing.T) {
	for _, tt := range []struct {
		name  string
		terms []Term // given while term 1's first switch is in flight
	}{
		{"new term", []Term{{2, true}}},
		{"same term lost and regained", []Term{{1, false}, {1, true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			home := crowdedHome()
			home[1].hold, home[1].inFlight = make(chan struct{}), make(chan string, 1)
			h := start(t, cfg, home...)
			h.firstRound(cfg)
			firstInFlight(t, home[1])
			for _, x := range tt.terms {
				h.setTerm(x.Term, x.Leading)
			}
			h.clk.Advance(cfg.FirstPlan) // the new leadership's first round falls due
			close(home[1].hold)
			// The old round: Applying, Error, Run's Error; the new one:
			// Applying, Idle.
			last := tt.terms[len(tt.terms)-1].Term
			waitFor(t, &h.rep.note, "the new round", func() bool {
				return h.rep.planCount() == 5 && h.rep.planView()["LastApplied"] != ""
			})
			h.stop()
			var got []string
			for _, o := range h.mesh.snapshot() {
				if o.kind == "operate" && o.command != scanCommand {
					got = append(got, string(o.to)+" "+o.args["Channel"]+" t"+o.args["Term"])
				}
			}
			lt := " t" + strconv.FormatUint(last, 10)
			want := []string{"os::012345-B 40 t1", "os::012345-C 44" + lt, "os::012345-A 48" + lt, "os::012345-A 11" + lt}
			if !slices.Equal(got, want) {
				t.Errorf("switches %q, want %q", got, want)
			}
			if got := h.rep.plans[2]; got["Status"] != "Error" || got["Message"] != ErrDeposed.Error() {
				t.Errorf("old round's end %v, want the deposed error", got)
			}
			if got := h.rep.plans[3]["Term"]; got != strconv.FormatUint(last, 10) {
				t.Errorf("new round's Term %q, want %d", got, last)
			}
		})
	}
}

func TestRunEnds(t *testing.T) {
	cfg := testConfig()
	m := newFakeMesh(newTestClock(cfg.PollInterval), crowdedHome()...)
	cfg.Self, cfg.Agents, cfg.Members, cfg.Report, cfg.Clock = agentA, m, m.members, newFakeReport(), m.clk
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	terms := make(chan Term)
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background(), terms) }()
	terms <- Term{Term: 1, Leading: true}
	terms <- Term{Term: 1, Leading: true} // handled the first: Run runs
	if err := l.Run(context.Background(), nil); err == nil {
		t.Error("a second Run at the same time did not fail")
	}
	close(terms)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v when terms closed, want nil", err)
		}
	case <-time.After(waitDeadline):
		t.Fatal("Run did not return when terms closed")
	}
	if l.lead.Load() != nil {
		t.Error("a Loop that stopped still leads")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Run(ctx, make(chan Term)); !errors.Is(err, context.Canceled) {
		t.Errorf("Run after ctx ended returned %v, want context.Canceled", err)
	}
}

func TestAgentsLeaderLast(t *testing.T) {
	cfg := testConfig()
	members := []usp.EndpointID{agentC, agentA, "", agentB, agentC}
	cfg.Self, cfg.Agents, cfg.Members, cfg.Report = agentA, newFakeMesh(nil), func() []usp.EndpointID { return members }, newFakeReport()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.agents(), []usp.EndpointID{agentB, agentC, agentA}; !slices.Equal(got, want) {
		t.Errorf("agents %v, want %v", got, want)
	}
	members = nil
	if got, want := l.agents(), []usp.EndpointID{agentA}; !slices.Equal(got, want) {
		t.Errorf("agents %v, want %v", got, want)
	}
}
