package election

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// electLoop applies the leader rule on every membership or metadata
// change, when the start-up wait ends, and every RecheckInterval.
func (c *Cluster) electLoop(ctx context.Context) {
	defer c.wg.Done()
	tick := time.NewTicker(c.cfg.Profile.RecheckInterval)
	defer tick.Stop()
	settle := time.NewTimer(max(c.cfg.StartupWait, 0))
	defer settle.Stop()
	c.elect()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-tick.C:
		case <-settle.C:
		}
		c.elect()
	}
}

// settled reports whether the start-up wait has passed.
func (c *Cluster) settled() bool {
	return c.cfg.StartupWait < 0 || time.Since(c.start) >= c.cfg.StartupWait
}

// elect runs the leader rule once. A new (term, leader) is persisted
// before it is advertised or reported; if it cannot be persisted, it is
// not followed, and this node withdraws from candidacy until a retry of
// the state file succeeds (retryPersist). Only this loop changes the
// decision, the persisted vote and the withdrawal.
func (c *Cluster) elect() {
	c.retryPersist()
	c.mu.Lock()
	in := Input{Self: c.cfg.Name, Members: c.viewsLocked(), Persisted: c.persisted, Settled: c.settled()}
	prev := c.decision
	withdrawn := c.persistFail != nil
	c.mu.Unlock()
	holdClaim := c.watchLeader(in, prev)
	if holdClaim {
		in.Settled = false // no fresh claim while the dead leader may refute
	}

	// A bump above a higher line seen (rule 2) waits bumpHold SyncAfters:
	// after a partition heals, that line's own claim may come after its
	// followers' votes, or its leader may still be marked dead here until
	// it refutes. Meanwhile its state is pulled from its leader.
	in.HoldBump = true
	d := Decide(in)
	in.HoldBump = false
	held := ""
	if bump := Decide(in); bump != d {
		if c.bumpSince.IsZero() {
			c.bumpSince = time.Now()
		}
		if time.Since(c.bumpSince) >= bumpHold*c.cfg.Profile.SyncAfter {
			d = bump
		} else if h := highest(in).Leader; h != in.Self {
			held = h
		}
	} else {
		c.bumpSince = time.Time{}
	}
	if holdClaim && held == "" {
		held = c.watch.name // its pulled state carries its refutation
	}
	if !withdrawn {
		// A withdrawn node cannot follow the claim it would wait for.
		c.pullIfWaiting(in, d, held)
	}
	if d == prev {
		return
	}
	advance := d.Leader != "" && in.Persisted.Less(d.Vote())
	if advance {
		if withdrawn {
			return // followed once retryPersist can write again
		}
		if err := saveState(c.cfg.StateFile, d.Vote()); err != nil {
			c.log.Error("state file not writable: new term not followed, not standing for leadership until it is",
				"term", d.Term, "leader", d.Leader, "err", err, "retry", c.cfg.Profile.PersistRetry)
			c.lastProbe = time.Now()
			c.setPersistFail(err)
			return
		}
	}
	c.mu.Lock()
	if advance {
		c.persisted = d.Vote()
	}
	c.decision = d
	meta := c.encodeMetaLocked()
	changed := !bytes.Equal(meta, c.meta)
	c.meta = meta
	if d.Claim && (!prev.Claim || d.Term != prev.Term) {
		c.pushClaim = true
	}
	ev := c.eventLocked()
	c.mu.Unlock()

	if changed {
		wake(c.announce)
	}
	if d.Leader != prev.Leader || d.Claim != prev.Claim || (d.Leader != "" && d.Term != prev.Term) {
		c.log.Info("leader changed", "term", d.Term, "leader", d.Leader, "is_leader", d.Claim)
		c.emit(ev)
	}
}

// retryPersist, while this node has withdrawn, writes its state file
// again every PersistRetry; once a write succeeds the node stands for
// leadership again. The vote written is the persisted one, or the zero
// Vote while that is only a MinTerm floor (which the state file cannot
// express, and whose own store keeps it).
func (c *Cluster) retryPersist() {
	c.mu.Lock()
	failing, v := c.persistFail != nil, c.persisted
	c.mu.Unlock()
	if !failing || time.Since(c.lastProbe) < c.cfg.Profile.PersistRetry {
		return
	}
	c.lastProbe = time.Now()
	if v.Leader == "" {
		v = Vote{}
	}
	if err := saveState(c.cfg.StateFile, v); err != nil {
		c.log.Debug("state file still not writable", "err", err)
		return
	}
	c.log.Info("state file writable again: standing for leadership")
	c.setPersistFail(nil)
}

// setPersistFail records whether the state file can be written (err nil)
// or not, re-advertises the metadata (which says whether this node
// stands) and reports the change as an event.
func (c *Cluster) setPersistFail(err error) {
	c.mu.Lock()
	c.persistFail = err
	c.meta = c.encodeMetaLocked()
	ev := c.eventLocked()
	c.mu.Unlock()
	wake(c.announce)
	wake(c.kick)
	c.emit(ev)
}

