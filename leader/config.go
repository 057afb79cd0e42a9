package leader

import (
	"errors"
	"log/slog"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/usp"
)

// Config configures a Loop. Self, Agents, Members and Report are
// required; every other zero value means the default of DefaultConfig.
// A Config is not changed after New.
type Config struct {
	// Self is this node's own Agent. It is always measured, and its
	// radios switch last so the leader keeps its path to every node until
	// the end of an apply.
	Self usp.EndpointID
	// Agents reaches the Agents through the node's mesh Controller.
	Agents Agents
	// Members returns the Agents of the alive members of the mesh, in any
	// order, with or without Self. It is called at the start of every
	// round and every keep-alive, from the Loop's goroutines.
	Members func() []usp.EndpointID
	// Report records what the Loop does in the node's data model.
	Report Report
	// Clock is the source of time of every wait; nil means the system
	// clock.
	Clock clock.Clock
	// Logger receives the Loop's logs; nil discards them. The Loop adds
	// no scope of its own: the caller scopes it.
	Logger *slog.Logger

	// KeepAlive is the period of the sessions' keep-alive and the bound
	// on one keep-alive (default 30 s).
	KeepAlive time.Duration
	// FirstPlan is the delay of a new leader's first round and the
	// settle delay of a round asked for by a channel change (default
	// 10 s).
	FirstPlan time.Duration
	// PlanPeriod is the time from the end of one round to the next
	// (default 2 min).
	PlanPeriod time.Duration
	// MeasureTimeout bounds measuring one Agent, its neighbour scan
	// included (default 20 s).
	MeasureTimeout time.Duration
	// SwitchTimeout bounds one radio switch, channel switch announcement
	// and verification included (default 90 s); a switch onto DFS
	// channels the radio is not on also waits through their channel
	// availability check (1 min; 10 min on the weather channels 120-128).
	SwitchTimeout time.Duration
	// PollInterval is how often an asynchronous command's Request row is
	// checked for completion (default 150 ms).
	PollInterval time.Duration
	// SolverBudget caps the planner's wall time per round (default
	// 500 ms).
	SolverBudget time.Duration
	// RelativeGain is the share of the current cost a plan must save
	// before anything is switched (default 0.05).
	RelativeGain float64
	// AbsoluteGain is the cost a plan must save before anything is
	// switched (default 0.01).
	AbsoluteGain float64
	// CSACount is the channel switch announcement count given with each
	// switch, in beacons (default 5).
	CSACount int

	// Steering configures client steering (steer.go); the zero value
	// leaves it off (the node turns it on).
	Steering SteeringConfig
	// SteerReport, when set, records each steering action executed.
	SteerReport SteerReporter
}

// DefaultConfig returns the timings of the default (low-traffic)
// profile. The caller fills Self, Agents, Members and Report.
func DefaultConfig() Config {
	return Config{
		KeepAlive:      30 * time.Second,
		FirstPlan:      10 * time.Second,
		PlanPeriod:     2 * time.Minute,
		MeasureTimeout: 20 * time.Second,
		SwitchTimeout:  90 * time.Second,
		PollInterval:   150 * time.Millisecond,
		SolverBudget:   500 * time.Millisecond,
		RelativeGain:   0.05,
		AbsoluteGain:   0.01,
		CSACount:       5,
	}
}

// FastConfig returns the timings of the fast profile (virtual homes and
// tests): a keep-alive every 2 s, a first round 2 s after election and a
// round every 3 s.
func FastConfig() Config {
	c := DefaultConfig()
	c.KeepAlive = 2 * time.Second
	c.FirstPlan = 2 * time.Second
	c.PlanPeriod = 3 * time.Second
	c.MeasureTimeout = 10 * time.Second
	c.SwitchTimeout = 30 * time.Second
	return c
}

// withDefaults fills the zero values from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	durations := []struct{ v, def *time.Duration }{
		{&c.KeepAlive, &d.KeepAlive}, {&c.FirstPlan, &d.FirstPlan}, {&c.PlanPeriod, &d.PlanPeriod},
		{&c.MeasureTimeout, &d.MeasureTimeout}, {&c.SwitchTimeout, &d.SwitchTimeout},
		{&c.PollInterval, &d.PollInterval}, {&c.SolverBudget, &d.SolverBudget},
	}
	for _, x := range durations {
		if *x.v == 0 {
			*x.v = *x.def
		}
	}
	if c.RelativeGain == 0 {
		c.RelativeGain = d.RelativeGain
	}
	if c.AbsoluteGain == 0 {
		c.AbsoluteGain = d.AbsoluteGain
	}
	if c.CSACount == 0 {
		c.CSACount = d.CSACount
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// worth reports whether a plan that changes something (changes > 0) and
// brings the cost from current down to planned saves enough to apply:
// more than RelativeGain of the current cost and more than AbsoluteGain.
// Channel plans and power plans pass the same test.
func (c Config) worth(changes int, current, planned float64) bool {
	saved := current - planned
	return changes > 0 && saved > c.AbsoluteGain && saved > c.RelativeGain*current
}

// validate reports a missing dependency or a negative setting.
func (c Config) validate() error {
	var errs []error
	if c.Self == "" {
		errs = append(errs, errors.New("leader: Config.Self is required"))
	}
	if c.Agents == nil {
		errs = append(errs, errors.New("leader: Config.Agents is required"))
	}
	if c.Members == nil {
		errs = append(errs, errors.New("leader: Config.Members is required"))
	}
	if c.Report == nil {
		errs = append(errs, errors.New("leader: Config.Report is required"))
	}
	for _, x := range []struct {
		name string
		d    time.Duration
	}{{"KeepAlive", c.KeepAlive}, {"FirstPlan", c.FirstPlan}, {"PlanPeriod", c.PlanPeriod},
		{"MeasureTimeout", c.MeasureTimeout}, {"SwitchTimeout", c.SwitchTimeout},
		{"PollInterval", c.PollInterval}, {"SolverBudget", c.SolverBudget},
		{"Steering.Period", c.Steering.Period}, {"Steering.CommandTimeout", c.Steering.CommandTimeout}} {
		if x.d < 0 {
			errs = append(errs, errors.New("leader: Config."+x.name+" is negative"))
		}
	}
	if c.RelativeGain < 0 || c.AbsoluteGain < 0 || c.CSACount < 0 {
		errs = append(errs, errors.New("leader: Config gains and CSACount must not be negative"))
	}
	return errors.Join(errs...)
}
