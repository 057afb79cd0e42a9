package leader

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// Report is where the Loop records what it does, in the node's own data
// model: Device.X_USPMESH_Mesh.Plan., its Assignment rows and the Node
// rows' Reachable. Its methods are called from several goroutines at
// once and must be safe for that; an error is logged, and an error of
// Plan or Assignments before an apply stops the round.
type Report interface {
	// Plan writes the parameters of Device.X_USPMESH_Mesh.Plan. that s
	// sets (s.Params renders them) and leaves the others.
	Plan(ctx context.Context, s PlanStatus) error
	// Assignments replaces the Plan.Assignment table: one row per radio
	// measured, keyed by Radio; rows of radios not in as are deleted.
	Assignments(ctx context.Context, as []Assignment) error
	// AssignmentStatus sets the Status of the Assignment row of radio:
	// StatusApplied, StatusFailed or StatusRolledBack.
	AssignmentStatus(ctx context.Context, radio, status string) error
	// Reachable records whether agent answered its last keep-alive (the
	// Node row's Reachable).
	Reachable(ctx context.Context, agent usp.EndpointID, ok bool) error
	// Inputs replaces the Plan.Input table: what the plan was computed
	// from, one row per radio measured, keyed by Radio; rows of radios
	// not in in are deleted.
	Inputs(ctx context.Context, in []Input) error
}

// Values of Device.X_USPMESH_Mesh.Plan.Status written by the Loop.
const (
	PlanIdle     = "Idle"     // no apply running; the channels stand
	PlanApplying = "Applying" // a plan is being applied
	PlanError    = "Error"    // the last round failed; Message says why
)

// Values of Device.X_USPMESH_Mesh.Plan.Assignment.{i}.Status.
const (
	StatusPending    = "Pending"    // planned, not yet switched
	StatusUnchanged  = "Unchanged"  // the plan keeps the radio where it is
	StatusApplied    = "Applied"    // switched and verified
	StatusFailed     = "Failed"     // the switch failed and so did its rollback
	StatusRolledBack = "RolledBack" // the switch failed; the radio is back
)

// maxMessage is the length of Device.X_USPMESH_Mesh.Plan.Message.
const maxMessage = 256

// PlanStatus is one update of Device.X_USPMESH_Mesh.Plan.: only the
// fields set (non-nil, or a non-empty Status) are written.
type PlanStatus struct {
	// Status is PlanIdle, PlanApplying or PlanError; "" leaves it.
	Status string
	// Message says why a round ended as it did; "" clears it.
	Message *string
	// Term is the leader term the plan was made in.
	Term *uint64
	// LastRun is when the round measured and planned.
	LastRun *time.Time
	// LastApplied is when the round finished applying.
	LastApplied *time.Time
	// PlanTime is the time spent planning.
	PlanTime *time.Duration
	// Score is the plan's predicted cost, BaselineScore the cost of the
	// channels the round started from, MeasuredScore the cost measured
	// after applying.
	Score, BaselineScore, MeasuredScore *float64
	// Switches is the number of radios the plan switches.
	Switches *int
}

// Params renders the fields set as the parameter values of
// Device.X_USPMESH_Mesh.Plan.: dates in RFC 3339 UTC to the second,
// scores with four decimals, PlanTime in microseconds, Message trimmed
// and cut to 256 bytes.
func (s PlanStatus) Params() map[string]string {
	out := map[string]string{}
	if s.Status != "" {
		out["Status"] = s.Status
	}
	if s.Message != nil {
		out["Message"] = clip(strings.TrimSpace(*s.Message), maxMessage)
	}
	if s.Term != nil {
		out["Term"] = strconv.FormatUint(*s.Term, 10)
	}
	if s.LastRun != nil {
		out["LastRun"] = s.LastRun.UTC().Format(time.RFC3339)
	}
	if s.LastApplied != nil {
		out["LastApplied"] = s.LastApplied.UTC().Format(time.RFC3339)
	}
	if s.PlanTime != nil {
		out["PlanTime"] = strconv.FormatInt(s.PlanTime.Microseconds(), 10)
	}
	for name, v := range map[string]*float64{"Score": s.Score, "BaselineScore": s.BaselineScore, "MeasuredScore": s.MeasuredScore} {
		if v != nil {
			out[name] = score(*v)
		}
	}
	if s.Switches != nil {
		out["Switches"] = strconv.Itoa(*s.Switches)
	}
	return out
}

// score renders a plan cost as Plan's Score parameters show it.
func score(c float64) string { return strconv.FormatFloat(c, 'f', 4, 64) }

