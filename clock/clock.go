// Package clock is the project's one source of time: an interface with
// the wall clock behind it in production and a Fake that tests move by
// hand. Every component that waits, retries or schedules takes a Clock
// in its Config, so tests never sleep to see time pass.
//
// The package imports nothing of ours and keeps no global state.
package clock

import "time"

// Clock tells the time and schedules work after a delay.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f in its own goroutine once d has passed; stop
	// prevents that if it has not happened yet and reports whether it did.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// System is the Clock of the real world. Its zero value is ready.
type System struct{}

// Now implements Clock.
func (System) Now() time.Time { return time.Now() }

// After implements Clock.
func (System) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AfterFunc implements Clock.
func (System) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// Or returns c, or System when c is nil: the default of a Config field.
func Or(c Clock) Clock {
	if c == nil {
		return System{}
	}
	return c
}
