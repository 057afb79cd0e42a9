//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// The soak: an idle home watched for growth. Every period it samples,
// for each node's meshd, the resident memory, open file descriptors and
// threads from /proc, and at the end says, per node, the first, last and
// largest figure and whether any grew beyond its tolerance.

// soakAgreeBound bounds the wait for the home's first agreement on a
// leader, before the first sample.
const soakAgreeBound = time.Minute

// Growth tolerances, last sample against the first: what an idle meshd's
// garbage collector and transient sessions move without a leak.
const (
	soakRSSTolerancePct = 10      // percent of the first RSS ...
	soakRSSToleranceKiB = 1 << 10 // ... and at least 1 MiB
	soakFDTolerance     = 2
	soakThreadTolerance = 2
)

// procFigures is what the soak samples of one process.
type procFigures struct {
	// RSSKiB is VmRSS of /proc/PID/status, in KiB; AnonKiB its
	// anonymous part (RssAnon: heap and stacks, not the binary's pages).
	RSSKiB, AnonKiB int
	// FDs is the number of entries of /proc/PID/fd.
	FDs int
	// Threads is Threads of /proc/PID/status.
	Threads int
}

// readProcFigures reads the figures of process pid from /proc.
func readProcFigures(pid int) (procFigures, error) {
	var f procFigures
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return f, fmt.Errorf("vhome: pid %d: %w", pid, err)
	}
	seen := 0
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			f.RSSKiB, err = strconv.Atoi(fields[0])
			seen++
		case "Threads":
			f.Threads, err = strconv.Atoi(fields[0])
			seen++
		case "RssAnon":
			f.AnonKiB, err = strconv.Atoi(fields[0])
		}
		if err != nil {
			return f, fmt.Errorf("vhome: pid %d: status %s: %w", pid, k, err)
		}
	}
	if seen != 2 {
		return f, fmt.Errorf("vhome: pid %d: no VmRSS or Threads in its status (a zombie?)", pid)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return f, fmt.Errorf("vhome: pid %d: %w", pid, err)
	}
	f.FDs = len(fds)
	return f, nil
}

// meshdPID returns the PID of node i's running meshd (ip netns exec
// execs it in place: the harness's child is meshd itself).
func (h *Home) meshdPID(i int) (int, error) {
	m, err := h.member(i)
	if err != nil {
		return 0, err
	}
	h.mu.RLock()
	p := m.proc
	h.mu.RUnlock()
	if p == nil || !p.running() {
		return 0, fmt.Errorf("vhome: node %d: meshd not running", i)
	}
	return p.cmd.Process.Pid, nil
}

// soakConfig configures soakHome.
type soakConfig struct {
	// Duration is how long the home is sampled, from the first sample to
	// the last.
	Duration time.Duration
	// Every is the sampling period.
	Every time.Duration
	// Sets, after the sampling, is how many Sets of a persistent
	// parameter to send node 0, to count its state writes per Set.
	Sets int
}

// soakSeries is what the soak saw of one node.
type soakSeries struct {
	Node    int
	PID     int
	Comm    string // /proc/PID/comm at the first sample
	Samples int
	First   procFigures
	Last    procFigures
	Max     procFigures
	// Err, when set, is why sampling the node stopped (its meshd exited).
	Err error
	// Idle is what meshd wrote into the state dir while sampled, over
	// IdleFor; PerSets what it wrote for Sets Sets (node 0).
	Idle    writeCount
	IdleFor time.Duration
	PerSets writeCount
	Sets    int
}

// add records one sample.
func (s *soakSeries) add(f procFigures) {
	if s.Samples == 0 {
		s.First = f
	}
	s.Last = f
	s.Max = procFigures{RSSKiB: max(s.Max.RSSKiB, f.RSSKiB), AnonKiB: max(s.Max.AnonKiB, f.AnonKiB),
		FDs: max(s.Max.FDs, f.FDs), Threads: max(s.Max.Threads, f.Threads)}
	s.Samples++
}

// grew lists what grew beyond its tolerance, last sample against the
// first ("rss +2.1 MiB (+15%)", "fds +5", ...); empty when nothing did.
func (s *soakSeries) grew() []string {
	var out []string
	if d := s.Last.RSSKiB - s.First.RSSKiB; d > max(soakRSSToleranceKiB, s.First.RSSKiB*soakRSSTolerancePct/100) {
		out = append(out, fmt.Sprintf("rss +%.1f MiB (+%d%%)", float64(d)/1024, d*100/max(s.First.RSSKiB, 1)))
	}
	if d := s.Last.FDs - s.First.FDs; d > soakFDTolerance {
		out = append(out, fmt.Sprintf("fds +%d", d))
	}
	if d := s.Last.Threads - s.First.Threads; d > soakThreadTolerance {
		out = append(out, fmt.Sprintf("threads +%d", d))
	}
	return out
}

// soakHome waits (bounded) until the home's nodes agree on a leader,
// then samples every node's meshd at once and then every cfg.Every,
// cfg.Duration/cfg.Every + 1 times in all, printing one line per node and sample to out.
// It returns the series so far when ctx ends; a node whose meshd exits
// keeps its figures and gets Err.
func soakHome(ctx context.Context, h *Home, cfg soakConfig, out io.Writer) ([]*soakSeries, error) {
	if cfg.Every <= 0 || cfg.Duration < 0 {
		return nil, fmt.Errorf("vhome soak: every %v, duration %v: want every > 0, duration ≥ 0", cfg.Every, cfg.Duration)
	}
	all := seq(0, len(h.Nodes()))
	if _, _, err := awaitAgreed(ctx, h, all, soakAgreeBound); err != nil {
		return nil, fmt.Errorf("vhome soak: %w", err)
	}
	series := make([]*soakSeries, len(all))
	for i := range all {
		series[i] = &soakSeries{Node: i}
	}
	dirs := map[int]string{}
	for i, n := range h.Nodes() {
		dirs[i] = n.StateDir
	}
	writes, err := watchStateDirs(dirs)
	if err != nil {
		return nil, err
	}
	defer writes.Close()
	samples := int(cfg.Duration/cfg.Every) + 1
	start := time.Now()
	idleTaken := false
	takeIdle := func() { // once: at the end of sampling, or on an early return
		if idleTaken {
			return
		}
		idleTaken = true
		idle := writes.take()
		for _, s := range series {
			s.Idle, s.IdleFor = idle[s.Node], time.Since(start)
		}
	}
	defer takeIdle()
	tick := time.NewTicker(cfg.Every)
	defer tick.Stop()
	for k := range samples {
		if k > 0 {
			select {
			case <-ctx.Done():
				return series, ctx.Err()
			case <-tick.C:
			}
		}
		elapsed := time.Since(start)
		for _, s := range series {
			sampleNode(h, s, elapsed, out)
		}
	}
	takeIdle()
	if cfg.Sets > 0 {
		if err := setNames(ctx, h, 0, cfg.Sets); err != nil {
			return series, err
		}
		series[0].PerSets, series[0].Sets = writes.take()[0], cfg.Sets
	}
	return series, nil
}

// setNames sends node i n Sets of its FriendlyName (a persistent
// parameter), each a different value, one after the other.
func setNames(ctx context.Context, h *Home, i, n int) error {
	node, err := h.Node(i)
	if err != nil {
		return err
	}
	c, err := h.Client(ctx)
	if err != nil {
		return err
	}
	for k := range n {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.Set(sctx, node.AgentID, false, &uspmsg.Set_UpdateObject{ObjPath: "Device.DeviceInfo.",
			ParamSettings: []*uspmsg.Set_UpdateParamSetting{{Param: "FriendlyName", Value: fmt.Sprintf("soak-%d", k), Required: true}}})
		cancel()
		if err != nil {
			return fmt.Errorf("vhome soak: Set %d on node %d: %w", k, i, err)
		}
	}
	return nil
}

// sampleNode takes one sample of s's node and prints it.
func sampleNode(h *Home, s *soakSeries, elapsed time.Duration, out io.Writer) {
	if s.Err != nil {
		return
	}
	pid, err := h.meshdPID(s.Node)
	if err == nil && s.PID != 0 && pid != s.PID {
		err = fmt.Errorf("vhome: node %d: meshd restarted (pid %d, was %d)", s.Node, pid, s.PID)
	}
	var f procFigures
	if err == nil {
		f, err = readProcFigures(pid)
	}
	if err != nil {
		s.Err = fmt.Errorf("at +%v: %w", elapsed.Round(time.Second), err)
		fmt.Fprintf(out, "+%-7v node %d  %v\n", elapsed.Round(time.Second), s.Node, err)
		return
	}
	if s.PID == 0 {
		s.PID = pid
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		s.Comm = strings.TrimSpace(string(comm))
	}
	s.add(f)
	fmt.Fprintf(out, "+%-7v node %d  pid %-7d rss %6.1f MiB (anon %5.1f)  fds %4d  threads %3d\n",
		elapsed.Round(time.Second), s.Node, pid, float64(f.RSSKiB)/1024, float64(f.AnonKiB)/1024, f.FDs, f.Threads)
}

