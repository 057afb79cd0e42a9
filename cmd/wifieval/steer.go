package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"text/tabwriter"
	"time"

	"github.com/uspmesh/uspmesh/wifieval"
)

const steerUsage = `wifieval steer: judge client steering by packet-level simulation (ns-3).

For each class it draws -homes seeded homes (as the channel evaluation does)
and plans each with -plan (the same plan for every policy). The home's
clients become walkers (wifieval.Home.Walkers): two thirds walk from room to
room at about 1 m/s with pauses of 30 s to 5 min, three quarters are
dual-band, two thirds of those support 802.11k/v (and accept a BSS
transition request with probability 0.8), half are sticky (roam on their own
below -80 dBm, the others below -70 dBm). Three policies run over the same
walks and measurement noise, a round every 5 s:
  none       clients roam only on their own
  threshold  per-AP RSSI threshold: an AP steers (BTM) or kicks (legacy) a
             client it hears below -75 dBm to the strongest other AP of
             the band, at most every 3 min per client
  mesh       steer.Decide with the leader's measurements (default config)
Each roam costs an outage: 0.3 s after a BTM request, 1 s when the client
roams on its own, 3 s after a refusal. The walk (-duration) is cut into 15 s
slices; -judged of them, evenly spread, are simulated by the judge with the
clients' positions frozen and associated as each policy left them, every
client offered twice its radio's capacity (full buffer). A client's
throughput is its mean over the judged slices, less its outages.

The table gives per class and policy the mean over homes (95 % CI) of the
median and the 10th-percentile client throughput, roams and steering
attempts per client-hour (and the most any client got), then the ratios of
the mesh policy's 10th percentile to the others' and the homes meeting the
issue's targets.

Flags:
`

type steerConfig struct {
	classes  []wifieval.Class
	homes    int
	seed     uint64
	parallel int
	method   wifieval.Method
	walk     wifieval.WalkConfig
	judge    wifieval.Config
	json     bool
}

