package node

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/discovery"
	"github.com/uspmesh/uspmesh/election"
)

// proofLoop is the discovery loop's state: the candidates, the gossip
// attempts in flight, the timer of the next attempt or check, and the
// seeds last given to the cluster.
type proofLoop struct {
	m       *mesh
	clk     clock.Clock
	ps      *proofs
	results chan attemptResult // capacity proofParallel: workers never block
	wake    chan struct{}
	stop    func() bool // cancels the pending timer; nil when none
	armed   time.Time   // when it fires
	workers sync.WaitGroup
	seeds   []string
}

// attemptResult is how one gossip attempt with a candidate ended.
type attemptResult struct {
	key    proofKey
	joined bool
}

// confirmer is what a Discovery may offer to keep proven peers in its
// table when it must make room (*discovery.Browser has it).
type confirmer interface {
	Confirm(kind discovery.Kind, endpointID string) bool
}

func (m *mesh) newProofLoop() *proofLoop {
	return &proofLoop{m: m, clk: m.n.deps.Clock, ps: newProofs(proofTimingsOf(m.prof)),
		results: make(chan attemptResult, proofParallel), wake: make(chan struct{}, 1),
		seeds: slices.Clone(m.n.cfg.Seeds)}
}

// close stops the timer and waits for the attempts in flight (each ends
// within the gossip TCP timeout).
func (pl *proofLoop) close() {
	if pl.stop != nil {
		pl.stop()
	}
	pl.workers.Wait()
}

// members returns the cluster's members by name.
func (pl *proofLoop) members() map[string]election.Member {
	ms := pl.m.cluster.Members()
	out := make(map[string]election.Member, len(ms))
	for _, mem := range ms {
		out[mem.Name] = mem
	}
	return out
}

// onPeer proposes a sighting; a proven peer's Node row is updated.
func (pl *proofLoop) onPeer(ctx context.Context, p discovery.Peer) {
	members := pl.members()
	if c := pl.ps.propose(p, members, pl.clk.Now()); c != nil && c.proven {
		pl.m.recordNode(ctx, c, members)
	}
}

// onResult records an attempt's outcome.
func (pl *proofLoop) onResult(ctx context.Context, r attemptResult) {
	members := pl.members()
	if pl.ps.result(r.key, r.joined, members, pl.clk.Now()) {
		pl.m.recordNode(ctx, pl.ps.cands[r.key], members)
	}
}

// onWake checks the candidates against the members.
func (pl *proofLoop) onWake(ctx context.Context) {
	pl.stop, pl.armed = nil, time.Time{}
	members := pl.members()
	proven, _ := pl.ps.check(members, pl.clk.Now())
	for _, c := range proven {
		pl.m.recordNode(ctx, c, members)
	}
}

// step starts the attempts due, gives the cluster the seeds when they
// changed and arms the timer for the next wake-up.
func (pl *proofLoop) step(ctx context.Context) {
	now := pl.clk.Now()
	for _, c := range pl.ps.start(now) {
		pl.attempt(ctx, c.key, c.failures+1)
	}
	seeds := append(slices.Clone(pl.m.n.cfg.Seeds), pl.ps.seeds()...)
	if !slices.Equal(seeds, pl.seeds) {
		pl.seeds = seeds
		pl.m.cluster.SetSeeds(seeds)
	}
	pl.arm(now, pl.ps.wakeAt(now))
}

// attempt gossips with a candidate, with the mesh key, in a worker.
func (pl *proofLoop) attempt(ctx context.Context, k proofKey, n int) {
	addr := k.gossip.String()
	pl.workers.Go(func() {
		_, err := pl.m.cluster.Join([]string{addr})
		if err != nil {
			pl.m.log.Debug("candidate peer: gossip failed", "peer", k.id, "addr", addr, "attempt", n, "err", err)
		}
		pl.results <- attemptResult{k, err == nil}
	})
}

// arm makes the timer fire at at, unless it fires no later already.
func (pl *proofLoop) arm(now, at time.Time) {
	if at.IsZero() || pl.stop != nil && !pl.armed.After(at) {
		return
	}
	if pl.stop != nil {
		pl.stop()
	}
	pl.armed = at
	pl.stop = pl.clk.AfterFunc(at.Sub(now), func() {
		select {
		case pl.wake <- struct{}{}:
		default:
		}
	})
}

// recordNode writes a proven peer's sighting into its Node row, and
// tells discovery to keep it.
func (m *mesh) recordNode(ctx context.Context, c *candidate, members map[string]election.Member) {
	p := c.peer
	m.mu.Lock()
	m.seen[p.EndpointID] = p
	leader := m.leader
	m.mu.Unlock()
	status := "Lost"
	if mem := members[p.EndpointID]; mem.State == election.StateAlive {
		status = "Member"
		if p.EndpointID == leader {
			status = "Leader"
		}
	}
	vals := map[string]string{"Address": p.AddrPort().Addr().String(), "Port": strconv.Itoa(p.Port),
		"LastSeen": p.LastSeen.UTC().Format(time.RFC3339), "Status": status}
	if err := upsertRow(ctx, m.n.model, meshRoot+"Node.", "EndpointID", p.EndpointID, vals); err != nil {
		m.log.Warn("node row", "peer", p.EndpointID, "err", err)
	}
	if cf, ok := m.disc.(confirmer); ok {
		cf.Confirm(p.Kind, p.EndpointID)
	}
}