// eventLocked is the LeaderChange of the current state. A withdrawn node
// does not lead, even before the rule has run again.
func (c *Cluster) eventLocked() LeaderChange {
	d := c.decision
	return LeaderChange{Term: d.Term, Leader: d.Leader, IsLeader: d.Claim && c.persistFail == nil, PersistErr: c.persistFail}
}

// bumpHold is how many SyncAfters a term bump waits for the higher
// line's own claim.
const bumpHold = 3

// pullIfWaiting starts a full state exchange with the member whose claim
// this node has awaited for SyncAfter or more, at most once per SyncAfter:
// the claim may have been lost by gossip, while the awaited member always
// holds its own latest metadata. held, when set, is the leader of a
// higher line whose claim a held bump waits for; it is pulled even when
// this node still holds it for dead.
func (c *Cluster) pullIfWaiting(in Input, d Decision, held string) {
	target := held
	if target == "" && in.Settled {
		target = Awaited(in, d)
	}
	now := time.Now()
	if target != c.awaited {
		c.awaited, c.awaitedSince = target, now
	}
	grace := c.cfg.Profile.SyncAfter
	if target == "" || now.Sub(c.awaitedSince) < grace || now.Sub(c.lastPull) < grace || !c.pulling.CompareAndSwap(false, true) {
		return
	}
	c.mu.Lock()
	m, ok := c.alive[target]
	if !ok && held != "" {
		m, ok = c.gone[target]
	}
	c.mu.Unlock()
	if !ok {
		c.pulling.Store(false)
		return
	}
	c.lastPull = now
	waited := now.Sub(c.awaitedSince)
	c.wg.Go(func() {
		defer c.pulling.Store(false)
		addr := target + "/" + m.Addr.String()
		if _, err := c.ml.Join([]string{addr}); err != nil {
			c.log.Debug("state pull failed", "from", target, "err", err)
			return
		}
		c.log.Debug("pulled state while waiting for a claim", "from", target, "waited", waited)
	})
}

// emit queues ev, dropping the oldest queued event when the reader lags.
// Only the election loop sends, so this terminates.
func (c *Cluster) emit(ev LeaderChange) {
	for {
		select {
		case c.events <- ev:
			return
		default:
		}
		select {
		case <-c.events:
		default:
		}
	}
}

// announceLoop re-advertises this node's metadata after each change.
// memberlist.UpdateNode blocks until the update has been gossiped (or
// AnnounceTimeout), so it runs apart from the election loop; updates that
// come meanwhile are coalesced into the next call. A new claim is then
// also pushed to every alive member by a full state exchange: gossip sends
// each update only a few times, to random members (dead ones included),
// and a lost claim would leave members leaderless.
func (c *Cluster) announceLoop(ctx context.Context) {
	defer c.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.announce:
		}
		c.mu.Lock()
		push := c.pushClaim
		c.pushClaim = false
		c.mu.Unlock()
		if err := c.ml.UpdateNode(c.cfg.Profile.AnnounceTimeout); err != nil {
			c.log.Debug("metadata update not confirmed", "err", err)
		}
		if push {
			c.joinEach(ctx, c.otherMembers(), "claim pushed", slog.LevelDebug)
		}
	}
}

// otherMembers returns "name/ip:port" of the alive members but this node.
func (c *Cluster) otherMembers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for name, m := range c.alive {
		if name != c.cfg.Name {
			out = append(out, name+"/"+m.Addr.String())
		}
	}
	return out
}

// rejoinLoop joins, every RejoinInterval and after SetSeeds, the seeds
// that are not alive members.
func (c *Cluster) rejoinLoop(ctx context.Context) {
	defer c.wg.Done()
	tick := time.NewTicker(c.cfg.Profile.RejoinInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-c.rejoinCh:
		}
		c.rejoin(ctx)
	}
}

// rejoin joins each missing seed.
func (c *Cluster) rejoin(ctx context.Context) {
	c.joinEach(ctx, c.missingSeeds(), "rejoined", slog.LevelInfo)
}

// joinEach runs a push/pull with each address, all at once so that an
// unreachable one does not hold up the others; each is bounded by
// TCPTimeout. Successes are logged at level.
func (c *Cluster) joinEach(ctx context.Context, addrs []string, done string, level slog.Level) {
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Go(func() {
			if ctx.Err() != nil {
				return
			}
			if _, err := c.ml.Join([]string{a}); err != nil {
				c.log.Debug(done+": failed", "addr", a, "err", err)
				return
			}
			c.log.Log(ctx, level, done, "addr", a)
		})
	}
	wg.Wait()
}

// missingSeeds returns the seeds whose address is neither this node's nor
// an alive member's. A seed that is not "ip:port" (a host name) is always
// tried: memberlist resolves it.
func (c *Cluster) missingSeeds() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	have := make(map[netip.AddrPort]bool, len(c.alive)+1)
	have[c.advertise] = true
	for _, m := range c.alive {
		have[m.Addr] = true
	}
	var out []string
	for _, s := range c.seeds {
		addr := s
		if i := strings.IndexByte(s, '/'); i >= 0 {
			addr = s[i+1:]
		}
		ap, err := netip.ParseAddrPort(addr)
		if err == nil && have[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())] {
			continue
		}
		out = append(out, s)
	}
	return out
}
