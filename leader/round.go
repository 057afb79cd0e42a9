package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// One round of the leader's control loop: measure every Agent through
// USP, plan the home's channels with wifiopt and the radios' powers on
// the channels in force, and apply the plan one radio at a time through
// the term-carrying X_USPMESH_Switch() command, leaves first, verifying
// each step and rolling back a failed one. A round switches channels
// only when their gain passes the thresholds, and changes powers only
// when the power plan's saving passes the same thresholds, so the home
// does not flap; it stops as soon as this node no longer leads the term
// it planned in (the Agents' fences refuse the rest anyway).

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
	ms, p, plan, err := rd.plan(agents)
	if err != nil || ms == nil {
		return err
	}
	if err := l.cfg.Report.Inputs(rd.ctx, ms.inputs); err != nil {
		return err
	}
	worth := l.cfg.worth(plan.Switches, plan.CurrentCost, plan.Cost)
	assign := map[string]wifiopt.Assignment{}
	for _, r := range p.Radios {
		assign[r.ID] = r.Current
	}
	if worth {
		assign = plan.Assign
	}
	powers, err := rd.planPower(p, assign)
	if err != nil {
		return err
	}
	if !l.cfg.worth(powers.Changed, powers.CurrentCost, powers.Cost) {
		// Not worth it either: the powers stand.
		powers = wifiopt.PowerPlan{}
	}
	st := PlanStatus{LastRun: new(l.clk.Now()), Term: new(rd.term), PlanTime: new(plan.Elapsed)}
	if !worth && powers.Changed == 0 {
		// The current channels and powers stand: they are the plan.
		st.Score, st.BaselineScore, st.MeasuredScore = new(plan.CurrentCost), new(plan.CurrentCost), new(plan.CurrentCost)
		st.Switches, st.Status = new(0), PlanIdle
		st.Message = new(fmt.Sprintf("no plan gains %.0f%%", 100*l.cfg.RelativeGain))
		return rd.record(st, ms.radios, nil, nil)
	}
	// The planned cost: the channels' (with their switch costs) and what
	// the new powers save on them.
	score := plan.CurrentCost
	if worth {
		score = plan.Cost
	}
	score += powers.Cost - powers.CurrentCost
	changed := changes(ms.radios, assign, powers.CutDB)
	st.Score, st.BaselineScore, st.Switches = new(score), new(plan.CurrentCost), new(changed)
	st.Status, st.Message = PlanApplying, new("")
	if err := rd.record(st, ms.radios, assign, powers.CutDB); err != nil {
		return err
	}
	l.log.Info("applying channel plan", "term", rd.term, "cost", plan.CurrentCost, "planned", score,
		"switches", plan.Switches, "power_changes", powers.Changed)
	applyErr := rd.apply(ms.radios, assign, powers.CutDB)
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

// plan measures agents and solves their Problem, which it returns with
// the plan; a nil measurement means no radio was measured.
func (rd *round) plan(agents []usp.EndpointID) (*measurement, *wifiopt.Problem, wifiopt.Plan, error) {
	l := rd.l
	ms := l.measure(rd.mctx, agents)
	for a, err := range ms.failed {
		l.log.Info("measure", "agent", a, "err", err)
	}
	if !rd.leading() {
		return nil, nil, wifiopt.Plan{}, ErrDeposed
	}
	if len(ms.radios) == 0 {
		return nil, nil, wifiopt.Plan{}, nil
	}
	l.refused.leaveOut(ms.radios, l.clk.Now())
	p, inputs := ms.build()
	ms.inputs = inputs
	for _, in := range inputs {
		if in.Source == SourceAssumed {
			l.log.Info("radio reports no airtime; load assumed", "radio", in.Radio, "load", in.Load)
		}
	}
	if err := wifiopt.Validate(p); err != nil {
		return nil, nil, wifiopt.Plan{}, fmt.Errorf("measurements: %w", err)
	}
	plan, err := wifiopt.Solve(rd.mctx, p, wifiopt.Options{Seed: rd.term, Budget: l.cfg.SolverBudget})
	if err != nil {
		if !rd.leading() {
			return nil, nil, wifiopt.Plan{}, ErrDeposed
		}
		return nil, nil, wifiopt.Plan{}, fmt.Errorf("solve: %w", err)
	}
	return ms, p, plan, nil
}

// planPower chooses the radios' transmit powers on the channels assign
// (wifiopt.PlanPower), within the solver's budget (wall time, as
// Solve's): a search the budget ends gives the powers found so far. A
// search the term's loss stopped is ErrDeposed.
func (rd *round) planPower(p *wifiopt.Problem, assign map[string]wifiopt.Assignment) (wifiopt.PowerPlan, error) {
	ctx, cancel := context.WithTimeout(rd.mctx, rd.l.cfg.SolverBudget)
	defer cancel()
	pw, err := wifiopt.PlanPower(ctx, p, assign)
	switch {
	case !rd.leading():
		return wifiopt.PowerPlan{}, ErrDeposed
	case errors.Is(err, context.DeadlineExceeded) && rd.mctx.Err() == nil:
		rd.l.log.Info("power search stopped by the solver budget", "budget", rd.l.cfg.SolverBudget)
	case err != nil:
		return wifiopt.PowerPlan{}, fmt.Errorf("power: %w", err)
	}
	return pw, nil
}

// changes counts the radios whose channel or power the plan changes.
func changes(radios []*measuredRadio, assign map[string]wifiopt.Assignment, cuts map[string]float64) int {
	n := 0
	for _, r := range radios {
		if _, _, move := r.target(assign, cuts); move {
			n++
		}
	}
	return n
}

