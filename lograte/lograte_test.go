package lograte

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
)

func TestOncePerPeriodPerKey(t *testing.T) {
	var buf bytes.Buffer
	clk := clock.NewFake(time.Unix(1000, 0))
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), clk, time.Minute)
	for range 5 {
		l.Info("a", "refused", "from", "a")
	}
	if !l.Info("b", "refused", "from", "b") {
		t.Fatal("another key was held back")
	}
	if n := strings.Count(buf.String(), "from=a"); n != 1 {
		t.Fatalf("key a logged %d times within the period, want 1", n)
	}
	clk.Advance(time.Minute)
	if !l.Info("a", "refused", "from", "a") {
		t.Fatal("key a held back after the period")
	}
	if !strings.Contains(buf.String(), "not_logged_since=4") {
		t.Fatalf("no count of the held-back lines:\n%s", buf.String())
	}
}

// TestKeysBounded: keys from the network cannot grow the table without
// bound; stale keys go first.
func TestKeysBounded(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	l := New(nil, clk, time.Minute)
	for i := range maxKeys - 1 {
		l.Allow(fmt.Sprint("old", i))
	}
	clk.Advance(2 * time.Minute)
	l.Allow("fresh")
	l.Allow("new") // the table is full: the stale keys go, fresh stays
	if ok, _ := l.Allow("fresh"); ok {
		t.Fatal("a fresh key was forgotten while stale ones were there")
	}
	if len(l.seen) != 2 {
		t.Fatalf("%d keys after forgetting the stale ones, want 2", len(l.seen))
	}
	for i := range 10 * maxKeys {
		l.Allow(fmt.Sprint("new", i))
		if len(l.seen) > maxKeys {
			t.Fatalf("%d keys remembered, bound %d", len(l.seen), maxKeys)
		}
	}
}
