package discovery

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/grandcat/zeroconf"
)

// entry builds what zeroconf hands a browser for an instance.
func entry(kind Kind, instance string, txt ...string) *zeroconf.ServiceEntry {
	e := zeroconf.NewServiceEntry(instance, kind.ServiceType(), "local.")
	e.HostName = "h-0a1b2c3d.local."
	e.Port = 5684
	e.Text = txt
	e.TTL = 3200
	e.AddrIPv4 = []net.IP{net.ParseIP("169.254.10.1").To4()}
	e.AddrIPv6 = []net.IP{net.ParseIP("fd00::1")}
	return e
}

func TestParseEntry(t *testing.T) {
	e := entry(Agent, `os::00256D-ap1\.lab`, "path=/usp", "name=AP\\0321", "encrypt", "cluster=c1",
		"gossip=7946", "Prio=10")
	e.AddrIPv4 = append(e.AddrIPv4, net.ParseIP("169.254.10.1"), net.ParseIP("0.0.0.0"), net.ParseIP("127.0.0.1"))
	e.AddrIPv6 = append(e.AddrIPv6, net.ParseIP("ff02::fb"), net.IP{1, 2})
	got, err := parseEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	want := Peer{
		Kind: Agent, EndpointID: "os::00256D-ap1.lab", Port: 5684, Path: "/usp", Name: "AP 1",
		Encrypt: true, Cluster: "c1", Gossip: 7946, Host: "h-0a1b2c3d.local.",
		Addrs: []netip.Addr{netip.MustParseAddr("169.254.10.1"), netip.MustParseAddr("fd00::1")},
		TXT: map[string]string{"path": "/usp", "name": "AP 1", "encrypt": "", "cluster": "c1",
			"gossip": "7946", "prio": "10"},
	}
	if !got.sameRecords(want) || got.Path != want.Path || got.Name != want.Name || got.Encrypt != want.Encrypt ||
		got.Cluster != want.Cluster || got.Gossip != want.Gossip {
		t.Errorf("parseEntry =\n%+v\nwant\n%+v", got, want)
	}
	if ap := got.AddrPort(); ap != netip.MustParseAddrPort("169.254.10.1:5684") {
		t.Errorf("AddrPort = %v", ap)
	}
}

func TestParseEntryRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*zeroconf.ServiceEntry)
	}{
		{"nil", nil},
		{"unknown service type", func(e *zeroconf.ServiceEntry) { e.Service = "_http._tcp" }},
		{"instance of two labels", func(e *zeroconf.ServiceEntry) { e.Instance = "os::a.b" }},
		{"instance not an Endpoint ID", func(e *zeroconf.ServiceEntry) { e.Instance = "My Printer" }},
		{"no port", func(e *zeroconf.ServiceEntry) { e.Port = 0 }},
		{"port too big", func(e *zeroconf.ServiceEntry) { e.Port = 70000 }},
		{"no host", func(e *zeroconf.ServiceEntry) { e.HostName = "" }},
		{"no address", func(e *zeroconf.ServiceEntry) { e.AddrIPv4, e.AddrIPv6 = nil, nil }},
		{"only unusable addresses", func(e *zeroconf.ServiceEntry) {
			e.AddrIPv4, e.AddrIPv6 = []net.IP{net.IPv4zero}, []net.IP{net.IPv6loopback}
		}},
		{"bad gossip port", func(e *zeroconf.ServiceEntry) { e.Text = []string{"gossip=0"} }},
		{"gossip not a number", func(e *zeroconf.ServiceEntry) { e.Text = []string{"gossip=x"} }},
		{"bad TXT escape", func(e *zeroconf.ServiceEntry) { e.Text = []string{`path=\`} }},
		{"too many TXT strings", func(e *zeroconf.ServiceEntry) { e.Text = make([]string, 65) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *zeroconf.ServiceEntry
			if tc.modify != nil {
				e = entry(Agent, "os::00256D-ap1")
				tc.modify(e)
			}
			if p, err := parseEntry(e); !errors.Is(err, ErrEntry) {
				t.Errorf("parseEntry = %+v, %v; want ErrEntry", p, err)
			}
		})
	}
}

func TestParseEntryManyAddrs(t *testing.T) {
	e := entry(Controller, "self::c")
	for i := range 40 {
		e.AddrIPv4 = append(e.AddrIPv4, net.IPv4(169, 254, 0, byte(i+1)))
	}
	p, err := parseEntry(e)
	if err != nil || len(p.Addrs) != maxAddrs || !slices.IsSortedFunc(p.Addrs, netip.Addr.Compare) {
		t.Errorf("parseEntry: %d addrs %v, %v", len(p.Addrs), p.Addrs, err)
	}
}

// fakeClock is a settable clock for BrowseConfig.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// drain returns the peers queued on b.Peers.
func drain(b *Browser) []Peer {
	var out []Peer
	for {
		select {
		case p := <-b.peers:
			out = append(out, p)
		default:
			return out
		}
	}
}

func ids(ps []Peer) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s %s", p.Kind, p.EndpointID))
	}
	return out
}

func TestBrowserFilters(t *testing.T) {
	entries := []*zeroconf.ServiceEntry{
		entry(Agent, "os::00256D-ap1", "path=/usp", "cluster=home"),
		entry(Controller, "self::ctrl-ap1", "path=/usp", "cluster=home"),
		entry(Agent, "os::00256D-me", "path=/usp", "cluster=home"),       // our own Agent
		entry(Controller, "os::00256D-me", "path=/usp", "cluster=home"),  // same ID, other kind
		entry(Agent, "os::00256D-next-door", "path=/usp", "cluster=far"), // another home
		entry(Agent, "os::00256D-lonely", "path=/usp"),                   // no cluster
		entry(Agent, "not an id", "cluster=home"),                        // malformed
	}
	for _, tc := range []struct {
		name string
		cfg  BrowseConfig
		want []string
	}{
		{"cluster", BrowseConfig{Cluster: "home", Self: []string{"os::00256D-me"}},
			[]string{"agent os::00256D-ap1", "controller self::ctrl-ap1"}},
		{"any cluster", BrowseConfig{AnyCluster: true, Self: []string{"os::00256D-me"}},
			[]string{"agent os::00256D-ap1", "agent os::00256D-lonely", "agent os::00256D-next-door",
				"controller self::ctrl-ap1"}},
		{"cluster, no self", BrowseConfig{Cluster: "home"},
			[]string{"agent os::00256D-ap1", "agent os::00256D-me", "controller os::00256D-me",
				"controller self::ctrl-ap1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := newBrowser(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				b.observe(e, b.log)
			}
			if got := ids(b.Snapshot()); !slices.Equal(got, tc.want) {
				t.Errorf("Snapshot = %q, want %q", got, tc.want)
			}
			got := ids(drain(b))
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Peers = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBrowseConfigErrors(t *testing.T) {
	for name, cfg := range map[string]BrowseConfig{
		"no cluster":     {},
		"bad kind":       {AnyCluster: true, Kinds: []Kind{Agent, 7}},
		"duplicate kind": {AnyCluster: true, Kinds: []Kind{Agent, Agent}},
	} {
		if _, err := newBrowser(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}

func TestBrowserRefreshAndExpiry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b, err := newBrowser(BrowseConfig{Cluster: "home", Interval: time.Second, MaxInterval: 10 * time.Second,
		MaxPeers: 2, PeerBuffer: 2, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ap1 := entry(Agent, "os::00256D-ap1", "cluster=home")
	ap2 := entry(Agent, "os::00256D-ap2", "cluster=home")
	ap3 := entry(Agent, "os::00256D-ap3", "cluster=home")

	b.observe(ap1, b.log)
	b.observe(ap2, b.log)
	b.observe(ap1, b.log) // channel full: dropped
	if b.Dropped() != 1 || len(drain(b)) != 2 {
		t.Errorf("Dropped = %d", b.Dropped())
	}

	// ap1 is seen again later; ap2 is not and expires after 3 MaxIntervals.
	clock.advance(20 * time.Second)
	b.observe(ap1, b.log)
	p := <-b.peers
	if !p.LastSeen.Equal(clock.Now()) {
		t.Errorf("refresh: LastSeen = %v, want %v", p.LastSeen, clock.Now())
	}
	clock.advance(11 * time.Second) // ap2 last seen 31 s ago
	if got := ids(b.Snapshot()); !slices.Equal(got, []string{"agent os::00256D-ap1"}) {
		t.Errorf("after expiry: Snapshot = %q", got)
	}
	b.observe(ap3, b.log) // room again
	if got := ids(b.Snapshot()); len(got) != 2 {
		t.Errorf("after expiry, ap3: Snapshot = %q", got)
	}

	// What the Browser hands out is a copy.
	snap := b.Snapshot()
	snap[0].Addrs[0] = netip.MustParseAddr("10.9.9.9")
	snap[0].TXT["cluster"] = "evil"
	if again := b.Snapshot(); again[0].Addrs[0] == snap[0].Addrs[0] || again[0].TXT["cluster"] != "home" {
		t.Errorf("Snapshot aliases the table: %+v", again[0])
	}
}

func TestPeerTableChanged(t *testing.T) {
	tab := newPeerTable(4, 4, time.Minute)
	p, err := parseEntry(entry(Agent, "os::00256D-ap1", "cluster=home"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p.LastSeen = now
	if changed, ev := tab.put(p); !changed || ev != nil {
		t.Errorf("new: changed=%v evicted=%v", changed, ev)
	}
	p.LastSeen = now.Add(time.Second)
	if changed, _ := tab.put(p); changed {
		t.Error("refresh reported as a change")
	}
	q := p.clone()
	q.Addrs = append(q.Addrs, netip.MustParseAddr("169.254.99.1"))
	if changed, _ := tab.put(q); !changed {
		t.Error("new address not reported as a change")
	}
	r := q.clone()
	r.TXT["gossip"] = "1"
	if changed, _ := tab.put(r); !changed || maps.Equal(r.TXT, q.TXT) {
		t.Error("new TXT not reported as a change")
	}
}

// TestCloseIdempotent runs a Browser and an Advertiser on an interface
// that does not exist, so they send nothing, and closes them twice, from
// two goroutines.
func TestCloseIdempotent(t *testing.T) {
	ctx := t.Context()
	b, err := Browse(ctx, BrowseConfig{AnyCluster: true, Interfaces: []string{"nonexistent0"}})
	if err != nil {
		t.Fatal(err)
	}
	b.Refresh()
	a, err := Advertise(ctx, AdvertiseConfig{Interfaces: []string{"nonexistent0"},
		Services: []Service{{Kind: Agent, EndpointID: "os::00256D-ap1", Port: 5684, Path: "/usp"}}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Addrs() != nil {
		t.Errorf("Addrs = %v with no interface", a.Addrs())
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { b.Close(); a.Close() })
	}
	wg.Wait()
	b.Close()
	a.Close()
	if _, open := <-b.Peers(); open {
		t.Error("Peers still open after Close")
	}
}

func TestAdvertiseConfigErrors(t *testing.T) {
	svc := Service{Kind: Agent, EndpointID: "os::00256D-ap1", Port: 5684, Path: "/usp"}
	for name, cfg := range map[string]AdvertiseConfig{
		"no services": {},
		"duplicate":   {Services: []Service{svc, svc}},
		"bad service": {Services: []Service{{Kind: Agent, EndpointID: "x"}}},
		"bad host":    {Services: []Service{svc}, HostName: "ap_1"},
	} {
		if a, err := Advertise(t.Context(), cfg); err == nil {
			a.Close()
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPeerURL(t *testing.T) {
	v4, v6 := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("fd00::7")
	for _, tc := range []struct {
		p    Peer
		want string
	}{
		{Peer{Addrs: []netip.Addr{v6, v4}, Port: 5684, Path: "usp", Encrypt: true}, "coaps://192.0.2.7:5684/usp"},
		{Peer{Addrs: []netip.Addr{v4}, Port: 5683, Path: "/usp"}, "coap://192.0.2.7:5683/usp"},
		{Peer{Addrs: []netip.Addr{v6}, Port: 5684, Path: "usp", Encrypt: true}, "coaps://[fd00::7]:5684/usp"},
		{Peer{Port: 5684, Path: "usp"}, ""},
	} {
		if got := tc.p.URL(); got != tc.want {
			t.Errorf("%+v: URL() = %q, want %q", tc.p, got, tc.want)
		}
	}
}
