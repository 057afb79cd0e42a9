package leader

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/usp"
)

// fakeReport records what the Loop reports.
type fakeReport struct {
	note notifier
	mu   sync.Mutex
	// plans are the Plan updates as rendered; plan merges them.
	plans       []map[string]string
	plan        map[string]string
	assignments []Assignment
	statuses    []string // "<radio> <status>"
	reachable   map[usp.EndpointID][]bool
	inputs      []Input // the last Inputs
}

var _ Report = (*fakeReport)(nil)

func newFakeReport() *fakeReport {
	return &fakeReport{plan: map[string]string{}, reachable: map[usp.EndpointID][]bool{}}
}

func (r *fakeReport) update(f func()) error {
	r.mu.Lock()
	f()
	r.mu.Unlock()
	r.note.broadcast()
	return nil
}

// Plan implements Report.
func (r *fakeReport) Plan(_ context.Context, s PlanStatus) error {
	return r.update(func() {
		p := s.Params()
		r.plans = append(r.plans, p)
		maps.Copy(r.plan, p)
	})
}

// Assignments implements Report.
func (r *fakeReport) Assignments(_ context.Context, as []Assignment) error {
	return r.update(func() { r.assignments = slices.Clone(as) })
}

// AssignmentStatus implements Report.
func (r *fakeReport) AssignmentStatus(_ context.Context, radio, status string) error {
	return r.update(func() { r.statuses = append(r.statuses, radio+" "+status) })
}

// Reachable implements Report.
func (r *fakeReport) Reachable(_ context.Context, agent usp.EndpointID, ok bool) error {
	return r.update(func() { r.reachable[agent] = append(r.reachable[agent], ok) })
}

// Inputs implements Report.
func (r *fakeReport) Inputs(_ context.Context, in []Input) error {
	return r.update(func() { r.inputs = slices.Clone(in) })
}

// lastInputs returns the Plan.Input rows last written.
func (r *fakeReport) lastInputs() []Input {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.inputs)
}

// planView returns the Plan parameters as written so far.
func (r *fakeReport) planView() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.plan)
}

// planCount is how many Plan updates were made.
func (r *fakeReport) planCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.plans)
}

// statusList returns the AssignmentStatus calls.
func (r *fakeReport) statusList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.statuses)
}

// reach returns the Reachable reports of agent.
func (r *fakeReport) reach(agent usp.EndpointID) []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reachable[agent])
}

// harness runs a Loop over a fake mesh.
type harness struct {
	t      *testing.T
	clk    *testClock
	mesh   *fakeMesh
	rep    *fakeReport
	loop   *Loop
	terms  chan Term
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// testConfig is FastConfig with keep-alives once an hour, so that a
// round's polls (which move the test clock) do not start keep-alives.
func testConfig() Config {
	c := FastConfig()
	c.KeepAlive = time.Hour
	return c
}

// start runs a Loop of cfg (its Clock, Agents, Members and Report filled
// in) over the fake Agents, self being the first.
func start(t *testing.T, cfg Config, agents ...*fakeAgent) *harness {
	t.Helper()
	clk := newTestClock(DefaultConfig().PollInterval)
	if cfg.PollInterval != 0 {
		clk.poll = cfg.PollInterval
	}
	h := &harness{t: t, clk: clk, mesh: newFakeMesh(clk, agents...), rep: newFakeReport(),
		terms: make(chan Term), done: make(chan error, 1)}
	cfg.Self, cfg.Clock, cfg.Agents, cfg.Members, cfg.Report = agents[0].id, clk, h.mesh, h.mesh.members, h.rep
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.loop = l
	h.mesh.mu.Lock()
	h.mesh.notify = l.Notify
	h.mesh.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- l.Run(ctx, h.terms) }()
	t.Cleanup(h.stop)
	return h
}

// setTerm gives the Loop a leader change and returns once Run has
// handled it: the second send of the same event (a no-op) is received
// only after the first was handled.
func (h *harness) setTerm(term uint64, leading bool) {
	h.t.Helper()
	for range 2 {
		select {
		case h.terms <- Term{Term: term, Leading: leading}:
		case <-time.After(waitDeadline):
			h.t.Fatal("Run does not take Terms")
		}
	}
}

// stop ends Run and waits for it (and so for every goroutine it
// started).
func (h *harness) stop() {
	h.once.Do(func() {
		h.cancel()
		select {
		case err := <-h.done:
			if err != context.Canceled {
				h.t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(waitDeadline):
			h.t.Error("Run did not return")
		}
	})
}

// waitPlan waits until the Plan's parameters include want.
func (h *harness) waitPlan(what string, want map[string]string) {
	h.t.Helper()
	waitFor(h.t, &h.rep.note, what, func() bool {
		v := h.rep.planView()
		for k, x := range want {
			if v[k] != x {
				return false
			}
		}
		return true
	})
}
