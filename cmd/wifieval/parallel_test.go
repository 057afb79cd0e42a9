package main

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestRunEach(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	err := runEach(context.Background(), 2, 7, func(_ context.Context, k int) error {
		mu.Lock()
		seen[k]++
		mu.Unlock()
		return nil
	})
	if err != nil || len(seen) != 7 {
		t.Fatalf("runEach = %v, calls %v; want every k once", err, seen)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("k %d called %d times", k, n)
		}
	}

	// The first error cancels the others' ctx, no call starts after it,
	// and it is returned.
	boom := errors.New("boom")
	calls := 0
	err = runEach(context.Background(), 1, 100, func(ctx context.Context, k int) error {
		calls++
		if k == 3 {
			return boom
		}
		return ctx.Err()
	})
	if !errors.Is(err, boom) || calls != 4 {
		t.Errorf("runEach = %v after %d calls; want boom after 4", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := runEach(ctx, 2, 3, func(context.Context, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("runEach on a cancelled ctx = %v, want context.Canceled", err)
	}
}
