package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grandcat/zeroconf"
)

// Browse defaults, used when the BrowseConfig field is zero.
const (
	// DefaultInterval is the length of the first browse round. Each round
	// opens a fresh resolver, queries once (zeroconf v1.0.0 sends the
	// query twice), listens for the whole round, so that a peer
	// announcing itself is seen at once, and reports every peer that
	// answers. Each round lasts twice as long as the one before, up to
	// MaxInterval (RFC 6762 §5.2), because every responder answers every
	// query in full: zeroconf v1.0.0 has no known-answer suppression.
	DefaultInterval = 20 * time.Second
	// DefaultMaxInterval caps the round length. At rest a node then
	// queries each service type once per 5 minutes.
	DefaultMaxInterval = 5 * time.Minute
	// DefaultMaxPeers bounds the peers a Browser tracks; a new peer then
	// takes the place of the one seen longest ago (see MaxPeers).
	DefaultMaxPeers = 256
	// DefaultMaxPerSource bounds the peers one address announces: a node
	// announces an Agent and a Controller, and a few more leave room for
	// a renamed or restarted one.
	DefaultMaxPerSource = 4
	// DefaultPeerBuffer is the capacity of the Peers channel.
	DefaultPeerBuffer = 64
)

// BrowseConfig says what a Browser looks for and what it keeps.
type BrowseConfig struct {
	// Kinds are the service types to browse; empty means Agent and
	// Controller.
	Kinds []Kind
	// Cluster keeps only the peers whose TXT "cluster" equals it. It must
	// be set unless AnyCluster is.
	Cluster string
	// AnyCluster keeps peers of every cluster, and of none (meshctl
	// discover); Cluster is then ignored.
	AnyCluster bool
	// Self lists this node's own Endpoint IDs; peers with one of them, of
	// either Kind, are ignored (R-ARC.2).
	Self []string
	// Interfaces names the interfaces to browse on; empty means every
	// interface that is up and multicast-capable, loopback excluded. The
	// names are resolved again at every round.
	Interfaces []string
	// Interval is the length of the first round, and of the first after
	// Refresh or a change of interfaces or addresses; zero means
	// DefaultInterval.
	Interval time.Duration
	// MaxInterval caps the round length; zero means DefaultMaxInterval,
	// and a value below Interval means Interval (fixed rounds).
	MaxInterval time.Duration
	// Recheck is how often a round looks for interface and address
	// changes, which end it and restart the schedule; zero means
	// DefaultRecheck.
	Recheck time.Duration
	// Expire forgets a peer not seen for this long; zero means three
	// MaxIntervals. It bounds memory; liveness is the cluster's business.
	Expire time.Duration
	// MaxPeers bounds the table; zero means DefaultMaxPeers. A new peer
	// is never ignored: when the table is full it takes the place of an
	// unconfirmed peer (see Confirm) or, failing that, a confirmed one,
	// whichever was seen longest ago.
	MaxPeers int
	// MaxPerSource bounds the peers that share a source address, the
	// first address a peer announces (IPv4 preferred); zero means
	// DefaultMaxPerSource. A new peer from a source at the bound takes
	// the place of that source's unconfirmed peer seen longest ago, so
	// that one announcer churns its own few entries and cannot fill the
	// table. (zeroconf does not report the address a response came from,
	// so the announced address stands for it; it is also the address a
	// consumer contacts.)
	MaxPerSource int
	// PeerBuffer is the capacity of the Peers channel; zero means
	// DefaultPeerBuffer.
	PeerBuffer int
	// Logger receives the Browser's events (ignored entries at Debug);
	// nil discards them.
	Logger *slog.Logger
	// Now stamps LastSeen and drives expiry; nil means time.Now.
	Now func() time.Time
}

// Browser browses for USP endpoints until closed. See Browse.
type Browser struct {
	cfg   BrowseConfig
	log   *slog.Logger
	self  map[string]bool
	table *peerTable
	peers chan Peer
	// refresh has one channel per browsed Kind; Refresh pokes them all.
	refresh map[Kind]chan struct{}

	cancel     context.CancelFunc
	done       chan struct{}
	closeOnce  sync.Once
	dropped    atomic.Uint64
	fullWarned atomic.Bool
}

// ErrConfig reports an unusable BrowseConfig.
var ErrConfig = errors.New("bad browse config")

// Browse starts browsing for the configured Kinds, one round after
// another, until ctx is done or Close is called.
//
// zeroconf reports each instance once per resolver and sends no removals,
// so every round starts a new resolver: a peer that answers is reported
// again each round (a refresh that advances LastSeen); a new peer is
// reported as soon as it announces itself; one whose records changed is
// reported at once if it sent a goodbye first (as an Advertiser does when
// it re-registers), else in the next round; one that stays silent is
// forgotten after Expire.
func Browse(ctx context.Context, cfg BrowseConfig) (*Browser, error) {
	b, err := newBrowser(cfg)
	if err != nil {
		return nil, err
	}
	ctx, b.cancel = context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, k := range b.cfg.Kinds {
		wg.Go(func() { b.loop(ctx, k) })
	}
	go func() {
		wg.Wait()
		close(b.peers)
		close(b.done)
	}()
	return b, nil
}

