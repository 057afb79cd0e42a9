package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
)

const cacheFile = "/tmp/refcache.json"

func envInt(k string, d int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return d
}

func TestZZExp(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	cache := map[string]float64{}
	if b, err := os.ReadFile(cacheFile); err == nil {
		json.Unmarshal(b, &cache)
	}
	ctx := context.Background()
	homes := envInt("HOMES", 20)
	for _, ci := range []int{2, 3, 4} {
		c := []class{{3, 4}, {5, 8}, {20, 20}, {50, 50}, {100, 100}}[ci]
		base := uint64(1) + uint64(ci)*100003
		var gm, gw, sh, sr float64
		var times []time.Duration
		for h := range homes {
			seed := base + uint64(h)
			p := problem(c, seed)
			key := fmt.Sprint(seed)
			lc, _ := wifiopt.LeastCongested(p)
			ref, ok := cache[key]
			if !ok || os.Getenv("REF") != "" {
				r := envInt("REFRUNS", 2)
				if !ok {
					ref = lc.Cost
				}
				for k := range r {
					pl, _ := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: seed*31 + uint64(k) + 1 + uint64(envInt("REFOFF", 0)), Restarts: envInt("RR", 4), Sweeps: envInt("RS", 2000)})
					ref = min(ref, pl.Cost)
				}
			}
			heur, _ := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: seed, Restarts: envInt("R", 0), Sweeps: envInt("S", 0)})
			if heur.Cost < ref {
				ref = heur.Cost
			}
			cache[key] = ref
			g := 100 * (heur.Cost - ref) / ref
			gm += g / float64(homes)
			gw = max(gw, g)
			sh += lc.Cost - heur.Cost
			sr += lc.Cost - ref
			times = append(times, heur.Elapsed)
		}
		slices.Sort(times)
		var sum time.Duration
		for _, d := range times {
			sum += d
		}
		fmt.Printf("%v: gap %.2f%% worst %.2f%% capt %.1f%% ms %.1f p95 %.1f\n", c, gm, gw, 100*sh/sr, ms(sum/time.Duration(homes)), ms(times[(len(times)*95+99)/100-1]))
	}
	b, _ := json.Marshal(cache)
	os.WriteFile(cacheFile, b, 0o644)
}
