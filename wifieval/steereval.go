package wifieval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// WalkResult is one home's steering evaluation: per policy, what the
// judge delivered to each client over the walk and how often clients
// roamed and were steered.
type WalkResult struct {
	Policies map[SteerPolicy]*PolicyResult
	// Slices is the number of slices each walk was cut into, Judged the
	// number judged (WalkConfig.Judged); Runs the judge runs made (a
	// slice whose associations are equal under several policies is
	// judged once for all of them).
	Slices, Judged, Runs int
	// Dropped are the slices (indexes into the walk's 15 s slices) left
	// out of every policy's figures because the judge crashed on one of
	// their runs (ErrCrashed); Judged counts only the others.
	Dropped []int
	// Wall is the time spent in the judge.
	Wall time.Duration
	// Detail is, per policy, its walk slice by slice and client by
	// client, and its steering actions.
	Detail map[SteerPolicy]*WalkDetail
}

// PolicyResult is one policy's figures in one home.
type PolicyResult struct {
	// Throughput is, per client (Home.Clients order), its delivered
	// Mbps averaged over the judged slices, times the share of the walk
	// it was not roaming (every outage of the walk counts, judged slice
	// or not).
	Throughput []float64
	// Median and P10 are the median and 10th percentile of Throughput.
	Median, P10 float64
	// RoamsPerClientHour and AttemptsPerClientHour are the association
	// changes and steering actions per client per hour of walk.
	RoamsPerClientHour, AttemptsPerClientHour float64
	// MaxAttemptsPerClientHour is the most any one client got, per hour.
	MaxAttemptsPerClientHour float64
}

