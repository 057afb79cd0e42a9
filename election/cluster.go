package election

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// LeaderChange reports the leader this node follows after a change.
type LeaderChange struct {
	// Term is the term followed or claimed (while Leader is "", the
	// highest term seen).
	Term uint64
	// Leader is the leader's node name; "" while no leader is followed.
	Leader string
	// IsLeader says this node is the leader for Term.
	IsLeader bool
	// PersistErr, while not nil, is why this node cannot write its state
	// file: it does not stand for leadership and follows no new term
	// until a retry (every Profile.PersistRetry) succeeds; an event with
	// PersistErr nil says it stands again.
	PersistErr error
}

// eventBuffer is the capacity of the Events channel; when the reader
// falls behind, the oldest event is dropped so the newest always arrives.
const eventBuffer = 16

// Cluster is this node's membership of the mesh cluster and its view of
// the elected leader. Its methods are safe for concurrent use.
type Cluster struct {
	cfg       Config
	log       *slog.Logger
	ml        *memberlist.Memberlist
	start     time.Time
	advertise netip.AddrPort

	mu        sync.Mutex
	alive     map[string]Member // by name, this node included
	gone      map[string]Member // by name
	persisted Vote              // highest vote followed or claimed, as on disk
	decision  Decision          // current outcome of the leader rule
	meta      []byte            // encoded metadata memberlist advertises
	seeds     []string
	pushClaim bool // a new claim awaits its push to the members
	// persistFail is the last failure to write the state file, nil once
	// a write succeeds; while set, this node has withdrawn from candidacy.
	persistFail error

	// Owned by the election loop.
	awaited      string    // member whose claim this node waits for
	awaitedSince time.Time // since when
	lastPull     time.Time // last state pull from the awaited member
	lastProbe    time.Time // last write of the state file while it fails
	bumpSince    time.Time // since when a term bump (rule 2) has been due
	pulling      atomic.Bool
	watch        watchState // the leader watched for false deaths

	pingName string       // the member the pinger pings; "" for none
	pingAddr net.Addr     // its gossip address
	lastAck  atomic.Int64 // unix ns of the watched leader's last answer

	kick     chan struct{} // wakes the election loop
	announce chan struct{} // wakes the announcer
	rejoinCh chan struct{} // wakes the rejoin loop
	events   chan LeaderChange

	cancel    context.CancelFunc
	stopAfter func() bool
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Start loads the state file, binds the gossip port, and starts
// memberlist and the election, announce and rejoin loops. It joins
// nobody: Join and SetSeeds do. The Cluster closes when ctx is cancelled
// or Close is called.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	persisted, err := loadState(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	if persisted.Term < cfg.MinTerm {
		persisted = Vote{Term: cfg.MinTerm}
	}
	logger := cfg.Logger.With("node", cfg.Name)
	mlLog := newMemberlistLogger(cfg.Logger.With("from", "memberlist", "node", cfg.Name))
	nt, port, err := listen(cfg.BindAddr, cfg.BindPort, mlLog)
	if err != nil {
		return nil, err
	}
	if cfg.AdvertisePort == 0 {
		cfg.AdvertisePort = port
	}
	var transport memberlist.NodeAwareTransport = nt
	if cfg.wrapTransport != nil {
		transport = cfg.wrapTransport(nt)
	}
	c := &Cluster{
		cfg:       cfg,
		log:       logger,
		start:     time.Now(),
		advertise: netip.AddrPortFrom(netip.MustParseAddr(cfg.AdvertiseAddr).Unmap(), uint16(cfg.AdvertisePort)),
		alive:     make(map[string]Member),
		gone:      make(map[string]Member),
		persisted: persisted,
		decision:  Decision{Term: persisted.Term},
		kick:      make(chan struct{}, 1),
		announce:  make(chan struct{}, 1),
		rejoinCh:  make(chan struct{}, 1),
		events:    make(chan LeaderChange, eventBuffer),
	}
	c.meta = c.encodeMetaLocked()

	ml, err := memberlist.Create(c.memberlistConfig(transport, port, mlLog))
	if err != nil {
		_ = transport.Shutdown() // Create shuts it down only on some errors; twice is harmless
		return nil, fmt.Errorf("election: start memberlist: %w", err)
	}
	c.ml = ml
	logger.Info("cluster started", "addr", c.advertise, "term", persisted.Term, "leader", persisted.Leader,
		"encrypted", !cfg.Insecure)

	loopCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.wg.Add(4)
	go c.electLoop(loopCtx)
	go c.pingLoop(loopCtx)
	go c.announceLoop(loopCtx)
	go c.rejoinLoop(loopCtx)
	c.stopAfter = context.AfterFunc(ctx, func() { _ = c.Close() })
	return c, nil
}

