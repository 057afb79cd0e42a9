package node

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/uspmesh/uspmesh/discovery"
	"github.com/uspmesh/uspmesh/election"
)

// Discovery only proposes peers: anyone on the link can announce an
// Agent with the cluster's TXT. A proposed peer is a candidate until it
// proves it holds the mesh key by being an alive member of the cluster
// (its gossip with the mesh key succeeded, our attempt or its own) under
// its Endpoint ID at the gossip address it announced. Only then does it
// get a Node row and become a persistent gossip seed. A candidate that
// does not prove itself is tried a few times with back-off, then given
// up and its sightings ignored for a while.

// Bounds of the candidates.
const (
	// proofAttempts is how many failed gossip attempts give a candidate
	// up.
	proofAttempts = 4
	// proofParallel bounds the gossip attempts in flight at once.
	proofParallel = 4
	// proofMaxCandidates bounds the candidates, proven ones included;
	// room is made by forgetting an unproven one first.
	proofMaxCandidates = 64
	// proofPerSource bounds the candidates that announce one address.
	proofPerSource = 4
	// proofMaxQuarantine bounds the given-up candidates remembered.
	proofMaxQuarantine = 256
)

// proofTimings are the candidates' timings, from the mesh profile.
type proofTimings struct {
	backoff    time.Duration // before the second attempt; doubles after each failure
	quarantine time.Duration // sightings of a given-up candidate are ignored this long
	retain     time.Duration // a proven peer neither sighted nor alive this long is forgotten
	recheck    time.Duration // how often candidates are checked against the members
}

// proofTimingsOf derives the timings from a profile: retries at the
// rejoin cadence (default: attempts at 0, 5, 15 and 35 s), and the
// quarantine and retention of discovery's own expiry (three maximum
// browse intervals, 15 minutes by default).
func proofTimingsOf(p meshProfile) proofTimings {
	return proofTimings{backoff: p.election.RejoinInterval, quarantine: 3 * p.browse2, retain: 3 * p.browse2,
		recheck: p.refresh}
}

// proofKey names a candidate: an Endpoint ID at a gossip address. A
// sighting of a member's Endpoint ID at another address is another
// candidate, with its own proof to make.
type proofKey struct {
	id     string
	gossip netip.AddrPort
}

// candidate is a peer discovery proposed.
type candidate struct {
	key      proofKey
	peer     discovery.Peer // last sighting
	seen     time.Time      // last sighting, by the node's clock
	seq      uint64         // orders candidates by last sighting
	proven   bool
	seed     netip.AddrPort // proven: the member's gossip address
	alive    time.Time      // proven: last seen an alive member
	failures int            // unproven: failed attempts
	due      time.Time      // unproven: next attempt
	inFlight bool
}

// proofs holds the candidates. It is owned by the discovery loop and
// not safe for concurrent use; every method takes the current time.
type proofs struct {
	t          proofTimings
	cands      map[proofKey]*candidate
	quarantine map[proofKey]time.Time // given up, until
	inFlight   int
	seq        uint64
}

func newProofs(t proofTimings) *proofs {
	return &proofs{t: t, cands: map[proofKey]*candidate{}, quarantine: map[proofKey]time.Time{}}
}

// keyOf returns p's candidate key, false when p announces no IPv4
// address or no gossip port to try.
func keyOf(p discovery.Peer) (proofKey, bool) {
	a := p.AddrPort().Addr()
	if p.Kind != discovery.Agent || p.EndpointID == "" || !a.Is4() || p.Gossip <= 0 || p.Gossip > 65535 {
		return proofKey{}, false
	}
	return proofKey{p.EndpointID, netip.AddrPortFrom(a, uint16(p.Gossip))}, true
}

// provenBy returns the member that proves c: alive, named c's Endpoint
// ID, at a gossip address c announced.
func (c *candidate) provenBy(members map[string]election.Member) (election.Member, bool) {
	mem, ok := members[c.key.id]
	if !ok || mem.State != election.StateAlive {
		return election.Member{}, false
	}
	for _, a := range c.peer.Addrs {
		if netip.AddrPortFrom(a.Unmap(), c.key.gossip.Port()) == mem.Addr {
			return mem, true
		}
	}
	return election.Member{}, false
}

// prove marks c proven when a member proves it, and keeps its seed
// address and liveness current; it reports whether c became proven now.
func (c *candidate) prove(members map[string]election.Member, now time.Time) bool {
	mem, ok := c.provenBy(members)
	if !ok {
		return false
	}
	was := c.proven
	c.proven, c.seed, c.alive = true, mem.Addr, now
	return !was
}

