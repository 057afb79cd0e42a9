package wifieval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// quarterScript is the body of a judge (a shell script) that reports
// every flow of its scenario delivering a quarter of its offered rate.
const quarterScript = "f=${1#--scenario=}\nawk '$1==\"flow\"{printf \"flow %s %g\\n\", $2, $5/4; n++} END{print \"end\", n+0}' \"$f\"\n"

// quarterJudge is a judge binary (a shell script) that reports every
// flow of its scenario delivering a quarter of its offered rate.
func quarterJudge(t *testing.T) *Judge {
	t.Helper()
	return scriptJudge(t, "")
}

// scriptJudge is quarterJudge, run after the shell lines pre.
func scriptJudge(t *testing.T, pre string) *Judge {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "judge")
	script := "#!/bin/sh\n" + pre + quarterScript
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
	full, tl := noSteeringWalk(t, h, p, cfg)
	sl := tl.Slices[sampleSlices(len(tl.Slices), 1)[0]]
	satellite := simulatedBackhauls(t, h, p)
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

// crashingJudge is quarterJudge that aborts (SIGABRT, as ns-3 does on an
// internal assertion) on its first n runs.
func crashingJudge(t *testing.T, n int) *Judge {
	t.Helper()
	count := filepath.Join(t.TempDir(), "runs")
	return scriptJudge(t, fmt.Sprintf("n=$(cat %q 2>/dev/null || echo 0)\necho $((n+1)) > %q\nif [ \"$n\" -lt %d ]; then kill -ABRT $$; fi\n", count, count, n))
}

