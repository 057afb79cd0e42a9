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
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
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
throughput is its mean over the judged slices, less its outages. A slice
on which ns-3 aborts on every attempt (it does on a few scenarios) is left
out of every policy's figures, and the home's line says how many were.

The table gives per class and policy the mean over homes (95 % CI) of the
median and the 10th-percentile client throughput, roams and steering
attempts per client-hour (and the most any client got), then the ratios of
the mesh policy's 10th percentile to the others' and the homes meeting the
issue's targets, and a line per home. -policies judges only some policies
(e.g. mesh, when only the policy changed): the walks and the judge are
deterministic (same seed, same walks, noise and judge runs), so -reuse takes
the other policies' figures of the same homes from an earlier -json output,
where that output ran on the same channel plan and slices (a planner change
changes every policy's figures).
-seed K -homes 1 judges home K alone. -plan node or power judges the walks
on the plan's transmit powers too (the walk's signals, the policies'
measurements and the judge alike). -detail FILE writes, per home and
policy, every judged slice client by client (radio, signal, the strongest
usable radio, delivered Mb/s) and every steering action, as JSON.

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
	// detail, when set, is the file of the per-slice, per-client detail.
	detail string
	// policies are the policies judged; reuse, when set, is an earlier
	// -json output whose figures stand in for the policies not judged.
	policies []wifieval.SteerPolicy
	reuse    string
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
	plan := fs.String("plan", string(wifieval.Planner), "plan of every home: planner, power, node, lccs, acs, current or random")
	duration := fs.Duration("duration", wdef.Duration, "simulated walk")
	judged := fs.Int("judged", wdef.Judged, "slices judged per walk, evenly spread")
	asJSON := fs.Bool("json", false, "print JSON instead of the table")
	policies := fs.String("policies", "none,threshold,mesh", "comma-separated policies to judge")
	reuse := fs.String("reuse", "", "earlier -json output: figures of the same homes for the policies not judged")
	detail := fs.String("detail", "", "write every judged slice, client by client, and every steering action to this JSON file")
	if err := fs.Parse(args); err != nil {
		return steerConfig{}, err
	}
	if fs.NArg() > 0 {
		return steerConfig{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := steerConfig{homes: *homes, seed: *seed, parallel: *parallel, method: wifieval.Method(*plan), json: *asJSON, reuse: *reuse, detail: *detail}
	if !slices.Contains(wifieval.Methods, cfg.method) {
		return steerConfig{}, fmt.Errorf("-plan: unknown plan %q (want planner, power, node, lccs, acs, current or random)", *plan)
	}
	pols, err := parsePolicies(*policies)
	if err != nil {
		return steerConfig{}, err
	}
	cfg.policies = pols
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

// parsePolicies parses a comma-separated list of policies into report
// order, each once.
func parsePolicies(s string) ([]wifieval.SteerPolicy, error) {
	want := map[wifieval.SteerPolicy]bool{}
	for _, f := range strings.Split(s, ",") {
		p := wifieval.SteerPolicy(strings.TrimSpace(f))
		if !slices.Contains(wifieval.SteerPolicies, p) {
			return nil, fmt.Errorf("-policies: unknown policy %q (want none, threshold or mesh)", p)
		}
		want[p] = true
	}
	var out []wifieval.SteerPolicy
	for _, p := range wifieval.SteerPolicies {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// readReuse reads an earlier -json output; it returns nil for "".
func readReuse(path string) ([]steerHome, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-reuse: %w", err)
	}
	var homes []steerHome
	if err := json.Unmarshal(b, &homes); err != nil {
		return nil, fmt.Errorf("-reuse %s: %w", path, err)
	}
	return homes, nil
}

// reuseFor adds to h the policies of the same home in earlier that h
// lacks, and returns them. A home judged on another channel plan (the
// planner changed since, or another -plan), or on other slices (another
// slice dropped because the judge crashed), is not reused: its figures
// would not compare. Nor is one from output that does not name its plan.
func reuseFor(h *steerHome, earlier []steerHome) []wifieval.SteerPolicy {
	var got []wifieval.SteerPolicy
	for _, e := range earlier {
		if e.Class != h.Class || e.Seed != h.Seed || e.Plan == "" || e.Plan != h.Plan || !slices.Equal(e.Dropped, h.Dropped) {
			continue
		}
		for _, pol := range wifieval.SteerPolicies {
			if _, have := h.Policies[pol]; !have && e.Policies[pol] != nil {
				h.Policies[pol] = e.Policies[pol]
				got = append(got, pol)
			}
		}
	}
	return got
}

// steerHome is one home's figures.
type steerHome struct {
	Class    wifieval.Class                                  `json:"class"`
	Seed     uint64                                          `json:"seed"`
	Clients  int                                             `json:"clients"`
	Runs     int                                             `json:"judge_runs"`
	Policies map[wifieval.SteerPolicy]*wifieval.PolicyResult `json:"policies"`
	// Dropped are the slices left out because the judge crashed on them.
	Dropped []int `json:"dropped_slices,omitempty"`
	// Plan is the channel plan every policy ran on (planText).
	Plan string `json:"plan"`
}

// planText is a plan as "radio channel/width" items sorted by radio,
// each with "@dBm" when the plan sets powers, so that equal plans give
// equal text.
func planText(p wifieval.Plan) string {
	a := p.Assign
	items := make([]string, 0, len(a))
	for _, id := range slices.Sorted(maps.Keys(a)) {
		item := fmt.Sprintf("%s %d/%d", id, a[id].Channel, a[id].Width)
		if pw, ok := p.TxPowerDBm[id]; ok {
			item += fmt.Sprintf("@%.1f", pw)
		}
		items = append(items, item)
	}
	return strings.Join(items, ", ")
}

// steerDetail is one home's -detail output.
type steerDetail struct {
	Class    wifieval.Class                                `json:"class"`
	Seed     uint64                                        `json:"seed"`
	Plan     string                                        `json:"plan"`
	Policies map[wifieval.SteerPolicy]*wifieval.WalkDetail `json:"policies"`
}

// writeDetail writes the -detail file, atomically (a study of a long
// run may read it between homes).
func writeDetail(name string, ds []steerDetail) error {
	b, err := json.MarshalIndent(ds, "", " ")
	if err != nil {
		return fmt.Errorf("-detail: %w", err)
	}
	if err := datamodel.WriteFileAtomic(name, b, 0o644); err != nil {
		return fmt.Errorf("-detail: %w", err)
	}
	return nil
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
	earlier, err := readReuse(cfg.reuse)
	if err != nil {
		return err
	}
	start := time.Now()
	var homes []steerHome
	var details []steerDetail
	for _, c := range cfg.classes {
		for k := range cfg.homes {
			seed := cfg.seed + uint64(k)
			h, err := wifieval.NewHome(c, seed)
			if err != nil {
				return err
			}
			plan, err := wifieval.MakeJudgedPlan(ctx, h.Problem, cfg.method, seed)
			if err != nil {
				return fmt.Errorf("%s home %d: %s: %w", c, seed, cfg.method, err)
			}
			res, err := j.JudgeWalk(ctx, h, plan, cfg.walk, cfg.policies, cfg.parallel)
			if err != nil {
				return err
			}
			sh := steerHome{Class: c, Seed: seed, Clients: len(h.Clients), Runs: res.Runs, Policies: res.Policies, Dropped: res.Dropped, Plan: planText(plan)}
			if cfg.detail != "" {
				details = append(details, steerDetail{Class: c, Seed: seed, Plan: sh.Plan, Policies: res.Detail})
				// Written after every home, so that a long run can be
				// studied as it goes.
				if err := writeDetail(cfg.detail, details); err != nil {
					return err
				}
			}
			reused := reuseFor(&sh, earlier)
			homes = append(homes, sh)
			attrs := []any{"class", c, "home", seed, "clients", len(h.Clients), "runs", res.Runs, "judge", res.Wall.Round(time.Second)}
			for _, pol := range wifieval.SteerPolicies {
				if pr := sh.Policies[pol]; pr != nil {
					attrs = append(attrs, string(pol), fmt.Sprintf("p10 %.1f median %.1f attempts/h %.2f", pr.P10, pr.Median, pr.AttemptsPerClientHour))
				}
			}
			if len(reused) > 0 {
				attrs = append(attrs, "reused", fmt.Sprint(reused))
			}
			if len(res.Dropped) > 0 {
				attrs = append(attrs, "dropped_slices", fmt.Sprint(res.Dropped))
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

// writeSteerTable prints the per-class table, the ratios of the mesh
// policy's 10th percentile to the others' (when the homes have both) and
// a line per home.
func writeSteerTable(w io.Writer, cfg steerConfig, homes []steerHome) {
	wd := cfg.walk
	fmt.Fprintf(w, "wifieval steer: %d homes per class from seed %d, plan %s, %v walk, %d slices judged per walk (%v + %v simulated each), full-buffer clients\n\n",
		cfg.homes, cfg.seed, cfg.method, orDefault(wd.Duration, wifieval.DefaultWalkConfig().Duration), wd.Judged, cfg.judge.Warmup, cfg.judge.Measure)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class\tpolicy\tmedian Mbps (95% CI)\tp10 Mbps (95% CI)\troams/client-h\tattempts/client-h (max client)")
	var lines []string
	for _, c := range cfg.classes {
		var in []steerHome
		for _, h := range homes {
			if h.Class == c {
				in = append(in, h)
			}
		}
		p10 := map[wifieval.SteerPolicy][]float64{}
		for _, pol := range wifieval.SteerPolicies {
			var med, p, roams, tries []float64
			most := 0.0
			for _, h := range in {
				pr := h.Policies[pol]
				if pr == nil {
					continue
				}
				med, p = append(med, pr.Median), append(p, pr.P10)
				roams, tries = append(roams, pr.RoamsPerClientHour), append(tries, pr.AttemptsPerClientHour)
				most = math.Max(most, pr.MaxAttemptsPerClientHour)
			}
			if len(p) == 0 {
				continue
			}
			if len(p) == len(in) {
				p10[pol] = p
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%.2f (%.0f)\n", c, pol, ci(med), ci(p), wifieval.Mean(roams), wifieval.Mean(tries), most)
		}
		if l := ratioLine(c, p10); l != "" {
			lines = append(lines, l)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	for _, h := range homes {
		fmt.Fprintf(w, "%s home %d:", h.Class, h.Seed)
		for _, pol := range wifieval.SteerPolicies {
			if pr := h.Policies[pol]; pr != nil {
				fmt.Fprintf(w, " %s p10 %.1f median %.1f attempts/client-h %.2f;", pol, pr.P10, pr.Median, pr.AttemptsPerClientHour)
			}
		}
		if len(h.Dropped) > 0 {
			fmt.Fprintf(w, " %d slices dropped (the judge crashed);", len(h.Dropped))
		}
		fmt.Fprintln(w)
	}
}

// ratioLine gives class c's ratios of the mesh policy's mean 10th
// percentile to the baselines' and the homes meeting the targets, for
// the baselines every home has; "" without the mesh policy.
func ratioLine(c wifieval.Class, p10 map[wifieval.SteerPolicy][]float64) string {
	mesh, ok := p10[wifieval.MeshSteering]
	if !ok {
		return ""
	}
	var parts []string
	for _, b := range []struct {
		pol    wifieval.SteerPolicy
		target float64
	}{{wifieval.NoSteering, 1.5}, {wifieval.ThresholdSteering, 1}} {
		base, ok := p10[b.pol]
		if !ok {
			continue
		}
		met := 0
		for i := range mesh {
			if mesh[i] >= b.target*base[i] {
				met++
			}
		}
		parts = append(parts, fmt.Sprintf("p10(mesh)/p10(%s) = %.2f (target %g; met in %d of %d homes)",
			b.pol, wifieval.Mean(mesh)/wifieval.Mean(base), b.target, met, len(mesh)))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s", c, strings.Join(parts, ", "))
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
