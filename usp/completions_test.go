package usp

import (
	"testing"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// TestCompletions: a completion reaches the waiter of its Agent and key
// only, once; after done nothing is delivered.
func TestCompletions(t *testing.T) {
	var c Completions
	ch, done := c.Wait("proto::a", "k1")
	other, doneOther := c.Wait("proto::b", "k1")
	defer doneOther()
	oc := &uspmsg.Notify_OperationComplete{CommandKey: "k1", CommandName: "Run()"}
	c.Deliver("proto::a", &uspmsg.Notify_OperationComplete{CommandKey: "k2"}) // another key
	c.Deliver("proto::a", oc)
	c.Deliver("proto::a", oc) // a duplicate: dropped, never blocks
	select {
	case got := <-ch:
		if got != oc {
			t.Errorf("got %v, want %v", got, oc)
		}
	default:
		t.Fatal("nothing delivered")
	}
	select {
	case got := <-ch:
		t.Errorf("a second delivery: %v", got)
	case got := <-other:
		t.Errorf("another Agent's waiter got %v", got)
	default:
	}
	done()
	c.Deliver("proto::a", oc) // nobody waits: dropped
	select {
	case got := <-ch:
		t.Errorf("delivered after done: %v", got)
	default:
	}
}
