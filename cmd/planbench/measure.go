package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// row is one size class's figures; percentages are in percent.
type row struct {
	Class     string  `json:"class"`
	Homes     int     `json:"homes"`
	Reference string  `json:"reference"` // "exact", "best of N runs RxS", or "exact k/n, else best of N runs RxS"
	GapMean   float64 `json:"gap_mean_pct"`
	GapWorst  float64 `json:"gap_worst_pct"`
	VsLCMean  float64 `json:"vs_lc_mean_pct"`
	Captured  float64 `json:"captured_pct"`
	RefGain   float64 `json:"ref_gain_vs_lc_mean_pct"`
	RefGainLo float64 `json:"ref_gain_vs_lc_worst_pct"`
	MsMean    float64 `json:"heuristic_ms_mean"`
	MsP95     float64 `json:"heuristic_ms_p95"`
}

func problem(c class, seed uint64) *wifiopt.Problem {
	n := c.lo + int(seed%uint64(c.hi-c.lo+1))
	if c.hi <= 8 {
		return gen.Home(seed, n)
	}
	return gen.Block(seed, n)
}

func measure(ctx context.Context, cfg config, c class, base uint64) (row, error) {
	r := row{Class: c.String(), Homes: cfg.homes, RefGainLo: math.Inf(1)}
	var times []time.Duration
	var sumLCH, sumLCR float64
	exact := 0
	for h := range cfg.homes {
		seed := base + uint64(h)
		p := problem(c, seed)
		heur, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: seed})
		if err != nil {
			return r, err
		}
		lc, err := wifiopt.LeastCongested(p)
		if err != nil {
			return r, err
		}
		ref, proven, err := reference(ctx, cfg, c, p, seed)
		if err != nil {
			return r, err
		}
		if proven {
			exact++
		}
		ref = min(ref, heur.Cost) // an unproven reference may lose to the heuristic
		gap := 100 * (heur.Cost - ref) / ref
		r.GapMean += gap / float64(cfg.homes)
		r.GapWorst = max(r.GapWorst, gap)
		r.VsLCMean += 100 * (lc.Cost - heur.Cost) / lc.Cost / float64(cfg.homes)
		g := 100 * (lc.Cost - ref) / lc.Cost
		r.RefGain += g / float64(cfg.homes)
		r.RefGainLo = min(r.RefGainLo, g)
		sumLCH += lc.Cost - heur.Cost
		sumLCR += lc.Cost - ref
		times = append(times, heur.Elapsed)
	}
	r.Captured = 100 * sumLCH / sumLCR
	switch exact {
	case cfg.homes:
		r.Reference = "exact"
	case 0:
		r.Reference = fmt.Sprintf("best of %d runs %dx%d", cfg.refRuns, cfg.refRestarts, cfg.refSweeps)
	default:
		r.Reference = fmt.Sprintf("exact %d/%d, else best of %d runs %dx%d", exact, cfg.homes, cfg.refRuns, cfg.refRestarts, cfg.refSweeps)
	}
	slices.Sort(times)
	var sum time.Duration
	for _, t := range times {
		sum += t
	}
	r.MsMean = ms(sum / time.Duration(len(times)))
	r.MsP95 = ms(times[(len(times)*95+99)/100-1])
	return r, nil
}

// reference is the optimum when Exact proves it, else the best of long
// heuristic runs (and of Exact's unproven plan).
func reference(ctx context.Context, cfg config, c class, p *wifiopt.Problem, seed uint64) (float64, bool, error) {
	best := math.Inf(1)
	if c.hi <= cfg.exactLimit {
		pl, err := wifiopt.Exact(ctx, p, wifiopt.Options{Seed: seed, Budget: cfg.exactTime})
		if err == nil {
			return pl.Cost, true, nil
		}
		if !errors.Is(err, wifiopt.ErrNotProven) || ctx.Err() != nil {
			return 0, false, err
		}
		best = pl.Cost
	}
	for k := range cfg.refRuns {
		pl, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: seed*31 + uint64(k) + 1, Restarts: cfg.refRestarts, Sweeps: cfg.refSweeps})
		if err != nil {
			return 0, false, err
		}
		best = min(best, pl.Cost)
	}
	return best, false, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "APs\thomes\treference\tgap mean\tgap worst\tvs LC\tcaptured\tref gain vs LC (mean/worst)\tms mean\tms p95\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.2f%%\t%.2f%%\t%.1f%%\t%.1f%%\t%.1f%% / %.1f%%\t%.2f\t%.2f\t\n",
			r.Class, r.Homes, r.Reference, r.GapMean, r.GapWorst, r.VsLCMean, r.Captured, r.RefGain, r.RefGainLo, r.MsMean, r.MsP95)
	}
	tw.Flush()
}
