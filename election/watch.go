package election

import (
	"context"
	"net"
	"time"
)

// On a lossy link (a weak wireless backhaul) memberlist now and then
// declares an alive leader dead: a probe and its indirect checks are
// lost, then the leader's refutation of the suspicion reaches a member
// too late. Leadership is sticky, but a fresh claim made in that moment
// would move it for nothing. So the member that would claim next (the
// best candidate without the leader) pings the leader it follows
// directly, every two thirds of a ProbeInterval; when memberlist declares that
// leader dead less than ackWindow after its last answer, the member
// holds its fresh claim (at most holdMax), keeps pinging, and pulls the
// leader's state, which makes the leader refute at once.
//
// A real failover is not delayed: memberlist declares a member dead at
// least ProbeInterval (the failed probe) plus the suspicion timeout
// (SuspicionMult × ProbeInterval at least) after the member's last
// answer, and ackWindow is shorter than that by a ProbeInterval. A
// leader that leaves cleanly may be held for up to ackWindow.
//
// The cost is on two nodes only: at DefaultProfile, about 1.5 pings a
// second from the candidate and as many acks from the leader, some
// 200 B/s on the wire each.

// ackWindow is how recent the watched leader's last answer must be for
// its reported death to be held.
func (p Profile) ackWindow() time.Duration {
	return time.Duration(p.SuspicionMult) * p.ProbeInterval
}

// holdMax bounds how long a fresh claim is held for a leader that still
// answers pings but stays dead to memberlist.
func (p Profile) holdMax() time.Duration { return 5 * p.ProbeInterval }

// watchState is the election loop's record of the leader it watches.
type watchState struct {
	name   string    // the leader followed last; "" when none is watched
	goneAt time.Time // when it left the alive members; zero while alive
	held   bool      // a hold was logged for this absence
}

// watchLeader updates what the pinger watches and reports whether a
// fresh claim must be held because the leader this node followed was
// declared dead while it still answered pings. It runs in the election
// loop.
func (c *Cluster) watchLeader(in Input, prev Decision) bool {
	w := &c.watch
	switch {
	case prev.Claim:
		w.name = ""
	case prev.Leader != "" && prev.Leader != w.name:
		*w = watchState{name: prev.Leader}
		c.lastAck.Store(0)
	}
	if w.name == "" {
		c.setPingTarget("", nil)
		return false
	}
	alive := false
	var rest []View
	for _, v := range in.Members {
		if v.Name == w.name {
			alive = true
			continue
		}
		rest = append(rest, v)
	}
	now := time.Now()
	c.mu.Lock()
	m, ok := c.alive[w.name]
	if !ok {
		m, ok = c.gone[w.name]
	}
	c.mu.Unlock()
	var addr net.Addr
	if ok {
		addr = net.UDPAddrFromAddrPort(m.Addr)
	}
	if alive {
		w.goneAt, w.held = time.Time{}, false
		next := Decide(Input{Self: in.Self, Members: rest, Persisted: in.Persisted, Settled: true})
		if next.Claim && next.Leader == in.Self {
			c.setPingTarget(w.name, addr)
		} else {
			c.setPingTarget("", nil)
		}
		return false
	}
	if w.goneAt.IsZero() {
		w.goneAt = now
	}
	p := c.cfg.Profile
	last := c.lastAck.Load()
	fresh := last != 0 && now.Sub(time.Unix(0, last)) < p.ackWindow()
	if !fresh || now.Sub(w.goneAt) >= p.holdMax() {
		if w.held {
			c.log.Info("leader still gone: no longer holding a claim for it", "leader", w.name,
				"held", now.Sub(w.goneAt).Round(time.Millisecond))
		}
		*w = watchState{}
		c.setPingTarget("", nil)
		return false
	}
	if !w.held {
		w.held = true
		c.log.Info("leader declared dead but it answered a ping: holding a new claim while it refutes",
			"leader", w.name, "last_answer", now.Sub(time.Unix(0, last)).Round(time.Millisecond))
	}
	c.setPingTarget(w.name, addr)
	return true
}

// setPingTarget sets the member the pinger pings; "" stops it.
func (c *Cluster) setPingTarget(name string, addr net.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if addr == nil {
		name = ""
	}
	c.pingName, c.pingAddr = name, addr
}

// pingLoop pings the watched leader every two thirds of a ProbeInterval
// (three pings in the ack window at SuspicionMult 2) and records its
// answers. Each ping waits at most ProbeTimeout.
func (c *Cluster) pingLoop(ctx context.Context) {
	defer c.wg.Done()
	tick := time.NewTicker(c.cfg.Profile.ProbeInterval * 2 / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c.mu.Lock()
		name, addr := c.pingName, c.pingAddr
		c.mu.Unlock()
		if name == "" {
			continue
		}
		if _, err := c.ml.Ping(name, addr); err == nil {
			c.mu.Lock()
			same := c.pingName == name
			c.mu.Unlock()
			if same {
				c.lastAck.Store(time.Now().UnixNano())
			}
		}
	}
}
