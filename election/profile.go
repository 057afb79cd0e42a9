package election

import (
	"time"

	"github.com/hashicorp/memberlist"
)

// Profile is a set of timings for the failure detector, gossip and the
// election loops. Each field's zero value takes DefaultProfile's.
//
// Failover time, from the leader's death to every survivor following a
// new leader, is roughly
//
//	first probe of the dead node  ≤ (N-1) × ProbeInterval, ~ProbeInterval/2 typical
//	+ the failed probe             ProbeInterval
//	+ suspicion                    SuspicionMult × max(1, log10 N) × ProbeInterval
//	+ gossip of "dead" and claim   a few GossipInterval
//
// With SuspicionMult 2, memberlist expects no independent confirmation of
// a suspicion (it asks for SuspicionMult-2), so the suspicion timeout is
// its minimum and SuspicionMaxTimeoutMult does not come into play.
type Profile struct {
	// ProbeInterval is the interval between two failure probes by a node,
	// each of one random member. It drives both failover time and idle
	// traffic (one ping and one ack per node per interval).
	ProbeInterval time.Duration
	// ProbeTimeout is how long a probe waits for an ack before asking
	// other members to probe indirectly; about the 99th-percentile RTT.
	ProbeTimeout time.Duration
	// IndirectChecks is the number of members asked to probe a member that
	// did not answer directly.
	IndirectChecks int
	// SuspicionMult scales how long a suspected member has to refute
	// before it is declared dead (see above).
	SuspicionMult int
	// SuspicionMaxTimeoutMult bounds the suspicion timeout when
	// confirmations are expected but missing.
	SuspicionMaxTimeoutMult int
	// GossipInterval is how often pending broadcasts (joins, deaths,
	// metadata updates) are sent; an idle cluster sends nothing on it.
	GossipInterval time.Duration
	// GossipNodes is how many members each gossip round is sent to.
	GossipNodes int
	// RetransmitMult scales how many times a broadcast is retransmitted:
	// RetransmitMult × ceil(log10(N+1)).
	RetransmitMult int
	// PushPullInterval is the interval between full state exchanges with
	// one random member over TCP (anti-entropy).
	PushPullInterval time.Duration
	// GossipToTheDeadTime is how long a dead member is still gossiped to
	// (so it can refute) and kept before being forgotten.
	GossipToTheDeadTime time.Duration
	// DeadNodeReclaimTime is how long after its death a node name may come
	// back from another address (an AP whose DHCP lease changed).
	DeadNodeReclaimTime time.Duration
	// TCPTimeout bounds dialing and each read or write of a stream (joins,
	// push/pull, TCP fallback probes).
	TCPTimeout time.Duration
	// RejoinInterval is how often seeds absent from the members are joined
	// again; memberlist never re-merges a healed partition by itself.
	RejoinInterval time.Duration
	// RecheckInterval is how often the leader rule is re-evaluated even
	// when no membership or metadata change arrived.
	RecheckInterval time.Duration
	// AnnounceTimeout bounds the wait for a metadata update to be
	// broadcast.
	AnnounceTimeout time.Duration
	// SyncAfter is how long a node without a leader waits for the claim it
	// expects before it pulls the full state of the member it waits for
	// (and then again every SyncAfter). Gossip can lose a metadata update:
	// each broadcast is sent only a few times, to random members, dead
	// ones included for GossipToTheDeadTime.
	SyncAfter time.Duration
	// LeaveTimeout bounds the wait for the leave broadcast on Close.
	LeaveTimeout time.Duration
	// PersistRetry is how often a node that cannot write its state file
	// (and so has withdrawn from candidacy) tries again.
	PersistRetry time.Duration
}

// DefaultProfile is tuned for a home LAN of up to about eight APs with
// little idle traffic: failover within 8 s (typically about 4 s) and, at
// five nodes, about 310 B/s transmitted per idle node on average, about
// 440 B/s by the next candidate, which pings the leader (see the
// package's measured figures in the tests).
func DefaultProfile() Profile {
	return Profile{
		ProbeInterval:           1 * time.Second,        // worst first probe 4 s at 5 nodes, so failover ≤ 8 s
		ProbeTimeout:            500 * time.Millisecond, // generous for wireless backhaul RTT spikes
		IndirectChecks:          2,                      // two of the other (at most 3) members
		SuspicionMult:           2,                      // suspect → dead after 2 × ProbeInterval
		SuspicionMaxTimeoutMult: 4,                      // unused while SuspicionMult is 2
		GossipInterval:          200 * time.Millisecond, // memberlist's LAN default; idle rounds send nothing
		GossipNodes:             3,                      // reach all of a 5-node home in one round
		RetransmitMult:          4,                      // memberlist's LAN default: 4 sends of each broadcast up to 9 nodes
		PushPullInterval:        60 * time.Second,       // anti-entropy once a minute
		GossipToTheDeadTime:     30 * time.Second,       // keep dead members 30 s for refutation
		DeadNodeReclaimTime:     10 * time.Second,       // a dead name may return from a new address after 10 s
		TCPTimeout:              3 * time.Second,        // LAN streams
		RejoinInterval:          5 * time.Second,        // heal within ~RejoinInterval + gossip
		RecheckInterval:         500 * time.Millisecond, // safety net under the event-driven checks; local work only
		AnnounceTimeout:         1 * time.Second,        // five gossip rounds
		SyncAfter:               1 * time.Second,        // five gossip rounds without the claim
		LeaveTimeout:            1 * time.Second,        // do not hold up shutdown
		PersistRetry:            5 * time.Second,        // one small write per 5 s on a failing flash
	}
}

