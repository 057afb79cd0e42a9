package wifiopt_test

import (
	"context"
	"testing"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

func benchSolve(b *testing.B, p *wifiopt.Problem) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := wifiopt.Solve(ctx, p, wifiopt.Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSolve8 plans a generated house with 8 APs (16 radios).
func BenchmarkSolve8(b *testing.B) { benchSolve(b, gen.Home(1, 8)) }

// BenchmarkSolve100 plans a generated apartment block with 100 APs.
func BenchmarkSolve100(b *testing.B) { benchSolve(b, gen.Block(1, 100)) }

// BenchmarkPlanPower100 chooses the powers of a generated apartment
// block with 100 APs on its current channels, every radio's weak client
// at -40 dBm (so every radio may cut), as the leader does after a plan.
func BenchmarkPlanPower100(b *testing.B) {
	p := gen.Block(1, 100)
	a := map[string]wifiopt.Assignment{}
	for i := range p.Radios {
		p.Radios[i].ClientSignalDBm = -40
		a[p.Radios[i].ID] = p.Radios[i].Current
	}
	ctx := context.Background()
	for b.Loop() {
		pp, err := wifiopt.PlanPower(ctx, p, a)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(pp.Changed), "cuts")
	}
}
