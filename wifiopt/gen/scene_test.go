package gen_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// TestSceneExplainsProblem checks that a Scene's geometry and shadowing
// reproduce the RSSI of its Problem up to the per-direction noise and
// rounding, and that HomeScene and BlockScene give Home's and Block's
// problems.
func TestSceneExplainsProblem(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		for name, s := range map[string]*gen.Scene{"home": gen.HomeScene(seed, 4), "block": gen.BlockScene(seed, 12)} {
			p := s.Problem()
			want := gen.Home(seed, 4)
			if name == "block" {
				want = gen.Block(seed, 12)
			}
			if !reflect.DeepEqual(p, want) {
				t.Fatalf("%s %d: scene's problem differs from the generator's", name, seed)
			}
			if s.Problem() != p {
				t.Fatalf("%s %d: Problem is not cached", name, seed)
			}
			idx := map[string]int{}
			for i, r := range s.Radios {
				idx[r.ID] = i
			}
			for _, l := range p.RSSI {
				i, j := idx[l.From], idx[l.To]
				r := s.Radios[i]
				model := r.TxPowerDBm - s.Building.PathLoss(s.RadioAt[i], s.RadioAt[j], gen.BandMHz(r.Band)) + s.Shadow[i][j]
				if s.Shadow[i][j] != s.Shadow[j][i] {
					t.Fatalf("%s %d: shadowing of %s-%s is asymmetric", name, seed, l.From, l.To)
				}
				if d := math.Abs(model - l.RSSI); d > 5 {
					t.Errorf("%s %d: %s->%s RSSI %.0f, geometry says %.1f", name, seed, l.From, l.To, l.RSSI, model)
				}
			}
		}
	}
}
