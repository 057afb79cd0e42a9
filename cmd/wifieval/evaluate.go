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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		firstEr error
		done    int
		wg      sync.WaitGroup
	)
	next := make(chan job)
	for range cfg.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range next {
				h := homes[jb.home]
				res, err := j.Deliver(ctx, h, jb.plan)
				mu.Lock()
				if err != nil {
					if firstEr == nil {
						firstEr = fmt.Errorf("%s home %d %s: %w", h.Class, h.Seed, jb.method, err)
						cancel()
					}
					mu.Unlock()
					continue
				}
				r := out[jb.home].Methods[jb.method]
				r.Aggregate, r.P10, r.Delivered, r.Nodes, r.WallS = res.Aggregate, res.P10, res.Delivered, res.Nodes, res.Wall.Seconds()
				out[jb.home].Methods[jb.method] = r
				done++
				log.Info("judged", "n", fmt.Sprintf("%d/%d", done, len(jobs)), "class", h.Class, "home", h.Seed,
					"method", jb.method, "aggregate_mbps", round1(res.Aggregate), "p10_mbps", round1(res.P10),
					"cost", r.Cost, "offered_mbps", round1(sum(res.Offered)), "nodes", res.Nodes, "wall", res.Wall.Round(100*time.Millisecond))
				mu.Unlock()
			}
		}()
	}
	for _, jb := range jobs {
		select {
		case next <- jb:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if firstEr != nil {
		return nil, firstEr
	}
	if err := ctx.Err(); err != nil {
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