// printSoakSummary writes first, last and largest figure per node and
// what grew.
func printSoakSummary(w io.Writer, series []*soakSeries, cfg soakConfig) error {
	fmt.Fprintf(w, "\nsoak summary: %d meshd, sampled every %v over %v; rss in MiB, first/last/max\n", len(series), cfg.Every, cfg.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tpid\tsamples\trss\tanon\tfds\tthreads\tgrew")
	mib := func(kib int) string { return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) }
	var grown []string
	for _, s := range series {
		g := s.grew()
		verdict := "no"
		if len(g) > 0 {
			verdict = "YES: " + strings.Join(g, ", ")
			grown = append(grown, fmt.Sprintf("node %d %s", s.Node, strings.Join(g, ", ")))
		}
		if s.Err != nil {
			verdict += "; stopped " + s.Err.Error()
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s/%s/%s\t%s/%s/%s\t%d/%d/%d\t%d/%d/%d\t%s\n", s.Node, s.PID, s.Samples,
			mib(s.First.RSSKiB), mib(s.Last.RSSKiB), mib(s.Max.RSSKiB), mib(s.First.AnonKiB), mib(s.Last.AnonKiB), mib(s.Max.AnonKiB),
			s.First.FDs, s.Last.FDs, s.Max.FDs,
			s.First.Threads, s.Last.Threads, s.Max.Threads, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "state dir writes (what the flash sees):")
	for _, s := range series {
		perHour := 0.0
		if s.IdleFor > 0 {
			perHour = float64(s.Idle.Bytes) / s.IdleFor.Hours() / 1024
		}
		fmt.Fprintf(w, "  node %d idle over %v: %v = %.1f KiB/h\n", s.Node, s.IdleFor.Round(time.Second), s.Idle, perHour)
		if s.Sets > 0 {
			fmt.Fprintf(w, "  node %d for %d Sets of FriendlyName: %v = %.2f writes, %.0f bytes per Set\n", s.Node, s.Sets, s.PerSets,
				float64(s.PerSets.Writes)/float64(s.Sets), float64(s.PerSets.Bytes)/float64(s.Sets))
		}
	}
	tol := fmt.Sprintf("tolerances, last against first: rss +%d%% and at least %d MiB, fds +%d, threads +%d",
		soakRSSTolerancePct, soakRSSToleranceKiB/1024, soakFDTolerance, soakThreadTolerance)
	if len(grown) == 0 {
		_, err := fmt.Fprintf(w, "verdict: nothing grew (%s)\n", tol)
		return err
	}
	_, err := fmt.Fprintf(w, "verdict: grew: %s (%s)\n", strings.Join(grown, "; "), tol)
	return err
}

const soakUsage = `Usage: vhome soak [flags]

Starts an idle home of -n nodes (needs root), waits until they agree on a
leader, then samples every meshd's resident memory (VmRSS), open file
descriptors and threads from /proc every -every for -duration, one line
per node and sample, and ends with a summary: first, last and largest
figure per node and whether any grew beyond its tolerance, and what
each meshd wrote into its state dir (the writes an AP's flash takes:
files and bytes, per hour; with -sets, per Set as well). It exits 1
when a meshd exited. Ctrl-C stops early, with the summary so far.

Flags:
`

// runSoak is the soak command.
func runSoak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vhome soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodes := fs.Int("n", 5, "number of nodes (access points)")
	duration := fs.Duration("duration", 10*time.Minute, "how long to sample, first sample to last")
	every := fs.Duration("every", 30*time.Second, "sampling period")
	profile := fs.String("profile", "default", "meshd's mesh timing profile: default or fast")
	meshd := fs.String("meshd", "", `meshd binary (default: "meshd" beside vhome, else on $PATH)`)
	keep := fs.Bool("keep", false, "keep the run directory (state dirs, logs) after exit")
	sets := fs.Int("sets", 0, "after sampling, send node 0 this many Sets of a persistent parameter and count its state writes per Set")
	fs.Usage = func() {
		fmt.Fprint(stderr, soakUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("vhome soak: unexpected argument %q", fs.Arg(0))
	}
	cfg := soakConfig{Duration: *duration, Every: *every, Sets: *sets}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := StartHome(ctx, HomeConfig{Nodes: *nodes, MeshdPath: *meshd, Profile: *profile, Keep: *keep, Logger: log})
	if err != nil {
		return err
	}
	defer h.Close()
	fmt.Fprintf(stdout, "vhome soak: home %s of %d nodes (profile %s), run dir %s; sampling every %v for %v once they agree\n",
		h.Prefix(), *nodes, *profile, h.RunDir(), cfg.Every, cfg.Duration)
	series, soakErr := soakHome(ctx, h, cfg, stdout)
	if series != nil {
		if err := printSoakSummary(stdout, series, cfg); err != nil {
			return err
		}
	}
	var exited []error
	for _, s := range series {
		if s.Err != nil {
			exited = append(exited, fmt.Errorf("node %d: %w", s.Node, s.Err))
		}
	}
	return errors.Join(soakErr, errors.Join(exited...), h.Close())
}
