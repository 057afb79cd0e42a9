package leader

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// Term is a leader-change event: the term the mesh is in and whether
// this node leads it. The node turns each election.LeaderChange into
// one.
type Term struct {
	Term    uint64
	Leading bool
}

// Loop is the leader's control loop. Build it with New and drive it with
// Run and Notify.
type Loop struct {
	cfg Config
	clk clock.Clock
	log *slog.Logger
	// lead is the term this node leads now, nil when none, stored anew
	// each time leading begins: a round compares it with the one it began
	// under before every step, Run writes it as soon as a Term arrives.
	lead    atomic.Pointer[uint64]
	replan  chan struct{} // Notify's request for a round; holds one
	running atomic.Bool
	steer   steerState // client steering's memory, kept across terms
	// refused are the channels radios refused lately, kept across terms.
	refused refusals
	// ops are the switch commands waiting for their OperationComplete.
	ops usp.Completions
}

// New returns a Loop for cfg, or an error naming what cfg lacks.
func New(cfg Config) (*Loop, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Loop{cfg: cfg, clk: cfg.Clock, log: cfg.Logger, replan: make(chan struct{}, 1)}, nil
}

// agents lists the Agents to talk to: the alive members' sorted, this
// node's last.
func (l *Loop) agents() []usp.EndpointID {
	var out []usp.EndpointID
	for _, a := range l.cfg.Members() {
		if a != "" && a != l.cfg.Self {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return append(slices.Compact(out), l.cfg.Self)
}

// Notify takes a notification the node's mesh Controller received: a
// ValueChange of a radio's Channel (radar, another Controller, a switch
// of the plan itself) asks for a round after a settle delay of
// FirstPlan, unless one is due sooner. It never blocks; it is ignored
// while this node does not lead.
func (l *Loop) Notify(from usp.EndpointID, nt *uspmsg.Notify) {
	if oc := nt.GetOperComplete(); oc != nil {
		l.ops.Deliver(from, oc)
		return
	}
	vc := nt.GetValueChange()
	if vc == nil || !strings.HasSuffix(vc.GetParamPath(), ".Channel") {
		return
	}
	l.log.Debug("radio channel changed", "agent", from, "path", vc.GetParamPath(), "value", vc.GetParamValue())
	select {
	case l.replan <- struct{}{}:
	default: // a request is pending already
	}
}

// Run runs the loop until ctx is done (it returns ctx's error) or terms
// is closed (it returns nil). While the last Term received leads, it
// keeps a session to every member Agent (a keep-alive every KeepAlive,
// the first of each term subscribing to the radios' channels) and runs a
// round FirstPlan after the term began, then PlanPeriod after each round
// ends; a new term, or the end of leading, stops the keep-alives and the
// round in progress (a switch in flight is seen to its end) and forgets
// the subscriptions. Run waits for its goroutines before it returns. One
// Run at a time.
func (l *Loop) Run(ctx context.Context, terms <-chan Term) error {
	if !l.running.CompareAndSwap(false, true) {
		return errors.New("leader: Run is already running")
	}
	defer l.running.Store(false)
	life, cancel := context.WithCancel(ctx)
	r := &runner{l: l, life: life, subscribed: map[usp.EndpointID]bool{},
		fired: make(chan fire), roundDone: make(chan *task), passDone: make(chan *task)}
	defer func() {
		l.lead.Store(nil)
		r.endTerm()
		cancel()
		r.tasks.Wait()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case t, ok := <-terms:
			if !ok {
				return nil
			}
			r.onTerm(t)
		case <-l.replan:
			r.onReplan()
		case f := <-r.fired:
			r.onFire(f)
		case t := <-r.roundDone:
			r.onRoundDone(t)
		case t := <-r.passDone:
			r.onPassDone(t)
		}
	}
}

// runner is the state of one Run, owned by Run's goroutine.
type runner struct {
	l    *Loop
	life context.Context // ends when Run returns
	cur  Term
	// subscribed are the Agents subscribed to in cur's term.
	subscribed map[usp.EndpointID]bool

	plan      timer // the next round
	settle    timer // an early round asked for by Notify
	keepAlive timer // the next keep-alive
	round     *task // the round running, of any term
	pass      *task // the keep-alive running in cur's term
	// steering stops the steering rounds of cur's term; nil when none.
	steering context.CancelFunc
	// due: a round fell due while an older term's round was ending.
	due bool
	// replan: a channel changed since the round in progress started.
	replan bool

	fired     chan fire
	roundDone chan *task
	passDone  chan *task
	tasks     sync.WaitGroup
}

// task is a round or keep-alive running in its own goroutine.
type task struct {
	term uint64
	lead *uint64 // Loop.lead when it started

	cancel  context.CancelCauseFunc
	started time.Time
	// Set by the task before it reports done:
	err        error            // a round's outcome
	subscribed []usp.EndpointID // the Agents a keep-alive subscribed to
}

// timer is one of Run's clock timers. Fires of a timer disarmed or
// re-armed since are ignored.
type timer struct {
	gen  uint64
	at   time.Time
	stop func() bool // nil when not armed
}

// fire is a timer's expiry, as armed the gen-th time.
type fire struct {
	t   *timer
	gen uint64
}

// arm (re)sets t to fire after d.
func (r *runner) arm(t *timer, d time.Duration) {
	r.disarm(t)
	t.gen++
	f := fire{t, t.gen}
	t.at = r.l.clk.Now().Add(d)
	t.stop = r.l.clk.AfterFunc(d, func() {
		select {
		case r.fired <- f:
		case <-r.life.Done():
		}
	})
}

// disarm stops t.
func (r *runner) disarm(t *timer) {
	if t.stop != nil {
		t.stop()
		t.stop = nil
	}
}

// onTerm follows a leader change.
func (r *runner) onTerm(t Term) {
	if t == r.cur || (!t.Leading && !r.cur.Leading) {
		r.cur = t
		return
	}
	if t.Leading {
		r.l.lead.Store(new(t.Term))
	} else {
		r.l.lead.Store(nil)
	}
	r.endTerm()
	r.cur = t
	if !t.Leading {
		r.l.log.Info("no longer leading", "term", t.Term)
		return
	}
	r.l.log.Info("leading", "term", t.Term)
	if r.l.cfg.Steering.Enabled {
		r.startSteering()
	}
	r.startPass()
	r.arm(&r.plan, r.l.cfg.FirstPlan)
}

// endTerm stops what the term led so far does: its timers, its
// keep-alive and its round (which ends once a switch in flight is done),
// and forgets its subscriptions.
func (r *runner) endTerm() {
	if r.round != nil {
		r.round.cancel(ErrDeposed)
	}
	if r.pass != nil {
		r.pass.cancel(ErrDeposed)
		r.pass = nil
	}
	if r.steering != nil {
		r.steering()
		r.steering = nil
	}
	clear(r.subscribed)
	r.disarm(&r.plan)
	r.disarm(&r.settle)
	r.disarm(&r.keepAlive)
	r.due, r.replan = false, false
}

// startSteering runs the steering rounds of cur's term in their own
// goroutine until the term ends.
func (r *runner) startSteering() {
	l := r.l
	ctx, cancel := context.WithCancel(r.life)
	r.steering = cancel
	term, lead := r.cur.Term, l.lead.Load()
	r.tasks.Go(func() { l.runSteering(ctx, term, lead) })
}

// onReplan asks for a round FirstPlan from now, unless one is due sooner
// or running (then the round's end sees r.replan).
func (r *runner) onReplan() {
	if !r.cur.Leading {
		return
	}
	r.replan = true
	if r.round != nil || r.settle.stop != nil || r.plan.stop == nil {
		return
	}
	if r.plan.at.Sub(r.l.clk.Now()) > r.l.cfg.FirstPlan {
		r.arm(&r.settle, r.l.cfg.FirstPlan) // let a burst of changes settle
	}
}

// onFire starts what a timer was armed for.
func (r *runner) onFire(f fire) {
	if f.gen != f.t.gen || f.t.stop == nil {
		return // disarmed or re-armed since
	}
	f.t.stop = nil
	switch f.t {
	case &r.plan, &r.settle:
		if r.round != nil {
			r.due = true // an older term's round is still ending
			return
		}
		r.startRound()
	case &r.keepAlive:
		r.startPass()
	}
}

// startRound runs a round of cur's term in its own goroutine.
func (r *runner) startRound() {
	r.disarm(&r.plan)
	r.disarm(&r.settle)
	r.due, r.replan = false, false
	l := r.l
	mctx, cancel := context.WithCancelCause(r.life)
	t := &task{term: r.cur.Term, lead: l.lead.Load(), cancel: cancel, started: l.clk.Now()}
	r.round = t
	rd := &round{l: l, term: t.term, lead: t.lead, ctx: r.life, mctx: mctx}
	r.tasks.Go(func() {
		defer cancel(nil)
		t.err = rd.run()
		if t.err != nil && r.life.Err() == nil {
			l.log.Warn("channel plan", "term", t.term, "err", t.err)
			if err := l.cfg.Report.Plan(r.life, PlanStatus{Status: PlanError, Message: new(t.err.Error())}); err != nil {
				l.log.Warn("plan status", "err", err)
			}
		}
		select {
		case r.roundDone <- t:
		case <-r.life.Done():
		}
	})
}

// onRoundDone schedules the next round: PlanPeriod after this one, or
// FirstPlan when a channel changed meanwhile.
func (r *runner) onRoundDone(t *task) {
	r.round = nil
	if !r.cur.Leading {
		return
	}
	if r.due {
		r.startRound()
		return
	}
	if t.lead != r.l.lead.Load() {
		return // leading began anew since: its first round is armed already
	}
	d := r.l.cfg.PlanPeriod
	if r.replan && d > r.l.cfg.FirstPlan {
		d = r.l.cfg.FirstPlan
	}
	r.arm(&r.plan, d)
}

// startPass runs a keep-alive of cur's term in its own goroutine.
func (r *runner) startPass() {
	l := r.l
	ctx, cancel := context.WithCancelCause(r.life)
	t := &task{term: r.cur.Term, cancel: cancel, started: l.clk.Now()}
	r.pass = t
	subscribed := make(map[usp.EndpointID]bool, len(r.subscribed))
	for a := range r.subscribed {
		subscribed[a] = true
	}
	r.tasks.Go(func() {
		defer cancel(nil)
		t.subscribed = l.keepAlive(ctx, t.term, l.agents(), subscribed)
		select {
		case r.passDone <- t:
		case <-r.life.Done():
		}
	})
}

// onPassDone records the subscriptions made and arms the next
// keep-alive, KeepAlive after this one started.
func (r *runner) onPassDone(t *task) {
	if t != r.pass {
		return // of a term ended since
	}
	r.pass = nil
	for _, a := range t.subscribed {
		r.subscribed[a] = true
	}
	r.arm(&r.keepAlive, max(0, t.started.Add(r.l.cfg.KeepAlive).Sub(r.l.clk.Now())))
}
