package wifieval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// quarterJudge is a judge binary (a shell script) that reports every
// flow of its scenario delivering a quarter of its offered rate.
func quarterJudge(t *testing.T) *Judge {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "judge")
	script := "#!/bin/sh\nf=${1#--scenario=}\nawk '$1==\"flow\"{printf \"flow %s %g\\n\", $2, $5/4; n++} END{print \"end\", n+0}' \"$f\"\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	j, err := New(TestConfig(bin))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestJudgeWalkSatelliteEndToEnd: when every link of a slice delivers a
// quarter of what it is offered, a satellite's backhaul carried exactly
// what its clients got from their AP, so they get that end to end, as
// the root's clients do. Scaling them by the backhaul's delivered ÷
// offered (Deliver's rule) gave them a sixteenth of their offered rate
// instead of a quarter (house 2: three satellites with a simulated
// backhaul).
func TestJudgeWalkSatelliteEndToEnd(t *testing.T) {
	h, err := NewHome(House, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := lccsPlan(t, h)
	cfg := WalkConfig{Duration: 2 * time.Minute, Judged: 1}
	res, err := quarterJudge(t).JudgeWalk(context.Background(), h, p, cfg, []SteerPolicy{NoSteering}, 1)
	if err != nil {
		t.Fatal(err)
	}
	full, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := h.Walkers(full)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := h.walk(p, ws, NoSteering, full)
	if err != nil {
		t.Fatal(err)
	}
	sl := tl.Slices[sampleSlices(len(tl.Slices), 1)[0]]
	sc, err := h.Scenario(p, time.Second, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	satellite := map[string]bool{}
	for _, f := range sc.Flows {
		if f.Kind == Backhaul {
			satellite[h.Scene.Radios[f.Ref].Node] = true
		}
	}
	onSatellite := 0
	for k, got := range res.Policies[NoSteering].Throughput {
		r := h.Scene.Radios[sl.Radio[k]]
		want := full.OfferFactor * Capacity(r.Band, p.Assign[r.ID].Width) / 4 * (1 - tl.Outage[k].Hours()/tl.Hours)
		if math.Abs(got-want) > 1e-6*want {
			t.Errorf("client %d on %s (satellite %v): %.2f Mb/s, want %.2f", k, r.ID, satellite[r.Node], got, want)
		}
		if satellite[r.Node] {
			onSatellite++
		}
	}
	if onSatellite == 0 {
		t.Fatal("no client on a satellite: the test proves nothing")
	}
}