func parseSteer(args []string, stderr io.Writer) (steerConfig, error) {
	fs := flag.NewFlagSet("wifieval steer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, steerUsage)
		fs.PrintDefaults()
	}
	def, wdef := wifieval.TestConfig(wifieval.DefaultConfig().Binary), wifieval.DefaultWalkConfig()
	class := fs.String("class", "all", "house, apartment, mixed or all")
	homes := fs.Int("homes", 2, "homes per class")
	seed := fs.Uint64("seed", 1, "seed of the first home")
	parallel := fs.Int("parallel", 2, "judge runs at a time")
	judge := fs.String("judge", def.Binary, "path of the judge binary (make bin/judge)")
	warmup := fs.Duration("warmup", def.Warmup, "simulated time before measuring, per slice")
	measure := fs.Duration("measure", def.Measure, "simulated time measured, per slice")
	plan := fs.String("plan", string(wifieval.Planner), "channel plan of every home: planner, lccs, acs or random")
	duration := fs.Duration("duration", wdef.Duration, "simulated walk")
	judged := fs.Int("judged", wdef.Judged, "slices judged per walk, evenly spread")
	asJSON := fs.Bool("json", false, "print JSON instead of the table")
	if err := fs.Parse(args); err != nil {
		return steerConfig{}, err
	}
	if fs.NArg() > 0 {
		return steerConfig{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := steerConfig{homes: *homes, seed: *seed, parallel: *parallel, method: wifieval.Method(*plan), json: *asJSON}
	if *class == "all" {
		cfg.classes = wifieval.Classes
	} else {
		c, err := wifieval.ParseClass(*class)
		if err != nil {
			return steerConfig{}, err
		}
		cfg.classes = []wifieval.Class{c}
	}
	if cfg.homes < 1 || cfg.parallel < 1 || *judged < 1 {
		return steerConfig{}, errors.New("-homes, -parallel and -judged must be at least 1")
	}
	cfg.walk = wifieval.WalkConfig{Duration: *duration, Judged: *judged}
	cfg.judge = wifieval.Config{Binary: *judge, Warmup: *warmup, Measure: *measure, Run: 1, Rate: def.Rate, Offered: 1}
	return cfg, nil
}

// steerHome is one home's figures.
type steerHome struct {
	Class    wifieval.Class                                  `json:"class"`
	Seed     uint64                                          `json:"seed"`
	Clients  int                                             `json:"clients"`
	Runs     int                                             `json:"judge_runs"`
	Policies map[wifieval.SteerPolicy]*wifieval.PolicyResult `json:"policies"`
}

func runSteer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseSteer(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	j, err := wifieval.New(cfg.judge)
	if err != nil {
		return err
	}
	start := time.Now()
	var homes []steerHome
	for _, c := range cfg.classes {
		for k := range cfg.homes {
			seed := cfg.seed + uint64(k)
			h, err := wifieval.NewHome(c, seed)
			if err != nil {
				return err
			}
			a, err := wifieval.MakePlan(ctx, h.Problem, cfg.method, seed)
			if err != nil {
				return fmt.Errorf("%s home %d: %s: %w", c, seed, cfg.method, err)
			}
			res, err := j.JudgeWalk(ctx, h, wifieval.Plan{Assign: a}, cfg.walk, wifieval.SteerPolicies, cfg.parallel)
			if err != nil {
				return err
			}
			homes = append(homes, steerHome{Class: c, Seed: seed, Clients: len(h.Clients), Runs: res.Runs, Policies: res.Policies})
			attrs := []any{"class", c, "home", seed, "clients", len(h.Clients), "runs", res.Runs, "judge", res.Wall.Round(time.Second)}
			for _, pol := range wifieval.SteerPolicies {
				pr := res.Policies[pol]
				attrs = append(attrs, string(pol), fmt.Sprintf("p10 %.1f median %.1f attempts/h %.2f", pr.P10, pr.Median, pr.AttemptsPerClientHour))
			}
			log.Info("judged", attrs...)
		}
	}
	log.Info("done", "homes", len(homes), "elapsed", time.Since(start).Round(time.Second))
	if cfg.json {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		return e.Encode(homes)
	}
	writeSteerTable(stdout, cfg, homes)
	return nil
}

// writeSteerTable prints the per-class table.
func writeSteerTable(w io.Writer, cfg steerConfig, homes []steerHome) {
	wd := cfg.walk
	fmt.Fprintf(w, "wifieval steer: %d homes per class from seed %d, plan %s, %v walk, %d slices judged per walk (%v + %v simulated each), full-buffer clients\n\n",
		cfg.homes, cfg.seed, cfg.method, orDefault(wd.Duration, wifieval.DefaultWalkConfig().Duration), wd.Judged, cfg.judge.Warmup, cfg.judge.Measure)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class\tpolicy\tmedian Mbps (95% CI)\tp10 Mbps (95% CI)\troams/client-h\tattempts/client-h (max client)")
	type ratio struct{ none, thr float64 }
	ratios := map[wifieval.Class]ratio{}
	met := map[wifieval.Class][3]int{}
	for _, c := range cfg.classes {
		p10 := map[wifieval.SteerPolicy][]float64{}
		for _, pol := range wifieval.SteerPolicies {
			var med, p, roams, tries []float64
			most := 0.0
			for _, h := range homes {
				if h.Class != c {
					continue
				}
				pr := h.Policies[pol]
				med, p = append(med, pr.Median), append(p, pr.P10)
				roams, tries = append(roams, pr.RoamsPerClientHour), append(tries, pr.AttemptsPerClientHour)
				most = math.Max(most, pr.MaxAttemptsPerClientHour)
			}
			p10[pol] = p
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%.2f (%.0f)\n", c, pol, ci(med), ci(p), wifieval.Mean(roams), wifieval.Mean(tries), most)
		}
		m := wifieval.Mean(p10[wifieval.MeshSteering])
		ratios[c] = ratio{m / wifieval.Mean(p10[wifieval.NoSteering]), m / wifieval.Mean(p10[wifieval.ThresholdSteering])}
		var n [3]int
		for i := range p10[wifieval.MeshSteering] {
			n[2]++
			if p10[wifieval.MeshSteering][i] >= 1.5*p10[wifieval.NoSteering][i] {
				n[0]++
			}
			if p10[wifieval.MeshSteering][i] >= p10[wifieval.ThresholdSteering][i] {
				n[1]++
			}
		}
		met[c] = n
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, c := range cfg.classes {
		r, n := ratios[c], met[c]
		fmt.Fprintf(w, "%s: p10(mesh)/p10(none) = %.2f (target 1.5; met in %d of %d homes), p10(mesh)/p10(threshold) = %.2f (target 1; met in %d of %d homes)\n",
			c, r.none, n[0], n[2], r.thr, n[1], n[2])
	}
}

func ci(xs []float64) string {
	h := wifieval.CI95(xs)
	if math.IsNaN(h) {
		return fmt.Sprintf("%.1f", wifieval.Mean(xs))
	}
	return fmt.Sprintf("%.1f ± %.1f", wifieval.Mean(xs), h)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
