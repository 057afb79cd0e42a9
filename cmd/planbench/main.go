package main

import (
	"context"
	"fmt"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

func main() {
	ctx := context.Background()
	for _, n := range []int{3, 5, 8, 20} {
		for seed := uint64(1); seed <= 5; seed++ {
			var p *wifiopt.Problem
			if n <= 8 {
				p = gen.Home(seed, n)
			} else {
				p = gen.Block(seed, n)
			}
			h, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: 1})
			if err != nil {
				panic(err)
			}
			e, err := wifiopt.Exact(ctx, p, wifiopt.Options{Budget: 20 * time.Second})
			lc, _ := wifiopt.LeastCongested(p)
			fmt.Printf("n=%d seed=%d cur=%.4f lc=%.4f heur=%.4f (%v) exact=%.4f (%v, %v) sw=%d\n", n, seed, h.CurrentCost, lc.Cost, h.Cost, h.Elapsed, e.Cost, e.Elapsed, err, h.Switches)
		}
	}
}
