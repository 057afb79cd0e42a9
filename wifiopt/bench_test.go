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
