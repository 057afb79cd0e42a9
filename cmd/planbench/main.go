package main

import (
	"context"
	"fmt"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

func main() {
	ctx := context.Background()
	for _, n := range []int{20, 100} {
		for seed := uint64(1); seed <= 2; seed++ {
			p := gen.Block(seed, n)
			l, _ := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: 2, Restarts: 16, Sweeps: 1000})
			for _, o := range []wifiopt.Options{{Restarts: 8, Sweeps: 150}, {Restarts: 2, Sweeps: 400}, {Restarts: 1, Sweeps: 800}, {Restarts: 3, Sweeps: 200}} {
				h, _ := wifiopt.Solve(ctx, p, o)
				fmt.Printf("n=%d seed=%d %+v gap %.2f%% (%v)\n", n, seed, o, 100*(h.Cost-l.Cost)/l.Cost, h.Elapsed)
			}
		}
	}
}
