package steer

import (
	"fmt"
	"math"
	"time"
)

// Config holds the policy's parameters. The package documentation
// justifies each default. A zero field takes the default (see
// DefaultConfig), so Config{} is the default policy.
type Config struct {
	// MaxAge is the oldest measurement the policy uses; older signals
	// are ignored.
	MaxAge time.Duration
	// MinGain is the least gain of a move (the package doc's
	// "Expected throughput": the client's own factor, times what the
	// move does to the other clients of both BSSs), and MinGainMbps
	// what the client, or the other clients of the BSS it leaves
	// together, must gain (Mb/s); both must hold.
	MinGain     float64
	MinGainMbps float64
	// HysteresisDB is how much stronger a target's signal must be than
	// the current one for a move within the same band.
	HysteresisDB float64
	// BandUpMinDBm is the weakest signal at a higher band (5 or 6 GHz)
	// for which a client is moved up, and BandUpGain the least gain of
	// such a move.
	BandUpMinDBm float64
	BandUpGain   float64
	// BandDownMaxDBm: a client is moved down a band only when its signal
	// at the current BSS is below this (and the gain rule holds).
	BandDownMaxDBm float64
	// MinDwell is the least time after an association or a steer before
	// the client is steered (again).
	MinDwell time.Duration
	// AttemptTimeout is how long an attempt waits for the client to
	// leave before it counts as ignored or timed out.
	AttemptTimeout time.Duration
	// BackoffBase is the wait after the first failed attempt; each
	// further consecutive failure doubles it, up to BackoffMax.
	BackoffBase, BackoffMax time.Duration
	// MaxPerHour is the most attempts (BTM requests and refusals) per
	// client in any hour.
	MaxPerHour int
	// PingPongWindow: after a steer A→B, the client is not steered B→A
	// within this window, unless its signal at B has fallen MovedDB or
	// more below the one the steer was decided on (it walked away).
	PingPongWindow time.Duration
	MovedDB        float64
	// ReserveAfter and ReserveGain keep the end of the hourly budget
	// for the moves that matter most: once a client had ReserveAfter
	// attempts in the last hour, a further one needs a gain of
	// ReserveGain and ReserveSpacing since the client's last attempt (on
	// top of the other rules), so the rest of the budget lasts the hour.
	ReserveAfter   int
	ReserveGain    float64
	ReserveSpacing time.Duration
	// DenyFor is how long a legacy client is refused on the BSS it is
	// steered away from.
	DenyFor time.Duration
	// MinShare is the least airtime share an estimate assumes, so that a
	// saturated BSS still has a (small) expected throughput.
	MinShare float64
	// Candidates is the most BSSs a BTM request lists.
	Candidates int
	// ForgetAfter is how long the memory keeps a client not seen, and
	// MaxClients the most clients it keeps (the least recently seen go
	// first).
	ForgetAfter time.Duration
	MaxClients  int
}

// DefaultConfig returns the default policy parameters.
func DefaultConfig() Config {
	return Config{
		MaxAge:         15 * time.Second,
		MinGain:        1.5,
		MinGainMbps:    5,
		HysteresisDB:   6,
		BandUpMinDBm:   -70,
		BandUpGain:     1.2,
		BandDownMaxDBm: -80,
		MinDwell:       20 * time.Second,
		AttemptTimeout: 10 * time.Second,
		BackoffBase:    time.Minute,
		BackoffMax:     30 * time.Minute,
		MaxPerHour:     4,
		PingPongWindow: 30 * time.Minute,
		MovedDB:        10,
		ReserveAfter:   2,
		ReserveGain:    3,
		ReserveSpacing: 15 * time.Minute,
		DenyFor:        30 * time.Second,
		MinShare:       0.02,
		Candidates:     3,
		ForgetAfter:    2 * time.Hour,
		MaxClients:     4096,
	}
}

// withDefaults fills zero fields from DefaultConfig and checks the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	fill := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	fillF := func(v *float64, dv float64) {
		if *v == 0 {
			*v = dv
		}
	}
	fill(&c.MaxAge, d.MaxAge)
	fill(&c.MinDwell, d.MinDwell)
	fill(&c.AttemptTimeout, d.AttemptTimeout)
	fill(&c.BackoffBase, d.BackoffBase)
	fill(&c.BackoffMax, d.BackoffMax)
	fill(&c.PingPongWindow, d.PingPongWindow)
	fill(&c.DenyFor, d.DenyFor)
	fill(&c.ReserveSpacing, d.ReserveSpacing)
	fill(&c.ForgetAfter, d.ForgetAfter)
	fillF(&c.MinGain, d.MinGain)
	fillF(&c.MinGainMbps, d.MinGainMbps)
	fillF(&c.HysteresisDB, d.HysteresisDB)
	fillF(&c.BandUpMinDBm, d.BandUpMinDBm)
	fillF(&c.BandUpGain, d.BandUpGain)
	fillF(&c.BandDownMaxDBm, d.BandDownMaxDBm)
	fillF(&c.MinShare, d.MinShare)
	fillF(&c.MovedDB, d.MovedDB)
	fillF(&c.ReserveGain, d.ReserveGain)
	if c.ReserveAfter == 0 {
		c.ReserveAfter = d.ReserveAfter
	}
	if c.MaxPerHour == 0 {
		c.MaxPerHour = d.MaxPerHour
	}
	if c.Candidates == 0 {
		c.Candidates = d.Candidates
	}
	if c.MaxClients == 0 {
		c.MaxClients = d.MaxClients
	}
	for _, f := range []float64{c.MinGain, c.MinGainMbps, c.HysteresisDB, c.BandUpMinDBm, c.BandUpGain, c.BandDownMaxDBm, c.MinShare, c.MovedDB, c.ReserveGain} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return c, fmt.Errorf("steer: config: a parameter is not a finite number")
		}
	}
	for _, v := range []time.Duration{c.MaxAge, c.MinDwell, c.AttemptTimeout, c.BackoffBase, c.BackoffMax, c.PingPongWindow, c.DenyFor, c.ForgetAfter, c.ReserveSpacing} {
		if v < 0 {
			return c, fmt.Errorf("steer: config: negative duration %v", v)
		}
	}
	switch {
	case c.MinGain < 1 || c.BandUpGain < 1 || c.ReserveGain < 1:
		return c, fmt.Errorf("steer: config: gains below 1 would steer to worse BSSs (MinGain %g, BandUpGain %g, ReserveGain %g)", c.MinGain, c.BandUpGain, c.ReserveGain)
	case c.MovedDB < 0 || c.ReserveAfter < 0:
		return c, fmt.Errorf("steer: config: negative MovedDB %g or ReserveAfter %d", c.MovedDB, c.ReserveAfter)
	case c.MinShare <= 0 || c.MinShare > 1:
		return c, fmt.Errorf("steer: config: MinShare %g not in (0, 1]", c.MinShare)
	case c.MaxPerHour < 0 || c.Candidates < 0 || c.MaxClients < 0:
		return c, fmt.Errorf("steer: config: negative MaxPerHour, Candidates or MaxClients")
	case c.BackoffMax < c.BackoffBase:
		return c, fmt.Errorf("steer: config: BackoffMax %v below BackoffBase %v", c.BackoffMax, c.BackoffBase)
	}
	return c, nil
}
