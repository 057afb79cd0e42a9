package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/uspmesh/uspmesh/wifieval"
)

// summary is one class: per method, and the planner's rank correlation.
type summary struct {
	Class    wifieval.Class
	Homes    int
	Methods  map[wifieval.Method]methodSummary
	Spearman float64
	// Node is the node's plans against the current channels, where both
	// were judged.
	Node nodeSummary
}

// nodeSummary compares the node's plans with leaving every radio where
// it was (the "no home where the node's plan delivers less").
type nodeSummary struct {
	// Homes judged both ways; Below counts those where the node's
	// aggregate is below the current channels'.
	Homes, Below int
	// WorstAggregate and WorstP10 are the lowest ratios over homes of
	// the node's aggregate (and 10th percentile) to the current
	// channels'; Changed counts homes where the node switched a radio
	// (its plan's cost differs from the current channels': every switch
	// is priced in the home's Problem).
	WorstAggregate, WorstP10 float64
	Changed                  int
}

type methodSummary struct {
	Aggregate, AggregateCI float64
	P10, P10CI             float64
	// WorstVsLCCS is the lowest ratio over homes of the method's
	// aggregate to LCCS's.
	WorstVsLCCS float64
	Cost        float64
}

func summarise(classes []wifieval.Class, homes []homeResult) []summary {
	var out []summary
	for _, c := range classes {
		s := summary{Class: c, Methods: map[wifieval.Method]methodSummary{}}
		var predicted, delivered []float64
		for _, m := range wifieval.Methods {
			if !judged(homes, c, m) {
				continue
			}
			var agg, p10, cost []float64
			worst := math.Inf(1)
			for _, h := range homes {
				if h.Class != c {
					continue
				}
				r, l := h.Methods[m], h.Methods[wifieval.LCCS]
				agg, p10, cost = append(agg, r.Aggregate), append(p10, r.P10), append(cost, r.Cost)
				if l.Aggregate > 0 {
					worst = min(worst, r.Aggregate/l.Aggregate)
				}
				if m == wifieval.Planner {
					predicted = append(predicted, l.Cost-r.Cost)
					delivered = append(delivered, r.Aggregate-l.Aggregate)
				}
			}
			s.Homes = len(agg)
			s.Methods[m] = methodSummary{Aggregate: wifieval.Mean(agg), AggregateCI: wifieval.CI95(agg),
				P10: wifieval.Mean(p10), P10CI: wifieval.CI95(p10), WorstVsLCCS: worst, Cost: wifieval.Mean(cost)}
		}
		s.Spearman = wifieval.Spearman(predicted, delivered)
		s.Node = compareNode(c, homes)
		out = append(out, s)
	}
	return out
}

// compareNode sets the node's plans of class c against the current
// channels, over the homes where both were judged.
func compareNode(c wifieval.Class, homes []homeResult) nodeSummary {
	n := nodeSummary{WorstAggregate: math.NaN(), WorstP10: math.NaN()}
	for _, h := range homes {
		nd, ok1 := h.Methods[wifieval.NodeMethod]
		cur, ok2 := h.Methods[wifieval.Current]
		if h.Class != c || !ok1 || !ok2 {
			continue
		}
		n.Homes++
		if nd.Aggregate < cur.Aggregate {
			n.Below++
		}
		if nd.Cost != cur.Cost {
			n.Changed++
		}
		n.WorstAggregate = minRatio(n.WorstAggregate, nd.Aggregate, cur.Aggregate)
		n.WorstP10 = minRatio(n.WorstP10, nd.P10, cur.P10)
	}
	return n
}

// minRatio is the lower of worst and a/b, ignoring a zero b and a NaN
// worst.
func minRatio(worst, a, b float64) float64 {
	if b <= 0 {
		return worst
	}
	if r := a / b; math.IsNaN(worst) || r < worst {
		return r
	}
	return worst
}

