package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/uspmesh/uspmesh/wifieval"
)

const radarUsage = `wifieval radar: judge what one radar event costs each method's plan.

For each class (default mixed, the class whose 5 GHz radios may use DFS) it
draws -homes seeded homes and plans each with every method of -methods, as
the channel evaluation does. Radar then strikes the DFS 20 MHz channel that
the most radios of that method's plan use (its worst single event; a plan
without DFS is not hit), and the hour after it is judged in three stretches
(wifieval.RadarHour):
  fallback  1 min: the radios over the radar channel flee, with their
            backhaul groups, to the cheapest non-DFS channel no wider than
            they had (a channel-switch announcement: no silence)
  closed    29 min: the method plans again from there, each fled radio
            without the DFS channels of its span and every other radio
            without the radar channel (the 30-minute non-occupancy period)
  reopened  30 min: the method plans again with every channel allowed
A radio that moves onto a DFS span it was not on is silent for a 60 s
channel availability check at the start of its stretch: its clients get
nothing for it. Each client's hour is the time-weighted mean of what the
judge delivers it in each stretch.

The table gives per home and method the judged aggregate and 10th-percentile
client throughput without radar and over the radar hour, and the radar
hour's aggregate against LCCS's radar hour in the same home; then the class
means. -json prints every home and stretch instead.

Flags:
`

type radarConfig struct {
	classes  []wifieval.Class
	homes    int
	seed     uint64
	parallel int
	methods  []wifieval.Method
	json     bool
	judge    wifieval.Config
}

func parseRadar(args []string, stderr io.Writer) (radarConfig, error) {
	fs := flag.NewFlagSet("wifieval radar", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, radarUsage)
		fs.PrintDefaults()
	}
	def := wifieval.DefaultConfig()
	class := fs.String("class", string(wifieval.Mixed), "house, apartment, mixed or all")
	homes := fs.Int("homes", 10, "homes per class")
	seed := fs.Uint64("seed", 1, "seed of the first home; also the planner's seed")
	parallel := fs.Int("parallel", 2, "judge runs at a time")
	judge := fs.String("judge", def.Binary, "path of the judge binary (make bin/judge)")
	methods := fs.String("methods", "planner,node,lccs", "methods to judge, comma-separated (planner and lccs always)")
	asJSON := fs.Bool("json", false, "print JSON instead of the table")
	saturated := fs.Bool("saturated", false, fmt.Sprintf("full-buffer mesh clients (-offered %g), as the channel evaluation's -saturated", float64(wifieval.SaturatedOffered)))
	if err := fs.Parse(args); err != nil {
		return radarConfig{}, err
	}
	if fs.NArg() > 0 {
		return radarConfig{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := radarConfig{homes: *homes, seed: *seed, parallel: *parallel, json: *asJSON}
	if *class == "all" {
		cfg.classes = wifieval.Classes
	} else {
		c, err := wifieval.ParseClass(*class)
		if err != nil {
			return radarConfig{}, err
		}
		cfg.classes = []wifieval.Class{c}
	}
	var err error
	if cfg.methods, err = parseMethods(*methods); err != nil {
		return radarConfig{}, err
	}
	if cfg.homes < 1 || cfg.parallel < 1 {
		return radarConfig{}, errors.New("-homes and -parallel must be at least 1")
	}
	offered := 1.0
	if *saturated {
		offered = wifieval.SaturatedOffered
	}
	cfg.judge = def
	cfg.judge.Binary, cfg.judge.Offered = *judge, offered
	return cfg, nil
}

// radarMethod is one method's plan in one home, with and without radar.
type radarMethod struct {
	// Channel is the radar's channel, 0 when the plan uses no DFS.
	Channel int `json:"radar_channel"`
	// Plain is the plan without radar; Hour the hour after the radar
	// (equal to Plain when nothing was hit).
	Plain radarFigures `json:"no_radar"`
	Hour  radarFigures `json:"radar_hour"`
	// Steps are the stretches judged, with the radios silent at each
	// one's start.
	Steps []radarStepOut `json:"steps,omitempty"`
	steps []wifieval.RadarStep
	p0    wifieval.Plan
}

type radarFigures struct {
	Aggregate float64 `json:"aggregate_mbps"`
	P10       float64 `json:"p10_mbps"`
}

type radarStepOut struct {
	Name      string  `json:"name"`
	Minutes   float64 `json:"minutes"`
	Silent    int     `json:"silent_radios"`
	Aggregate float64 `json:"aggregate_mbps"`
}

type radarHome struct {
	Class   wifieval.Class                   `json:"class"`
	Seed    uint64                           `json:"seed"`
	Methods map[wifieval.Method]*radarMethod `json:"methods"`
	h       *wifieval.Home
}

func runRadar(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseRadar(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	j, err := wifieval.New(cfg.judge)
	if err != nil {
		return err
	}
	start := time.Now()
	homes, err := radarPlans(ctx, cfg)
	if err != nil {
		return err
	}
	if err := radarJudge(ctx, cfg, j, homes, log); err != nil {
		return err
	}
	log.Info("done", "homes", len(homes), "elapsed", time.Since(start).Round(time.Second))
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"offered": cfg.judge.Offered, "homes": homes})
	}
	writeRadarTable(stdout, cfg, homes)
	return nil
}

