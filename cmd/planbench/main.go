// Command planbench measures the wifiopt channel planner on generated
// homes and apartment blocks and prints one table: per size class, the
// heuristic's cost gap to a reference optimum, its improvement over the
// least-congested-channel baseline, the share of the optimum's gain over
// that baseline it captures, and its time per plan.
//
// Usage:
//
//	planbench [-homes 20] [-seed 1] [-classes 3-4,5-8,20,50,100] [-json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "planbench:", err)
		os.Exit(1)
	}
}

type config struct {
	homes      int
	seed       uint64
	classes    []class
	json       bool
	exactLimit int
	exactTime  time.Duration
	refRuns    int
	// refRestarts and refSweeps shape each long run of the reference.
	refRestarts, refSweeps int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("planbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `planbench: benchmark the wifiopt channel planner on generated homes.

For each size class it generates -homes seeded problems (houses for classes
of at most 8 APs, apartment blocks above), each AP with a 2.4 GHz and a 5 GHz
radio, and plans each with:
  heuristic        wifiopt.Solve with default options (the leader's planner)
  least-congested  every AP alone picks its least congested channel
  reference        wifiopt.Exact (branch and bound) when the class has at most
                   -exact-aps APs and it proves optimality within -exact-time;
                   otherwise the best of -ref-runs independent long heuristic
                   runs with other seeds (by default 6 runs of 4 restarts x
                   3000 sweeps: each about 7.5 times the default search of a
                   100-AP block and 4 times that of a 50-AP one) and of the
                   heuristic's own plan; the table says which ("best of N
                   runs RxS"), and that is not a proven optimum

Columns: gap = (heuristic - reference) / reference; vs LC = heuristic's cost
reduction relative to least-congested; captured = sum of (LC - heuristic) over
sum of (LC - reference); ref gain = (LC - reference) / LC; ms = heuristic wall
time per plan, mean and 95th percentile (this machine, whatever else runs).

Flags:
`)
		fs.PrintDefaults()
	}
	cfg := config{}
	var classes string
	fs.IntVar(&cfg.homes, "homes", 20, "generated problems per size class")
	fs.Uint64Var(&cfg.seed, "seed", 1, "base seed of the generated problems")
	fs.StringVar(&classes, "classes", "3-4,5-8,20,50,100", "comma-separated AP counts or ranges lo-hi")
	fs.BoolVar(&cfg.json, "json", false, "print JSON rows instead of a table")
	fs.IntVar(&cfg.exactLimit, "exact-aps", 8, "largest AP count solved exactly")
	fs.DurationVar(&cfg.exactTime, "exact-time", 10*time.Second, "time limit of one exact solve")
	fs.IntVar(&cfg.refRuns, "ref-runs", 6, "long heuristic runs making the reference above -exact-aps")
	fs.IntVar(&cfg.refRestarts, "ref-restarts", 4, "annealing runs per component in one long reference run")
	fs.IntVar(&cfg.refSweeps, "ref-sweeps", 3000, "sweeps per annealing run in one long reference run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if cfg.classes, err = parseClasses(classes); err != nil {
		return err
	}
	if cfg.homes < 1 {
		return fmt.Errorf("-homes must be at least 1")
	}
	if cfg.refRuns < 0 || cfg.refRestarts < 1 || cfg.refSweeps < 1 {
		return fmt.Errorf("-ref-runs must be at least 0, -ref-restarts and -ref-sweeps at least 1")
	}
	var rows []row
	for i, c := range cfg.classes {
		r, err := measure(ctx, cfg, c, cfg.seed+uint64(i)*100003)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	printTable(stdout, rows)
	return nil
}

// class is a range of AP counts.
type class struct{ lo, hi int }

func (c class) String() string {
	if c.lo == c.hi {
		return strconv.Itoa(c.lo)
	}
	return fmt.Sprintf("%d-%d", c.lo, c.hi)
}

func parseClasses(s string) ([]class, error) {
	var out []class
	for _, f := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(f), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 1 || b < a || b > 500 {
			return nil, fmt.Errorf("bad class %q: want N or LO-HI with 1 <= LO <= HI <= 500", f)
		}
		out = append(out, class{a, b})
	}
	return out, nil
}
