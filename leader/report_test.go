package leader

import (
	"maps"
	"strings"
	"testing"
	"time"
)

func TestPlanStatusParams(t *testing.T) {
	at := time.Date(2026, 3, 1, 13, 4, 5, 600_000_000, time.FixedZone("CET", 3600))
	long := strings.Repeat("x", 255) + "é" // 257 bytes: é would be cut in half
	for _, tt := range []struct {
		name string
		s    PlanStatus
		want map[string]string
	}{
		{"nothing set", PlanStatus{}, map[string]string{}},
		{"every field", PlanStatus{Status: PlanApplying, Message: new(""), Term: new(uint64(7)), LastRun: new(at),
			LastApplied: new(at.Add(time.Minute)), PlanTime: new(1234567 * time.Nanosecond), Score: new(0.08),
			BaselineScore: new(4.79992857), MeasuredScore: new(0.0), Switches: new(4)},
			map[string]string{"Status": "Applying", "Message": "", "Term": "7", "LastRun": "2026-03-01T12:04:05Z",
				"LastApplied": "2026-03-01T12:05:05Z", "PlanTime": "1234", "Score": "0.0800", "BaselineScore": "4.7999",
				"MeasuredScore": "0.0000", "Switches": "4"}},
		{"status and message", PlanStatus{Status: PlanError, Message: new("  solve: invalid\n")},
			map[string]string{"Status": "Error", "Message": "solve: invalid"}},
		{"message cut to 256 bytes", PlanStatus{Message: new(long)}, map[string]string{"Message": strings.Repeat("x", 255)}},
		{"message of 256 bytes", PlanStatus{Message: new(strings.Repeat("y", 256))}, map[string]string{"Message": strings.Repeat("y", 256)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Params(); !maps.Equal(got, tt.want) {
				t.Errorf("Params() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAssignmentParams(t *testing.T) {
	a := Assignment{Radio: "os::012345-A/wl0", Channel: 44, Width: 80, PreviousChannel: 36, Status: StatusPending}
	want := map[string]string{"Channel": "44", "Bandwidth": "80MHz", "PreviousChannel": "36", "Status": "Pending"}
	if got := a.Params(); !maps.Equal(got, want) {
		t.Errorf("Params() = %v, want %v", got, want)
	}
}