// radarPlans plans every home and method: the plan and its radar hour.
func radarPlans(ctx context.Context, cfg radarConfig) ([]*radarHome, error) {
	var out []*radarHome
	for _, c := range cfg.classes {
		for k := range cfg.homes {
			seed := cfg.seed + uint64(k)
			h, err := wifieval.NewHome(c, seed)
			if err != nil {
				return nil, err
			}
			p := h.OfferedProblem(cfg.judge.Offered)
			rh := &radarHome{Class: c, Seed: seed, Methods: map[wifieval.Method]*radarMethod{}, h: h}
			for _, m := range cfg.methods {
				p0, err := wifieval.MakeJudgedPlan(ctx, p, m, seed)
				if err != nil {
					return nil, fmt.Errorf("%s home %d: %s: %w", c, seed, m, err)
				}
				rm := &radarMethod{p0: p0, Channel: wifieval.RadarChannel(p, p0.Assign)}
				if rm.Channel != 0 {
					if rm.steps, err = wifieval.RadarHour(ctx, p, m, seed, p0, rm.Channel); err != nil {
						return nil, fmt.Errorf("%s home %d: %s: %w", c, seed, m, err)
					}
				}
				rh.Methods[m] = rm
			}
			out = append(out, rh)
		}
	}
	return out, nil
}

// planKey identifies a plan's channels and powers, so that a home judges
// each distinct plan once.
func planKey(p wifieval.Plan) string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(p.Assign)) {
		a := p.Assign[id]
		fmt.Fprintf(&b, "%s=%d/%d@%g;", id, a.Channel, a.Width, p.TxPowerDBm[id])
	}
	return b.String()
}

