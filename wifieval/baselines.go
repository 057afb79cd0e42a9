package wifieval

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// Method is a way to plan a home's channels.
type Method string

// The methods the evaluation compares.
const (
	// Planner is wifiopt.Solve with default options.
	Planner Method = "planner"
	// LCCS is per-AP least-congested channel selection
	// (wifiopt.LeastCongested) repeated from its own plan until no radio
	// changes (at most LCCSRounds rounds).
	LCCS Method = "lccs"
	// ACS is every AP's hostapd-style automatic channel selection from a
	// channel survey, all at once from the current channels (SurveyACS).
	ACS Method = "acs"
	// Random is wifiopt.Random.
	Random Method = "random"
	// NodeMethod is what the leader does with its own configuration
	// (NodePlan): the live home's switch and DFS costs, its solver
	// budget, no switch unless a plan saves enough, and the radios'
	// powers planned on the channels in force.
	NodeMethod Method = "node"
	// Current leaves every radio where it was: the home's current
	// channels, which the node must never do worse than.
	Current Method = "current"
	// Power is the planner's channels with wifiopt.PlanPower's transmit
	// powers on them.
	Power Method = "power"
)

// Methods lists every Method in report order.
var Methods = []Method{Planner, Power, NodeMethod, LCCS, ACS, Current, Random}

// The leader's defaults that NodePlan follows (leader.DefaultConfig
// and the Problem the leader builds; a test checks they agree).
const (
	// NodeBudget is the solver's wall time per round.
	NodeBudget = 500 * time.Millisecond
	// NodeRelativeGain and NodeAbsoluteGain: a plan is applied only when
	// it saves more than both this share of the current cost and this
	// cost.
	NodeRelativeGain = 0.05
	NodeAbsoluteGain = 0.01
	// NodeRounds bounds the planning rounds NodePlan runs, each from the
	// channels the previous one applied, as the leader's rounds follow
	// each other.
	NodeRounds = 5
)

// LCCSRounds bounds the rounds of LCCS; plans that still change then
// (APs chasing each other) stop at the last round's.
const LCCSRounds = 20

// MakePlan plans p with method m; seed drives the planner's and
// random's draws.
func MakePlan(ctx context.Context, p *wifiopt.Problem, m Method, seed uint64) (map[string]wifiopt.Assignment, error) {
	switch m {
	case Planner, Power:
		pl, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: seed})
		return pl.Assign, err
	case LCCS:
		a, _, err := ConvergedLeastCongested(p, LCCSRounds)
		return a, err
	case ACS:
		return SurveyACS(p)
	case Random:
		pl, err := wifiopt.Random(p, seed)
		return pl.Assign, err
	case NodeMethod:
		pl, _, err := NodePlan(ctx, p, seed)
		return pl.Assign, err
	case Current:
		return currentOf(p.Radios), nil
	}
	return nil, fmt.Errorf("wifieval: unknown method %q", m)
}

// MakeJudgedPlan is what the judge simulates for method m: MakePlan's
// channels and, for Power, wifiopt.PlanPower's transmit powers on them;
// for NodeMethod, NodePlan's channels and powers.
func MakeJudgedPlan(ctx context.Context, p *wifiopt.Problem, m Method, seed uint64) (Plan, error) {
	if m == NodeMethod {
		pl, _, err := NodePlan(ctx, p, seed)
		return pl, err
	}
	a, err := MakePlan(ctx, p, m, seed)
	if err != nil {
		return Plan{}, err
	}
	if m != Power {
		return Plan{Assign: a}, nil
	}
	pp, err := wifiopt.PlanPower(ctx, p, a)
	if err != nil {
		return Plan{}, fmt.Errorf("wifieval: power: %w", err)
	}
	return Plan{Assign: a, TxPowerDBm: pp.TxPowerDBm}, nil
}

// PlanCost is the planner's cost of plan on p (wifiopt.Evaluate), at the
// plan's transmit powers where it has them.
func PlanCost(p *wifiopt.Problem, plan Plan) (float64, error) {
	q, err := atPlanPowers(p, plan)
	if err != nil {
		return 0, err
	}
	return wifiopt.Evaluate(q, plan.Assign)
}

// atPlanPowers is p as measured at plan's transmit powers (Problem.AtPower);
// p itself when the plan has none.
func atPlanPowers(p *wifiopt.Problem, plan Plan) (*wifiopt.Problem, error) {
	if len(plan.TxPowerDBm) == 0 {
		return p, nil
	}
	return p.AtPower(plan.TxPowerDBm)
}

