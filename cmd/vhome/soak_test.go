//go:build linux

package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSoakSampler samples a 2-node home five times over 12 s: every
// sample of every meshd is there, its figures are those of a live, small
// daemon, and the sampler's fd count agrees with the fault suite's.
func TestSoakSampler(t *testing.T) {
	h := startHome(t, HomeConfig{Nodes: 2, Profile: "fast"})
	cfg := soakConfig{Duration: 12 * time.Second, Every: 3 * time.Second, Sets: 3}
	var out bytes.Buffer
	t0 := time.Now()
	series, err := soakHome(t.Context(), h, cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(t0)
	t.Logf("soak output:\n%s", out.String())
	const samples = 5
	if len(series) != 2 {
		t.Fatalf("%d series, want 2", len(series))
	}
	for _, s := range series {
		if s.Err != nil || s.Samples != samples {
			t.Errorf("node %d: %d samples, want %d (%v)", s.Node, s.Samples, samples, s.Err)
		}
		if s.Comm != "meshd" {
			t.Errorf("node %d: pid %d is %q, not meshd", s.Node, s.PID, s.Comm)
		}
		for _, f := range []procFigures{s.First, s.Last, s.Max} {
			if f.RSSKiB < 1024 || f.RSSKiB > 512<<10 || f.FDs < 4 || f.FDs > 1024 || f.Threads < 2 || f.Threads > 256 {
				t.Errorf("node %d: implausible figures %+v", s.Node, f)
			}
		}
		if f := s.Last; f.AnonKiB <= 0 || f.AnonKiB >= f.RSSKiB {
			t.Errorf("node %d: anonymous memory %d KiB of %d", s.Node, f.AnonKiB, f.RSSKiB)
		}
		if s.Max.RSSKiB < s.First.RSSKiB || s.Max.RSSKiB < s.Last.RSSKiB || s.Max.FDs < s.Last.FDs || s.Max.Threads < s.Last.Threads {
			t.Errorf("node %d: max below a sample: %+v", s.Node, s)
		}
	}
	if lines := strings.Count(out.String(), "\n"); lines != 2*samples {
		t.Errorf("%d sample lines, want %d", lines, 2*samples)
	}
	if took < cfg.Duration || took > cfg.Duration+soakAgreeBound {
		t.Errorf("sampling took %v for a %v soak", took, cfg.Duration)
	}
	// Each Set of a persistent parameter writes the data model once,
	// through the atomic rename the watcher counts.
	if p := series[0].PerSets; series[0].Sets != 3 || p.Files["datamodel.json"] < 3 || p.Bytes < 3*1024 {
		t.Errorf("state writes for 3 Sets: %v", p)
	}
	t.Logf("idle state writes: node 0 %v over %v; 3 Sets: %v", series[0].Idle, series[0].IdleFor, series[0].PerSets)
	// The sampler counts what meshdFDs counts (give or take a session).
	fds := meshdFDs(t, h, []int{0, 1})
	for i, s := range series {
		if d := fds[i] - s.Last.FDs; d < -4 || d > 4 {
			t.Errorf("node %d: sampler %d fds, /proc %d", i, s.Last.FDs, fds[i])
		}
	}
	var sum bytes.Buffer
	if err := printSoakSummary(&sum, series, cfg); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", sum.String())
	if !strings.Contains(sum.String(), "verdict:") {
		t.Errorf("summary without a verdict:\n%s", sum.String())
	}
}

// TestSoakGrew: what the summary calls growth, last sample against the
// first.
func TestSoakGrew(t *testing.T) {
	fig := func(rssMiB float64, fds, threads int) procFigures {
		return procFigures{RSSKiB: int(rssMiB * 1024), FDs: fds, Threads: threads}
	}
	for _, tc := range []struct {
		name        string
		first, last procFigures
		want        []string
	}{
		{"steady", fig(14, 20, 9), fig(14, 20, 9), nil},
		{"within tolerance", fig(14, 20, 9), fig(15, 22, 11), nil},
		{"fell", fig(20, 30, 12), fig(14, 20, 9), nil},
		{"rss", fig(14, 20, 9), fig(17, 20, 9), []string{"rss +3.0 MiB (+21%)"}},
		{"rss under 1 MiB", fig(4, 20, 9), fig(4.9, 20, 9), nil},
		{"fds and threads", fig(14, 20, 9), fig(14, 23, 12), []string{"fds +3", "threads +3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s soakSeries
			s.add(tc.first)
			s.add(tc.last)
			if got := s.grew(); !slices.Equal(got, tc.want) {
				t.Errorf("grew() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSoakReadProcFigures reads this test process's own figures.
func TestSoakReadProcFigures(t *testing.T) {
	f, err := readProcFigures(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if f.RSSKiB <= 0 || f.FDs < 3 || f.Threads < 1 {
		t.Errorf("own figures %+v", f)
	}
	if _, err := readProcFigures(1 << 30); err == nil {
		t.Error("no error for a process that is not there")
	}
}
