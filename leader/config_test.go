package leader

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/usp"
)

func TestConfigDefaults(t *testing.T) {
	d := DefaultConfig()
	want := Config{KeepAlive: 30 * time.Second, FirstPlan: 10 * time.Second, PlanPeriod: 2 * time.Minute,
		MeasureTimeout: 20 * time.Second, SwitchTimeout: 90 * time.Second, PollInterval: 150 * time.Millisecond,
		SolverBudget: 500 * time.Millisecond, RelativeGain: 0.05, AbsoluteGain: 0.01, CSACount: 5}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("DefaultConfig() = %+v, want %+v", d, want)
	}
	f := FastConfig()
	want.KeepAlive, want.FirstPlan, want.PlanPeriod, want.MeasureTimeout, want.SwitchTimeout =
		2*time.Second, 2*time.Second, 3*time.Second, 10*time.Second, 30*time.Second
	if !reflect.DeepEqual(f, want) {
		t.Errorf("FastConfig() = %+v, want %+v", f, want)
	}
	// The zero value means the defaults.
	z := Config{}.withDefaults()
	if z.Clock != (clock.System{}) || z.Logger == nil {
		t.Errorf("zero Config: Clock %v, Logger %v; want the system clock and a logger", z.Clock, z.Logger)
	}
	z.Clock, z.Logger = nil, nil
	if !reflect.DeepEqual(z, DefaultConfig()) {
		t.Errorf("zero Config with defaults = %+v, want %+v", z, DefaultConfig())
	}
	// Set values stand.
	c := Config{KeepAlive: time.Second, RelativeGain: 0.2, CSACount: 10}.withDefaults()
	if c.KeepAlive != time.Second || c.RelativeGain != 0.2 || c.CSACount != 10 || c.PlanPeriod != 2*time.Minute {
		t.Errorf("set values changed: %+v", c)
	}
}

func TestNewValidates(t *testing.T) {
	m := newFakeMesh(nil)
	ok := Config{Self: agentA, Agents: m, Members: func() []usp.EndpointID { return nil }, Report: newFakeReport()}
	if _, err := New(ok); err != nil {
		t.Errorf("New(%+v): %v", ok, err)
	}
	for _, tt := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no Self", func(c *Config) { c.Self = "" }, "Config.Self is required"},
		{"no Agents", func(c *Config) { c.Agents = nil }, "Config.Agents is required"},
		{"no Members", func(c *Config) { c.Members = nil }, "Config.Members is required"},
		{"no Report", func(c *Config) { c.Report = nil }, "Config.Report is required"},
		{"negative duration", func(c *Config) { c.SwitchTimeout = -time.Second }, "Config.SwitchTimeout is negative"},
		{"negative gain", func(c *Config) { c.AbsoluteGain = -1 }, "must not be negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			l, err := New(c)
			if err == nil || l != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, %v; want an error saying %q", l, err, tt.want)
			}
		})
	}
}

func TestSubscriptionID(t *testing.T) {
	if got := SubscriptionID(42); got != "mesh-leader-t42" {
		t.Errorf("SubscriptionID(42) = %q", got)
	}
}
