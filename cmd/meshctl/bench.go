package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// cmdBench sends n Gets of one path, c at a time, over the established
// sessions, and prints latency percentiles and throughput.
func cmdBench(ctx context.Context, s *session, f *cmdFlags, _ []string, r *report) error {
	if f.n < 1 || f.c < 1 {
		return &usageError{"-n and -c must be at least 1"}
	}
	// Warm up: the DTLS sessions both ways are set up before timing.
	if _, err := s.client.Get(ctx, s.to, 0, f.path); err != nil {
		return about(fmt.Errorf("warm-up: %w", err), f.path)
	}
	lat := make([]time.Duration, f.n)
	var next int
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range f.c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= f.n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				_, err := s.client.Get(ctx, s.to, 0, f.path)
				lat[i] = time.Since(t0)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return about(firstErr, f.path)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	pct := func(p float64) float64 { return ms(lat[min(len(lat)-1, int(p*float64(len(lat))))]) }
	r.add(benchFigures{Path: f.path, N: f.n, C: f.c, P50: pct(0.50), P90: pct(0.90), P99: pct(0.99), Max: ms(lat[len(lat)-1]),
		PerSecond: float64(f.n) / elapsed.Seconds()})
	return nil
}