// radarJudge judges every distinct plan of every home, cfg.parallel at a
// time, and fills in the figures.
func radarJudge(ctx context.Context, cfg radarConfig, j *wifieval.Judge, homes []*radarHome, log *slog.Logger) error {
	type job struct {
		home int
		key  string
		plan wifieval.Plan
	}
	var jobs []job
	results := make([]map[string][]float64, len(homes))
	for i, rh := range homes {
		results[i] = map[string][]float64{}
		seen := map[string]bool{}
		add := func(name string, p wifieval.Plan) {
			k := planKey(p)
			if !seen[k] {
				seen[k] = true
				p.Name = name
				jobs = append(jobs, job{home: i, key: k, plan: p})
			}
		}
		for _, m := range cfg.methods {
			rm := rh.Methods[m]
			add(string(m), rm.p0)
			for _, st := range rm.steps {
				add(string(m)+"-radar-"+st.Name, st.Plan)
			}
		}
	}
	var (
		mu   sync.Mutex
		done int
	)
	err := runEach(ctx, cfg.parallel, len(jobs), func(ctx context.Context, k int) error {
		jb := jobs[k]
		rh := homes[jb.home]
		res, err := j.Deliver(ctx, rh.h, jb.plan)
		if err != nil {
			return fmt.Errorf("%s home %d %s: %w", rh.Class, rh.Seed, jb.plan.Name, err)
		}
		mu.Lock()
		defer mu.Unlock()
		results[jb.home][jb.key] = res.Delivered
		done++
		log.Info("judged", "n", fmt.Sprintf("%d/%d", done, len(jobs)), "class", rh.Class, "home", rh.Seed,
			"plan", jb.plan.Name, "aggregate_mbps", round1(res.Aggregate), "wall", res.Wall.Round(100*time.Millisecond))
		return nil
	})
	if err != nil {
		return err
	}
	for i, rh := range homes {
		for _, rm := range rh.Methods {
			plain := results[i][planKey(rm.p0)]
			rm.Plain = figures(plain)
			rm.Hour = rm.Plain
			if len(rm.steps) == 0 {
				continue
			}
			var delivered [][]float64
			for _, st := range rm.steps {
				d := results[i][planKey(st.Plan)]
				delivered = append(delivered, d)
				rm.Steps = append(rm.Steps, radarStepOut{Name: st.Name, Minutes: st.Duration.Minutes(), Silent: len(st.Silent), Aggregate: round1(sum(d))})
			}
			rm.Hour = figures(wifieval.HourDelivery(rh.h, rm.steps, delivered))
		}
	}
	return nil
}

func figures(delivered []float64) radarFigures {
	return radarFigures{Aggregate: round1(sum(delivered)), P10: round1(wifieval.Quantile(delivered, 0.1))}
}

// writeRadarTable prints a line per home and method, then class means.
func writeRadarTable(w io.Writer, cfg radarConfig, homes []*radarHome) {
	fmt.Fprintf(w, "radar: one radar event on the DFS channel each plan uses most; the hour after it (offered x%g)\n\n", cfg.judge.Offered)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\thome\tmethod\tradar ch\tsilent radios\tagg no radar\tagg radar hour\tp10 no radar\tp10 radar hour\thour ÷ LCCS hour\t")
	type acc struct{ plain, hour, p10, p10h, ratio []float64 }
	means := map[wifieval.Class]map[wifieval.Method]*acc{}
	for _, rh := range homes {
		if means[rh.Class] == nil {
			means[rh.Class] = map[wifieval.Method]*acc{}
		}
		lccs := rh.Methods[wifieval.LCCS].Hour.Aggregate
		for _, m := range cfg.methods {
			rm := rh.Methods[m]
			silent := 0
			for _, s := range rm.Steps {
				silent += s.Silent
			}
			ratio := math.NaN()
			if lccs > 0 {
				ratio = rm.Hour.Aggregate / lccs
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.3f\t\n", rh.Class, rh.Seed, m, rm.Channel, silent,
				rm.Plain.Aggregate, rm.Hour.Aggregate, rm.Plain.P10, rm.Hour.P10, ratio)
			a := means[rh.Class][m]
			if a == nil {
				a = &acc{}
				means[rh.Class][m] = a
			}
			a.plain, a.hour = append(a.plain, rm.Plain.Aggregate), append(a.hour, rm.Hour.Aggregate)
			a.p10, a.p10h, a.ratio = append(a.p10, rm.Plain.P10), append(a.p10h, rm.Hour.P10), append(a.ratio, ratio)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tmethod\thomes\tagg no radar\tagg radar hour (95% CI)\thour ÷ no radar\tp10 no radar\tp10 radar hour\tmean hour ÷ LCCS hour\t")
	for _, c := range cfg.classes {
		for _, m := range cfg.methods {
			a := means[c][m]
			if a == nil {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f ± %.1f\t%.3f\t%.1f\t%.1f\t%.3f\t\n", c, m, len(a.hour), wifieval.Mean(a.plain),
				wifieval.Mean(a.hour), wifieval.CI95(a.hour), wifieval.Mean(a.hour)/wifieval.Mean(a.plain),
				wifieval.Mean(a.p10), wifieval.Mean(a.p10h), wifieval.Mean(a.ratio))
		}
	}
	tw.Flush()
}
