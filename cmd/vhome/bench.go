//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// benchPoll is how often the benchmark asks the nodes; it bounds the
// resolution of every figure.
const benchPoll = 50 * time.Millisecond

// runBench measures the mesh on virtual homes of real meshd processes:
// start to all-discovered and to agreement, leader failover with both
// profiles, partition heal, idle transmitted bytes and memory per node.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vhome bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodes := fs.Int("n", 5, "nodes per home")
	runs := fs.Int("runs", 5, "runs per figure (medians are reported)")
	idle := fs.Duration("idle", 2*time.Minute, "idle period over which transmitted bytes and memory are read")
	settle := fs.Duration("settle", 90*time.Second, "wait after agreement before the idle period (DNS-SD re-query backoff)")
	meshd := fs.String("meshd", "", `meshd binary (default: "meshd" beside vhome, else on $PATH)`)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: vhome bench [flags]\n\nMeasures the mesh on virtual homes (needs root) and prints medians over -runs.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fig := map[string][]time.Duration{}
	add := func(name string, d time.Duration) { fig[name] = append(fig[name], d) }
	for _, profile := range []string{"default", "fast"} {
		for r := range *runs {
			fmt.Fprintf(stderr, "bench: %s profile, run %d/%d\n", profile, r+1, *runs)
			if err := benchRound(ctx, HomeConfig{Nodes: *nodes, MeshdPath: *meshd, Profile: profile, Logger: log}, profile, add); err != nil {
				return err
			}
		}
	}
	idleFig, err := benchIdle(ctx, HomeConfig{Nodes: *nodes, MeshdPath: *meshd, Logger: log}, *settle, *idle, stderr)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "figure (%d nodes)\tmedian\tmin\tmax\truns\ttarget\n", *nodes)
	targets := map[string]string{
		"default: start → all discovered": "-", "default: start → agreement": "≤ 3 s",
		"default: leader SIGKILL → new leader agreed": "≤ 8 s", "default: partition healed → one leader": "≤ 10 s",
		"fast: start → all discovered": "-", "fast: start → agreement": "≤ 3 s",
		"fast: leader SIGKILL → new leader agreed": "≤ 4 s", "fast: partition healed → one leader": "≤ 10 s",
	}
	var names []string
	for k := range fig {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		ds := slices.Clone(fig[k])
		slices.Sort(ds)
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%d\t%s\n", k, ds[len(ds)/2].Round(10*time.Millisecond),
			ds[0].Round(10*time.Millisecond), ds[len(ds)-1].Round(10*time.Millisecond), len(ds), targets[k])
	}
	fmt.Fprintf(tw, "default: idle tx per node (eth0 counters, %v after %v)\t%.0f B/s\t%.0f B/s\t%.0f B/s\t%d\t≤ 500 B/s\n",
		*idle, *settle, idleFig.txMedian, idleFig.txMin, idleFig.txMax, *nodes)
	if idleFig.mdnsMedian >= 0 {
		fmt.Fprintf(tw, "default: mDNS tx per node (tcpdump, same window)\t%.0f B/min\t%.0f B/min\t%.0f B/min\t%d\t-\n",
			idleFig.mdnsMedian, idleFig.mdnsMin, idleFig.mdnsMax, *nodes)
	}
	fmt.Fprintf(tw, "default: RSS per node, steady state\t%.1f MiB\t%.1f MiB\t%.1f MiB\t%d\t≤ 25 MiB\n",
		idleFig.rssMedian, idleFig.rssMin, idleFig.rssMax, *nodes)
	fmt.Fprintf(tw, "default: anonymous memory per node\t%.1f MiB\t%.1f MiB\t%.1f MiB\t%d\t≤ 12 MiB\n",
		idleFig.anonMedian, idleFig.anonMin, idleFig.anonMax, *nodes)
	return tw.Flush()
}