// newBrowser checks cfg, fills in the defaults and builds a Browser that
// does not browse yet.
func newBrowser(cfg BrowseConfig) (*Browser, error) {
	if cfg.Cluster == "" && !cfg.AnyCluster {
		return nil, fmt.Errorf("discovery: %w: set Cluster, or AnyCluster to see every cluster", ErrConfig)
	}
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = kinds
	}
	for i, k := range cfg.Kinds {
		if k.ServiceType() == "" || slices.Contains(cfg.Kinds[:i], k) {
			return nil, fmt.Errorf("discovery: %w: kinds %v", ErrConfig, cfg.Kinds)
		}
	}
	cfg.Kinds = slices.Clone(cfg.Kinds)
	cfg.Interfaces = slices.Clone(cfg.Interfaces)
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxInterval == 0 {
		cfg.MaxInterval = DefaultMaxInterval
	}
	cfg.MaxInterval = max(cfg.MaxInterval, cfg.Interval)
	if cfg.Recheck <= 0 {
		cfg.Recheck = DefaultRecheck
	}
	if cfg.Expire <= 0 {
		cfg.Expire = 3 * cfg.MaxInterval
	}
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = DefaultMaxPeers
	}
	if cfg.MaxPerSource <= 0 {
		cfg.MaxPerSource = DefaultMaxPerSource
	}
	if cfg.PeerBuffer <= 0 {
		cfg.PeerBuffer = DefaultPeerBuffer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Browser{
		cfg:     cfg,
		log:     cfg.Logger,
		self:    make(map[string]bool, len(cfg.Self)),
		table:   newPeerTable(cfg.MaxPeers, cfg.MaxPerSource, cfg.Expire),
		peers:   make(chan Peer, cfg.PeerBuffer),
		refresh: make(map[Kind]chan struct{}, len(cfg.Kinds)),
		done:    make(chan struct{}),
	}
	for _, k := range cfg.Kinds {
		b.refresh[k] = make(chan struct{}, 1)
	}
	for _, id := range cfg.Self {
		b.self[id] = true
	}
	return b, nil
}

// Peers delivers peers as they are seen: new ones, changed ones, and
// every peer again each round it answers. Delivery is best effort: when
// the channel is full the report is dropped (the peer comes again next
// round, and Snapshot has it meanwhile), so a consumer that only uses
// Snapshot need not read it. It is closed after Close.
func (b *Browser) Peers() <-chan Peer { return b.peers }

// Snapshot returns the peers seen within Expire, sorted by Kind then
// Endpoint ID. The copies are the caller's.
func (b *Browser) Snapshot() []Peer { return b.table.snapshot(b.cfg.Now()) }

// Refresh ends the current rounds and starts new ones at once, back at
// Interval: for a consumer that suspects a peer moved (a dial failed, a
// cluster member reappeared) and wants fresh answers now rather than at
// the next round.
func (b *Browser) Refresh() {
	for _, ch := range b.refresh {
		select {
		case ch <- struct{}{}:
		default: // one is pending already
		}
	}
}

// Confirm marks a peer as vouched for by the consumer (say, it proved it
// belongs to the mesh), so that it is the last to go when room is needed.
// The mark lasts until the peer's records change. Confirm reports whether
// the peer is in the table.
func (b *Browser) Confirm(kind Kind, endpointID string) bool {
	return b.table.confirm(peerKey{kind, endpointID})
}

// Dropped returns how many reports Peers has dropped because its buffer
// was full.
func (b *Browser) Dropped() uint64 { return b.dropped.Load() }

// Close stops browsing, waits for the rounds to end and closes Peers. It
// is safe to call more than once and from several goroutines.
func (b *Browser) Close() {
	b.closeOnce.Do(b.cancel)
	<-b.done
}

// observe filters one entry and records and reports the peer.
func (b *Browser) observe(e *zeroconf.ServiceEntry, log *slog.Logger) {
	p, err := parseEntry(e)
	if err != nil {
		log.Debug("discovery: peer ignored", "reason", "malformed", "err", err)
		return
	}
	if b.self[p.EndpointID] {
		log.Debug("discovery: peer ignored", "reason", "self", "endpoint", p.EndpointID)
		return
	}
	if !b.cfg.AnyCluster && p.Cluster != b.cfg.Cluster {
		log.Debug("discovery: peer ignored", "reason", "cluster", "endpoint", p.EndpointID, "cluster", p.Cluster)
		return
	}
	p.LastSeen = b.cfg.Now()
	changed, ev := b.table.put(p)
	if ev != nil {
		level := slog.LevelDebug
		if ev.reason == "full" && b.fullWarned.CompareAndSwap(false, true) {
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, "discovery: peer forgotten to make room", "reason", ev.reason,
			"endpoint", ev.peer.EndpointID, "source", sourceOf(ev.peer), "for", p.EndpointID,
			"max", b.cfg.MaxPeers, "max_per_source", b.cfg.MaxPerSource)
	}
	if changed {
		log.Debug("discovery: peer", "endpoint", p.EndpointID, "addrs", p.Addrs, "port", p.Port, "cluster", p.Cluster)
	}
	select {
	case b.peers <- p.clone():
	default:
		b.dropped.Add(1)
	}
}
