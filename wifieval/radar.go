package wifieval

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// What one radar event costs a plan that uses DFS channels. Radar on a
// DFS channel makes every radio operating over it leave at once (a
// channel-switch announcement to a channel without radar detection) and
// keeps the span it operated on closed for the non-occupancy period;
// moving onto a DFS channel it was not on costs a radio a silent channel
// availability check. RadarHour lays out the hour after the radar as a
// method lives it, and HourDelivery weighs the judge's figures of each
// stretch by its length.
const (
	// RadarNOP is the non-occupancy period (ETSI EN 301 893; the FCC's is
	// the same 30 minutes).
	RadarNOP = 30 * time.Minute
	// RadarCAC is the channel availability check of a channel outside
	// the weather band: the radio is silent for it.
	RadarCAC = 60 * time.Second
	// RadarSettle is how long the fled radios stay on their fallback
	// channels before the method's new plan is in force: the leader's
	// settle delay (10 s) and a round that measures, plans and switches.
	RadarSettle = time.Minute
	// RadarWindow is the time RadarHour spans: the non-occupancy period
	// and as long again after it.
	RadarWindow = time.Hour
)

// RadarStep is one stretch of the hour after a radar event.
type RadarStep struct {
	// Name says what the stretch is: "fallback", "closed", "reopened".
	Name string
	// Plan is what is in force during the stretch.
	Plan Plan
	// Duration is its length; Silent lists (by index in Problem.Radios)
	// the radios silent for RadarCAC at its start.
	Duration time.Duration
	Silent   []int
}

// RadarChannel is the DFS 20 MHz channel that the most radios of assign
// operate over (the lowest on ties): where one radar event does the plan
// the most harm. 0 when no radio uses a DFS channel.
func RadarChannel(p *wifiopt.Problem, assign map[string]wifiopt.Assignment) int {
	count := map[int]int{}
	for _, r := range p.Radios {
		for _, c := range spanOf(r, assign[r.ID]) {
			if isDFSChannel(r, c) {
				count[c]++
			}
		}
	}
	best := 0
	for _, c := range slices.Sorted(maps.Keys(count)) {
		if best == 0 || count[c] > count[best] {
			best = c
		}
	}
	return best
}

// RadarHour lays out the hour after radar on DFS channel ch hits p0, a
// plan of method m for p:
//   - fallback (RadarSettle): every radio whose span holds ch moves, with
//     its backhaul group, to the non-DFS channel and width no wider than
//     it had that costs the plan least (wifiopt.Evaluate; the widest on
//     ties);
//   - closed (the rest of RadarNOP): m plans again from the fallback, each
//     hit radio without the DFS channels of the span it fled and every
//     other radio without ch;
//   - reopened (the rest of RadarWindow): m plans again from there with
//     every channel allowed.
//
// Each replan sees the home at p0's powers. Radios that move onto a DFS
// span they were not on are silent for RadarCAC at the start of the
// stretch. seed is m's seed, as for MakeJudgedPlan.
func RadarHour(ctx context.Context, p *wifiopt.Problem, m Method, seed uint64, p0 Plan, ch int) ([]RadarStep, error) {
	base, err := atPlanPowers(p, p0)
	if err != nil {
		return nil, fmt.Errorf("wifieval: radar: %w", err)
	}
	groups, err := wifiopt.BackhaulGroups(base)
	if err != nil {
		return nil, fmt.Errorf("wifieval: radar: %w", err)
	}
	hit := map[int]bool{}
	for i, r := range base.Radios {
		if slices.Contains(spanOf(r, p0.Assign[r.ID]), ch) {
			hit[i] = true
		}
	}
	if len(hit) == 0 {
		return nil, fmt.Errorf("wifieval: radar on %d hits no radio of the plan", ch)
	}
	for _, g := range groups {
		if slices.ContainsFunc(g, func(i int) bool { return hit[i] }) {
			for _, i := range g {
				hit[i] = true
			}
		}
	}
	fb, err := fallback(base, p0.Assign, groups, hit)
	if err != nil {
		return nil, err
	}
	closed := withCurrent(base, fb)
	for i := range closed.Radios {
		r := &closed.Radios[i]
		shut := []int{ch}
		if hit[i] {
			// The non-occupancy period covers the DFS channels of the span.
			shut = slices.DeleteFunc(spanOf(*r, p0.Assign[r.ID]), func(n int) bool { return !isDFSChannel(*r, n) })
		}
		r.Channels = slices.DeleteFunc(slices.Clone(r.Channels), func(c wifiopt.Channel) bool { return slices.Contains(shut, c.Number) })
	}
	p1, err := MakeJudgedPlan(ctx, closed, m, seed)
	if err != nil {
		return nil, fmt.Errorf("wifieval: radar: %s with %d closed: %w", m, ch, err)
	}
	p1 = withPowers(p1, p0)
	p2, err := MakeJudgedPlan(ctx, withCurrent(base, p1.Assign), m, seed)
	if err != nil {
		return nil, fmt.Errorf("wifieval: radar: %s reopened: %w", m, err)
	}
	p2 = withPowers(p2, p0)
	fbPlan := Plan{Assign: fb, TxPowerDBm: p0.TxPowerDBm}
	return []RadarStep{
		{Name: "fallback", Plan: fbPlan, Duration: RadarSettle},
		{Name: "closed", Plan: p1, Duration: RadarNOP - RadarSettle, Silent: entersDFS(base, fb, p1.Assign)},
		{Name: "reopened", Plan: p2, Duration: RadarWindow - RadarNOP, Silent: entersDFS(base, p1.Assign, p2.Assign)},
	}, nil
}

