package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/wifieval"
)

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-help"}, &out, &errb)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errb.String(), "Spearman") || !strings.Contains(errb.String(), "-parallel") {
		t.Fatalf("help: %v\n%s", err, errb.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-class", "castle"}, {"-homes", "0"}, {"extra"}, {"-judge", "/nonexistent/judge"}, {"-methods", "planner,oracle"}} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestMethods(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want []wifieval.Method
	}{
		{"all", wifieval.Methods},
		{"random", []wifieval.Method{wifieval.Planner, wifieval.LCCS, wifieval.Random}},
		{"lccs, planner", []wifieval.Method{wifieval.Planner, wifieval.LCCS}},
	} {
		got, err := parseMethods(c.arg)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parseMethods(%q) = %v, %v; want %v", c.arg, got, err, c.want)
		}
	}
}

// TestReport summarises made-up homes: the planner delivers more where
// it predicts more, so the rank correlation is 1.
func TestReport(t *testing.T) {
	var homes []homeResult
	for k := range 4 {
		g := float64(k)
		homes = append(homes, homeResult{Class: wifieval.House, Seed: uint64(k), Methods: map[wifieval.Method]result{
			wifieval.Planner: {Cost: 1 - 0.1*g, Aggregate: 100 + 10*g, P10: 5},
			wifieval.LCCS:    {Cost: 1, Aggregate: 100, P10: 4},
			wifieval.ACS:     {Cost: 2, Aggregate: 80, P10: 3},
			wifieval.Random:  {Cost: 3, Aggregate: 50 + g, P10: 1},
		}})
	}
	sums := summarise([]wifieval.Class{wifieval.House}, homes)
	if s := sums[0]; s.Spearman != 1 || s.Methods[wifieval.ACS].WorstVsLCCS != 0.8 || s.Methods[wifieval.Planner].Aggregate != 115 {
		t.Fatalf("summary %+v", s)
	}
	var b bytes.Buffer
	writeTable(&b, config{homes: 4, seed: 1, judge: wifieval.DefaultConfig()}, sums)
	if !strings.Contains(b.String(), "115.0 ± ") || !strings.Contains(b.String(), "over 4 homes = 1.00") {
		t.Fatalf("table:\n%s", b.String())
	}
	b.Reset()
	if err := writeJSON(&b, config{judge: wifieval.DefaultConfig()}, homes, sums); err != nil || !strings.Contains(b.String(), `"spearman_predicted_vs_delivered_gain": 1`) {
		t.Fatalf("json %v:\n%s", err, b.String())
	}
	// Judged with -methods planner,lccs: no rows for the others.
	for _, h := range homes {
		delete(h.Methods, wifieval.ACS)
		delete(h.Methods, wifieval.Random)
	}
	sums = summarise([]wifieval.Class{wifieval.House}, homes)
	b.Reset()
	writeTable(&b, config{homes: 4, seed: 1, judge: wifieval.DefaultConfig()}, sums)
	if len(sums[0].Methods) != 2 || strings.Contains(b.String(), "acs") || strings.Contains(b.String(), "random") || sums[0].Spearman != 1 {
		t.Fatalf("planner and lccs only: %+v\n%s", sums[0], b.String())
	}
}

