package election

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// follower is a member that follows (or last followed) (term, leader).
func follower(name string, prio int, term uint64, leader string) View {
	return View{Name: name, Priority: prio, Term: term, Leader: leader}
}

// claimant is a member that claims term.
func claimant(name string, prio int, term uint64) View {
	return View{Name: name, Priority: prio, Term: term, Leader: name, Claim: true}
}

// withdrawn is a member that cannot persist its vote.
func withdrawn(v View) View { v.Withdrawn = true; return v }

// fresh is a member that has never followed anyone.
func fresh(name string, prio int) View { return View{Name: name, Priority: prio} }

func TestDecide(t *testing.T) {
	none := func(term uint64) Decision { return Decision{Term: term} }
	follow := func(term uint64, leader string) Decision { return Decision{Term: term, Leader: leader} }
	claim := func(term uint64, self string) Decision { return Decision{Term: term, Leader: self, Claim: true} }
	v := func(term uint64, leader string) Vote { return Vote{Term: term, Leader: leader} }

	tests := []struct {
		name      string
		self      string
		members   []View
		persisted Vote
		settled   bool
		want      Decision
	}{
		// Cold start.
		{"cold 1 node before wait", "a", []View{fresh("a", 0)}, Vote{}, false, none(0)},
		{"cold 1 node after wait", "a", []View{fresh("a", 0)}, Vote{}, true, claim(1, "a")},
		{"cold 3 nodes best before wait", "a", []View{fresh("a", 0), fresh("b", 0), fresh("c", 0)}, Vote{}, false, none(0)},
		{"cold 3 nodes best after wait", "a", []View{fresh("a", 0), fresh("b", 0), fresh("c", 0)}, Vote{}, true, claim(1, "a")},
		{"cold 3 nodes not best after wait", "b", []View{fresh("a", 0), fresh("b", 0), fresh("c", 0)}, Vote{}, true, none(0)},
		{"cold 3 nodes follow claim before own wait", "c", []View{claimant("a", 0, 1), fresh("b", 0), fresh("c", 0)}, Vote{}, false, follow(1, "a")},
		{"cold 5 nodes priority beats name", "e", []View{fresh("a", 1), fresh("b", 1), fresh("c", 1), fresh("d", 1), fresh("e", 5)}, Vote{}, true, claim(1, "e")},
		{"cold 5 nodes lower priority waits", "a", []View{fresh("a", 1), fresh("b", 1), fresh("c", 1), fresh("d", 1), fresh("e", 5)}, Vote{}, true, none(0)},
		{"cold 5 nodes equal priority lowest name stands", "a", []View{fresh("e", 2), fresh("d", 2), fresh("c", 2), fresh("b", 2), fresh("a", 2)}, Vote{}, true, claim(1, "a")},
		{"cold 5 nodes all follow the one claim", "d", []View{claimant("a", 2, 1), fresh("b", 2), follower("c", 2, 1, "a"), fresh("d", 2), fresh("e", 2)}, Vote{}, true, follow(1, "a")},

		// Sticky leadership.
		{"sticky leader keeps term despite higher-priority newcomer", "a", []View{claimant("a", 1, 3), follower("b", 1, 3, "a"), fresh("z", 9)}, v(3, "a"), true, claim(3, "a")},
		{"higher-priority newcomer follows before its wait", "z", []View{claimant("a", 1, 3), follower("b", 1, 3, "a"), fresh("z", 9)}, Vote{}, false, follow(3, "a")},
		{"higher-priority newcomer follows after its wait", "z", []View{claimant("a", 1, 3), follower("b", 1, 3, "a"), follower("z", 9, 3, "a")}, v(3, "a"), true, follow(3, "a")},
		{"returning former leader with higher priority follows", "z", []View{claimant("a", 1, 4), follower("z", 9, 3, "z")}, v(3, "z"), true, follow(4, "a")},

		// Leader death.
		{"leader death best survivor claims next term", "b", []View{follower("b", 0, 3, "a"), follower("c", 0, 3, "a")}, v(3, "a"), true, claim(4, "b")},
		{"leader death other survivor waits", "c", []View{follower("b", 0, 3, "a"), follower("c", 0, 3, "a")}, v(3, "a"), true, none(3)},
		{"leader death survivor follows new claim", "c", []View{claimant("b", 0, 4), follower("c", 0, 3, "a")}, v(3, "a"), true, follow(4, "b")},
		{"restarted old leader does not resume before wait", "a", []View{follower("a", 0, 3, "a")}, v(3, "a"), false, none(3)},
		{"restarted old leader alone claims higher term after wait", "a", []View{follower("a", 0, 3, "a")}, v(3, "a"), true, claim(4, "a")},
		{"restarted old leader follows the new leader", "a", []View{follower("a", 9, 3, "a"), claimant("b", 0, 4), follower("c", 0, 4, "b")}, v(3, "a"), false, follow(4, "b")},

		// Claims meeting.
		{"two claimants lower term gives way", "a", []View{claimant("a", 5, 3), claimant("b", 0, 5)}, v(3, "a"), true, follow(5, "b")},
		{"two claimants higher term keeps", "b", []View{claimant("a", 5, 3), claimant("b", 0, 5)}, v(5, "b"), true, claim(5, "b")},
		{"heal equal terms lower name gives way", "a", []View{claimant("a", 0, 3), follower("c", 0, 3, "a"), claimant("b", 0, 3), follower("d", 0, 3, "b")}, v(3, "a"), true, follow(3, "b")},
		{"heal equal terms higher name keeps", "b", []View{claimant("a", 0, 3), follower("c", 0, 3, "a"), claimant("b", 0, 3), follower("d", 0, 3, "b")}, v(3, "b"), true, claim(3, "b")},
		{"heal follower of losing side switches", "c", []View{claimant("a", 0, 3), follower("c", 0, 3, "a"), claimant("b", 0, 5), follower("d", 0, 5, "b")}, v(3, "a"), true, follow(5, "b")},
		{"heal follower of winning side stays", "d", []View{claimant("a", 0, 3), follower("c", 0, 3, "a"), claimant("b", 0, 5), follower("d", 0, 5, "b")}, v(5, "b"), true, follow(5, "b")},

		// Terms below what we have seen.
		{"lower-term claim ignored while leader alive", "c", []View{claimant("x", 0, 5), claimant("y", 0, 3), follower("c", 0, 5, "x")}, v(5, "x"), true, follow(5, "x")},
		{"stale low claim alone is not followed", "c", []View{claimant("y", 0, 3), follower("c", 0, 5, "x")}, v(5, "x"), true, none(5)},
		{"stale low claimant bumps above seen term", "y", []View{claimant("y", 0, 3), follower("c", 0, 5, "x")}, v(3, "y"), true, claim(6, "y")},
		{"leader bumps above stale newcomer term", "a", []View{claimant("a", 0, 2), follower("b", 0, 2, "a"), follower("n", 9, 7, "z")}, v(2, "a"), true, claim(8, "a")},
		{"newcomer with stale higher term waits for bump", "n", []View{claimant("a", 0, 2), follower("b", 0, 2, "a"), follower("n", 9, 7, "z")}, v(7, "z"), true, none(7)},
		{"same-term claim by higher name than persisted is followed", "c", []View{claimant("y", 0, 5), follower("c", 0, 5, "x")}, v(5, "x"), true, follow(5, "y")},
		{"same-term claim by lower name than persisted waits", "c", []View{claimant("w", 0, 5), follower("c", 0, 5, "x")}, v(5, "x"), true, none(5)},
		{"leader bumps past own persisted record", "a", []View{claimant("a", 0, 2)}, v(4, "q"), true, claim(5, "a")},
		{"vacancy claim uses highest term among members", "a", []View{follower("a", 0, 3, "a"), follower("b", 0, 9, "q")}, v(3, "a"), true, claim(10, "a")},
		{"vacancy claim uses persisted above members", "a", []View{fresh("a", 0), fresh("b", 0)}, v(12, "z"), true, claim(13, "a")},

		// Eligibility and malformed input.
		{"negative priority never claims", "a", []View{fresh("a", -1)}, Vote{}, true, none(0)},
		{"negative priority skipped as candidate", "b", []View{fresh("a", -1), fresh("b", 0)}, Vote{}, true, claim(1, "b")},
		{"negative priority still follows", "a", []View{fresh("a", -1), claimant("b", 0, 2)}, Vote{}, true, follow(2, "b")},
		{"self absent from members never claims", "a", []View{fresh("b", -1)}, Vote{}, true, none(0)},
		{"claim for term zero is ignored", "a", []View{claimant("b", 0, 0), fresh("a", 0)}, Vote{}, true, claim(1, "a")},
		{"no members at all", "a", nil, v(2, "a"), true, none(2)},

		// Withdrawn members (state file not writable) do not stand.
		{"withdrawn best candidate skipped", "b", []View{withdrawn(fresh("a", 9)), fresh("b", 0), fresh("c", 0)}, Vote{}, true, claim(1, "b")},
		{"withdrawn self never claims", "a", []View{withdrawn(fresh("a", 9)), fresh("b", 0)}, Vote{}, true, none(0)},
		{"withdrawn claimant's claim does not count", "c", []View{withdrawn(claimant("a", 0, 3)), follower("b", 0, 3, "a"), follower("c", 0, 3, "a")}, v(3, "a"), true, none(3)},
		{"survivor claims above a withdrawn claimant", "b", []View{withdrawn(claimant("a", 0, 3)), follower("b", 0, 3, "a"), follower("c", 0, 3, "a")}, v(3, "a"), true, claim(4, "b")},
		{"withdrawn self still decides whom it would follow", "a", []View{withdrawn(fresh("a", 9)), claimant("b", 0, 1)}, Vote{}, true, follow(1, "b")},
		{"only withdrawn members: nobody claims", "b", []View{withdrawn(fresh("a", 0)), withdrawn(fresh("b", 0))}, Vote{}, true, none(0)},

		// A term floor without a leader (Config.MinTerm).
		{"floor: claim above it", "a", []View{fresh("a", 0)}, v(5, ""), true, claim(6, "a")},
		{"floor: same-term claim followed", "a", []View{fresh("a", 0), claimant("b", 0, 5)}, v(5, ""), true, follow(5, "b")},
		{"floor: lower claim not followed", "a", []View{fresh("a", 0), claimant("b", 0, 4)}, v(5, ""), true, none(5)},
		{"floor of a member: leader bumps above it", "b", []View{follower("a", 0, 5, ""), claimant("b", 0, 4)}, v(4, "b"), true, claim(6, "b")},
	}
	// HoldBump: the same inputs as the bump cases keep the current claim;
	// it changes nothing where no bump is due.
	held := []struct {
		name      string
		self      string
		members   []View
		persisted Vote
		want      Decision
	}{
		{"held bump keeps the claim", "y", []View{claimant("y", 0, 3), follower("c", 0, 5, "x")}, v(3, "y"), claim(3, "y")},
		{"held bump past own record", "a", []View{claimant("a", 0, 2)}, v(4, "q"), claim(2, "a")},
		{"healed side: followers seen before their leader", "a", []View{claimant("a", 0, 1), follower("b", 0, 1, "a"),
			follower("c", 0, 2, "x"), follower("d", 0, 2, "x")}, v(1, "a"), claim(1, "a")},
		{"hold does not stop giving way", "a", []View{claimant("a", 0, 1), claimant("x", 0, 2)}, v(1, "a"), follow(2, "x")},
		{"hold does not stop a vacancy claim", "a", []View{fresh("a", 0), follower("b", 0, 4, "z")}, Vote{}, claim(5, "a")},
	}
	for _, tc := range held {
		t.Run("hold/"+tc.name, func(t *testing.T) {
			in := Input{Self: tc.self, Members: tc.members, Persisted: tc.persisted, Settled: true, HoldBump: true}
			if got := Decide(in); got != tc.want {
				t.Fatalf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
	if len(tests) < 25 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Self: tc.self, Members: tc.members, Persisted: tc.persisted, Settled: tc.settled}
			if got := Decide(in); got != tc.want {
				t.Fatalf("Decide = %+v, want %+v", got, tc.want)
			}
			// Order of members must not matter.
			rev := make([]View, len(tc.members))
			for i, m := range tc.members {
				rev[len(rev)-1-i] = m
			}
			in.Members = rev
			if got := Decide(in); got != tc.want {
				t.Fatalf("reversed members: Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAwaited(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"follower waits for nobody", Input{Self: "b", Members: []View{claimant("a", 0, 1), fresh("b", 0)}, Settled: true}, ""},
		{"claimant waits for nobody", Input{Self: "a", Members: []View{claimant("a", 0, 1), fresh("b", 0)}, Settled: true}, ""},
		{"vacancy waits for best candidate", Input{Self: "c", Members: []View{follower("b", 0, 3, "a"), follower("c", 0, 3, "a")}, Persisted: Vote{3, "a"}, Settled: true}, "b"},
		{"best candidate before its wait waits for nobody", Input{Self: "b", Members: []View{fresh("b", 0), fresh("c", 0)}}, ""},
		{"stale claim waits for the claimant's bump", Input{Self: "c", Members: []View{claimant("y", 0, 3), follower("c", 0, 5, "x")}, Persisted: Vote{5, "x"}, Settled: true}, "y"},
		{"missed claim: follower view seen, claim not", Input{Self: "d", Members: []View{follower("b", 0, 1, "a"), follower("c", 0, 2, "b"), follower("d", 0, 1, "a")}, Persisted: Vote{1, "a"}, Settled: true}, "b"},
		{"nobody stands", Input{Self: "a", Members: []View{fresh("a", -1)}, Settled: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Awaited(tc.in, Decide(tc.in)); got != tc.want {
				t.Fatalf("Awaited = %q, want %q (decision %+v)", got, tc.want, Decide(tc.in))
			}
		})
	}
}

func TestVoteLess(t *testing.T) {
	tests := []struct {
		a, b Vote
		want bool
	}{
		{Vote{1, "b"}, Vote{2, "a"}, true},
		{Vote{2, "a"}, Vote{1, "b"}, false},
		{Vote{2, "a"}, Vote{2, "b"}, true},
		{Vote{2, "b"}, Vote{2, "b"}, false},
		{Vote{}, Vote{0, "a"}, true},
	}
	for _, tc := range tests {
		if got := tc.a.Less(tc.b); got != tc.want {
			t.Errorf("%v.Less(%v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestDecideConverges runs the rule as a whole cluster would, in rounds
// where every node sees every other's last advertised view, from random
// starting records, and checks that all nodes end up following one
// leader whose term is above every record they started with, and that
// nobody's persisted vote ever goes backwards.
func TestDecideConverges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		n := 1 + r.IntN(6)
		views := make([]View, n)
		persisted := make([]Vote, n)
		var maxStart uint64
		for i := range views {
			name := fmt.Sprintf("n%d", i)
			views[i] = View{Name: name, Priority: r.IntN(3)}
			if r.IntN(2) == 0 {
				persisted[i] = Vote{Term: uint64(r.IntN(5)), Leader: fmt.Sprintf("n%d", r.IntN(8))}
				if persisted[i].Term == 0 {
					persisted[i] = Vote{}
				}
				// Some start out claiming, as after a partition.
				views[i].Claim = persisted[i].Leader == name && r.IntN(2) == 0
			}
			views[i].Term, views[i].Leader = persisted[i].Term, persisted[i].Leader
			maxStart = max(maxStart, persisted[i].Term)
		}
		var ds []Decision
		for range 10 {
			ds = make([]Decision, n)
			for i := range views {
				ds[i] = Decide(Input{Self: views[i].Name, Members: views, Persisted: persisted[i], Settled: true})
			}
			for i, d := range ds {
				if d.Leader != "" && persisted[i].Less(d.Vote()) {
					persisted[i] = d.Vote()
				} else if d.Leader != "" && d.Vote().Less(persisted[i]) {
					t.Fatalf("trial %d: node %d followed %v below its record %v", trial, i, d.Vote(), persisted[i])
				}
				views[i].Term, views[i].Leader, views[i].Claim = persisted[i].Term, persisted[i].Leader, d.Claim
			}
		}
		leaders := 0
		for i, d := range ds {
			if d.Claim {
				leaders++
			}
			if d.Vote() != ds[0].Vote() || d.Leader == "" {
				t.Fatalf("trial %d: node %d decided %+v, node 0 %+v", trial, i, d, ds[0])
			}
		}
		if leaders != 1 || ds[0].Term < maxStart {
			t.Fatalf("trial %d: %d leaders, term %d, highest start term %d", trial, leaders, ds[0].Term, maxStart)
		}
	}
}
