package wifiopt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Channel is a 20 MHz channel a radio may use in its regulatory domain.
type Channel struct {
	Number int  // IEEE channel number within the radio's band
	DFS    bool // needs a channel availability check before use
}

// Assignment is a radio's operating channel: the primary 20 MHz channel
// and the channel width in MHz.
type Assignment struct {
	Channel int
	Width   int
}

// Radio is one mesh radio as the planner sees it.
type Radio struct {
	ID   string // unique among the Problem's radios
	Node string // the mesh node the radio belongs to
	Band Band
	// Channels are the 20 MHz channels allowed here; a wide channel is
	// allowed when every 20 MHz channel of its block is.
	Channels []Channel
	// Widths are the widths (MHz) the planner may choose; empty means the
	// current width only.
	Widths []int
	// Current is the radio's assignment now; changing it costs a switch.
	Current Assignment
	// Load is the share of airtime (0..1) the radio's own traffic uses at
	// its current width.
	Load float64
	// TxPowerDBm is the radio's transmit power now; the measured RSSI,
	// ClientRSSI and ClientSignalDBm reflect it. Solve plans channels at
	// today's powers; PlanPower chooses powers.
	TxPowerDBm float64
	// PowerCutDB is how far (dB) below its full power the radio transmits
	// now; 0 at full power. PlanPower's cuts are from full power.
	PowerCutDB float64
	// PowerFixed keeps the radio's power where it is: PlanPower neither
	// cuts nor restores it (e.g. a radio that cannot set its power).
	PowerFixed bool
	// ClientSignalDBm is the signal in 20 MHz of the radio's weak
	// clients, e.g. a low percentile of its associated stations' measured
	// signal; 0 means unknown, and the radio then has no client term. It
	// prices the SINR their downlink loses to interference that does not
	// make the radio defer (see Clients in the package documentation).
	ClientSignalDBm float64
	// WeakestClientDBm is the signal in 20 MHz of the radio's weakest
	// associated station (WeakestSignal); 0 means not measured, and
	// PlanPower then keeps ClientSignalDBm above its margin instead.
	// PlanPower keeps every station above its margin by it; the client
	// term does not use it.
	WeakestClientDBm float64
	// BackhaulOf names the radio whose channel this radio must share
	// because it carries a wireless backhaul to it; "" when none.
	BackhaulOf string
}

// Link is a measured received signal between two mesh radios: To hears
// From at RSSI dBm. Links may be asymmetric or missing; see Problem.
type Link struct {
	From, To string
	RSSI     float64
}

// ForeignBSS is a network outside the mesh as one mesh radio hears it.
type ForeignBSS struct {
	Radio   string // ID of the mesh radio that measured it
	Channel int    // primary channel, in the measuring radio's band
	Width   int    // MHz; 0 means 20
	RSSI    float64
	// Load is the foreign network's airtime share (0..1), e.g. from its
	// BSS Load element.
	Load float64
}

// Busy is a channel survey's busy share on one 20 MHz channel, measured by
// one mesh radio, that neither the mesh nor the listed ForeignBSSes
// explain (non-Wi-Fi energy, unseen networks).
type Busy struct {
	Radio    string
	Channel  int
	Fraction float64 // 0..1
}

// The costs a planner of a live home should use (the leader does): a
// Problem's zero value prices switches at nothing, which suits only
// evaluations that compare plans without a current one.
const (
	// DefaultSwitchCost is the price of a switch: clients see a channel
	// switch announcement and a short gap. Without it a 2 dB measurement
	// noise moves a radio in about 5 % of homes at every plan.
	DefaultSwitchCost = 0.02
	// DefaultDFSCost is the extra price of moving onto a DFS channel: the
	// radio is silent for the channel availability check (60 s; 10 min
	// on the weather channels 120-128). Costs are airtime shares that
	// last as long as a plan stands, so a one-off silence counts as its
	// share of the time a plan is expected to stand: 60 s over about ten
	// minutes is 0.1 of one radio's airtime. A congested home (a channel
	// that costs a radio a third of its airtime) then moves to DFS; a
	// cost of 1 would price a CAC as a radio lost for good and keep every
	// radio off DFS.
	DefaultDFSCost = 0.1
)

// Problem is everything the planner knows about a home.
//
// When only one direction of a Link is measured the other is taken to be
// equal; when neither is, the two radios are taken not to hear each other.
type Problem struct {
	Radios  []Radio
	RSSI    []Link
	Foreign []ForeignBSS
	Busy    []Busy
	// ClientRSSI is what radios' clients hear of other mesh radios: To's
	// clients hear From at RSSI dBm (the strongest of them, e.g. a high
	// percentile of its stations' 802.11k beacon reports of From's BSS;
	// ClientInterference). Where a pair has one, the client term prices
	// To's clients' SINR at that level instead of at what To itself hears
	// of From: two APs far apart can still reach each other's clients.
	// Optional, one direction only (no fallback to the reverse).
	ClientRSSI []Link
	// SwitchCost is added for each radio whose assignment changes
	// (DefaultSwitchCost for a live home).
	SwitchCost float64
	// DFSCost is added on top of SwitchCost when the new channel includes
	// a DFS channel (the radio is silent during the availability check).
	DFSCost float64
}

// Options bound and seed the solvers. The zero value is usable.
type Options struct {
	// Seed makes Solve deterministic: equal seeds give equal plans unless
	// Budget or the context stops the search early.
	Seed uint64
	// Budget caps the wall time of a search; 0 means no cap beyond ctx.
	Budget time.Duration
	// Restarts is the number of annealing runs Solve makes per component
	// (default 4).
	Restarts int
	// Sweeps is the length of one annealing run, in moves per movable
	// unit of the component (default 600 Metropolis sweeps in components
	// of fewer than 40 movable units, 400 heat-bath sweeps in larger
	// ones, lengthened up to twice for problems of 40 to 160 movable units
	// so that they take about as long as 160; a value set here is used as
	// is).
	Sweeps int
}

// Plan is a solver's answer.
type Plan struct {
	Assign      map[string]Assignment // by radio ID
	Cost        float64               // Evaluate of Assign
	CurrentCost float64               // cost of the current assignments
	Switches    int                   // radios whose assignment changes
	Elapsed     time.Duration
	Method      string // "anneal", "exact", "least-congested", "random"
}

// ErrInvalid is wrapped by every error about a malformed Problem or
// assignment.
var ErrInvalid = errors.New("wifiopt: invalid problem")

// ErrNotProven is wrapped by Exact's error when the search stopped before
// proving its plan optimal; the plan returned is the best found.
var ErrNotProven = errors.New("wifiopt: optimum not proven")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// Validate checks a Problem: known bands, allowed current assignments,
// unique IDs, existing references, finite numbers in range, and backhaul
// groups that share a band and at least one channel.
func Validate(p *Problem) error {
	_, err := compile(p)
	return err
}

// stopped reports whether the search must end: ctx done or deadline passed.
func stopped(ctx context.Context, deadline time.Time) bool {
	if ctx.Err() != nil {
		return true
	}
	return !deadline.IsZero() && time.Now().After(deadline)
}
