package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifieval"
	"github.com/uspmesh/uspmesh/wifiopt"
)

func TestSteerHelpAndBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"steer", "-help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) ||
		!strings.Contains(errb.String(), "threshold") || !strings.Contains(errb.String(), "-judged") {
		t.Fatalf("help: %v\n%s", err, errb.String())
	}
	for _, args := range [][]string{{"-class", "castle"}, {"-homes", "0"}, {"-judged", "0"}, {"-plan", "best"}, {"extra"}, {"-judge", "/nonexistent/judge"}} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), append([]string{"steer"}, args...), &out, &errb); err == nil {
			t.Errorf("steer %q: no error", args)
		}
	}
	cfg, err := parseSteer([]string{"-class", "house", "-duration", "10m", "-judged", "4", "-plan", "node", "-detail", "d.json"}, &errb)
	if err != nil || len(cfg.classes) != 1 || cfg.walk.Duration != 10*time.Minute || cfg.walk.Judged != 4 || cfg.judge.Offered != 1 ||
		cfg.method != wifieval.NodeMethod || cfg.detail != "d.json" {
		t.Fatalf("parse: %v, %+v", err, cfg)
	}
}

// TestSteerTable: the ratios and the homes meeting the targets are
// computed from the homes' 10th percentiles.
func TestSteerTable(t *testing.T) {
	home := func(seed uint64, none, thr, mesh float64) steerHome {
		return steerHome{Class: wifieval.House, Seed: seed, Policies: map[wifieval.SteerPolicy]*wifieval.PolicyResult{
			wifieval.NoSteering:        {P10: none, Median: 2 * none},
			wifieval.ThresholdSteering: {P10: thr, Median: 2 * thr, AttemptsPerClientHour: 6, MaxAttemptsPerClientHour: 20},
			wifieval.MeshSteering:      {P10: mesh, Median: 2 * mesh, AttemptsPerClientHour: 2, MaxAttemptsPerClientHour: 4},
		}}
	}
	cfg := steerConfig{classes: []wifieval.Class{wifieval.House}, homes: 2, method: wifieval.Planner, walk: wifieval.WalkConfig{Judged: 12}}
	var out bytes.Buffer
	writeSteerTable(&out, cfg, []steerHome{home(1, 10, 20, 30), home(2, 30, 20, 30)})
	for _, want := range []string{
		"p10(mesh)/p10(none) = 1.50 (target 1.5; met in 1 of 2 homes)",
		"p10(mesh)/p10(threshold) = 1.50 (target 1; met in 2 of 2 homes)",
		"2.00 (4)", "6.00 (20)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestReuseSameSlices: -reuse takes an earlier run's policies of the same
// home only when both ran on the same channel plan and left out the same
// slices (a judge crash drops a slice from every policy of its run), and
// the table names the drops. Mixed home 1's none and threshold figures
// were once reused from a run on an older plan: threshold was 30.4 Mb/s
// there and 68.0 on the plan the mesh policy had run on.
func TestReuseSameSlices(t *testing.T) {
	a := map[string]wifiopt.Assignment{"ap01-5g": {Channel: 36, Width: 80}, "ap00-5g": {Channel: 149, Width: 80}}
	plan := planText(wifieval.Plan{Assign: a})
	if plan != "ap00-5g 149/80, ap01-5g 36/80" {
		t.Errorf("planText %q", plan)
	}
	// A plan with powers is another plan: the same channels at other
	// powers do not compare.
	if got := planText(wifieval.Plan{Assign: a, TxPowerDBm: map[string]float64{"ap00-5g": 17, "ap01-5g": 23}}); got != "ap00-5g 149/80@17.0, ap01-5g 36/80@23.0" {
		t.Errorf("planText with powers %q", got)
	}
	mesh := map[wifieval.SteerPolicy]*wifieval.PolicyResult{wifieval.MeshSteering: {P10: 3}}
	earlier := []steerHome{{Class: wifieval.House, Seed: 1, Plan: plan, Policies: map[wifieval.SteerPolicy]*wifieval.PolicyResult{
		wifieval.NoSteering: {P10: 1}, wifieval.ThresholdSteering: {P10: 2}}}}
	h := steerHome{Class: wifieval.House, Seed: 1, Plan: plan, Policies: maps.Clone(mesh), Dropped: []int{90}}
	if got := reuseFor(&h, earlier); len(got) != 0 || len(h.Policies) != 1 {
		t.Errorf("reused %v from a run that judged slice 90; policies %v", got, h.Policies)
	}
	h.Dropped = nil
	for _, other := range []string{"ap00-5g 149/80, ap01-5g 40/80", ""} {
		h.Plan = other
		if got := reuseFor(&h, earlier); len(got) != 0 || len(h.Policies) != 1 {
			t.Errorf("reused %v from a run on plan %q, this one on %q", got, plan, other)
		}
	}
	h.Plan = plan
	if got := reuseFor(&h, earlier); len(got) != 2 || len(h.Policies) != 3 {
		t.Errorf("reused %v from a run on the same slices, want none and threshold", got)
	}
	h.Dropped = []int{90}
	var out bytes.Buffer
	writeSteerTable(&out, steerConfig{classes: []wifieval.Class{wifieval.House}, homes: 1, method: wifieval.Planner}, []steerHome{h})
	if !strings.Contains(out.String(), "1 slices dropped (the judge crashed)") {
		t.Errorf("table does not name the dropped slice:\n%s", out.String())
	}
}