// HourDelivery is each client's mean throughput over steps, given the
// judge's per-client delivery of each step's plan (delivered[k] for
// steps[k], in Home.Clients order): a silent radio's clients get nothing
// for RadarCAC.
func HourDelivery(h *Home, steps []RadarStep, delivered [][]float64) []float64 {
	out := make([]float64, len(h.Clients))
	var total time.Duration
	for k, st := range steps {
		total += st.Duration
		for c, cl := range h.Clients {
			d := st.Duration
			if slices.Contains(st.Silent, cl.Radio) {
				d -= min(RadarCAC, d)
			}
			out[c] += delivered[k][c] * d.Seconds()
		}
	}
	for c := range out {
		out[c] /= total.Seconds()
	}
	return out
}

// fallback moves each hit radio (whole backhaul groups, p's
// wifiopt.BackhaulGroups, are hit together) to its cheapest non-DFS
// assignment no wider than it had, the other radios staying on assign.
func fallback(p *wifiopt.Problem, assign map[string]wifiopt.Assignment, groups [][]int, hit map[int]bool) (map[string]wifiopt.Assignment, error) {
	out := maps.Clone(assign)
	for _, g := range groups {
		if !hit[g[0]] {
			continue
		}
		lead := p.Radios[g[0]]
		width := assign[lead.ID].Width
		best, bestCost := wifiopt.Assignment{}, 0.0
		widths := lead.Widths
		if len(widths) == 0 {
			widths = []int{lead.Current.Width} // the current width only
		}
		for _, w := range slices.Backward(slices.Sorted(slices.Values(widths))) {
			if w > width {
				continue
			}
			for _, c := range lead.Channels {
				a := wifiopt.Assignment{Channel: c.Number, Width: w}
				if slices.ContainsFunc(spanOf(lead, a), func(n int) bool { return isDFSChannel(lead, n) }) {
					continue
				}
				try := maps.Clone(out)
				for _, i := range g {
					try[p.Radios[i].ID] = a
				}
				cost, err := wifiopt.Evaluate(p, try)
				if err != nil {
					continue // not allowed to every radio of the group
				}
				if best.Channel == 0 || cost < bestCost {
					best, bestCost = a, cost
				}
			}
		}
		if best.Channel == 0 {
			return nil, fmt.Errorf("wifieval: radar: radio %q has no non-DFS channel to flee to", lead.ID)
		}
		for _, i := range g {
			out[p.Radios[i].ID] = best
		}
	}
	return out, nil
}

// withCurrent is p with every radio's Current set from assign.
func withCurrent(p *wifiopt.Problem, assign map[string]wifiopt.Assignment) *wifiopt.Problem {
	q := *p
	q.Radios = slices.Clone(p.Radios)
	for i := range q.Radios {
		q.Radios[i].Current = assign[q.Radios[i].ID]
	}
	return &q
}

// withPowers gives plan p0's powers where it has none of its own.
func withPowers(plan, p0 Plan) Plan {
	if len(plan.TxPowerDBm) == 0 {
		plan.TxPowerDBm = p0.TxPowerDBm
	}
	return plan
}

// entersDFS lists the radios that to moves onto a DFS span that from
// did not have them on.
func entersDFS(p *wifiopt.Problem, from, to map[string]wifiopt.Assignment) []int {
	var out []int
	for i, r := range p.Radios {
		a, b := from[r.ID], to[r.ID]
		if a == b {
			continue
		}
		if slices.ContainsFunc(spanOf(r, b), func(n int) bool { return isDFSChannel(r, n) && !slices.Contains(spanOf(r, a), n) }) {
			out = append(out, i)
		}
	}
	return out
}

// spanOf is the 20 MHz channels a radio occupies on a; nil when a is not
// a channel of its band.
func spanOf(r wifiopt.Radio, a wifiopt.Assignment) []int {
	chs, err := wifiopt.Block(r.Band, a.Channel, a.Width)
	if err != nil {
		return nil
	}
	return chs
}

// isDFSChannel reports whether 20 MHz channel n of r needs radar
// detection.
func isDFSChannel(r wifiopt.Radio, n int) bool {
	i := slices.IndexFunc(r.Channels, func(c wifiopt.Channel) bool { return c.Number == n })
	return i >= 0 && r.Channels[i].DFS
}
