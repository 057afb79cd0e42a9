package wifieval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config sets up a Judge. The zero value needs Binary; every other field
// has a default.
type Config struct {
	// Binary is the path of the compiled ns3/judge.cc (`make bin/judge`).
	Binary string
	// Warmup is the simulated time before measuring: association (the
	// flows start between 0.2 and 0.3 s) and rate control settling.
	// Default 600 ms.
	Warmup time.Duration
	// Measure is the simulated time measured. Default 1 s.
	Measure time.Duration
	// Run is ns-3's RngRun: equal runs of equal scenarios give equal
	// results. Default 1.
	Run uint32
	// Rate is the rate control, "ideal" (the default: the best rate for
	// the SNR last reported) or "minstrel" (Minstrel-HT; see ns3/judge.cc
	// for why it is not the default).
	Rate string
	// TempDir holds the scenario files while the judge runs; "" means
	// os.TempDir().
	TempDir string
	// KeepDir, when set, is a directory (created if missing) where
	// Deliver keeps every scenario it runs, as CLASS-SEED-NAME.txt
	// (Plan.Name, "plan" when empty), so that a plan can be run again
	// by hand with `judge --scenario=FILE` and taken apart; "" keeps
	// none. A file of the same name is replaced.
	KeepDir string
	// Offered multiplies the downlink rate offered to every mesh client
	// (Client.OfferedMbps, from its radio's Load) and so what each
	// wireless backhaul carries; foreign networks' traffic is unchanged.
	// 0 or 1 is the home as measured; a large value (SaturatedOffered)
	// makes every client's traffic full-buffer, so the judge measures
	// the capacity a plan gives rather than how much of a light load it
	// carries. The planner's inputs never change with it.
	Offered float64
	// Logger gets one debug record per run; nil means none.
	Logger *slog.Logger
}

// SaturatedOffered is the Offered multiplier that saturates nearly every
// mesh client: a client's offered rate is its share of its radio's Load
// times Capacity (about half of what one station next to its AP gets),
// and Loads are about 0.05-0.55 with 1-6 clients a radio, so ten times
// that is more than most clients' links carry in the judge. It is not a
// strict full buffer: a client near its AP on a lightly loaded radio can
// still get all it is offered (in 6 homes of each class, planner and
// LCCS plans, 25 of 442 client results got 90 % or more of their
// offered rate).
const SaturatedOffered = 10

// DefaultConfig is the Config `make wifi-eval` uses, with the judge built
// at bin/judge.
func DefaultConfig() Config {
	return Config{Binary: "bin/judge", Warmup: 600 * time.Millisecond, Measure: time.Second, Run: 1, Rate: "ideal"}
}

// TestConfig is a shorter run for smoke tests.
func TestConfig(binary string) Config {
	return Config{Binary: binary, Warmup: 500 * time.Millisecond, Measure: 500 * time.Millisecond, Run: 1, Rate: "ideal"}
}

// Attempts bounds the runs of one scenario: ns-3 3.37 sometimes aborts
// on an internal assertion ("Invalid WifiPhy state"); a run that dies by
// a signal is repeated with RngRun raised by RetryRunStep.
const (
	Attempts     = 3
	RetryRunStep = 1000
)

// ErrCrashed is wrapped when every one of a scenario's Attempts runs died
// by a signal (ns-3 aborted).
var ErrCrashed = errors.New("the judge crashed on every attempt")

// ErrNoJudge is wrapped when the judge binary is missing.
var ErrNoJudge = errors.New("wifieval: judge binary missing (make bin/judge; ns-3 comes from scripts/deps.sh)")

