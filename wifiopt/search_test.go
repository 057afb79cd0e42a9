package wifiopt_test

import (
	"math"
	"testing"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// TestSearchFields checks the incremental costs of the local search
// (fields, single-move deltas, compound-move deltas) against full
// recomputation on random moves.
func TestSearchFields(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		for name, p := range map[string]*wifiopt.Problem{"home": gen.Home(seed, 8), "block": gen.Block(seed, 30)} {
			if err := wifiopt.CheckSearch(p, seed, 300); err != nil {
				t.Errorf("%s %d: %v", name, seed, err)
			}
		}
	}
}

// TestHeatBath checks that heat-bath moves draw options with the
// Boltzmann probabilities of their fields.
func TestHeatBath(t *testing.T) {
	p := gen.Home(3, 4)
	for _, temp := range []float64{1e-3, 1e-2, 1} {
		got, want, err := wifiopt.HeatBathFrequencies(p, temp, 200000)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if math.Abs(got[k]-want[k]) > 0.01 {
				t.Errorf("T=%v option %d: drawn %.4f of the time, want %.4f", temp, k, got[k], want[k])
			}
		}
	}
}