// FastProfile is for tests and demos on loopback: failover within 4 s
// (typically about 1.5 s), at several times DefaultProfile's traffic.
func FastProfile() Profile {
	return Profile{
		ProbeInterval:           400 * time.Millisecond, // worst first probe 1.6 s at 5 nodes
		ProbeTimeout:            200 * time.Millisecond, // loopback, but shared CPUs under -race
		IndirectChecks:          2,                      // as DefaultProfile
		SuspicionMult:           2,                      // suspect → dead after 800 ms
		SuspicionMaxTimeoutMult: 4,                      // unused while SuspicionMult is 2
		GossipInterval:          100 * time.Millisecond, // news spreads in a few hundred ms
		GossipNodes:             3,                      // as DefaultProfile
		RetransmitMult:          4,                      // as DefaultProfile
		PushPullInterval:        15 * time.Second,       // as memberlist's DefaultLocalConfig
		GossipToTheDeadTime:     5 * time.Second,        // forget dead members quickly
		DeadNodeReclaimTime:     1 * time.Second,        // restarted nodes may change port
		TCPTimeout:              1 * time.Second,        // loopback streams
		RejoinInterval:          1 * time.Second,        // heal within ~1 s of the network
		RecheckInterval:         200 * time.Millisecond, // as the gossip cadence
		AnnounceTimeout:         500 * time.Millisecond, // five gossip rounds
		SyncAfter:               400 * time.Millisecond, // four gossip rounds without the claim
		LeaveTimeout:            500 * time.Millisecond, // tests close many nodes
		PersistRetry:            500 * time.Millisecond, // tests repair a state dir and wait
	}
}

// withDefaults returns p with each zero field taken from DefaultProfile.
func (p Profile) withDefaults() Profile {
	d := DefaultProfile()
	fill := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	filln := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&p.ProbeInterval, d.ProbeInterval)
	fill(&p.ProbeTimeout, d.ProbeTimeout)
	filln(&p.IndirectChecks, d.IndirectChecks)
	filln(&p.SuspicionMult, d.SuspicionMult)
	filln(&p.SuspicionMaxTimeoutMult, d.SuspicionMaxTimeoutMult)
	fill(&p.GossipInterval, d.GossipInterval)
	filln(&p.GossipNodes, d.GossipNodes)
	filln(&p.RetransmitMult, d.RetransmitMult)
	fill(&p.PushPullInterval, d.PushPullInterval)
	fill(&p.GossipToTheDeadTime, d.GossipToTheDeadTime)
	fill(&p.DeadNodeReclaimTime, d.DeadNodeReclaimTime)
	fill(&p.TCPTimeout, d.TCPTimeout)
	fill(&p.RejoinInterval, d.RejoinInterval)
	fill(&p.RecheckInterval, d.RecheckInterval)
	fill(&p.AnnounceTimeout, d.AnnounceTimeout)
	fill(&p.SyncAfter, d.SyncAfter)
	fill(&p.LeaveTimeout, d.LeaveTimeout)
	fill(&p.PersistRetry, d.PersistRetry)
	return p
}

// apply copies the memberlist timings of p into mc.
func (p Profile) apply(mc *memberlist.Config) {
	mc.ProbeInterval = p.ProbeInterval
	mc.ProbeTimeout = p.ProbeTimeout
	mc.IndirectChecks = p.IndirectChecks
	mc.SuspicionMult = p.SuspicionMult
	mc.SuspicionMaxTimeoutMult = p.SuspicionMaxTimeoutMult
	mc.GossipInterval = p.GossipInterval
	mc.GossipNodes = p.GossipNodes
	mc.RetransmitMult = p.RetransmitMult
	mc.PushPullInterval = p.PushPullInterval
	mc.GossipToTheDeadTime = p.GossipToTheDeadTime
	mc.DeadNodeReclaimTime = p.DeadNodeReclaimTime
	mc.TCPTimeout = p.TCPTimeout
}