func writeTable(w io.Writer, cfg config, sums []summary) {
	fmt.Fprintf(w, "wifieval: %d homes per class from seed %d; judge: ns-3, %v warm-up + %v measured, %s rate control, run %d; %s; %s\n\n",
		cfg.homes, cfg.seed, cfg.judge.Warmup, cfg.judge.Measure, cfg.judge.Rate, max(1, cfg.judge.Run), offeredMode(offered(cfg)), inputsMode(cfg))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class\tmethod\taggregate Mbps (95% CI)\tp10 client Mbps (95% CI)\tworst home vs LCCS\tmean wifiopt cost")
	for _, s := range sums {
		for _, m := range wifieval.Methods {
			r, ok := s.Methods[m]
			if !ok {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%.3f\n", s.Class, m, pm(r.Aggregate, r.AggregateCI), pm(r.P10, r.P10CI), r.WorstVsLCCS, r.Cost)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, s := range sums {
		fmt.Fprintf(w, "%s: Spearman(predicted gain over LCCS, delivered gain) over %d homes = %s\n", s.Class, s.Homes, num(s.Spearman))
	}
	for _, s := range sums {
		if n := s.Node; n.Homes > 0 {
			fmt.Fprintf(w, "%s: node vs current channels over %d homes: %d changed, %d below; worst aggregate %s, worst p10 %s\n",
				s.Class, n.Homes, n.Changed, n.Below, num(n.WorstAggregate), num(n.WorstP10))
		}
	}
}

func pm(m, ci float64) string {
	if math.IsNaN(ci) {
		return fmt.Sprintf("%.1f", m)
	}
	return fmt.Sprintf("%.1f ± %.1f", m, ci)
}

func num(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", x)
}

// offered is cfg's multiplier of the mesh clients' offered traffic.
func offered(cfg config) float64 {
	if cfg.judge.Offered <= 0 {
		return 1
	}
	return cfg.judge.Offered
}

// offeredMode says in words what traffic the judge offered.
func offeredMode(x float64) string {
	switch {
	case x == 1:
		return "mesh clients offered the home's load"
	case x >= wifieval.SaturatedOffered:
		return fmt.Sprintf("mesh clients offered %g x the home's load (saturated, full-buffer)", x)
	}
	return fmt.Sprintf("mesh clients offered %g x the home's load", x)
}

// inputsMode says in words which loads the methods planned on.
func inputsMode(cfg config) string {
	if cfg.homeInputs && offered(cfg) != 1 {
		return "planned on the home's own loads"
	}
	return "planned on the loads offered"
}

func writeJSON(w io.Writer, cfg config, homes []homeResult, sums []summary) error {
	// NaN is not JSON: undefined statistics become null.
	type js struct {
		// Offered is the multiplier of every mesh client's offered
		// traffic (-offered); Mode says it in words.
		Offered float64      `json:"offered"`
		Mode    string       `json:"offered_mode"`
		Inputs  string       `json:"inputs"`
		Homes   []homeResult `json:"homes"`
		Classes []any        `json:"classes"`
	}
	x := offered(cfg)
	out := js{Offered: x, Mode: offeredMode(x), Inputs: inputsMode(cfg), Homes: homes}
	for _, s := range sums {
		ms := map[wifieval.Method]map[string]*float64{}
		for m, r := range s.Methods {
			ms[m] = map[string]*float64{"aggregate_mbps": fin(r.Aggregate), "aggregate_ci95": fin(r.AggregateCI),
				"p10_mbps": fin(r.P10), "p10_ci95": fin(r.P10CI), "worst_vs_lccs": fin(r.WorstVsLCCS), "cost": fin(r.Cost)}
		}
		cls := map[string]any{"class": s.Class, "homes": s.Homes, "methods": ms,
			"spearman_predicted_vs_delivered_gain": fin(s.Spearman)}
		if n := s.Node; n.Homes > 0 {
			cls["node_vs_current"] = map[string]any{"homes": n.Homes, "changed": n.Changed, "below": n.Below,
				"worst_aggregate_ratio": fin(n.WorstAggregate), "worst_p10_ratio": fin(n.WorstP10)}
		}
		out.Classes = append(out.Classes, cls)
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(out)
}

func fin(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// judged reports whether any home of class c has a result of method m.
func judged(homes []homeResult, c wifieval.Class, m wifieval.Method) bool {
	for _, h := range homes {
		if _, ok := h.Methods[m]; ok && h.Class == c {
			return true
		}
	}
	return false
}
