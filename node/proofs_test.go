package node

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/discovery"
	"github.com/uspmesh/uspmesh/election"
)

var testProofTimings = proofTimings{backoff: time.Second, quarantine: time.Minute, retain: 5 * time.Minute,
	recheck: 250 * time.Millisecond}

// sighting is an Agent announced at ip with gossip port 7946.
func sighting(id, ip string, at time.Time) discovery.Peer {
	return announced(id, "home", netip.MustParseAddr(ip), 5684, 7946, at)
}

// alive is a member of the cluster at ip:7946.
func alive(id, ip string) election.Member {
	return election.Member{View: election.View{Name: id}, Addr: netip.AddrPortFrom(netip.MustParseAddr(ip), 7946),
		State: election.StateAlive, Valid: true}
}

func memberMap(ms ...election.Member) map[string]election.Member {
	out := map[string]election.Member{}
	for _, m := range ms {
		out[m.Name] = m
	}
	return out
}

// started lists the Endpoint IDs of the candidates start returns.
func started(ps *proofs, now time.Time) []string {
	var out []string
	for _, c := range ps.start(now) {
		out = append(out, c.key.id)
	}
	return out
}

// TestProofsBackOffAndGiveUp: a candidate that never proves itself is
// tried proofAttempts times, each after twice the wait of the one before,
// is then forgotten, and its sightings are ignored for the quarantine.
// It is never a seed.
func TestProofsBackOffAndGiveUp(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	ps := newProofs(testProofTimings)
	none := memberMap()
	spoof := sighting("os::00256D-SPOOF", "192.0.2.66", t0)
	if c := ps.propose(spoof, none, t0); c == nil || c.proven {
		t.Fatalf("propose: %+v", c)
	}
	k, _ := keyOf(spoof)
	now := t0
	for attempt, wait := 1, time.Duration(0); attempt <= proofAttempts; attempt++ {
		if wait > 0 {
			if got := started(ps, now.Add(wait-time.Millisecond)); got != nil {
				t.Fatalf("attempt %d started before its back-off of %v", attempt, wait)
			}
			if at := ps.wakeAt(now); !at.Equal(now.Add(min(wait, testProofTimings.recheck))) {
				t.Fatalf("attempt %d: wake at %v, want %v", attempt, at.Sub(now), min(wait, testProofTimings.recheck))
			}
		}
		now = now.Add(wait)
		if got := started(ps, now); !slices.Equal(got, []string{"os::00256D-SPOOF"}) {
			t.Fatalf("attempt %d: started %q", attempt, got)
		}
		if ps.result(k, false, none, now) {
			t.Fatalf("attempt %d: a failed attempt proved the candidate", attempt)
		}
		if s := ps.seeds(); s != nil {
			t.Fatalf("attempt %d: seeds %q", attempt, s)
		}
		wait = max(wait*2, testProofTimings.backoff)
	}
	if len(ps.cands) != 0 || !ps.wakeAt(now).IsZero() {
		t.Fatalf("after %d failures: %d candidates, wake at %v", proofAttempts, len(ps.cands), ps.wakeAt(now))
	}
	if c := ps.propose(spoof, none, now.Add(testProofTimings.quarantine-time.Second)); c != nil {
		t.Fatal("a given-up candidate was taken again within the quarantine")
	}
	ps.check(none, now.Add(testProofTimings.quarantine))
	if c := ps.propose(spoof, none, now.Add(testProofTimings.quarantine)); c == nil {
		t.Fatal("a given-up candidate was ignored after the quarantine")
	}
}

