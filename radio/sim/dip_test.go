package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/radio"
)

func TestDipTimes(t *testing.T) {
	d := &Dip{PeriodS: 60, DurationS: 10, DepthDB: 20, OffsetS: 5}
	base := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Duration
		want bool
	}{
		{0, false}, {4900 * time.Millisecond, false}, {5 * time.Second, true}, {14900 * time.Millisecond, true},
		{15 * time.Second, false}, {64 * time.Second, false}, {65 * time.Second, true}, {-55 * time.Second, true},
	} {
		if got := d.InDip(base.Add(c.at)); got != c.want {
			t.Errorf("InDip(+%v) = %v, want %v", c.at, got, c.want)
		}
		want := 0.0
		if c.want {
			want = 20
		}
		if got := d.LossAt(base.Add(c.at)); got != want {
			t.Errorf("LossAt(+%v) = %v, want %v", c.at, got, want)
		}
	}
	var none *Dip
	if none.InDip(base) || none.LossAt(base) != 0 {
		t.Error("a nil Dip dips")
	}
}

func TestDipValidate(t *testing.T) {
	for _, c := range []struct {
		dip  Dip
		want string
	}{
		{Dip{PeriodS: 60, DurationS: 10, DepthDB: 20}, ""},
		{Dip{PeriodS: 0.5, DurationS: 0.1, DepthDB: 20}, "periodS"},
		{Dip{PeriodS: 60, DurationS: 60, DepthDB: 20}, "durationS"},
		{Dip{PeriodS: 60, DurationS: 0, DepthDB: 20}, "durationS"},
		{Dip{PeriodS: 60, DurationS: 10, DepthDB: -3}, "depthDB"},
	} {
		err := c.dip.validate()
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.dip, err, c.want)
		}
	}
	home := testHome()
	home.Clients = []Client{{MAC: "02:c1:00:00:00:01", Band: radio.Band5G, Dip: &Dip{PeriodS: 60, DurationS: 90, DepthDB: 10}}}
	if err := home.Validate(); err == nil || !strings.Contains(err.Error(), "durationS") {
		t.Errorf("a home with a bad dip: %v", err)
	}
}

// TestDipLowersStation: the AP reports the dipping client's signal
// DepthDB lower (and its rates no higher) during a dip, and as before
// once it ends; the client stays associated.
func TestDipLowersStation(t *testing.T) {
	start := time.Date(2026, 12, 6, 3, 0, 30, 0, time.UTC)
	clk := clock.NewFake(start)
	home := testHome()
	home.Clients = []Client{{MAC: "02:c1:00:00:00:01", Pos: Pos{X: 1}, Band: radio.Band5G, Load: 0.1,
		Dip: &Dip{PeriodS: 60, DurationS: 10, DepthDB: 15}}}
	_, r := openNode(t, home, "ap1", t.TempDir(), func(c *Config) { c.Clock = clk })
	read := func() radio.Station {
		t.Helper()
		sts, err := r.Stations(t.Context())
		if err != nil || len(sts) != 1 {
			t.Fatalf("stations %v, %v", sts, err)
		}
		return sts[0]
	}
	before := read()
	clk.Set(start.Add(31 * time.Second)) // 03:01:01, in the dip
	during := read()
	clk.Set(start.Add(45 * time.Second)) // 03:01:15, after it
	after := read()
	if during.SignalDBm != before.SignalDBm-15 || after.SignalDBm != before.SignalDBm {
		t.Errorf("signal %d → %d → %d, want a 15 dB dip", before.SignalDBm, during.SignalDBm, after.SignalDBm)
	}
	if during.TxBitrateKbps > before.TxBitrateKbps || during.RxBitrateKbps > before.RxBitrateKbps {
		t.Errorf("rates rose in the dip: %+v → %+v", before, during)
	}
}
