package tr181_test

import (
	"context"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
)

// BenchmarkGetDevice reads the whole model of a node with 3 radios, 6 SSIDs
// and access points with 20 stations each (DESIGN target: ≤ 2 ms).
func BenchmarkGetDevice(b *testing.B) {
	ctx := context.Background()
	m, err := datamodel.NewModel(ctx, tr181.NewSchema(testConfig(&clock{now: boot})), datamodel.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if err := tr181.Populate(ctx, m, 3, 6, 20); err != nil {
		b.Fatal(err)
	}
	p, err := path.Parse("Device.")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Get(ctx, p, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
