package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/wifieval"
)

// homeResult is one home: per method its plan's wifiopt cost and what
// the judge delivered.
type homeResult struct {
	Class   wifieval.Class             `json:"class"`
	Seed    uint64                     `json:"seed"`
	APs     int                        `json:"aps"`
	Foreign int                        `json:"foreign"`
	Clients int                        `json:"clients"`
	Methods map[wifieval.Method]result `json:"methods"`
}

type result struct {
	Cost      float64   `json:"cost"`
	Aggregate float64   `json:"aggregate_mbps"`
	P10       float64   `json:"p10_mbps"`
	Delivered []float64 `json:"delivered_mbps"`
	Nodes     int       `json:"nodes"`
	WallS     float64   `json:"judge_wall_s"`
}

type job struct {
	home   int
	method wifieval.Method
	plan   wifieval.Plan
}

// evaluate draws, plans and judges every home of cfg, judging
// cfg.parallel plans at a time.
func evaluate(ctx context.Context, cfg config, j *wifieval.Judge, log *slog.Logger) ([]homeResult, error) {
	var homes []*wifieval.Home
	var out []homeResult
	var jobs []job
	for _, c := range cfg.classes {
		for k := range cfg.homes {
			seed := cfg.seed + uint64(k)
			h, err := wifieval.NewHome(c, seed)
			if err != nil {
				return nil, err
			}
			hr := homeResult{Class: c, Seed: seed, APs: len(h.Scene.APs), Foreign: len(h.Scene.Foreign),
				Clients: len(h.Clients), Methods: map[wifieval.Method]result{}}
			p := h.Problem
			if !cfg.homeInputs {
				p = h.OfferedProblem(offered(cfg))
			}
			for _, m := range cfg.methods {
				a, err := wifieval.MakeJudgedPlan(ctx, p, m, seed)
				if err != nil {
					return nil, fmt.Errorf("%s home %d: %s: %w", c, seed, m, err)
				}
				cost, err := wifieval.PlanCost(p, a)
				if err != nil {
					return nil, fmt.Errorf("%s home %d: %s plan: %w", c, seed, m, err)
				}
				hr.Methods[m] = result{Cost: cost}
				a.Name = string(m)
				jobs = append(jobs, job{home: len(homes), method: m, plan: a})
			}
			homes = append(homes, h)
			out = append(out, hr)
		}
	}
	var (
		mu   sync.Mutex
		done int
	)
	err := runEach(ctx, cfg.parallel, len(jobs), func(ctx context.Context, k int) error {
		jb := jobs[k]
		h := homes[jb.home]
		res, err := j.Deliver(ctx, h, jb.plan)
		if err != nil {
			return fmt.Errorf("%s home %d %s: %w", h.Class, h.Seed, jb.method, err)
		}
		mu.Lock()
		defer mu.Unlock()
		r := out[jb.home].Methods[jb.method]
		r.Aggregate, r.P10, r.Delivered, r.Nodes, r.WallS = res.Aggregate, res.P10, res.Delivered, res.Nodes, res.Wall.Seconds()
		out[jb.home].Methods[jb.method] = r
		done++
		log.Info("judged", "n", fmt.Sprintf("%d/%d", done, len(jobs)), "class", h.Class, "home", h.Seed,
			"method", jb.method, "aggregate_mbps", round1(res.Aggregate), "p10_mbps", round1(res.P10),
			"cost", r.Cost, "offered_mbps", round1(sum(res.Offered)), "nodes", res.Nodes, "wall", res.Wall.Round(100*time.Millisecond))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }
