package node

import (
	"context"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/leader"
)

// TestReport: the leader loop's reports land in Device.X_USPMESH_Mesh.:
// the Plan's parameters, one Assignment row per planned radio (rows of
// radios no longer planned go), each row's status, and Node.Reachable.
func TestReport(t *testing.T) {
	n := startNode(t, baseConfig(t), Deps{})
	r := report{n: n}
	ctx := context.Background()
	score, term, switches := 1.25, uint64(7), 2
	msg := "switching"
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if err := r.Plan(ctx, leader.PlanStatus{Status: leader.PlanApplying, Message: &msg, Term: &term, LastRun: &at,
		Score: &score, Switches: &switches}); err != nil {
		t.Fatal(err)
	}
	for param, want := range map[string]string{"Status": "Applying", "Message": "switching", "Term": "7",
		"LastRun": "2026-12-05T10:00:00Z", "Score": "1.25", "Switches": "2"} {
		if got := get(t, n, meshRoot+"Plan."+param); got != want {
			t.Errorf("Plan.%s = %q, want %q", param, got, want)
		}
	}
	plan := []leader.Assignment{
		{Radio: "os::A/wlan0", Channel: 6, Width: 20, PreviousChannel: 1, Status: leader.StatusPending},
		{Radio: "os::B/wlan1", Channel: 36, Width: 80, PreviousChannel: 36, Status: leader.StatusUnchanged},
	}
	if err := r.Assignments(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, n, meshRoot+"Plan.Assignment."); got != 2 {
		t.Fatalf("%d Assignment rows, want 2", got)
	}
	if err := r.AssignmentStatus(ctx, "os::A/wlan0", leader.StatusApplied); err != nil {
		t.Fatal(err)
	}
	row := meshRoot + `Plan.Assignment.[Radio=="os::A/wlan0"].`
	for param, want := range map[string]string{"Channel": "6", "Bandwidth": "20MHz", "PreviousChannel": "1", "Status": "Applied"} {
		if got := get(t, n, row+param); got != want {
			t.Errorf("%s%s = %q, want %q", row, param, got, want)
		}
	}
	// The next plan has one radio: the other row goes.
	if err := r.Assignments(ctx, plan[1:]); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, n, meshRoot+"Plan.Assignment."); got != 1 {
		t.Fatalf("%d Assignment rows after a one-radio plan, want 1", got)
	}
	if getOr(t, n, row+"Channel") != "" {
		t.Fatal("the row of a radio no longer planned stayed")
	}
	if err := r.Reachable(ctx, "os::000000-PEER", true); err != nil {
		t.Fatal(err)
	}
	if got := get(t, n, meshRoot+`Node.[EndpointID=="os::000000-PEER"].Reachable`); got != "true" {
		t.Fatalf("Reachable %q", got)
	}
	if err := r.Reachable(ctx, "os::000000-PEER", false); err != nil {
		t.Fatal(err)
	}
	if got := get(t, n, meshRoot+`Node.[EndpointID=="os::000000-PEER"].Reachable`); got != "false" {
		t.Fatalf("Reachable %q after a failed keep-alive", got)
	}
}

// TestDepsDefaults: a zero Deps gets the system clock, a silent logger,
// the CoAP listener and mDNS discovery.
func TestDepsDefaults(t *testing.T) {
	d := Deps{}.withDefaults()
	if d.Clock == nil || d.Logger == nil || d.Listen == nil || d.Discover == nil {
		t.Fatalf("defaults missing: %+v", d)
	}
	if now := d.Clock.Now(); time.Since(now) > time.Minute || time.Until(now) > time.Minute {
		t.Fatalf("default clock says %v", now)
	}
}
