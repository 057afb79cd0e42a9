package clock

import (
	"testing"
	"time"
)

func TestFakeFiresInOrder(t *testing.T) {
	start := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	late := f.After(3 * time.Second)
	early := f.After(time.Second)
	fired := make(chan struct{}, 1)
	stopped := f.AfterFunc(2*time.Second, func() { t.Error("a stopped AfterFunc ran") })
	f.AfterFunc(2*time.Second, func() { fired <- struct{}{} })
	if !stopped() {
		t.Fatal("stop of a pending AfterFunc reported false")
	}
	if f.Timers() != 3 {
		t.Fatalf("timers %d, want 3", f.Timers())
	}
	f.Advance(1500 * time.Millisecond)
	select {
	case at := <-early:
		if want := start.Add(time.Second); !at.Equal(want) {
			t.Fatalf("early fired at %v, want %v", at, want)
		}
	default:
		t.Fatal("the 1 s timer did not fire after 1.5 s")
	}
	select {
	case <-late:
		t.Fatal("the 3 s timer fired after 1.5 s")
	default:
	}
	f.Advance(2 * time.Second)
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc did not run")
	}
	if at := <-late; !at.Equal(start.Add(3 * time.Second)) {
		t.Fatalf("late fired at %v", at)
	}
	if got := f.Now(); !got.Equal(start.Add(3500 * time.Millisecond)) {
		t.Fatalf("now %v", got)
	}
}

func TestFakeWaitTimers(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	if f.WaitTimers(1, 10*time.Millisecond) {
		t.Fatal("WaitTimers reported a timer that does not exist")
	}
	go func() { <-f.After(time.Minute) }()
	if !f.WaitTimers(1, 5*time.Second) {
		t.Fatal("WaitTimers did not see the goroutine's timer")
	}
}

func TestSystem(t *testing.T) {
	var c Clock = Or(nil)
	if _, ok := c.(System); !ok {
		t.Fatalf("Or(nil) = %T", c)
	}
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("System.AfterFunc did not fire")
	}
	<-c.After(time.Millisecond)
}
