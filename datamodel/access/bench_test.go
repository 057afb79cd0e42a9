package access_test

import (
	"context"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
)

// restricted may read Device.WiFi. but not the stations weaker than
// -70 dBm, a search Target resolved for each message.
func restricted() access.RoleSpec {
	return access.RoleSpec{Name: "WiFiReader", Permissions: []access.PermSpec{
		{Order: 1, Targets: []string{"Device.WiFi."}, Param: "r---"},
		{Order: 2, Targets: []string{"Device.WiFi.AccessPoint.*.AssociatedDevice.[SignalStrength<-70]."}, Param: "----"},
	}}
}

// BenchmarkGetDeviceRestricted measures a Get of Device. (3 radios, 6
// SSIDs, 20 stations per access point: 2,804 parameters) without access
// control and with the Set of a Controller taken for each message, as the
// Agent does.
func BenchmarkGetDeviceRestricted(b *testing.B) {
	ctx := context.Background()
	m := newModelSized(b, 3, 6, 20)
	e := newEvaluator(b, m)
	p := provision(b, m, access.FullAccess(), restricted())
	assign(b, m, "proto::full", p["FullAccess"])
	assign(b, m, "proto::wifi", p["WiFiReader"])
	dev := mustParse(b, "Device.")
	get := func(b *testing.B, filter func() datamodel.ReadFilter) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			ovs, err := m.Get(ctx, dev, 0, filter())
			if err != nil {
				b.Fatal(err)
			}
			n = 0
			for _, ov := range ovs {
				n += len(ov.Params)
			}
		}
		b.ReportMetric(float64(n), "params")
	}
	b.Run("nil-filter", func(b *testing.B) { get(b, func() datamodel.ReadFilter { return nil }) })
	b.Run("full-access", func(b *testing.B) {
		get(b, func() datamodel.ReadFilter { return e.For(ctx, "proto::full").ReadParam })
	})
	b.Run("wifi-read+search", func(b *testing.B) {
		get(b, func() datamodel.ReadFilter { return e.For(ctx, "proto::wifi").ReadParam })
	})
}

// BenchmarkFor measures taking a Controller's Set: cached, with a search
// to resolve, and after every trust change (compiling the Role again).
func BenchmarkFor(b *testing.B) {
	ctx := context.Background()
	m := newModelSized(b, 3, 6, 20)
	e := newEvaluator(b, m)
	p := provision(b, m, access.FullAccess(), restricted())
	assign(b, m, "proto::full", p["FullAccess"])
	assign(b, m, "proto::wifi", p["WiFiReader"])
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.For(ctx, "proto::full")
		}
	})
	b.Run("search", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.For(ctx, "proto::wifi")
		}
	})
	b.Run("recompile", func(b *testing.B) {
		b.ReportAllocs()
		role := p["FullAccess"] + ".Permission.1."
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			set(b, m, role, "Param", []string{"rwxn", "rw-n"}[i%2])
			b.StartTimer()
			e.For(ctx, "proto::full")
		}
	})
}