// target is where the plan puts radio r: its channel, its TransmitPower
// percentage (0: leave the power) and whether either changes.
func (r *measuredRadio) target(assign map[string]wifiopt.Assignment, cuts map[string]float64) (wifiopt.Assignment, int, bool) {
	a, ok := assign[r.id()]
	if !ok {
		a = r.current
	}
	power := 0
	if c, ok := cuts[r.id()]; ok && r.power > 0 {
		// A cut at the radio's own step (13 % or 12 % are both 9 dB)
		// is no change.
		now, _ := r.powerCut()
		if pc := cutPercent(c); pc != r.power && c != wifiopt.PowerStep(now) {
			power = pc
		}
	}
	return a, power, a != r.current || power != 0
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
func (rd *round) record(st PlanStatus, radios []*measuredRadio, assign map[string]wifiopt.Assignment, cuts map[string]float64) error {
	if err := rd.l.cfg.Report.Plan(rd.ctx, st); err != nil {
		return err
	}
	rows := make([]Assignment, 0, len(radios))
	for _, r := range radios {
		a, power, move := r.target(assign, cuts)
		status := StatusPending
		if !move {
			status = StatusUnchanged
		}
		if power == 0 {
			power = r.power
		}
		rows = append(rows, Assignment{Radio: r.id(), Channel: a.Channel, Width: a.Width,
			PreviousChannel: r.current.Channel, TransmitPower: power, PreviousTransmitPower: r.power, Status: status})
	}
	return rd.l.cfg.Report.Assignments(rd.ctx, rows)
}

// apply switches the radios whose assignment changes, one at a time, in
// applyOrder: wireless uplink APs before the radios that follow them,
// and among those the other nodes' radios first (leaves), this node's
// last, so the leader keeps its path to every node until the end.
func (rd *round) apply(radios []*measuredRadio, assign map[string]wifiopt.Assignment, cuts map[string]float64) error {
	l := rd.l
	order := applyOrder(radios, func(r *measuredRadio) bool { return r.agent == l.cfg.Self })
	for _, r := range order {
		a, power, move := r.target(assign, cuts)
		if !move {
			continue
		}
		if !rd.leading() {
			return ErrDeposed
		}
		err := rd.switchRadio(r, a, power)
		status := StatusApplied
		if err != nil {
			status = StatusFailed
			l.log.Warn("switch failed; rolling back", "radio", r.id(), "channel", a.Channel, "power", power, "err", err)
			if a != r.current && !errors.Is(err, ErrDeposed) && rd.leading() {
				held := l.refused.add(r.id(), r.band, a, l.clk.Now().Add(RefusedHold))
				l.log.Warn("radio refused a channel; left out of its plans for a while", "radio", r.id(),
					"channels", held, "hold", RefusedHold)
			}
			back := 0
			if power != 0 {
				back = r.power
			}
			if rd.leading() {
				if rbErr := rd.switchRadio(r, r.current, back); rbErr == nil {
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

// The longest channel availability checks (ETSI EN 301 893): 10 minutes
// on the weather channels 120-128, 1 minute on the other DFS channels.
const (
	cacWeather = 10 * time.Minute
	cacDFS     = time.Minute
)

// isDFS says whether 20 MHz channel c of band b needs radar detection:
// the 5 GHz channels 52-144 under the ETSI and FCC rules (TR-181 has no
// per-channel flag).
func isDFS(b wifiopt.Band, c int) bool { return b == wifiopt.Band5G && c >= 52 && c <= 144 }

// cacBound is the longest channel availability check a switch of a 5 GHz
// radio from one assignment to another may start: the silence the switch
// command waits through on top of SwitchTimeout. Moves within the DFS
// channels the radio already operates on need none.
func cacBound(b wifiopt.Band, from, to wifiopt.Assignment) time.Duration {
	now, _ := wifiopt.Block(b, from.Channel, from.Width)
	next, err := wifiopt.Block(b, to.Channel, to.Width)
	if err != nil {
		next = []int{to.Channel}
	}
	bound := time.Duration(0)
	for _, c := range next {
		switch {
		case slices.Contains(now, c) || !isDFS(b, c):
		case c >= 120 && c <= 128:
			bound = cacWeather
		default:
			bound = max(bound, cacDFS)
		}
	}
	return bound
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

// switchRadio runs X_USPMESH_Switch() on one radio with the plan's term
// and, when power is not 0, its TransmitPower percentage; it waits for
// the command to complete and verifies the radio's channel and power.
func (rd *round) switchRadio(r *measuredRadio, a wifiopt.Assignment, power int) error {
	l := rd.l
	// A switch onto DFS channels waits through their availability check.
	cctx, cancel := withTimeout(rd.ctx, l.clk, l.cfg.SwitchTimeout+cacBound(r.band, r.current, a))
	defer cancel()
	args := map[string]string{"Channel": strconv.Itoa(a.Channel), "Bandwidth": strconv.Itoa(a.Width) + "MHz",
		"CSACount": strconv.Itoa(l.cfg.CSACount), "Term": strconv.FormatUint(rd.term, 10)}
	if power != 0 {
		args["TransmitPower"] = strconv.Itoa(power)
	}
	if _, err := l.operateWait(cctx, r.agent, r.row+switchCommand, args); err != nil {
		return err
	}
	paths := []string{r.row + "Channel"}
	if power != 0 {
		paths = append(paths, r.row+"TransmitPower")
	}
	rows, err := l.getRows(cctx, r.agent, paths...)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if got := rows[r.row]["Channel"]; got != strconv.Itoa(a.Channel) {
		return fmt.Errorf("verify: radio reports channel %s", got)
	}
	if got := rows[r.row]["TransmitPower"]; power != 0 && got != strconv.Itoa(power) {
		return fmt.Errorf("verify: radio reports TransmitPower %s, want %d", got, power)
	}
	return nil
}
