package wifiopt_test

import (
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
