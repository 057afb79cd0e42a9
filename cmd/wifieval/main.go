// Command wifieval judges channel plans with packet-level simulation: for
// each class of generated homes it plans every home with the planner
// (wifiopt.Solve) and three baselines, runs each plan through the ns-3
// judge (package wifieval) and prints delivered throughput with 95 %
// confidence intervals, the worst home against least-congested selection,
// and how well the planner's predicted gain ranks the delivered one.
//
// Usage:
//
//	wifieval [-class all] [-homes 10] [-seed 1] [-parallel 2] [-methods all] [-judge bin/judge] [-offered 1 | -saturated] [-json]
//
// and, for client steering (issue 20's figures: no steering, a per-AP
// RSSI threshold and the mesh policy over walking clients; see
// wifieval.JudgeWalk and steer.go):
//
//	wifieval steer [-class all] [-homes 2] [-plan planner] [-duration 1h] [-judged 12] [-json]
//
// and, for what one radar event costs each method's plan over the hour
// after it (DFS; see wifieval.RadarHour and radar.go):
//
//	wifieval radar [-class mixed] [-homes 10] [-methods planner,node,lccs] [-saturated] [-json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/uspmesh/uspmesh/wifieval"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "wifieval:", err)
		os.Exit(1)
	}
}

type config struct {
	classes  []wifieval.Class
	homes    int
	seed     uint64
	parallel int
	methods  []wifieval.Method
	json     bool
	judge    wifieval.Config
	// homeInputs plans on the home's own loads whatever the judge
	// offers (-home-inputs).
	homeInputs bool
}

const usage = `wifieval: judge Wi-Fi channel plans by packet-level simulation (ns-3).

For each class it draws -homes seeded homes (seeds -seed, -seed+1, ...):
  house      gen.Home: 3-5 APs in a house, 4-16 neighbours' networks outside
  apartment  a flat of 3-5 APs in a three-storey block with 20-40 other flats' networks
  mixed      houses where 5 GHz may use 20-160 MHz with DFS and 2.4 GHz 20 or 40 MHz
Every AP has a 2.4 and a 5 GHz radio; clients are placed in the home and
join the AP they hear best (5 GHz at -70 dBm or better), and each radio's
planner Load becomes downlink traffic to its clients; foreign networks get
a station and traffic matching their Load. Each home is planned by:
  planner  wifiopt.Solve (the leader's planner, library defaults)
  power    the planner's channels with wifiopt.PlanPower's transmit powers
           (cuts of 3, 6 or 9 dB where clients keep their top rate)
  node     what the leader does (wifieval.NodePlan): the live home's switch
           and DFS costs, its 500 ms solver budget, channels applied only
           when they save 5 % of the current cost, powers planned on the
           channels in force, rounds until none changes anything
  lccs     per-AP least-congested selection, repeated until no AP changes
  acs      hostapd-style survey ACS on every AP at once, at its current width
  current  every radio left where it was (the generated home's channels)
  random   wifiopt.Random
and each plan is simulated by the judge (make bin/judge) for a warm-up and a
measured window. The table gives, per class and method, the mean aggregate
client throughput and the mean 10th-percentile client throughput with 95 %
confidence intervals, the worst home's aggregate as a ratio to LCCS's in
the same home, and the mean wifiopt cost; under it, the Spearman rank
correlation over homes between the planner's predicted gain over LCCS
(cost of LCCS's plan minus the planner's) and the delivered gain
(aggregate throughput of the planner's plan minus LCCS's). Where node and
current were both judged, a line per class says in how many homes the node
switched a radio and in how many it delivers less than the current channels.
Progress goes to stderr; -json prints every home and the summaries instead.
"wifieval steer -help" and "wifieval radar -help" explain the steering
evaluation and the cost of a radar event to plans that use DFS channels.

-offered X multiplies the traffic offered to every mesh client (and so what
each wireless backhaul carries) by X; foreign networks' traffic stays as
measured. The default, 1, judges the home's own load, which is mostly below
capacity: then most plans deliver all of it. -saturated (-offered 10) makes
nearly every client full-buffer, the usual way to compare channel plans by
the capacity they give. The table's first line and the JSON's "offered" say
which ran. Every method plans on what a node would measure in the world
judged (wifieval.Home.OfferedProblem): each mesh radio's load X times the
home's, at most all of its airtime. -home-inputs plans on the home's own
loads instead, whatever the judge offers.

Flags:
`