// clip cuts s to at most n bytes without splitting a UTF-8 character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Assignment is one row of Device.X_USPMESH_Mesh.Plan.Assignment.: the
// plan for one measured radio.
type Assignment struct {
	// Radio is the row's key, "<Agent Endpoint ID>/<radio name>".
	Radio string
	// Channel and Width (MHz) are where the plan puts the radio.
	Channel, Width int
	// PreviousChannel is the radio's channel when it was measured.
	PreviousChannel int
	// TransmitPower is the radio's power in the plan and
	// PreviousTransmitPower when it was measured, as percentages of its
	// full power (Radio.{i}.TransmitPower); 0 when it reports none.
	TransmitPower, PreviousTransmitPower int
	// Status is StatusPending or StatusUnchanged.
	Status string
}

// Params renders the row's parameters other than its key Radio:
// Channel, Bandwidth ("20MHz", ...), PreviousChannel, TransmitPower and
// PreviousTransmitPower (when known) and Status.
func (a Assignment) Params() map[string]string {
	out := map[string]string{
		"Channel":         strconv.Itoa(a.Channel),
		"Bandwidth":       strconv.Itoa(a.Width) + "MHz",
		"PreviousChannel": strconv.Itoa(a.PreviousChannel),
		"Status":          a.Status,
	}
	if a.TransmitPower > 0 {
		out["TransmitPower"] = strconv.Itoa(a.TransmitPower)
	}
	if a.PreviousTransmitPower > 0 {
		out["PreviousTransmitPower"] = strconv.Itoa(a.PreviousTransmitPower)
	}
	return out
}

// Input is one row of Device.X_USPMESH_Mesh.Plan.Input.: what one radio
// contributed to the plan's Problem.
type Input struct {
	// Radio is the row's key, as Assignment's.
	Radio string
	// Load is the radio's own airtime share the plan used; Source is
	// SourceMeasured or SourceAssumed.
	Load   float64
	Source string
	// Busy is the busy share of the radio's operating channel it
	// reported, -1 when none.
	Busy float64
	// Unexplained is the busy share the plan counted as wifiopt.Busy of
	// this radio, summed over its channels.
	Unexplained float64
	// ForeignBSSLoad, ForeignInferred and ForeignAssumed count the foreign
	// networks the radio heard by where their load came from: their BSS
	// Load element, the radio's unexplained busy time, or a constant.
	ForeignBSSLoad, ForeignInferred, ForeignAssumed int
	// ClientSignal is the weak client's signal (dBm) the plan's client
	// term used, 0 when the radio had no stations (no client term).
	ClientSignal float64
	// WeakestClient is the weakest station's signal (dBm), which the
	// plan's power cut kept above its margin; 0 as ClientSignal is.
	WeakestClient float64
	// ClientHeard is what the radio's stations hear of the other mesh
	// radios, the plan's ClientRSSI links into it.
	ClientHeard []wifiopt.Link
	// Unavailable are the radio's channels in their DFS non-occupancy
	// period, Refused those held away from it after it refused a switch
	// (RefusedHold): the plan left both out.
	Unavailable, Refused []int
	// BackhaulOf is the radio whose AP this radio's wireless backhaul
	// is associated to: the plan kept the two on one channel. The
	// uplink's BSSID when the leader measured no radio with it (the
	// plan kept this radio where it is); "" when none.
	BackhaulOf string
}

// Params renders the row's parameters other than its key Radio: shares
// with four decimals (Busy "-1" when unmeasured) and the counts.
func (in Input) Params() map[string]string {
	busy := "-1"
	if in.Busy >= 0 {
		busy = score(in.Busy)
	}
	return map[string]string{
		"Load":            score(in.Load),
		"Source":          in.Source,
		"Busy":            busy,
		"Unexplained":     score(in.Unexplained),
		"ForeignBSSLoad":  strconv.Itoa(in.ForeignBSSLoad),
		"ForeignInferred": strconv.Itoa(in.ForeignInferred),
		"ForeignAssumed":  strconv.Itoa(in.ForeignAssumed),
		"ClientSignal":    strconv.Itoa(int(math.Round(in.ClientSignal))),
		"WeakestClient":   strconv.Itoa(int(math.Round(in.WeakestClient))),
		"ClientHeard":     clientHeard(in.ClientHeard),
		"Unavailable":     channelList(in.Unavailable),
		"Refused":         channelList(in.Refused),
		"BackhaulOf":      in.BackhaulOf,
	}
}

// channelList renders channel numbers comma-separated.
func channelList(chs []int) string {
	items := make([]string, len(chs))
	for k, c := range chs {
		items[k] = strconv.Itoa(c)
	}
	return strings.Join(items, ",")
}

// clientHeard renders client links as "Radio=dBm" items, comma-separated.
func clientHeard(ls []wifiopt.Link) string {
	items := make([]string, len(ls))
	for k, l := range ls {
		items[k] = l.From + "=" + strconv.Itoa(int(math.Round(l.RSSI)))
	}
	return strings.Join(items, ",")
}
