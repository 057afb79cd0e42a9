package bulkdata

import (
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHangingCollectorBounded: a collector that accepts the connection
// and never answers costs one attempt and one connection per collection
// (each closed at AttemptTimeout), keeps at most NumberOfRetainedFailedReports reports,
// does not accumulate goroutines across collections, and ForceCollection
// calls made while a delivery hangs queue at most one more collection.
func TestHangingCollectorBounded(t *testing.T) {
	var collections atomic.Int32
	e := newEnv(t, func(c *Config) {
		c.Access = func(context.Context, string) (Reader, error) { collections.Add(1); return allowAll{}, nil }
	})
	hang := newHangingCollector(t)
	row := e.profile(t, map[string]string{"NumberOfRetainedFailedReports": "3", "HTTP.URL": "http://" + hang.addr + "/r"})
	waitFor(t, "the profile to start", func() bool { s, _ := e.status(row); return s == StatusEnabled })

	var base int
	for i := 1; i <= 8; i++ {
		e.tick(t)
		waitFor(t, "the attempt to time out", func() bool {
			_, m := e.status(row)
			return strings.Contains(m, "not delivered") && e.clk.Timers() == 1
		})
		if got, want := e.r.Retained(row), min(i, 3); got != want {
			t.Fatalf("after %d hung deliveries %d reports retained, want %d", i, got, want)
		}
		if i == 3 {
			base = settledGoroutines(0)
		}
		waitFor(t, "the hung connection to close", func() bool { return hang.open.Load() == 0 })
	}
	if n := settledGoroutines(base); n > base+2 {
		t.Fatalf("%d goroutines after 8 hung deliveries, %d after 3", n, base)
	}

	// ForceCollection while a delivery hangs: the calls return at once
	// and at most one collection is pending behind the hung one.
	e.tick(t)
	for range 100 {
		if err := e.r.Force(context.Background(), row); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the forced collection to fail too", func() bool { return collections.Load() >= 10 && e.clk.Timers() == 1 })
	e.r.mu.Lock()
	pending := len(e.r.workers[row].force)
	e.r.mu.Unlock()
	if n := collections.Load(); n != 10 || pending != 0 {
		t.Fatalf("%d collections and %d pending after 9 scheduled and 100 forced during a hung one, want 10 and 0", n, pending)
	}
	if got := e.r.Retained(row); got != 3 {
		t.Fatalf("%d reports retained, want 3", got)
	}
	_, m := e.status(row)
	if !strings.Contains(m, "3 retained") {
		t.Fatalf("status %q", m)
	}
}

// hangingCollector accepts TCP connections and never answers; it counts
// the connections its clients have not closed.
type hangingCollector struct {
	addr string
	open atomic.Int32
}

func newHangingCollector(t *testing.T) *hangingCollector {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangingCollector{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			h.open.Add(1)
			wg.Add(1)
			go func() { // read the request and more until the client closes
				defer wg.Done()
				_, _ = io.Copy(io.Discard, c)
				_ = c.Close()
				h.open.Add(-1)
			}()
		}
	}()
	return h
}

// settledGoroutines waits (up to 5 s) for the goroutine count to be at
// most want, or to stop falling when want is 0, and returns it.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	n := runtime.NumGoroutine()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		m := runtime.NumGoroutine()
		if want > 0 && m <= want || want == 0 && m == n {
			return m
		}
		n = m
	}
	return n
}