// Judge runs plans through the ns-3 judge.
type Judge struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and that the judge binary exists.
func New(cfg Config) (*Judge, error) {
	if cfg.Binary == "" {
		return nil, fmt.Errorf("%w: no path given", ErrNoJudge)
	}
	if st, err := os.Stat(cfg.Binary); err != nil || st.IsDir() {
		return nil, fmt.Errorf("%w: %s", ErrNoJudge, cfg.Binary)
	}
	def := DefaultConfig()
	if cfg.Warmup <= 0 {
		cfg.Warmup = def.Warmup
	}
	if cfg.Measure <= 0 {
		cfg.Measure = def.Measure
	}
	if cfg.Run == 0 {
		cfg.Run = 1
	}
	if cfg.Rate == "" {
		cfg.Rate = def.Rate
	}
	if cfg.Offered == 0 {
		cfg.Offered = 1
	}
	if cfg.Offered < 0 || math.IsNaN(cfg.Offered) || math.IsInf(cfg.Offered, 0) {
		return nil, fmt.Errorf("wifieval: offered load multiplier %g: want a positive number", cfg.Offered)
	}
	if cfg.Rate != "minstrel" && cfg.Rate != "ideal" {
		return nil, fmt.Errorf("wifieval: rate control %q: want minstrel or ideal", cfg.Rate)
	}
	if cfg.KeepDir != "" {
		if err := os.MkdirAll(cfg.KeepDir, 0o755); err != nil {
			return nil, fmt.Errorf("wifieval: scenario directory: %w", err)
		}
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Judge{cfg: cfg, log: lg}, nil
}

// Result is what a plan delivered in a home.
type Result struct {
	// Delivered and Offered are Mbps per client, in Home.Clients order;
	// Offered is after Config.Offered.
	// A satellite's clients get their share of what its backhaul
	// delivered: their own delivery times min(1, backhaul delivered /
	// offered).
	Delivered, Offered []float64
	// Aggregate is the sum of Delivered; P10 its 10th percentile.
	Aggregate, P10 float64
	// Nodes and Flows count the scenario's radios and flows (foreign
	// networks no mesh node hears are left out).
	Nodes, Flows int
	// Wall is the judge's run time.
	Wall time.Duration
}

// Deliver simulates plan p in home h.
func (j *Judge) Deliver(ctx context.Context, h *Home, p Plan) (*Result, error) {
	h = h.WithOffered(j.cfg.Offered)
	sc, err := h.Scenario(p, j.cfg.Warmup, j.cfg.Measure)
	if err != nil {
		return nil, err
	}
	keepAs := ""
	if j.cfg.KeepDir != "" {
		name := p.Name
		if name == "" {
			name = "plan"
		}
		keepAs = filepath.Join(j.cfg.KeepDir, fmt.Sprintf("%s-%d-%s.txt", h.Class, h.Seed, name))
	}
	got, wall, err := j.run(ctx, sc, keepAs)
	if err != nil {
		return nil, fmt.Errorf("wifieval: %s home %d: %w", h.Class, h.Seed, err)
	}
	res := &Result{Delivered: make([]float64, len(h.Clients)), Offered: make([]float64, len(h.Clients)),
		Nodes: len(sc.Nodes), Flows: len(sc.Flows), Wall: wall}
	// The share of a satellite's traffic its backhaul carries, by node.
	carried := map[string]float64{}
	for k, f := range sc.Flows {
		if f.Kind == Backhaul {
			carried[h.Scene.Radios[f.Ref].Node] = min(1, got[k]/f.Mbps)
		}
	}
	for k, f := range sc.Flows {
		if f.Kind != ToClient {
			continue
		}
		c := h.Clients[f.Ref]
		share, ok := carried[h.Scene.Radios[c.Radio].Node]
		if !ok {
			share = 1
		}
		res.Delivered[f.Ref] = got[k] * share
	}
	for i, c := range h.Clients {
		res.Offered[i] = c.OfferedMbps
		res.Aggregate += res.Delivered[i]
	}
	res.P10 = Quantile(res.Delivered, 0.1)
	j.log.Debug("judged", "class", h.Class, "home", h.Seed, "nodes", res.Nodes, "flows", res.Flows,
		"aggregate_mbps", res.Aggregate, "wall", wall)
	return res, nil
}

// run writes sc to a file, runs the judge on it and parses its output.
// The file is keepAs, replacing it and left in place (Config.KeepDir),
// or a temporary file removed afterwards when keepAs is "".
func (j *Judge) run(ctx context.Context, sc *Scenario, keepAs string) ([]float64, time.Duration, error) {
	var f *os.File
	var err error
	if keepAs != "" {
		f, err = os.Create(keepAs)
	} else {
		f, err = os.CreateTemp(j.cfg.TempDir, "wifieval-*.txt")
	}
	if err != nil {
		return nil, 0, fmt.Errorf("scenario file: %w", err)
	}
	if keepAs == "" {
		defer os.Remove(f.Name())
	}
	if _, err := sc.WriteTo(f); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("write scenario: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, 0, fmt.Errorf("write scenario: %w", err)
	}
	var stdout, stderr bytes.Buffer
	start := time.Now()
	for attempt := 0; ; attempt++ {
		stdout.Reset()
		stderr.Reset()
		run := uint64(j.cfg.Run) + RetryRunStep*uint64(attempt)
		cmd := exec.CommandContext(ctx, j.cfg.Binary, "--scenario="+f.Name(),
			"--run="+strconv.FormatUint(run, 10), "--rate="+j.cfg.Rate,
			"--hear="+strconv.FormatFloat(HearDBm, 'g', -1, 64))
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		err = fmt.Errorf("judge %s (run %d): %w: %s", j.cfg.Binary, run, err, lastLines(stderr.String(), 3))
		var exit *exec.ExitError
		// ExitCode is -1 for a process ended by a signal.
		if !errors.As(err, &exit) || exit.ExitCode() != -1 {
			return nil, 0, err
		}
		if attempt+1 >= Attempts {
			return nil, 0, fmt.Errorf("%w (%d runs): %w", ErrCrashed, Attempts, err)
		}
		j.log.Warn("judge crashed; retrying with another run", "err", err)
	}
	wall := time.Since(start)
	got, err := ParseOutput(&stdout, len(sc.Flows))
	if err != nil {
		return nil, 0, err
	}
	return got, wall, nil
}

// Offered is the multiplier of the mesh clients' offered rates j runs
// with (Config.Offered; 1 when it was not set).
func (j *Judge) Offered() float64 { return j.cfg.Offered }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(slices.Clip(lines), " | ")
}