// JudgeWalk evaluates the steering policies in home h with channel plan
// p: it draws the walkers (Home.Walkers), runs each policy's timeline
// over the same walks and measurement noise, and judges every slice of
// every timeline in ns-3 (up to parallel runs at a time) with the
// clients where the slice's middle has them and associated as the
// policy left them, each offered cfg.OfferFactor times its radio's
// Capacity (full buffer). The judge's Config.Offered should be 1: it
// multiplies these rates too. A slice on which the judge crashes on
// every attempt (ErrCrashed) is left out of every policy's figures and
// listed in WalkResult.Dropped; any other judge failure fails the home.
func (j *Judge) JudgeWalk(ctx context.Context, h *Home, p Plan, cfg WalkConfig, pols []SteerPolicy, parallel int) (*WalkResult, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h = h.atPowers(p)
	ws, err := h.Walkers(cfg)
	if err != nil {
		return nil, err
	}
	tls := map[SteerPolicy]*Timeline{}
	for _, pol := range pols {
		if tls[pol], err = h.walk(p, ws, pol, cfg); err != nil {
			return nil, fmt.Errorf("wifieval: %s home %d: %w", h.Class, h.Seed, err)
		}
	}
	// One judge run per slice and distinct set of associations.
	type job struct {
		slice int
		radio []int
	}
	var jobs []job
	key := func(i int, r []int) string { return fmt.Sprint(i, r) }
	index := map[string]int{}
	nslices := len(tls[pols[0]].Slices)
	judged := sampleSlices(nslices, cfg.Judged)
	for _, i := range judged {
		for _, pol := range pols {
			r := tls[pol].Slices[i].Radio
			if _, ok := index[key(i, r)]; !ok {
				index[key(i, r)] = len(jobs)
				jobs = append(jobs, job{i, r})
			}
		}
	}
	got := make([][]float64, len(jobs))
	crashed := map[int]bool{}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		wall  time.Duration
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	for range max(parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				jb := jobs[n]
				d, w, err := j.deliverWalk(ctx, h.sliceHome(p, tls[pols[0]].Slices[jb.slice].At, jb.radio, cfg), p)
				mu.Lock()
				if errors.Is(err, ErrCrashed) && ctx.Err() == nil {
					// ns-3 aborts on a few scenarios whatever the seed:
					// the slice is left out of every policy, so all are
					// still judged on the same slices.
					j.log.Warn("slice dropped: the judge crashed on it", "class", h.Class, "home", h.Seed, "slice", jb.slice, "err", err)
					crashed[jb.slice] = true
					err = nil
				} else if err != nil && first == nil {
					first = fmt.Errorf("slice %d: %w", jb.slice, err)
					cancel()
				}
				if err == nil {
					got[n], wall = d, wall+w
				}
				mu.Unlock()
			}
		}()
	}
	for n := range jobs {
		select {
		case next <- n:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var kept, dropped []int
	for _, i := range judged {
		if crashed[i] {
			dropped = append(dropped, i)
		} else {
			kept = append(kept, i)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("wifieval: %s home %d: all %d judged slices dropped: %w", h.Class, h.Seed, len(judged), ErrCrashed)
	}
	out := &WalkResult{Policies: map[SteerPolicy]*PolicyResult{}, Slices: nslices, Judged: len(kept), Runs: len(jobs), Dropped: dropped, Wall: wall,
		Detail: map[SteerPolicy]*WalkDetail{}}
	delivered := func(i int, r []int) []float64 { return got[index[key(i, r)]] }
	for _, pol := range pols {
		out.Policies[pol] = summariseWalk(tls[pol], kept, delivered)
		out.Detail[pol] = h.detail(ws, tls[pol], out.Policies[pol], kept, delivered)
	}
	return out, nil
}

// atPowers is h with its mesh radios at plan p's transmit powers, so that
// the walk's signals, the policies' measurements and the slices'
// scenarios all see them; h itself when p has none.
func (h *Home) atPowers(p Plan) *Home {
	if len(p.TxPowerDBm) == 0 {
		return h
	}
	c, sc := *h, *h.Scene
	sc.Radios = slices.Clone(h.Scene.Radios)
	for i := range sc.Radios {
		if pw, ok := p.TxPowerDBm[sc.Radios[i].ID]; ok {
			sc.Radios[i].TxPowerDBm = pw
		}
	}
	c.Scene = &sc
	return &c
}

// deliverWalk judges one slice h (plan p) and returns what each client
// got end to end (Home.Clients order) and the judge's run time. It is
// Deliver with another rule for satellites (endToEnd): the walk offers
// every client twice its radio's capacity, and Deliver's rule, which
// scales a satellite's clients by what the backhaul delivered of what
// it was offered, charges them their own link's shortfall twice.
func (j *Judge) deliverWalk(ctx context.Context, h *Home, p Plan) ([]float64, time.Duration, error) {
	h = h.WithOffered(j.cfg.Offered)
	sc, err := h.Scenario(p, j.cfg.Warmup, j.cfg.Measure)
	if err != nil {
		return nil, 0, err
	}
	got, wall, err := j.run(ctx, sc, "")
	if err != nil {
		return nil, 0, fmt.Errorf("wifieval: %s home %d: %w", h.Class, h.Seed, err)
	}
	return endToEnd(h, sc, got), wall, nil
}

// endToEnd is, per client of h, what it got end to end in scenario sc
// whose flows delivered got (Mbps, sc.Flows order): what its AP
// delivered to it, and for a client of a satellite with a simulated
// backhaul that times min(1, backhaul delivered ÷ what the node's
// clients got from their APs), i.e. the backhaul's carriage shared in
// proportion to their links. The backhaul flow in the scenario is
// offered what the clients are (full buffer), so the airtime it takes
// is that of a saturated backhaul.
func endToEnd(h *Home, sc *Scenario, got []float64) []float64 {
	nodeOf := func(k int) string { return h.Scene.Radios[h.Clients[k].Radio].Node }
	access, carried := map[string]float64{}, map[string]float64{}
	for n, f := range sc.Flows {
		switch f.Kind {
		case ToClient:
			access[nodeOf(f.Ref)] += got[n]
		case Backhaul:
			carried[h.Scene.Radios[f.Ref].Node] = got[n]
		}
	}
	out := make([]float64, len(h.Clients))
	for n, f := range sc.Flows {
		if f.Kind != ToClient {
			continue
		}
		out[f.Ref] = got[n]
		if b, ok := carried[nodeOf(f.Ref)]; ok && b < access[nodeOf(f.Ref)] {
			out[f.Ref] *= b / access[nodeOf(f.Ref)]
		}
	}
	return out
}

// sampleSlices picks m of n slices, evenly spread: the middle one of
// each of m equal parts (every slice when m >= n).
func sampleSlices(n, m int) []int {
	if m >= n || m <= 0 {
		m = n
	}
	out := make([]int, m)
	for i := range m {
		out[i] = (2*i + 1) * n / (2 * m)
	}
	return out
}

// summariseWalk averages a timeline's judged slices per client.
func summariseWalk(tl *Timeline, judged []int, delivered func(slice int, radio []int) []float64) *PolicyResult {
	n := len(tl.Roams)
	pr := &PolicyResult{Throughput: make([]float64, n)}
	for _, i := range judged {
		d := delivered(i, tl.Slices[i].Radio)
		for k := range n {
			pr.Throughput[k] += d[k] / float64(len(judged))
		}
	}
	for k := range n {
		pr.Throughput[k] *= max(0, 1-tl.Outage[k].Hours()/tl.Hours)
	}
	pr.Median, pr.P10 = Quantile(pr.Throughput, 0.5), Quantile(pr.Throughput, 0.1)
	ch := float64(n) * tl.Hours
	for k := range n {
		pr.RoamsPerClientHour += float64(tl.Roams[k]) / ch
		pr.AttemptsPerClientHour += float64(tl.Attempts[k]) / ch
		pr.MaxAttemptsPerClientHour = max(pr.MaxAttemptsPerClientHour, float64(tl.Attempts[k])/tl.Hours)
	}
	return pr
}

// sliceHome is h with its clients at at, on the radios given, each
// offered cfg.OfferFactor times its radio's Capacity at the plan's width.
func (h *Home) sliceHome(p Plan, at []gen.Point, radio []int, cfg WalkConfig) *Home {
	c := *h
	c.Clients = slices.Clone(h.Clients)
	for k := range c.Clients {
		r := h.Scene.Radios[radio[k]]
		c.Clients[k].At, c.Clients[k].Radio = at[k], radio[k]
		c.Clients[k].OfferedMbps = cfg.OfferFactor * Capacity(r.Band, p.Assign[r.ID].Width)
	}
	return &c
}
