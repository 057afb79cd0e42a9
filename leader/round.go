package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// One round of the leader's control loop: measure every Agent through
// USP, plan the home's channels with wifiopt, and apply the plan one
// radio at a time through the term-carrying X_USPMESH_Switch() command,
// leaves first, verifying each step and rolling back a failed one. A
// round applies a plan only when its gain passes the thresholds, so the
// home does not flap, and stops as soon as this node no longer leads the
// term it planned in (the Agents' fences refuse the rest anyway).

// ErrDeposed ends a round whose term this node no longer leads.
var ErrDeposed = errors.New("no longer the leader of the plan's term")

// round is one measure-plan-apply pass in one term.
type round struct {
	l    *Loop
	term uint64
	// lead is Loop.lead when the round began: while it is unchanged this
	// node still leads the round's term, without having lost it since.
	lead *uint64
	// ctx is the Loop's life: reports and a switch in flight use it, so
	// a switch the Agent has started is seen to its end.
	ctx context.Context
	// mctx also ends, with cause ErrDeposed, when the term is lost:
	// measuring and planning use it.
	mctx context.Context
}

// leading says whether this node still leads the round's term.
func (rd *round) leading() bool { return rd.l.lead.Load() == rd.lead }

// run measures, plans, and applies when worth it.
func (rd *round) run() error {
	l := rd.l
	agents := l.agents()
	ms, plan, err := rd.plan(agents)
	if err != nil || ms == nil {
		return err
	}
	if err := l.cfg.Report.Inputs(rd.ctx, ms.inputs); err != nil {
		return err
	}
	gain := plan.CurrentCost - plan.Cost
	worth := plan.Switches > 0 && gain > l.cfg.AbsoluteGain && gain > l.cfg.RelativeGain*plan.CurrentCost
	st := PlanStatus{LastRun: new(l.clk.Now()), Term: new(rd.term), PlanTime: new(plan.Elapsed)}
	if !worth {
		// The current channels stand: they are the plan.
		st.Score, st.BaselineScore, st.MeasuredScore = new(plan.CurrentCost), new(plan.CurrentCost), new(plan.CurrentCost)
		st.Switches, st.Status = new(0), PlanIdle
		st.Message = new(fmt.Sprintf("no plan gains %.0f%%", 100*l.cfg.RelativeGain))
		return rd.record(st, ms.radios, nil)
	}
	st.Score, st.BaselineScore, st.Switches = new(plan.Cost), new(plan.CurrentCost), new(plan.Switches)
	st.Status, st.Message = PlanApplying, new("")
	if err := rd.record(st, ms.radios, plan.Assign); err != nil {
		return err
	}
	l.log.Info("applying channel plan", "term", rd.term, "cost", plan.CurrentCost, "planned", plan.Cost, "switches", plan.Switches)
	applyErr := rd.apply(ms.radios, plan.Assign)
	done := PlanStatus{Status: PlanIdle}
	if !errors.Is(applyErr, ErrDeposed) {
		// Re-measure what the home looks like now.
		measured := rd.remeasure(agents, plan.CurrentCost)
		if rd.leading() {
			done.MeasuredScore = new(measured)
		}
	}
	done.LastApplied = new(l.clk.Now())
	if applyErr != nil {
		done.Status, done.Message = PlanError, new(applyErr.Error())
	}
	if err := l.cfg.Report.Plan(rd.ctx, done); err != nil {
		return err
	}
	return applyErr
}

// plan measures agents and solves their Problem; a nil measurement
// means no radio was measured.
func (rd *round) plan(agents []usp.EndpointID) (*measurement, wifiopt.Plan, error) {
	l := rd.l
	ms := l.measure(rd.mctx, agents)
	for a, err := range ms.failed {
		l.log.Info("measure", "agent", a, "err", err)
	}
	if !rd.leading() {
		return nil, wifiopt.Plan{}, ErrDeposed
	}
	if len(ms.radios) == 0 {
		return nil, wifiopt.Plan{}, nil
	}
	p, inputs := ms.build()
	ms.inputs = inputs
	for _, in := range inputs {
		if in.Source == SourceAssumed {
			l.log.Info("radio reports no airtime; load assumed", "radio", in.Radio, "load", in.Load)
		}
	}
	if err := wifiopt.Validate(p); err != nil {
		return nil, wifiopt.Plan{}, fmt.Errorf("measurements: %w", err)
	}
	plan, err := wifiopt.Solve(rd.mctx, p, wifiopt.Options{Seed: rd.term, Budget: l.cfg.SolverBudget})
	if err != nil {
		if !rd.leading() {
			return nil, wifiopt.Plan{}, ErrDeposed
		}
		return nil, wifiopt.Plan{}, fmt.Errorf("solve: %w", err)
	}
	return ms, plan, nil
}

