package datamodel

import (
	"context"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel/path"
)

// FuzzResolve resolves arbitrary paths through every read entry point:
// never a panic, every error carries a USP code, and reads change nothing.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{
		"Device.", "Device.WiFi.Radio.*.Name", `Device.WiFi.Radio.[Band=="5GHz"&&Channel>1].`,
		"Device.WiFi.SSID.1.LowerLayers#*+.Stats.Noise", "Device.Box.Port.*.Lane.[Up==false].",
		"Device.Reboot()", "Device.Boot!", "Device.WiFi.Radio.{i}.", `Device.WiFi.SSID.[LowerLayers+.Band~="5GHz"].`,
	} {
		f.Add(s)
	}
	m, _ := newTestModel(f, Config{})
	ctx := context.Background()
	before, _ := m.Get(ctx, mustParseNoT("Device."), 0, nil)
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := path.ParseSupported(s); err == nil {
			m.Schema().Lookup(p)
		}
		p, err := path.Parse(s)
		if err != nil {
			return
		}
		for _, d := range []uint32{0, 1, 2} {
			if _, err := m.Get(ctx, p, d, nil); err != nil && codeOf(err) == 0 {
				t.Fatalf("Get %q: error without USP code: %v", s, err)
			}
		}
		if _, err := m.Instances(ctx, p, false, nil); err != nil && codeOf(err) == 0 {
			t.Fatalf("Instances %q: error without USP code: %v", s, err)
		}
		m.Commands(ctx, p)
		tx := m.Begin(ctx)
		tx.Objects(p)
		tx.Tables(p)
		tx.Rollback()
	})
	after, _ := m.Get(ctx, mustParseNoT("Device."), 0, nil)
	if len(flat(before)) != len(flat(after)) {
		f.Fatal("reads changed the model")
	}
}
