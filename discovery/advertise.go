package discovery

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/grandcat/zeroconf"
)

// DefaultRecheck is how often an Advertiser looks for interface and
// address changes when AdvertiseConfig.Recheck is zero. It reads the
// local interface list only; nothing is sent unless something changed.
const DefaultRecheck = 10 * time.Second

// AdvertiseConfig says what an Advertiser announces and where.
type AdvertiseConfig struct {
	// Services are the endpoints to announce, typically the node's Agent
	// and Controller; at least one, no two with the same Kind and
	// EndpointID.
	Services []Service
	// Interfaces names the interfaces to announce on and whose addresses
	// to advertise. Empty means every interface that is up and
	// multicast-capable, loopback excluded. A named interface that does
	// not exist yet is waited for.
	Interfaces []string
	// HostName is the SRV target's label, ".local." is appended. Empty
	// derives one from the first Service's Endpoint ID (see hostLabel); it
	// must be unique per node, so never the OS host name.
	HostName string
	// Recheck is the interval between looks at the interfaces; zero means
	// DefaultRecheck.
	Recheck time.Duration
	// Logger receives the Advertiser's events; nil discards them.
	Logger *slog.Logger
}

// Advertiser announces Services with mDNS/DNS-SD until closed. It
// re-registers every Service when the set of interfaces or addresses
// changes, after a goodbye for the old records.
type Advertiser struct {
	log     *slog.Logger
	regs    []registration
	host    string // FQDN, "<label>.local."
	names   []string
	recheck time.Duration

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	servers []*zeroconf.Server
	addrs   []netip.Addr // advertised now; nil when not registered
}

// Advertise checks cfg, registers its Services on the interfaces'
// current addresses and keeps them registered until ctx is done or Close
// is called. It fails on a bad Service and when the first registration
// fails; when no interface or address is usable yet, it registers as
// soon as one is.
func Advertise(ctx context.Context, cfg AdvertiseConfig) (*Advertiser, error) {
	if len(cfg.Services) == 0 {
		return nil, fmt.Errorf("discovery: advertise: %w: no services", ErrService)
	}
	a := &Advertiser{
		log:     cfg.Logger,
		names:   slices.Clone(cfg.Interfaces),
		recheck: cfg.Recheck,
		done:    make(chan struct{}),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.recheck <= 0 {
		a.recheck = DefaultRecheck
	}
	for _, s := range cfg.Services {
		r, err := s.prepare()
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(a.regs, func(o registration) bool { return o.kind == r.kind && o.id == r.id }) {
			return nil, &ServiceError{Kind: s.Kind, EndpointID: s.EndpointID, Err: fmt.Errorf("%w: advertised twice", ErrService)}
		}
		a.regs = append(a.regs, r)
	}
	label := cfg.HostName
	if label == "" {
		label = hostLabel(cfg.Services[0].EndpointID)
	}
	if err := checkHostLabel(label); err != nil {
		return nil, err
	}
	a.host = label + ".local."

	state, err := readLinkState(a.names)
	if err != nil {
		return nil, err
	}
	if err := a.register(state); err != nil {
		return nil, err
	}
	ctx, a.cancel = context.WithCancel(ctx)
	go a.run(ctx, state.key())
	return a, nil
}

// Addrs returns the addresses advertised now, nil while nothing is
// registered (no usable interface or address yet).
func (a *Advertiser) Addrs() []netip.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.addrs)
}

// HostName returns the host name in the SRV records, such as
// "os-00256d-ap1-0a1b2c3d.local.".
func (a *Advertiser) HostName() string { return a.host }

// Close sends goodbyes for every Service and stops. It is safe to call
// more than once and from several goroutines; it returns once the
// responders are shut down.
func (a *Advertiser) Close() {
	a.closeOnce.Do(a.cancel)
	<-a.done
}

// run re-reads the link state every recheck and re-registers when it
// differs from what is registered (or when the last attempt failed).
func (a *Advertiser) run(ctx context.Context, key string) {
	defer close(a.done)
	defer a.unregister()
	tick := time.NewTicker(a.recheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		state, err := readLinkState(a.names)
		if err != nil {
			a.log.Warn("discovery: read interfaces", "err", err)
			continue
		}
		if state.key() == key {
			continue
		}
		a.log.Info("discovery: interfaces or addresses changed, re-registering",
			"addrs", state.addrs, "missing", state.missing)
		a.unregister()
		if err := a.register(state); err != nil {
			a.log.Warn("discovery: re-register", "err", err)
			key = "" // try again at the next tick
			continue
		}
		key = state.key()
	}
}

// register starts one zeroconf responder per Service on state. With no
// interface or no address it registers nothing and returns nil.
func (a *Advertiser) register(state linkState) error {
	if len(state.ifaces) == 0 || len(state.addrs) == 0 {
		a.log.Info("discovery: nothing to advertise on yet", "interfaces", a.names, "missing", state.missing)
		return nil
	}
	ips := state.ipStrings()
	servers := make([]*zeroconf.Server, 0, len(a.regs))
	for _, r := range a.regs {
		// Domain "local" without the final dot: RegisterProxy appends
		// ".local." to a host name not ending in its domain, and
		// "x.local" does not end in "local.".
		s, err := zeroconf.RegisterProxy(r.instance, r.kind.ServiceType(), "local",
			r.port, a.host, ips, r.txt, state.ifaces)
		if err != nil {
			for _, s := range servers {
				s.Shutdown()
			}
			return fmt.Errorf("discovery: register %s %q: %w", r.kind, r.id, err)
		}
		servers = append(servers, s)
		a.log.Debug("discovery: registered", "kind", r.kind, "endpoint", r.id,
			"host", a.host, "port", r.port, "addrs", state.addrs)
	}
	a.mu.Lock()
	a.servers, a.addrs = servers, state.addrs
	a.mu.Unlock()
	return nil
}

// unregister shuts the responders down; each multicasts a goodbye (its
// records with TTL 0) first.
func (a *Advertiser) unregister() {
	a.mu.Lock()
	servers := a.servers
	a.servers, a.addrs = nil, nil
	a.mu.Unlock()
	for _, s := range servers {
		s.Shutdown()
	}
}