// remeasure measures the home again and returns the cost of its
// channels now, or fallback when that cannot be measured.
func (rd *round) remeasure(agents []usp.EndpointID, fallback float64) float64 {
	after := rd.l.measure(rd.mctx, agents)
	if len(after.radios) == 0 {
		return fallback
	}
	pa := after.problem()
	if wifiopt.Validate(pa) != nil {
		return fallback
	}
	cur := map[string]wifiopt.Assignment{}
	for _, r := range pa.Radios {
		cur[r.ID] = r.Current
	}
	c, err := wifiopt.Evaluate(pa, cur)
	if err != nil {
		return fallback
	}
	return c
}

// record writes the Plan object and one Assignment row per radio.
func (rd *round) record(st PlanStatus, radios []*measuredRadio, assign map[string]wifiopt.Assignment) error {
	if err := rd.l.cfg.Report.Plan(rd.ctx, st); err != nil {
		return err
	}
	rows := make([]Assignment, 0, len(radios))
	for _, r := range radios {
		a, ok := assign[r.id()]
		status := StatusPending
		if !ok || a == r.current {
			a, status = r.current, StatusUnchanged
		}
		rows = append(rows, Assignment{Radio: r.id(), Channel: a.Channel, Width: a.Width,
			PreviousChannel: r.current.Channel, Status: status})
	}
	return rd.l.cfg.Report.Assignments(rd.ctx, rows)
}

// apply switches the radios whose assignment changes, one at a time:
// radios of the other nodes first (leaves), this node's last, so the
// leader keeps its path to every node until the end.
func (rd *round) apply(radios []*measuredRadio, assign map[string]wifiopt.Assignment) error {
	l := rd.l
	order := slices.Clone(radios)
	slices.SortStableFunc(order, func(a, b *measuredRadio) int {
		return boolCmp(a.agent == l.cfg.Self, b.agent == l.cfg.Self)
	})
	for _, r := range order {
		a, ok := assign[r.id()]
		if !ok || a == r.current {
			continue
		}
		if !rd.leading() {
			return ErrDeposed
		}
		err := rd.switchRadio(r, a)
		status := StatusApplied
		if err != nil {
			status = StatusFailed
			l.log.Warn("switch failed; rolling back", "radio", r.id(), "channel", a.Channel, "err", err)
			if rd.leading() {
				if rbErr := rd.switchRadio(r, r.current); rbErr == nil {
					status = StatusRolledBack
				}
			}
		}
		if uerr := l.cfg.Report.AssignmentStatus(rd.ctx, r.id(), status); uerr != nil {
			return uerr
		}
		if err != nil {
			return fmt.Errorf("switch %s to %d/%d MHz: %w", r.id(), a.Channel, a.Width, err)
		}
	}
	return nil
}

// boolCmp orders false before true.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// switchRadio runs X_USPMESH_Switch() on one radio with the plan's term,
// waits for it to complete and verifies the radio's channel.
func (rd *round) switchRadio(r *measuredRadio, a wifiopt.Assignment) error {
	l := rd.l
	cctx, cancel := withTimeout(rd.ctx, l.clk, l.cfg.SwitchTimeout)
	defer cancel()
	args := map[string]string{"Channel": strconv.Itoa(a.Channel), "Bandwidth": strconv.Itoa(a.Width) + "MHz",
		"CSACount": strconv.Itoa(l.cfg.CSACount), "Term": strconv.FormatUint(rd.term, 10)}
	if _, err := l.operateWait(cctx, r.agent, r.row+switchCommand, args); err != nil {
		return err
	}
	rows, err := l.getRows(cctx, r.agent, r.row+"Channel")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	got := rows[r.row]["Channel"]
	if got != strconv.Itoa(a.Channel) {
		return fmt.Errorf("verify: radio reports channel %s", got)
	}
	return nil
}
