package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/election"
	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// The leader's control loop: measure every Agent through USP, plan the
// home's channels with wifiopt, and apply the plan one radio at a time
// through the term-carrying X_USPMESH_Switch() command, leaves first,
// verifying each step and rolling back a failed one. It re-plans only
// when the gain passes a threshold, so the home does not flap, and stops
// applying as soon as this node is no longer the leader of the term it
// planned in (the Agents' fences refuse the rest anyway).

// planGain is the relative gain a new plan must bring over the current
// channels before anything is switched.
const planGain = 0.05

// planAbsGain is the absolute gain below which no plan is applied.
const planAbsGain = 0.01

// optimiseLoop runs a round soon after this node becomes leader (once
// the members had a moment to settle), then every plan period while it
// leads.
func (m *mesh) optimiseLoop(ctx context.Context) {
	defer m.wg.Done()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var ledTerm uint64
	var next time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		term, ok := m.leading()
		switch {
		case !ok:
			ledTerm = 0
			continue
		case term != ledTerm:
			ledTerm, next = term, time.Now().Add(m.prof.firstPlan)
		}
		if m.replan.Load() && time.Until(next) > m.prof.firstPlan {
			next = time.Now().Add(m.prof.firstPlan) // let a burst of changes settle
		}
		if time.Now().Before(next) {
			continue
		}
		m.replan.Store(false)
		if err := m.optimise(ctx, term); err != nil && ctx.Err() == nil {
			m.log.Warn("channel plan", "term", term, "err", err)
			m.planStatus(ctx, "Error", err.Error())
		}
		next = time.Now().Add(m.prof.plan)
	}
}

// leading returns the term this node leads, if it does.
func (m *mesh) leading() (uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.term, m.isLeader
}

// stillLeading says whether this node still leads term.
func (m *mesh) stillLeading(term uint64) bool {
	t, ok := m.leading()
	return ok && t == term
}

// aliveAgents lists the Agents of the alive members, this node's last.
func (m *mesh) aliveAgents() []usp.EndpointID {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []usp.EndpointID
	for name, mem := range m.members {
		if mem.Valid && mem.State == election.StateAlive && name != string(m.n.agentID) {
			out = append(out, usp.EndpointID(name))
		}
	}
	slices.Sort(out)
	return append(out, m.n.agentID)
}

// optimise runs one round: measure, plan, and apply when worth it.
func (m *mesh) optimise(ctx context.Context, term uint64) error {
	agents := m.aliveAgents()
	ms := m.measure(ctx, agents, m.prof.measure)
	for a, err := range ms.failed {
		m.log.Info("measure", "agent", a, "err", err)
	}
	if len(ms.radios) == 0 {
		return nil
	}
	p := ms.problem()
	if err := wifiopt.Validate(p); err != nil {
		return fmt.Errorf("measurements: %w", err)
	}
	plan, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: term, Budget: 500 * time.Millisecond})
	if err != nil {
		return fmt.Errorf("solve: %w", err)
	}
	gain := plan.CurrentCost - plan.Cost
	worth := plan.Switches > 0 && gain > planAbsGain && gain > planGain*plan.CurrentCost
	now := time.Now().UTC().Format(time.RFC3339)
	vals := map[string]string{"LastRun": now, "Term": strconv.FormatUint(term, 10),
		"PlanTime": strconv.FormatInt(plan.Elapsed.Microseconds(), 10)}
	if !worth {
		// The current channels stand: they are the plan.
		vals["Score"], vals["BaselineScore"], vals["MeasuredScore"] = score(plan.CurrentCost), score(plan.CurrentCost), score(plan.CurrentCost)
		vals["Switches"], vals["Status"], vals["Message"] = "0", "Idle", fmt.Sprintf("no plan gains %.0f%%", 100*planGain)
		return m.recordPlan(ctx, vals, ms.radios, nil)
	}
	vals["Score"], vals["BaselineScore"], vals["Switches"] = score(plan.Cost), score(plan.CurrentCost), strconv.Itoa(plan.Switches)
	vals["Status"], vals["Message"] = "Applying", ""
	if err := m.recordPlan(ctx, vals, ms.radios, plan.Assign); err != nil {
		return err
	}
	m.log.Info("applying channel plan", "term", term, "cost", plan.CurrentCost, "planned", plan.Cost, "switches", plan.Switches)
	applyErr := m.apply(ctx, term, ms.radios, plan.Assign)
	// Re-measure what the home looks like now.
	after := m.measure(ctx, agents, m.prof.measure)
	measured := plan.CurrentCost
	if len(after.radios) > 0 {
		if pa := after.problem(); wifiopt.Validate(pa) == nil {
			cur := map[string]wifiopt.Assignment{}
			for _, r := range pa.Radios {
				cur[r.ID] = r.Current
			}
			if c, err := wifiopt.Evaluate(pa, cur); err == nil {
				measured = c
			}
		}
	}
	done := map[string]string{"MeasuredScore": score(measured), "LastApplied": time.Now().UTC().Format(time.RFC3339), "Status": "Idle"}
	if applyErr != nil {
		done["Status"], done["Message"] = "Error", applyErr.Error()
	}
	if err := setParams(ctx, m.n.model, meshRoot+"Plan.", done); err != nil {
		return err
	}
	return applyErr
}

