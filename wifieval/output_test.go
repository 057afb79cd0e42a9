package wifieval

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParseOutput(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		flows    int
		want     []float64
		line     int // of the OutputError; -1: none
	}{
		{"ok", "flow 0 1.5\nflow 1 0.0000\nend 2\n", 2, []float64{1.5, 0}, -1},
		{"blank lines", "\nflow 0 3\n\nend 1\n\n", 1, []float64{3}, -1},
		{"no flows", "end 0\n", 0, []float64{}, -1},
		{"out of order", "flow 1 2\n", 2, nil, 1},
		{"negative", "flow 0 -1\nend 1\n", 1, nil, 1},
		{"nan", "flow 0 NaN\nend 1\n", 1, nil, 1},
		{"too many", "flow 0 1\nflow 1 1\n", 1, nil, 2},
		{"short end", "flow 0 1\nend 2\n", 2, nil, 2},
		{"no end", "flow 0 1\n", 1, nil, 0},
		{"after end", "end 0\nflow 0 1\n", 0, nil, 2},
		{"junk", "Segmentation fault\n", 1, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseOutput(strings.NewReader(tc.in), tc.flows)
			if tc.line < 0 {
				if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("got %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			var oe *OutputError
			if !errors.As(err, &oe) || oe.Line != tc.line {
				t.Fatalf("got %v, %v; want an OutputError at line %d", got, err, tc.line)
			}
		})
	}
}

// FuzzParseOutput: the parser never panics, and what it accepts it
// accepts whole: one finite non-negative value per flow.
func FuzzParseOutput(f *testing.F) {
	f.Add("flow 0 1.5\nflow 1 0.0000\nend 2\n", 2)
	f.Add("end 0\n", 0)
	f.Add("flow 0 1e308\nend 1", 1)
	f.Add("flow 00 +1\nend 1", 1)
	f.Fuzz(func(t *testing.T, in string, flows int) {
		if flows < 0 || flows > 1000 {
			return
		}
		got, err := ParseOutput(strings.NewReader(in), flows)
		if err != nil {
			return
		}
		if len(got) != flows {
			t.Fatalf("%d values for %d flows", len(got), flows)
		}
		for _, v := range got {
			if !(v >= 0) || math.IsInf(v, 0) {
				t.Fatalf("accepted %v", v)
			}
		}
	})
}