// benchRound runs one home: cold start, failover, partition and heal.
func benchRound(ctx context.Context, cfg HomeConfig, profile string, add func(string, time.Duration)) error {
	t0 := time.Now()
	h, err := StartHome(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	all := seq(0, cfg.Nodes)
	var discovered time.Duration
	for {
		if discovered == 0 && allDiscovered(h, all) {
			discovered = time.Since(t0)
			add(profile+": start → all discovered", discovered)
		}
		if _, _, err := agreed(h, all); err == nil && discovered != 0 {
			add(profile+": start → agreement", time.Since(t0))
			break
		}
		if err := benchWait(ctx, t0); err != nil {
			return fmt.Errorf("cold start: %w", err)
		}
	}
	leader, term, _ := agreed(h, all)
	li := indexOf(h, leader)
	t1 := time.Now()
	if err := h.Kill(li); err != nil {
		return err
	}
	rest := slices.DeleteFunc(seq(0, cfg.Nodes), func(i int) bool { return i == li })
	for {
		if l, tm, err := agreed(h, rest); err == nil && l != leader && tm > term {
			add(profile+": leader SIGKILL → new leader agreed", time.Since(t1))
			break
		}
		if err := benchWait(ctx, t1); err != nil {
			return fmt.Errorf("failover: %w", err)
		}
	}
	// Partition: the new leader with one other node against the rest.
	leader, _, _ = agreed(h, rest)
	li = indexOf(h, leader)
	sideA := []int{li, rest[(slices.Index(rest, li)+1)%len(rest)]}
	sideB := slices.DeleteFunc(slices.Clone(rest), func(i int) bool { return slices.Contains(sideA, i) })
	if err := h.Partition(sideA, sideB); err != nil {
		return err
	}
	t2 := time.Now()
	for {
		la, _, ea := agreed(h, sideA)
		lb, _, eb := agreed(h, sideB)
		if ea == nil && eb == nil && la != lb {
			break
		}
		if err := benchWait(ctx, t2); err != nil {
			return fmt.Errorf("partition: %w", err)
		}
	}
	if err := h.Heal(); err != nil {
		return err
	}
	t3 := time.Now()
	for {
		if _, _, err := agreed(h, rest); err == nil {
			add(profile+": partition healed → one leader", time.Since(t3))
			break
		}
		if err := benchWait(ctx, t3); err != nil {
			return fmt.Errorf("heal: %w", err)
		}
	}
	return h.Close()
}

// allDiscovered says whether every node lists every node.
func allDiscovered(h *Home, idx []int) bool {
	for _, i := range idx {
		v, err := readMesh(h, i)
		if err != nil || len(v.Nodes) < len(idx) {
			return false
		}
	}
	return true
}

// benchWait sleeps one poll period, failing after a minute since t0.
func benchWait(ctx context.Context, t0 time.Time) error {
	if time.Since(t0) > time.Minute {
		return errors.New("no result within a minute")
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(benchPoll):
		return nil
	}
}

type idleFigures struct {
	txMedian, txMin, txMax       float64
	mdnsMedian, mdnsMin, mdnsMax float64 // bytes per minute; -1 without tcpdump
	rssMedian, rssMin, rssMax    float64
	anonMedian, anonMin, anonMax float64
}

// benchIdle lets a home settle with the default profile, then reads each
// node's eth0 transmitted bytes over the idle period and its memory.
func benchIdle(ctx context.Context, cfg HomeConfig, settle, idle time.Duration, stderr io.Writer) (idleFigures, error) {
	var f idleFigures
	h, err := StartHome(ctx, cfg)
	if err != nil {
		return f, err
	}
	defer h.Close()
	all := seq(0, cfg.Nodes)
	t0 := time.Now()
	for {
		if _, _, err := agreed(h, all); err == nil {
			break
		}
		if err := benchWait(ctx, t0); err != nil {
			return f, fmt.Errorf("idle home: %w", err)
		}
	}
	fmt.Fprintf(stderr, "bench: idle home agreed; settling %v, then measuring %v\n", settle, idle)
	select {
	case <-ctx.Done():
		return f, ctx.Err()
	case <-time.After(settle):
	}
	before := make([]uint64, cfg.Nodes)
	for i := range all {
		if before[i], err = txBytes(ctx, h, i); err != nil {
			return f, err
		}
	}
	start := time.Now()
	mdns := make([]float64, cfg.Nodes)
	var wg sync.WaitGroup
	for i := range all {
		wg.Go(func() { mdns[i] = mdnsBytes(ctx, h, i, idle) })
	}
	wg.Wait()
	select {
	case <-ctx.Done():
		return f, ctx.Err()
	case <-time.After(time.Until(start.Add(idle))):
	}
	var tx, rss, anon []float64
	for i := range all {
		after, err := txBytes(ctx, h, i)
		if err != nil {
			return f, err
		}
		tx = append(tx, float64(after-before[i])/time.Since(start).Seconds())
		r, a, err := meshdMemory(h, i)
		if err != nil {
			return f, err
		}
		rss, anon = append(rss, r), append(anon, a)
	}
	f.txMedian, f.txMin, f.txMax = stats(tx)
	for i := range mdns {
		mdns[i] *= 60 / idle.Seconds()
	}
	f.mdnsMedian, f.mdnsMin, f.mdnsMax = stats(mdns)
	f.rssMedian, f.rssMin, f.rssMax = stats(rss)
	f.anonMedian, f.anonMin, f.anonMax = stats(anon)
	return f, h.Close()
}

func stats(v []float64) (median, lo, hi float64) {
	slices.Sort(v)
	return v[len(v)/2], v[0], v[len(v)-1]
}

// mdnsBytes counts the bytes of the mDNS frames node i sends on eth0
// during d (tcpdump's pcap records, whole frames); -1 without tcpdump.
func mdnsBytes(ctx context.Context, h *Home, i int, d time.Duration) float64 {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		return -1
	}
	ctx, cancel := context.WithTimeout(ctx, d+5*time.Second)
	defer cancel()
	out, _ := h.Exec(ctx, i, "timeout", "-s", "INT", strconv.Itoa(int(d.Seconds())), "tcpdump", "-i", "eth0", "-Q", "out",
		"-U", "-w", "-", "udp port 5353")
	return float64(pcapBytes(out))
}

// pcapBytes sums the original lengths of a pcap stream's records.
func pcapBytes(b []byte) int {
	if len(b) < 24 {
		return 0
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if binary.BigEndian.Uint32(b) == 0xa1b2c3d4 || binary.BigEndian.Uint32(b) == 0xa1b23c4d {
		order = binary.BigEndian
	}
	total := 0
	for off := 24; off+16 <= len(b); {
		incl := int(order.Uint32(b[off+8:]))
		total += int(order.Uint32(b[off+12:]))
		off += 16 + incl
	}
	return total
}

// txBytes reads node i's eth0 transmitted-bytes counter.
func txBytes(ctx context.Context, h *Home, i int) (uint64, error) {
	out, err := h.Exec(ctx, i, "cat", "/sys/class/net/eth0/statistics/tx_bytes")
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
}

// meshdMemory reads node i's meshd VmRSS and RssAnon, in MiB.
func meshdMemory(h *Home, i int) (rss, anon float64, err error) {
	m, err := h.member(i)
	if err != nil {
		return 0, 0, err
	}
	h.mu.RLock()
	p := m.proc
	h.mu.RUnlock()
	if p == nil {
		return 0, 0, fmt.Errorf("node %d not running", i)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "RssAnon:":
			anon = kb / 1024
		}
	}
	return rss, anon, nil
}
