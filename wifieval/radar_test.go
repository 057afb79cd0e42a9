package wifieval

import (
	"math"
	"slices"
	"testing"
	"time"
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