// NodePlan plans p as the leader would: the Problem priced with the
// live home's costs (wifiopt.DefaultSwitchCost, DefaultDFSCost), solved
// within NodeBudget, its channels applied only when they save more than
// NodeRelativeGain of the current cost and NodeAbsoluteGain, and then
// the radios' powers planned on the channels in force
// (wifiopt.PlanPower), applied under the same two thresholds. The next round starts from the home as measured
// after it (new channels, and links and client signals at the new
// powers), until a round changes nothing or after NodeRounds rounds. It
// returns the channels and powers the home ends on and the rounds that
// changed something. seed is the first round's solver seed (the leader
// uses its term).
func NodePlan(ctx context.Context, p *wifiopt.Problem, seed uint64) (Plan, int, error) {
	q := *p
	q.Radios = slices.Clone(p.Radios)
	q.SwitchCost, q.DFSCost = wifiopt.DefaultSwitchCost, wifiopt.DefaultDFSCost
	applied := 0
	for round := range NodeRounds {
		pl, err := wifiopt.Solve(ctx, &q, wifiopt.Options{Seed: seed + uint64(round), Budget: NodeBudget})
		if err != nil {
			return Plan{}, applied, fmt.Errorf("wifieval: node round %d: %w", round+1, err)
		}
		worth := nodeWorth(pl.Switches, pl.CurrentCost, pl.Cost)
		assign := currentOf(q.Radios)
		if worth {
			assign = pl.Assign
		}
		pw, err := wifiopt.PlanPower(ctx, &q, assign)
		if err != nil {
			return Plan{}, applied, fmt.Errorf("wifieval: node round %d: %w", round+1, err)
		}
		if !nodeWorth(pw.Changed, pw.CurrentCost, pw.Cost) {
			pw = wifiopt.PowerPlan{}
		}
		if !worth && pw.Changed == 0 {
			break
		}
		applied++
		next, err := measuredAt(&q, assign, pw)
		if err != nil {
			return Plan{}, applied, err
		}
		q = *next
	}
	tx := make(map[string]float64, len(q.Radios))
	for _, r := range q.Radios {
		tx[r.ID] = r.TxPowerDBm
	}
	return Plan{Assign: currentOf(q.Radios), TxPowerDBm: tx}, applied, nil
}

// nodeWorth is the leader's test of a plan that changes something and
// brings the cost from current to planned: it saves more than
// NodeAbsoluteGain and NodeRelativeGain of the current cost.
func nodeWorth(changes int, current, planned float64) bool {
	saved := current - planned
	return changes > 0 && saved > NodeAbsoluteGain && saved > NodeRelativeGain*current
}

// measuredAt is p as the home measures after moving to the channels
// assign and the powers pw: what others hear of each radio and its
// clients' signal at its new power, its current channel and cut.
func measuredAt(p *wifiopt.Problem, assign map[string]wifiopt.Assignment, pw wifiopt.PowerPlan) (*wifiopt.Problem, error) {
	q, err := p.AtPower(pw.TxPowerDBm)
	if err != nil {
		return nil, fmt.Errorf("wifieval: %w", err)
	}
	return withCurrent(q, assign), nil
}

// currentOf is the radios' current assignments, by ID.
func currentOf(rs []wifiopt.Radio) map[string]wifiopt.Assignment {
	a := make(map[string]wifiopt.Assignment, len(rs))
	for _, r := range rs {
		a[r.ID] = r.Current
	}
	return a
}

// ConvergedLeastCongested runs wifiopt.LeastCongested, makes its plan the
// current channels and runs it again, until no radio changes or after
// maxRounds rounds. It returns the last plan and the rounds run.
func ConvergedLeastCongested(p *wifiopt.Problem, maxRounds int) (map[string]wifiopt.Assignment, int, error) {
	q := *p
	q.Radios = slices.Clone(p.Radios)
	var last map[string]wifiopt.Assignment
	for round := 1; round <= maxRounds; round++ {
		pl, err := wifiopt.LeastCongested(&q)
		if err != nil {
			return nil, round, err
		}
		last = pl.Assign
		changed := false
		for i := range q.Radios {
			if a := last[q.Radios[i].ID]; a != q.Radios[i].Current {
				q.Radios[i].Current = a
				changed = true
			}
		}
		if !changed {
			return last, round, nil
		}
	}
	return maps.Clone(last), maxRounds, nil
}

// Weights of hostapd-style ACS: in 2.4 GHz a channel's factor is the
// weighted mean of its own and its neighbours' busy shares 5 and 10 MHz
// away, and channels 1, 6 and 11 are preferred by a factor 0.8.
const (
	acsAdjacentWeight = 0.85
	acsNextWeight     = 0.55
	acsPrefer1611     = 0.8
)