// TestProofsMembershipProves: a candidate is proven by an alive member
// of its Endpoint ID at its announced gossip address, whether the member
// joined through our attempt or by itself, and only then is a seed; a
// proven peer gone and unseen for the retention is forgotten.
func TestProofsMembershipProves(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	ps := newProofs(testProofTimings)
	ap2 := sighting("os::00256D-AP2", "192.0.2.2", t0)
	k, _ := keyOf(ap2)

	// A member of that name elsewhere proves nothing, nor does a join
	// that reached somebody else.
	elsewhere := memberMap(alive("os::00256D-AP2", "192.0.2.99"))
	if c := ps.propose(ap2, elsewhere, t0); c == nil || c.proven {
		t.Fatalf("proven by a member at another address: %+v", c)
	}
	started(ps, t0)
	if ps.result(k, true, elsewhere, t0) || ps.seeds() != nil {
		t.Fatal("a join with a member at another address proved the candidate")
	}

	// The member at the announced address proves it on the next check.
	members := memberMap(alive("os::00256D-AP2", "192.0.2.2"))
	proven, _ := ps.check(members, t0.Add(time.Second))
	if len(proven) != 1 || proven[0].key != k {
		t.Fatalf("check proved %v", proven)
	}
	if s := ps.seeds(); !slices.Equal(s, []string{"192.0.2.2:7946"}) {
		t.Fatalf("seeds %q", s)
	}
	if got := started(ps, t0.Add(time.Hour)); got != nil {
		t.Fatalf("a proven candidate is attempted: %q", got)
	}

	// Gone, it stays a seed (to heal partitions) for the retention after
	// it was last alive or sighted.
	gone := memberMap()
	ps.check(gone, t0.Add(time.Second+testProofTimings.retain))
	if len(ps.seeds()) != 1 {
		t.Fatal("a proven peer was forgotten within the retention")
	}
	if _, forgot := ps.check(gone, t0.Add(2*time.Second+testProofTimings.retain)); !forgot || ps.seeds() != nil {
		t.Fatalf("a proven peer gone for the retention is still a seed: %q", ps.seeds())
	}

	// A sighting of a member is proven at once, even in quarantine.
	ps.quarantine[k] = t0.Add(time.Hour)
	if c := ps.propose(ap2, members, t0.Add(time.Minute)); c == nil || !c.proven {
		t.Fatalf("a member's sighting in quarantine: %+v", c)
	}
}

// TestProofsBounds: a flood of candidates from one address holds
// proofPerSource of them and from many addresses proofMaxCandidates; a
// proven peer survives either; at most proofParallel attempts run at
// once; a genuine peer announced after the flood is attempted first.
func TestProofsBounds(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		ip   func(i int) string
		want int
	}{
		{"one source", func(int) string { return "192.0.2.66" }, proofPerSource},
		{"many sources", func(i int) string { return fmt.Sprintf("10.0.%d.%d", i/250, i%250+1) }, proofMaxCandidates},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := newProofs(testProofTimings)
			members := memberMap(alive("os::00256D-AP1", "192.0.2.66"))
			ps.propose(sighting("os::00256D-AP1", "192.0.2.66", t0), members, t0)
			if len(ps.seeds()) != 1 {
				t.Fatal("the member was not proven")
			}
			inFlight := 0
			for i := range 500 {
				now := t0.Add(time.Duration(i) * time.Millisecond)
				ps.propose(sighting(fmt.Sprintf("os::00256D-SPOOF%03d", i), tc.ip(i), now), members, now)
				inFlight += len(ps.start(now))
				if inFlight > proofParallel || ps.inFlight != inFlight {
					t.Fatalf("%d attempts in flight (%d counted), want at most %d", inFlight, ps.inFlight, proofParallel)
				}
			}
			if n := len(ps.cands); n > tc.want {
				t.Errorf("%d candidates, want at most %d", n, tc.want)
			}
			if s := ps.seeds(); !slices.Equal(s, []string{"192.0.2.66:7946"}) {
				t.Errorf("seeds after the flood %q, want the member's only", s)
			}
			now := t0.Add(time.Second)
			ps.propose(sighting("os::00256D-AP2", "192.0.2.2", now), members, now)
			// The attempts in flight end; the genuine peer goes first.
			for k, c := range ps.cands {
				if c.inFlight {
					ps.result(k, false, members, now)
				}
			}
			for ps.inFlight > 0 { // forgotten candidates' attempts
				ps.result(proofKey{}, false, members, now)
			}
			if got := started(ps, now); len(got) == 0 || got[0] != "os::00256D-AP2" {
				t.Errorf("after the flood, started %q, want the genuine peer first", got)
			}
		})
	}
}
