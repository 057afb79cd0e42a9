package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/wifieval"
)

func TestRadarHelpAndBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"radar", "-help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) ||
		!strings.Contains(errb.String(), "non-occupancy") || !strings.Contains(errb.String(), "-methods") {
		t.Fatalf("help: %v\n%s", err, errb.String())
	}
	for _, args := range [][]string{{"-class", "castle"}, {"-homes", "0"}, {"-parallel", "0"}, {"extra"}, {"-methods", "oracle"}, {"-judge", "/nonexistent/judge"}} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), append([]string{"radar"}, args...), &out, &errb); err == nil {
			t.Errorf("radar %q: no error", args)
		}
	}
	cfg, err := parseRadar([]string{"-saturated", "-methods", "node"}, &errb)
	if err != nil || len(cfg.classes) != 1 || cfg.classes[0] != wifieval.Mixed || cfg.judge.Offered != wifieval.SaturatedOffered ||
		len(cfg.methods) != 3 {
		t.Fatalf("parse: %v, %+v", err, cfg)
	}
}

// TestRadarTable: each home's radar hour against LCCS's radar hour in
// the same home, and the class means.
func TestRadarTable(t *testing.T) {
	home := func(seed uint64, planner, lccs float64) *radarHome {
		return &radarHome{Class: wifieval.Mixed, Seed: seed, Methods: map[wifieval.Method]*radarMethod{
			wifieval.Planner: {Channel: 100, Plain: radarFigures{Aggregate: planner + 10, P10: 5}, Hour: radarFigures{Aggregate: planner, P10: 4},
				Steps: []radarStepOut{{Name: "closed", Silent: 2}, {Name: "reopened", Silent: 1}}},
			wifieval.LCCS: {Plain: radarFigures{Aggregate: lccs, P10: 3}, Hour: radarFigures{Aggregate: lccs, P10: 3}},
		}}
	}
	cfg := radarConfig{classes: []wifieval.Class{wifieval.Mixed}, methods: []wifieval.Method{wifieval.Planner, wifieval.LCCS}}
	cfg.judge.Offered = 10
	var out bytes.Buffer
	writeRadarTable(&out, cfg, []*radarHome{home(1, 110, 100), home(2, 90, 100)})
	for _, want := range []string{
		"mixed     1  planner       100              3         120.0           110.0           5.0             4.0             1.100",
		"mixed     2  planner       100              3         100.0            90.0           5.0             4.0             0.900",
		// means: no radar 110, hour 100 (0.909 of it), ratio (1.1+0.9)/2
		"mixed  planner      2         110.0",
		"0.909",
		"1.000",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
