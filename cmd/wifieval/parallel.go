package main

import (
	"context"
	"sync"
)

// runEach calls do(ctx, k) for k = 0 … n-1, parallel calls at a time, in
// order of k. The first error cancels the ctx the other calls got, no
// call starts after it, and it is returned once every call under way has
// returned; without one, runEach returns ctx's error, if any.
func runEach(ctx context.Context, parallel, n int, do func(ctx context.Context, k int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				if ctx.Err() != nil {
					continue // handed out as the ctx ended: not run
				}
				if err := do(ctx, k); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
feed:
	for k := range n {
		select {
		case next <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
