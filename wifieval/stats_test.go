package wifieval

import (
	"math"
	"testing"
)

func TestStats(t *testing.T) {
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-3 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	near("Mean", Mean([]float64{1, 2, 3, 6}), 3)
	near("CI95", CI95([]float64{1, 2, 3, 6}), 3.182*math.Sqrt(14.0/3/4))
	near("Quantile 0.1", Quantile([]float64{10, 0, 20, 30, 40}, 0.1), 4)
	near("Quantile 1", Quantile([]float64{3, 1}, 1), 3)
	near("Spearman monotone", Spearman([]float64{1, 2, 3, 4}, []float64{10, 20, 25, 100}), 1)
	near("Spearman reversed", Spearman([]float64{1, 2, 3}, []float64{3, 2, 1}), -1)
	near("Spearman ties", Spearman([]float64{1, 1, 2, 3}, []float64{1, 2, 3, 4}), 0.9487)
	if !math.IsNaN(Spearman([]float64{1, 1, 1}, []float64{1, 2, 3})) {
		t.Error("Spearman of a constant sample should be NaN")
	}
}
