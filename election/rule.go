package election

import "time"

// Vote is one line of leadership: a term and the member that leads it.
// Votes are ordered by term, then by leader name, so that two claims for
// the same term (made on the two sides of a partition) still have a
// winner. The zero Vote means "no leader seen yet".
type Vote struct {
	// Term is the leadership term; terms only grow.
	Term uint64
	// Leader is the node name (the Agent's Endpoint ID) leading Term.
	Leader string
}

// Less reports whether v orders before w: lower term, or the same term and
// a lower leader name.
func (v Vote) Less(w Vote) bool {
	if v.Term != w.Term {
		return v.Term < w.Term
	}
	return v.Leader < w.Leader
}

// IsZero reports whether v names no leader.
func (v Vote) IsZero() bool { return v.Term == 0 && v.Leader == "" }

// View is what one alive member advertises in its metadata, as seen by
// this node.
type View struct {
	// Name is the member's node name (its Agent's Endpoint ID).
	Name string
	// Priority ranks candidates when no leader is alive: higher wins. A
	// negative priority never stands for leadership.
	Priority int
	// Term and Leader are the highest leadership line the member has
	// followed or claimed (its persisted high-water mark); the member may
	// currently follow no one.
	Term   uint64
	Leader string
	// Claim says the member claims leadership for Term (then Leader is
	// Name).
	Claim bool
	// Withdrawn says the member cannot persist its vote (a read-only or
	// full state dir): it does not stand for leadership, and a claim it
	// still advertises does not count, until it can persist again.
	Withdrawn bool
	// Since is when this node saw the member become alive. It is for
	// status only: the rule ignores it, because observation times differ
	// from node to node and every node must order candidates alike.
	Since time.Time
}

// Input is everything the leader rule looks at.
type Input struct {
	// Self is this node's name.
	Self string
	// Members are the views of the alive members, this node's own view
	// included (with its current claim). A node absent from Members never
	// claims.
	Members []View
	// Persisted is the highest Vote this node has followed or claimed.
	Persisted Vote
	// Settled says the start-up wait has passed: only a settled node makes
	// a fresh claim. Following a claim needs no wait.
	Settled bool
	// HoldBump keeps a claimant that has seen a higher line on its current
	// claim instead of bumping above it (rule 2). The election loop holds
	// a bump for a few SyncAfters, pulling the higher line's state: after a partition heals, the followers of
	// the other side's leader may be seen before that leader's own claim,
	// which must then win (higher term), not be outbid.
	HoldBump bool
}

// Decision is the outcome of the leader rule for this node.
type Decision struct {
	// Term is the term followed or claimed; while no leader is followed,
	// it is the highest term seen.
	Term uint64
	// Leader is the leader to follow now; "" while none is.
	Leader string
	// Claim says this node claims leadership for Term (Leader is Self).
	Claim bool
}

// Vote returns the (Term, Leader) of d.
func (d Decision) Vote() Vote { return Vote{Term: d.Term, Leader: d.Leader} }

// Decide applies the leader rule. It is pure: the same Input always gives
// the same Decision, on every node.
//
//  1. A claim is a member advertising Claim for a term ≥ 1, unless it has
//     withdrawn; the best alive claim is the highest (term, name). While any claim is alive nobody
//     makes a fresh one: leadership is sticky, so a higher-priority member
//     joining or returning does not take over.
//  2. The best claimant, if it is this node, keeps leading; if some member
//     (or this node's own record) has seen a higher (term, leader), it
//     bumps its term above that, still leading, so every member's fence
//     accepts it (unless HoldBump: then it keeps its claim for now).
//     Every other claimant gives way.
//  3. A non-claimant follows the best claim if it is not below its own
//     persisted vote (a fence never goes backwards); otherwise it follows
//     no one until the claimant bumps its term.
//  4. With no claim alive, the best candidate by (priority desc, name asc)
//     among members with priority ≥ 0 that have not withdrawn claims the
//     highest term seen + 1, but only once settled; the others wait for
//     its claim.
func Decide(in Input) Decision {
	high := highest(in)
	best := bestClaim(in.Members)
	if !best.IsZero() {
		switch {
		case best.Leader == in.Self && best.Less(high) && in.HoldBump:
			return Decision{Term: best.Term, Leader: in.Self, Claim: true}
		case best.Leader == in.Self && best.Less(high):
			return Decision{Term: high.Term + 1, Leader: in.Self, Claim: true}
		case best.Leader == in.Self:
			return Decision{Term: best.Term, Leader: in.Self, Claim: true}
		case !best.Less(in.Persisted):
			return Decision{Term: best.Term, Leader: best.Leader}
		default:
			return Decision{Term: high.Term}
		}
	}
	if in.Settled && bestCandidate(in.Members) == in.Self && in.Self != "" {
		return Decision{Term: high.Term + 1, Leader: in.Self, Claim: true}
	}
	return Decision{Term: high.Term}
}

// highest returns the highest (term, leader) line in: this node's
// persisted vote, every member's advertised line and every claim. A line
// without a leader (a term floor, see Config.MinTerm) counts by its term.
func highest(in Input) Vote {
	high := in.Persisted
	for _, v := range in.Members {
		if seen := (Vote{Term: v.Term, Leader: v.Leader}); high.Less(seen) {
			high = seen
		}
		if c := (Vote{Term: v.Term, Leader: v.Name}); v.Claim && v.Term > 0 && high.Less(c) {
			high = c
		}
	}
	return high
}

// bestClaim returns the highest alive claim, or the zero Vote.
func bestClaim(members []View) Vote {
	var best Vote
	for _, v := range members {
		if c := (Vote{Term: v.Term, Leader: v.Name}); v.Claim && !v.Withdrawn && v.Term > 0 && best.Less(c) {
			best = c
		}
	}
	return best
}

// bestCandidate returns the name of the member that should claim when no
// leader is alive: highest priority, then lowest name; "" when no member
// stands (withdrawn members do not).
func bestCandidate(members []View) string {
	var best *View
	for i := range members {
		v := &members[i]
		if v.Priority < 0 || v.Withdrawn || v.Name == "" {
			continue
		}
		if best == nil || v.Priority > best.Priority ||
			(v.Priority == best.Priority && v.Name < best.Name) {
			best = v
		}
	}
	if best == nil {
		return ""
	}
	return best.Name
}

// Awaited returns the member whose claim this node waits for when d (the
// Decision for in) leaves it without a leader: the best claimant it
// cannot follow yet (until it bumps its term), or else the best
// candidate. It returns "" when d follows or claims, or when nobody else
// stands. A node that waits long for a claim may have missed the
// metadata update carrying it, and should pull the awaited member's state.
func Awaited(in Input, d Decision) string {
	if d.Leader != "" {
		return ""
	}
	best := bestClaim(in.Members)
	name := best.Leader
	if best.IsZero() {
		name = bestCandidate(in.Members)
	}
	if name == in.Self {
		return ""
	}
	return name
}