// TestNodeVsCurrent: the node's plans are set against the current
// channels where both were judged, and the table says where the node
// delivered less.
func TestNodeVsCurrent(t *testing.T) {
	homes := []homeResult{
		{Class: wifieval.House, Seed: 1, Methods: map[wifieval.Method]result{
			wifieval.Planner: {Cost: 1, Aggregate: 100, P10: 5}, wifieval.LCCS: {Cost: 1, Aggregate: 100, P10: 5},
			wifieval.NodeMethod: {Cost: 0.8, Aggregate: 120, P10: 4}, wifieval.Current: {Cost: 1, Aggregate: 100, P10: 5}}},
		{Class: wifieval.House, Seed: 2, Methods: map[wifieval.Method]result{
			wifieval.Planner: {Cost: 1, Aggregate: 100, P10: 5}, wifieval.LCCS: {Cost: 1, Aggregate: 100, P10: 5},
			wifieval.NodeMethod: {Cost: 0.9, Aggregate: 90, P10: 6}, wifieval.Current: {Cost: 1, Aggregate: 100, P10: 5}}},
		{Class: wifieval.House, Seed: 3, Methods: map[wifieval.Method]result{
			wifieval.Planner: {Cost: 1, Aggregate: 100, P10: 5}, wifieval.LCCS: {Cost: 1, Aggregate: 100, P10: 5},
			wifieval.NodeMethod: {Cost: 1, Aggregate: 100, P10: 5}, wifieval.Current: {Cost: 1, Aggregate: 100, P10: 5}}},
		// Judged without node: not compared.
		{Class: wifieval.House, Seed: 4, Methods: map[wifieval.Method]result{
			wifieval.Planner: {Cost: 1, Aggregate: 100, P10: 5}, wifieval.LCCS: {Cost: 1, Aggregate: 100, P10: 5}}},
	}
	n := summarise([]wifieval.Class{wifieval.House}, homes)[0].Node
	if n.Homes != 3 || n.Changed != 2 || n.Below != 1 || n.WorstAggregate != 0.9 || n.WorstP10 != 0.8 {
		t.Fatalf("node vs current %+v", n)
	}
	var b bytes.Buffer
	writeTable(&b, config{homes: 4, seed: 1, judge: wifieval.DefaultConfig()}, summarise([]wifieval.Class{wifieval.House}, homes))
	if !strings.Contains(b.String(), "house: node vs current channels over 3 homes: 2 changed, 1 below; worst aggregate 0.90, worst p10 0.80") {
		t.Fatalf("table:\n%s", b.String())
	}
	if n := summarise([]wifieval.Class{wifieval.House}, homes[3:])[0].Node; n.Homes != 0 {
		t.Fatalf("no node results: %+v", n)
	}
}

// TestOfferedFlags: -offered and -saturated reach the judge's Config,
// bad values are refused, and the table and JSON say which traffic ran.
func TestOfferedFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want float64
	}{
		{nil, 1},
		{[]string{"-offered", "2.5"}, 2.5},
		{[]string{"-saturated"}, wifieval.SaturatedOffered},
	} {
		cfg, err := parse(c.args, io.Discard)
		if err != nil || cfg.judge.Offered != c.want {
			t.Errorf("%q: offered %v, %v; want %v", c.args, cfg.judge.Offered, err, c.want)
		}
	}
	if cfg, err := parse([]string{"-saturated", "-home-inputs"}, io.Discard); err != nil || !cfg.homeInputs {
		t.Errorf("-home-inputs: %+v, %v", cfg, err)
	} else {
		var b bytes.Buffer
		writeTable(&b, cfg, nil)
		if !strings.Contains(b.String(), "planned on the home's own loads") {
			t.Errorf("-home-inputs: table says\n%s", b.String())
		}
	}
	for _, args := range [][]string{{"-offered", "0"}, {"-offered", "-2"}, {"-offered", "NaN"}, {"-offered", "+Inf"}, {"-saturated", "-offered", "3"}} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	homes := []homeResult{{Class: wifieval.House, Seed: 1, Methods: map[wifieval.Method]result{
		wifieval.Planner: {Cost: 1, Aggregate: 100, P10: 5}, wifieval.LCCS: {Cost: 1, Aggregate: 100, P10: 5}}}}
	sums := summarise([]wifieval.Class{wifieval.House}, homes)
	for _, c := range []struct {
		offered   float64
		table, js string
	}{
		{0, "offered the home's load", `"offered": 1,`},
		{1, "offered the home's load", `"offered": 1,`},
		{3, "offered 3 x the home's load; planned on the loads offered\n", `"offered": 3,`},
		{wifieval.SaturatedOffered, "(saturated, full-buffer)", `"offered": 10,`},
	} {
		cfg := config{homes: 1, seed: 1, judge: wifieval.DefaultConfig()}
		cfg.judge.Offered = c.offered
		var b bytes.Buffer
		writeTable(&b, cfg, sums)
		if !strings.Contains(b.String(), c.table) {
			t.Errorf("offered %g: table does not say %q:\n%s", c.offered, c.table, b.String())
		}
		b.Reset()
		if err := writeJSON(&b, cfg, homes, sums); err != nil || !strings.Contains(b.String(), c.js) {
			t.Errorf("offered %g: JSON %v does not say %q:\n%s", c.offered, err, c.js, b.String())
		}
	}
}