// TestJudgeWalkDropsCrashedSlice: a slice on which the judge crashes on
// every attempt is left out of the figures (and reported in Dropped)
// instead of failing the whole home; the others are averaged as usual.
// A judge that crashes on every slice, or fails without a signal, still
// fails the home.
func TestJudgeWalkDropsCrashedSlice(t *testing.T) {
	h, err := NewHome(House, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := lccsPlan(t, h)
	cfg := WalkConfig{Duration: 2 * time.Minute, Judged: 3}
	// With one run at a time the first job is the first judged slice.
	res, err := crashingJudge(t, Attempts).JudgeWalk(context.Background(), h, p, cfg, []SteerPolicy{NoSteering}, 1)
	if err != nil {
		t.Fatal(err)
	}
	full, tl := noSteeringWalk(t, h, p, cfg)
	judged := sampleSlices(len(tl.Slices), 3)
	if !slices.Equal(res.Dropped, judged[:1]) || res.Judged != 2 {
		t.Fatalf("dropped %v, judged %d; want [%d] and 2", res.Dropped, res.Judged, judged[0])
	}
	for k, got := range res.Policies[NoSteering].Throughput {
		want := 0.0
		for _, i := range judged[1:] {
			r := h.Scene.Radios[tl.Slices[i].Radio[k]]
			want += full.OfferFactor * Capacity(r.Band, p.Assign[r.ID].Width) / 4 / 2
		}
		want *= 1 - tl.Outage[k].Hours()/tl.Hours
		if math.Abs(got-want) > 1e-6*want {
			t.Errorf("client %d: %.2f Mb/s, want %.2f (the kept slices' mean)", k, got, want)
		}
	}
	if _, err := crashingJudge(t, 1000).JudgeWalk(context.Background(), h, p, cfg, []SteerPolicy{NoSteering}, 1); !errors.Is(err, ErrCrashed) {
		t.Errorf("a judge crashing on every slice: err %v, want ErrCrashed", err)
	}
	if _, err := scriptJudge(t, "exit 3\n").JudgeWalk(context.Background(), h, p, cfg, []SteerPolicy{NoSteering}, 1); err == nil || errors.Is(err, ErrCrashed) {
		t.Errorf("a judge exiting 3: err %v, want a failure that is not a crash", err)
	}
}

// noSteeringWalk is cfg with its defaults and the timeline of home h
// (plan p) without steering: what JudgeWalk judged for NoSteering.
func noSteeringWalk(t *testing.T, h *Home, p Plan, cfg WalkConfig) (WalkConfig, *Timeline) {
	t.Helper()
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
	return full, tl
}

// simulatedBackhauls are the nodes whose wireless backhaul the judge
// simulates for home h on plan p: those with a Backhaul flow in its
// scenario.
func simulatedBackhauls(t *testing.T, h *Home, p Plan) map[string]bool {
	t.Helper()
	sc, err := h.Scenario(p, time.Second, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, f := range sc.Flows {
		if f.Kind == Backhaul {
			nodes[h.Scene.Radios[f.Ref].Node] = true
		}
	}
	return nodes
}

// TestJudgeWalkDetailAtPlanPowers: the walk runs at the plan's transmit
// powers (every client hears its radio 10 dB lower when the plan cuts
// every radio by 10 dB, and the home itself is left as it was), and the
// detail lists every kept slice client by client with what the judge
// delivered, consistent with the policy's figures. Before, the walk
// used the scene's powers whatever the plan, so a plan with powers was
// judged on signals it did not have.
func TestJudgeWalkDetailAtPlanPowers(t *testing.T) {
	h, err := NewHome(House, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := lccsPlan(t, h)
	p.TxPowerDBm = map[string]float64{}
	full := map[string]float64{}
	for _, r := range h.Scene.Radios {
		p.TxPowerDBm[r.ID], full[r.ID] = r.TxPowerDBm-10, r.TxPowerDBm
	}
	cfg := WalkConfig{Duration: 2 * time.Minute, Judged: 2}
	res, err := quarterJudge(t).JudgeWalk(context.Background(), h, p, cfg, []SteerPolicy{NoSteering, MeshSteering}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h.Scene.Radios {
		if r.TxPowerDBm != full[r.ID] {
			t.Fatalf("the home's radio %s changed to %.1f dBm", r.ID, r.TxPowerDBm)
		}
	}
	// The timeline JudgeWalk judged: at the plan's powers, clients
	// associate otherwise (more of them on 2.4 GHz).
	fullCfg, tl := noSteeringWalk(t, h.atPowers(p), p, cfg)
	ws, err := h.Walkers(fullCfg)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Detail[NoSteering]
	if d == nil || len(d.Slices) != res.Judged || len(d.Clients) != len(h.Clients) || res.Detail[MeshSteering] == nil {
		t.Fatalf("detail %+v for %d judged slices, %d clients", d, res.Judged, len(h.Clients))
	}
	for k, c := range d.Clients {
		if c.ID != ws[k].ID || math.Abs(c.Mbps-res.Policies[NoSteering].Throughput[k]) > 1e-9 {
			t.Errorf("client %d: %+v, want %s at %.2f Mb/s", k, c, ws[k].ID, res.Policies[NoSteering].Throughput[k])
		}
	}
	for _, sd := range d.Slices {
		sl := tl.Slices[sd.Slice]
		if want := (time.Duration(sd.Slice)*fullCfg.Slice + fullCfg.Slice/2).Seconds(); sd.AtS != want {
			t.Errorf("slice %d at %.1f s, want its middle %.1f s", sd.Slice, sd.AtS, want)
		}
		for k, cd := range sd.Clients {
			r := h.Scene.Radios[sl.Radio[k]]
			want := full[r.ID] - 10 - h.lossTo(ws[k].ID, sl.At[k], sl.Radio[k])
			if cd.Radio != r.ID || math.Abs(cd.SignalDBm-want) > 0.06 {
				t.Errorf("slice %d client %d: %s at %.1f dBm, want %s at %.1f (the plan's power)", sd.Slice, k, cd.Radio, cd.SignalDBm, r.ID, want)
			}
			if wantMbps := fullCfg.OfferFactor * Capacity(r.Band, p.Assign[r.ID].Width) / 4; math.Abs(cd.Mbps-wantMbps) > 0.06 {
				t.Errorf("slice %d client %d: %.1f Mb/s delivered, want %.1f", sd.Slice, k, cd.Mbps, wantMbps)
			}
			if cd.BestDBm < cd.SignalDBm {
				t.Errorf("slice %d client %d: best %.1f dBm below its own %.1f", sd.Slice, k, cd.BestDBm, cd.SignalDBm)
			}
		}
	}
}
