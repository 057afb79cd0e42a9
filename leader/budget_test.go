package leader

import (
	"context"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// BenchmarkSolve100InBudget plans a generated 100-AP apartment block (200
// radios) as the leader does, within its SolverBudget, and reports the
// wall time per plan and the plan's cost above the best plan known
// (Solve with 16 restarts and no budget), in per cent.
func BenchmarkSolve100InBudget(b *testing.B) {
	ctx := context.Background()
	cfg := DefaultConfig()
	p := gen.Block(1, 100)
	p.SwitchCost, p.DFSCost = wifiopt.DefaultSwitchCost, wifiopt.DefaultDFSCost
	best, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: 99, Restarts: 16})
	if err != nil {
		b.Fatal(err)
	}
	var worst float64
	var longest time.Duration
	b.ResetTimer()
	for n := uint64(1); b.Loop(); n++ {
		pl, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: n, Budget: cfg.SolverBudget})
		if err != nil {
			b.Fatal(err)
		}
		worst = max(worst, pl.Cost)
		longest = max(longest, pl.Elapsed)
	}
	b.ReportMetric(100*(worst-best.Cost)/best.Cost, "%above-best")
	b.ReportMetric(float64(longest.Milliseconds()), "max-ms")
	b.ReportMetric(best.Cost, "best-cost")
}