// propose records a sighting and returns its candidate, nil when it is
// ignored (nothing to try, or given up and not since proven). A new
// candidate takes the place of another when its source or the table is
// full, and is due for an attempt at once.
func (ps *proofs) propose(p discovery.Peer, members map[string]election.Member, now time.Time) *candidate {
	k, ok := keyOf(p)
	if !ok {
		return nil
	}
	ps.seq++
	c := ps.cands[k]
	if c == nil {
		c = &candidate{key: k, peer: p, due: now}
		if until, q := ps.quarantine[k]; q && now.Before(until) {
			if _, member := c.provenBy(members); !member {
				return nil
			}
		}
		delete(ps.quarantine, k)
		ps.makeRoom(k.gossip.Addr())
		ps.cands[k] = c
	}
	c.peer, c.seen, c.seq = p, now, ps.seq
	c.prove(members, now)
	return c
}

// makeRoom forgets a candidate when src has proofPerSource of them or
// the table is full.
func (ps *proofs) makeRoom(src netip.Addr) {
	var same, all []*candidate
	for _, c := range ps.cands {
		all = append(all, c)
		if c.key.gossip.Addr() == src {
			same = append(same, c)
		}
	}
	switch {
	case len(same) >= proofPerSource:
		ps.forget(same)
	case len(all) >= proofMaxCandidates:
		ps.forget(all)
	}
}

// forget drops the first of cs to go: unproven before proven, then the
// most failed, then the one sighted longest ago. An attempt in flight
// for it still counts until its result comes.
func (ps *proofs) forget(cs []*candidate) {
	victim := slices.MinFunc(cs, func(a, b *candidate) int {
		if a.proven != b.proven {
			if a.proven {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(b.failures, a.failures), cmp.Compare(a.seq, b.seq))
	})
	delete(ps.cands, victim.key)
}

// start returns the candidates whose attempt begins now, marked in
// flight: the due ones, fewest failures then latest sighted first, as
// many as proofParallel allows.
func (ps *proofs) start(now time.Time) []*candidate {
	var due []*candidate
	for _, c := range ps.cands {
		if !c.proven && !c.inFlight && !c.due.After(now) {
			due = append(due, c)
		}
	}
	slices.SortFunc(due, func(a, b *candidate) int {
		return cmp.Or(cmp.Compare(a.failures, b.failures), cmp.Compare(b.seq, a.seq))
	})
	due = due[:min(len(due), max(proofParallel-ps.inFlight, 0))]
	for _, c := range due {
		c.inFlight = true
		ps.inFlight++
	}
	return due
}

// result records how the attempt at k ended (joined says the gossip
// exchange succeeded) and reports whether k is proven now. A candidate
// that failed proofAttempts times is given up.
func (ps *proofs) result(k proofKey, joined bool, members map[string]election.Member, now time.Time) bool {
	ps.inFlight--
	c := ps.cands[k]
	if c == nil || !c.inFlight {
		return false // forgotten meanwhile
	}
	c.inFlight = false
	if c.proven || joined && c.prove(members, now) {
		return c.proven
	}
	c.failures++
	if c.failures >= proofAttempts {
		ps.giveUp(c, now)
		return false
	}
	c.due = now.Add(ps.t.backoff << (c.failures - 1))
	return false
}

// giveUp forgets c and ignores its sightings for the quarantine.
func (ps *proofs) giveUp(c *candidate, now time.Time) {
	delete(ps.cands, c.key)
	if len(ps.quarantine) >= proofMaxQuarantine {
		var first proofKey
		var at time.Time
		for k, until := range ps.quarantine {
			if at.IsZero() || until.Before(at) {
				first, at = k, until
			}
		}
		delete(ps.quarantine, first)
	}
	ps.quarantine[c.key] = now.Add(ps.t.quarantine)
}

// check proves the candidates that became members by themselves,
// forgets the proven ones neither sighted nor alive for the retention
// and the quarantine entries that ran out. It returns the newly proven
// and whether any proven one was forgotten.
func (ps *proofs) check(members map[string]election.Member, now time.Time) (proven []*candidate, forgot bool) {
	for k, c := range ps.cands {
		if c.prove(members, now) {
			proven = append(proven, c)
		}
		if c.proven && now.Sub(c.alive) > ps.t.retain && now.Sub(c.seen) > ps.t.retain {
			delete(ps.cands, k)
			forgot = true
		}
	}
	for k, until := range ps.quarantine {
		if !now.Before(until) {
			delete(ps.quarantine, k)
		}
	}
	return proven, forgot
}

// wakeAt is when the candidates next need the loop: the next attempt
// due, or the next check while there are candidates; zero when there
// are none. While every attempt slot is taken, the next result, not the
// clock, starts the next attempt.
func (ps *proofs) wakeAt(now time.Time) time.Time {
	if len(ps.cands) == 0 {
		return time.Time{}
	}
	at := now.Add(ps.t.recheck)
	if ps.inFlight >= proofParallel {
		return at
	}
	for _, c := range ps.cands {
		if !c.proven && !c.inFlight && c.due.Before(at) {
			at = c.due
		}
	}
	return at
}

// seeds returns the gossip addresses of the proven candidates, sorted.
func (ps *proofs) seeds() []string {
	var out []string
	for _, c := range ps.cands {
		if c.proven {
			out = append(out, c.seed.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