func parse(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("wifieval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	def := wifieval.DefaultConfig()
	class := fs.String("class", "all", "house, apartment, mixed or all")
	homes := fs.Int("homes", 10, "homes per class")
	seed := fs.Uint64("seed", 1, "seed of the first home; also the planner's and random's seed")
	parallel := fs.Int("parallel", 2, "judge runs at a time")
	judge := fs.String("judge", def.Binary, "path of the judge binary (make bin/judge)")
	warmup := fs.Duration("warmup", def.Warmup, "simulated time before measuring")
	measure := fs.Duration("measure", def.Measure, "simulated time measured")
	rate := fs.String("rate", def.Rate, "rate control: ideal or minstrel")
	run := fs.Uint("run", uint(def.Run), "ns-3 RngRun")
	methods := fs.String("methods", "all", "methods to judge, comma-separated (planner and lccs always)")
	asJSON := fs.Bool("json", false, "print JSON instead of the table")
	offered := fs.Float64("offered", 1, "multiplier of every mesh client's offered traffic (1: the home's load)")
	homeInputs := fs.Bool("home-inputs", false, "plan on the home's own loads, not the offered ones")
	keepDir := fs.String("keep-scenarios", "", "keep every judged scenario in this directory as CLASS-SEED-METHOD.txt, to run again with the judge's --scenario=FILE")
	saturated := fs.Bool("saturated", false, fmt.Sprintf("full-buffer mesh clients: -offered %g", float64(wifieval.SaturatedOffered)))
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := config{homes: *homes, seed: *seed, parallel: *parallel, json: *asJSON}
	var err error
	if *class == "all" {
		cfg.classes = wifieval.Classes
	} else {
		var c wifieval.Class
		c, err = wifieval.ParseClass(*class)
		if err != nil {
			return config{}, err
		}
		cfg.classes = []wifieval.Class{c}
	}
	cfg.methods, err = parseMethods(*methods)
	if err != nil {
		return config{}, err
	}
	if cfg.homes < 1 || cfg.parallel < 1 {
		return config{}, errors.New("-homes and -parallel must be at least 1")
	}
	if *saturated {
		if *offered != 1 {
			return config{}, errors.New("-saturated and -offered are exclusive")
		}
		*offered = wifieval.SaturatedOffered
	}
	if !(*offered > 0) || math.IsInf(*offered, 0) {
		return config{}, fmt.Errorf("-offered %g: want a positive multiplier", *offered)
	}
	cfg.homeInputs = *homeInputs
	cfg.judge = wifieval.Config{Binary: *judge, Warmup: *warmup, Measure: *measure, Rate: *rate, Run: uint32(*run), Offered: *offered, KeepDir: *keepDir}
	return cfg, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "steer" {
		return runSteer(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "radar" {
		return runRadar(ctx, args[1:], stdout, stderr)
	}
	cfg, err := parse(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	j, err := wifieval.New(cfg.judge)
	if err != nil {
		return err
	}
	start := time.Now()
	homes, err := evaluate(ctx, cfg, j, log)
	if err != nil {
		return err
	}
	log.Info("done", "homes", len(homes), "elapsed", time.Since(start).Round(time.Second))
	sums := summarise(cfg.classes, homes)
	if cfg.json {
		return writeJSON(stdout, cfg, homes, sums)
	}
	writeTable(stdout, cfg, sums)
	return nil
}

// parseMethods reads -methods: "all" or a comma-separated list of
// wifieval.Methods. The planner and LCCS, which the summaries compare,
// are always judged; the result is in wifieval.Methods order.
func parseMethods(v string) ([]wifieval.Method, error) {
	if v == "all" {
		return wifieval.Methods, nil
	}
	want := map[wifieval.Method]bool{wifieval.Planner: true, wifieval.LCCS: true}
	for _, f := range strings.Split(v, ",") {
		m := wifieval.Method(strings.TrimSpace(f))
		if !slices.Contains(wifieval.Methods, m) {
			return nil, fmt.Errorf("-methods: unknown method %q (want %v)", m, wifieval.Methods)
		}
		want[m] = true
	}
	var out []wifieval.Method
	for _, m := range wifieval.Methods {
		if want[m] {
			out = append(out, m)
		}
	}
	return out, nil
}