func score(c float64) string { return strconv.FormatFloat(c, 'f', 4, 64) }

// recordPlan writes the Plan object and one Assignment row per radio.
func (m *mesh) recordPlan(ctx context.Context, vals map[string]string, radios []*measuredRadio, assign map[string]wifiopt.Assignment) error {
	if len(vals["Message"]) > 256 {
		vals["Message"] = vals["Message"][:256]
	}
	if err := setParams(ctx, m.n.model, meshRoot+"Plan.", vals); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, r := range radios {
		a, ok := assign[r.id()]
		status := "Pending"
		if !ok || a == r.current {
			a, status = r.current, "Unchanged"
		}
		keep[r.id()] = true
		if err := upsertRow(ctx, m.n.model, meshRoot+"Plan.Assignment.", "Radio", r.id(), map[string]string{
			"Channel": strconv.Itoa(a.Channel), "Bandwidth": strconv.Itoa(a.Width) + "MHz",
			"PreviousChannel": strconv.Itoa(r.current.Channel), "Status": status}); err != nil {
			return err
		}
	}
	assignTable, err := path.Parse(meshRoot + "Plan.Assignment.")
	if err != nil {
		return err
	}
	rows, err := m.n.model.Get(ctx, assignTable, 1, nil)
	if err != nil {
		return err
	}
	for _, row := range rows {
		for _, pv := range row.Params {
			if pv.Name == "Radio" && !keep[pv.Value] {
				if _, err := deleteRows(ctx, m.n.model, meshRoot+"Plan.Assignment.[Radio=="+path.Quote(pv.Value)+"]."); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// errDeposed stops an apply when this node no longer leads its term.
var errDeposed = errors.New("no longer the leader of the plan's term")

// apply switches the radios whose assignment changes, one at a time:
// radios of the other nodes first (leaves), this node's last, so the
// leader keeps its path to every node until the end.
func (m *mesh) apply(ctx context.Context, term uint64, radios []*measuredRadio, assign map[string]wifiopt.Assignment) error {
	order := slices.Clone(radios)
	self := string(m.n.agentID)
	slices.SortStableFunc(order, func(a, b *measuredRadio) int {
		return boolCmp(string(a.agent) == self, string(b.agent) == self)
	})
	for _, r := range order {
		a, ok := assign[r.id()]
		if !ok || a == r.current {
			continue
		}
		if !m.stillLeading(term) {
			return errDeposed
		}
		err := m.switchRadio(ctx, term, r, a)
		status := "Applied"
		if err != nil {
			status = "Failed"
			m.log.Warn("switch failed; rolling back", "radio", r.id(), "channel", a.Channel, "err", err)
			if m.stillLeading(term) {
				if rbErr := m.switchRadio(ctx, term, r, r.current); rbErr == nil {
					status = "RolledBack"
				}
			}
		}
		if uerr := upsertRow(ctx, m.n.model, meshRoot+"Plan.Assignment.", "Radio", r.id(), map[string]string{"Status": status}); uerr != nil {
			return uerr
		}
		if err != nil {
			return fmt.Errorf("switch %s to %d/%d MHz: %w", r.id(), a.Channel, a.Width, err)
		}
	}
	return nil
}

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
func (m *mesh) switchRadio(ctx context.Context, term uint64, r *measuredRadio, a wifiopt.Assignment) error {
	cctx, cancel := context.WithTimeout(ctx, m.prof.switchTimeout)
	defer cancel()
	args := map[string]string{"Channel": strconv.Itoa(a.Channel), "Bandwidth": strconv.Itoa(a.Width) + "MHz",
		"CSACount": "5", "Term": strconv.FormatUint(term, 10)}
	if _, err := m.operateWait(cctx, r.agent, r.row+"X_USPMESH_Switch()", args); err != nil {
		return err
	}
	rows, err := m.getRows(cctx, r.agent, r.row+"Channel")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	got := rows[r.row]["Channel"]
	if got != strconv.Itoa(a.Channel) {
		return fmt.Errorf("verify: radio reports channel %s", got)
	}
	return nil
}

// planStatus sets the Plan's Status and Message.
func (m *mesh) planStatus(ctx context.Context, status, msg string) {
	if len(msg) > 256 {
		msg = msg[:256]
	}
	_ = setParams(ctx, m.n.model, meshRoot+"Plan.", map[string]string{"Status": status, "Message": strings.TrimSpace(msg)})
}