// SurveyACS plans like hostapd's automatic channel selection on every AP
// at once: each radio surveys its band from the current channels (the
// busy share per 20 MHz channel that the foreign networks it hears, the
// other mesh radios at their current channels and the reported busy time
// cause, by the planner's carrier-sense model), scores every channel
// block of its current width by the interference factor of its 20 MHz
// channels, and takes the lowest score (the lowest channel on ties).
// Backhaul radios follow the radio they connect to.
func SurveyACS(p *wifiopt.Problem) (map[string]wifiopt.Assignment, error) {
	if err := wifiopt.Validate(p); err != nil {
		return nil, err
	}
	groups, err := wifiopt.BackhaulGroups(p)
	if err != nil {
		return nil, err
	}
	out := map[string]wifiopt.Assignment{}
	for _, group := range groups {
		// The group's choice is its uplink's: the radio with no BackhaulOf.
		i := slices.IndexFunc(group, func(j int) bool { return p.Radios[j].BackhaulOf == "" })
		if i < 0 {
			continue
		}
		a, err := acsChoose(p, group[i], group)
		if err != nil {
			return nil, err
		}
		for _, j := range group {
			out[p.Radios[j].ID] = a
		}
	}
	return out, nil
}

// acsChoose is radio i's choice for its backhaul group.
func acsChoose(p *wifiopt.Problem, i int, group []int) (wifiopt.Assignment, error) {
	r := p.Radios[i]
	busy := surveyBusy(p, i)
	factor := func(c int) float64 {
		if r.Band != wifiopt.Band2G4 {
			return busy[c]
		}
		sum, weight := 0.0, 0.0
		for d, w := range [5]float64{acsNextWeight, acsAdjacentWeight, 1, acsAdjacentWeight, acsNextWeight} {
			if b, ok := busy[c+d-2]; ok {
				sum += w * b
				weight += w
			}
		}
		f := sum / weight
		if c == 1 || c == 6 || c == 11 {
			f *= acsPrefer1611
		}
		return f
	}
	best, bestScore := r.Current, math.Inf(1)
	for _, ch := range r.Channels {
		blk, err := wifiopt.Block(r.Band, ch.Number, r.Current.Width)
		if err != nil || blk[0] != ch.Number || !allowedToAll(p, group, blk) {
			continue
		}
		score := 0.0
		for _, c := range blk {
			score += factor(c)
		}
		if score < bestScore-1e-12 {
			best, bestScore = wifiopt.Assignment{Channel: ch.Number, Width: r.Current.Width}, score
		}
	}
	if math.IsInf(bestScore, 1) {
		return wifiopt.Assignment{}, fmt.Errorf("wifieval: acs: no %d MHz channel allowed for %s", r.Current.Width, r.ID)
	}
	return best, nil
}

func allowedToAll(p *wifiopt.Problem, group []int, blk []int) bool {
	for _, j := range group {
		for _, c := range blk {
			if !slices.ContainsFunc(p.Radios[j].Channels, func(ch wifiopt.Channel) bool { return ch.Number == c }) {
				return false
			}
		}
	}
	return true
}

// surveyBusy is the busy share per allowed 20 MHz channel that radio i's
// survey would report with every radio on its current channel.
func surveyBusy(p *wifiopt.Problem, i int) map[int]float64 {
	r := p.Radios[i]
	busy := map[int]float64{}
	add := func(on wifiopt.Assignment, rssi, load float64) {
		for _, ch := range r.Channels {
			ov, err := wifiopt.Overlap(r.Band, wifiopt.Assignment{Channel: ch.Number, Width: 20}, on)
			if err != nil {
				continue
			}
			busy[ch.Number] += load * ov * deferProb(rssi, on.Width)
		}
	}
	for _, ch := range r.Channels {
		busy[ch.Number] = 0
	}
	for _, f := range p.Foreign {
		if f.Radio == r.ID {
			add(wifiopt.Assignment{Channel: f.Channel, Width: f.Width}, f.RSSI, f.Load)
		}
	}
	heard := map[string]float64{}
	for _, l := range p.RSSI {
		if l.To == r.ID {
			heard[l.From] = l.RSSI
		} else if _, ok := heard[l.To]; !ok && l.From == r.ID {
			heard[l.To] = l.RSSI
		}
	}
	for _, o := range p.Radios {
		if rssi, ok := heard[o.ID]; ok && o.ID != r.ID && o.Band == r.Band {
			add(o.Current, rssi, o.Load)
		}
	}
	for _, b := range p.Busy {
		if b.Radio == r.ID {
			busy[b.Channel] += b.Fraction
		}
	}
	for c, b := range busy {
		busy[c] = min(1, b)
	}
	return busy
}
