package wifieval

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// TestRadarHour: on mixed homes whose plans use DFS, the radar hour
// moves exactly the radios over the radar channel off DFS at once, keeps
// the closed channels out of the replan, spans the whole hour, and marks
// silent exactly the radios that enter a DFS span they were not on.
func TestRadarHour(t *testing.T) {
	tried := 0
	for seed := uint64(1); seed <= 6; seed++ {
		h, err := NewHome(Mixed, seed)
		if err != nil {
			t.Fatal(err)
		}
		p := h.OfferedProblem(SaturatedOffered)
		for _, m := range []Method{Planner, NodeMethod, LCCS} {
			p0, err := MakeJudgedPlan(t.Context(), p, m, seed)
			if err != nil {
				t.Fatal(err)
			}
			ch := RadarChannel(p, p0.Assign)
			if ch == 0 {
				continue
			}
			tried++
			if !(ch >= 52 && ch <= 144) {
				t.Errorf("mixed %d %s: radar channel %d is not DFS", seed, m, ch)
			}
			steps, err := RadarHour(t.Context(), p, m, seed, p0, ch)
			if err != nil {
				t.Fatalf("mixed %d %s: %v", seed, m, err)
			}
			t.Logf("mixed %d %s: radar on %d; silent after it %v, after reopening %v", seed, m, ch, steps[1].Silent, steps[2].Silent)
			var total time.Duration
			for _, st := range steps {
				total += st.Duration
			}
			if total != RadarWindow || len(steps) != 3 {
				t.Errorf("mixed %d %s: %d steps over %v, want 3 over %v", seed, m, len(steps), total, RadarWindow)
			}
			fb, closed := steps[0].Plan.Assign, steps[1].Plan.Assign
			for i, r := range p.Radios {
				was := spanOf(r, p0.Assign[r.ID])
				hit := slices.Contains(was, ch)
				if hit && slices.ContainsFunc(spanOf(r, fb[r.ID]), func(n int) bool { return isDFSChannel(r, n) }) {
					t.Errorf("mixed %d %s: %s fled radar on %d to DFS %v", seed, m, r.ID, ch, fb[r.ID])
				}
				if !hit && r.BackhaulOf == "" && fb[r.ID] != p0.Assign[r.ID] {
					t.Errorf("mixed %d %s: %s moved at the radar though not on %d", seed, m, r.ID, ch)
				}
				now := spanOf(r, closed[r.ID])
				if slices.Contains(now, ch) || (hit && slices.ContainsFunc(now, func(n int) bool { return isDFSChannel(r, n) && slices.Contains(was, n) })) {
					t.Errorf("mixed %d %s: %s on %v while %v is closed", seed, m, r.ID, closed[r.ID], was)
				}
				if got, want := slices.Contains(steps[1].Silent, i), slices.Contains(entersDFS(p, fb, closed), i); got != want {
					t.Errorf("mixed %d %s: %s silent %v, want %v", seed, m, r.ID, got, want)
				}
			}
		}
	}
	if tried < 3 {
		t.Fatalf("only %d plans used DFS: the test checks too little", tried)
	}
}

// TestHourDelivery: the weighted mean, less RadarCAC of nothing for the
// clients of a silent radio.
func TestHourDelivery(t *testing.T) {
	h := &Home{Clients: []Client{{ID: "a", Radio: 0}, {ID: "b", Radio: 1}}}
	steps := []RadarStep{
		{Duration: 10 * time.Minute},
		{Duration: 20 * time.Minute, Silent: []int{1}},
		{Duration: 30 * time.Minute},
	}
	got := HourDelivery(h, steps, [][]float64{{60, 60}, {30, 30}, {90, 90}})
	wantA := (60*600 + 30*1200 + 90*1800) / 3600.0
	wantB := (60*600 + 30*(1200-60) + 90*1800) / 3600.0
	if math.Abs(got[0]-wantA) > 1e-9 || math.Abs(got[1]-wantB) > 1e-9 {
		t.Errorf("HourDelivery = %v, want [%v %v]", got, wantA, wantB)
	}
}

// TestJudgeRadarHour runs the radar hour of a two-AP home through the
// judge: the 5 GHz radios apart on 52/80 (DFS) and 36/80 (the second is
// allowed 36-48 only), radar on 52. The fled radio's clients keep traffic
// on the fallback channel (next to or on the other radio's: 36-48 is all
// the non-DFS spectrum here), the planner's plan with 52-64 closed puts
// the two radios apart again, on another DFS block after a CAC, and
// delivers about what the plan before the radar did, and the hour lies
// between the stretches' figures.
func TestJudgeRadarHour(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	j := testJudge(ctx, t)
	h := twoAPHome(t)
	a := func(c, w int) wifiopt.Assignment { return wifiopt.Assignment{Channel: c, Width: w} }
	p0 := plan(h, a(1, 20), a(52, 80), a(11, 20), a(36, 80))
	ch := RadarChannel(h.Problem, p0.Assign)
	if ch != 52 {
		t.Fatalf("radar channel %d, want 52 (the lowest DFS channel in use)", ch)
	}
	steps, err := RadarHour(ctx, h.Problem, Planner, 1, p0, ch)
	if err != nil {
		t.Fatal(err)
	}
	fled := h.Scene.Radios[1].ID
	if fb := steps[0].Plan.Assign[fled]; fb.Channel >= 52 && fb.Channel <= 144 {
		t.Fatalf("radio %s fled to DFS %v", fled, fb)
	}
	closed := steps[1].Plan.Assign
	if x, _ := wifiopt.Overlap(wifiopt.Band5G, closed[fled], closed[h.Scene.Radios[3].ID]); x > 0 || closed[fled].Channel < 100 {
		t.Errorf("closed plan %v: want the 5 GHz radios apart, %s on 100-140", closed, fled)
	}
	if !slices.Equal(steps[1].Silent, []int{1}) {
		t.Errorf("silent for a CAC after the radar: %v, want [1] (%s)", steps[1].Silent, fled)
	}
	before, err := j.Deliver(ctx, h, p0)
	if err != nil {
		t.Fatal(err)
	}
	var delivered [][]float64
	var aggs []float64
	for _, st := range steps {
		res, err := j.Deliver(ctx, h, st.Plan)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range res.Delivered {
			if d <= 0 {
				t.Errorf("%s: client %s got nothing", st.Name, h.Clients[i].ID)
			}
		}
		delivered, aggs = append(delivered, res.Delivered), append(aggs, res.Aggregate)
		t.Logf("%s (%v, %d silent): %.1f Mb/s", st.Name, st.Duration, len(st.Silent), res.Aggregate)
	}
	if aggs[1] < 0.8*before.Aggregate {
		t.Errorf("closed stretch %.1f Mb/s, before the radar %.1f: want at least 0.8 of it", aggs[1], before.Aggregate)
	}
	hour := 0.0
	for _, d := range HourDelivery(h, steps, delivered) {
		hour += d
	}
	if hour < 0.9*slices.Min(aggs) || hour > slices.Max(aggs) {
		t.Errorf("hour %.1f Mb/s outside its stretches' %v", hour, aggs)
	}
	t.Logf("before the radar %.1f Mb/s, the hour after it %.1f", before.Aggregate, hour)
}