// memberlistConfig returns the memberlist configuration: memberlist's LAN
// defaults, the Profile's timings, and the node's identity, addresses,
// encryption and callbacks.
func (c *Cluster) memberlistConfig(t memberlist.NodeAwareTransport, port int, logger *log.Logger) *memberlist.Config {
	cfg := c.cfg
	mc := memberlist.DefaultLANConfig()
	cfg.Profile.apply(mc)
	mc.Name = cfg.Name
	mc.Transport = t
	mc.BindAddr, mc.BindPort = cfg.BindAddr, port // BindPort is the default port of Join addresses
	mc.AdvertiseAddr, mc.AdvertisePort = cfg.AdvertiseAddr, cfg.AdvertisePort
	mc.Label = cfg.Label
	mc.SecretKey = cfg.SecretKey
	mc.GossipVerifyIncoming, mc.GossipVerifyOutgoing = !cfg.Insecure, !cfg.Insecure
	mc.Delegate = delegate{c}
	mc.Events = delegate{c}
	mc.Logger = logger
	return mc
}

// encodeMetaLocked encodes this node's current metadata.
func (c *Cluster) encodeMetaLocked() []byte {
	return encodeMeta(c.cfg.Name, wireMeta{
		Priority:  c.cfg.Priority,
		Vote:      c.persisted,
		Claim:     c.decision.Claim && c.persistFail == nil,
		Withdrawn: c.persistFail != nil,
		Node:      c.cfg.Meta,
	})
}

// Addr returns the gossip address this node advertises, for other nodes'
// Join or for discovery to publish.
func (c *Cluster) Addr() netip.AddrPort { return c.advertise }

// Join contacts the nodes at addrs ("ip:port", or "name/ip:port") and
// merges state with them. It returns how many were reached; the error is
// nil when at least one was.
func (c *Cluster) Join(addrs []string) (int, error) {
	n, err := c.ml.Join(addrs)
	if err != nil {
		return n, fmt.Errorf("election: join %v: %w", addrs, err)
	}
	return n, nil
}

// SetSeeds replaces the addresses of the peers discovery knows of. Every
// RejoinInterval, and at once after SetSeeds, each seed whose address is
// not among the alive members is joined again, which heals partitions:
// memberlist forgets dead members and never contacts them by itself.
func (c *Cluster) SetSeeds(addrs []string) {
	c.mu.Lock()
	c.seeds = slices.Clone(addrs)
	c.mu.Unlock()
	wake(c.rejoinCh)
}

// Leader returns the term and leader this node follows and whether it is
// the leader. While no leader is followed, leader is "" and term the
// highest seen.
func (c *Cluster) Leader() (term uint64, leader string, isLeader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.decision.Term, c.decision.Leader, c.decision.Claim && c.persistFail == nil
}

// Events returns the channel of leader changes, closed by Close. If the
// reader falls behind, older events are dropped; Leader is always current.
func (c *Cluster) Events() <-chan LeaderChange { return c.events }

// Close leaves the cluster (waiting at most LeaveTimeout for the leave to
// be gossiped), then shuts memberlist down. It is safe to call more than
// once; later calls return the first one's result.
func (c *Cluster) Close() error { return c.shutdown(true) }

// shutdown stops the loops, leaves if asked, and shuts memberlist down.
// Without leave the others learn of the node's death only by probing, as
// after SIGKILL.
func (c *Cluster) shutdown(leave bool) error {
	c.closeOnce.Do(func() {
		c.stopAfter()
		c.cancel()
		c.wg.Wait()
		if leave {
			if err := c.ml.Leave(c.cfg.Profile.LeaveTimeout); err != nil {
				c.log.Debug("leave not confirmed", "err", err)
			}
		}
		if err := c.ml.Shutdown(); err != nil {
			c.closeErr = fmt.Errorf("election: shutdown: %w", err)
		}
		close(c.events)
		c.log.Info("cluster closed")
	})
	return c.closeErr
}
