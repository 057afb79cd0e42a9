package discovery

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/grandcat/zeroconf"
)

// entryAt is entry announced from one IPv4 address only.
func entryAt(kind Kind, instance, ip string, txt ...string) *zeroconf.ServiceEntry {
	e := entry(kind, instance, txt...)
	e.AddrIPv4, e.AddrIPv6 = []net.IP{net.ParseIP(ip).To4()}, nil
	return e
}

// bySource counts the peers of a snapshot by their source address.
func bySource(peers []Peer) map[netip.Addr]int {
	out := map[netip.Addr]int{}
	for _, p := range peers {
		out[p.AddrPort().Addr()]++
	}
	return out
}

// TestBrowserBoundsPerSource: 500 instances announced from one address
// hold only a few entries, so the table keeps room, and a genuine peer
// announced afterwards from another address is recorded and reported.
func TestBrowserBoundsPerSource(t *testing.T) {
	b, err := newBrowser(BrowseConfig{Cluster: "home", PeerBuffer: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		b.observe(entryAt(Agent, fmt.Sprintf("os::00256D-spoof%03d", i), "192.0.2.66", "cluster=home"), b.log)
	}
	b.observe(entryAt(Agent, "os::00256D-ap1", "192.0.2.1", "cluster=home"), b.log)
	snap := b.Snapshot()
	if n := bySource(snap)[netip.MustParseAddr("192.0.2.66")]; n > 4 {
		t.Errorf("one announcer holds %d entries, want at most 4", n)
	}
	if !slices.Contains(ids(snap), "agent os::00256D-ap1") {
		t.Errorf("the genuine peer is not in the table after the flood (%d entries)", len(snap))
	}
	if !slices.Contains(ids(drain(b)), "agent os::00256D-ap1") {
		t.Error("the genuine peer was not reported after the flood")
	}
	// The entries kept of the flood are its latest.
	if !slices.Contains(ids(snap), "agent os::00256D-spoof499") {
		t.Errorf("the latest instance of the announcer was not kept: %d entries", len(snap))
	}
}

// TestBrowserFullEvictsOldest: a full table makes room for a new peer by
// forgetting the one seen longest ago, never by ignoring the newcomer.
func TestBrowserFullEvictsOldest(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b, err := newBrowser(BrowseConfig{Cluster: "home", MaxPeers: 3, PeerBuffer: 16, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	see := func(id, ip string) {
		b.observe(entryAt(Agent, id, ip, "cluster=home"), b.log)
		clock.advance(time.Second)
	}
	see("os::00256D-ap1", "192.0.2.1")
	see("os::00256D-ap2", "192.0.2.2")
	see("os::00256D-ap3", "192.0.2.3")
	see("os::00256D-ap1", "192.0.2.1") // seen again: ap2 is now the oldest
	see("os::00256D-ap4", "192.0.2.4")
	want := []string{"agent os::00256D-ap1", "agent os::00256D-ap3", "agent os::00256D-ap4"}
	if got := ids(b.Snapshot()); !slices.Equal(got, want) {
		t.Errorf("Snapshot = %q, want %q", got, want)
	}
	if got := ids(drain(b)); len(got) != 5 || got[4] != "agent os::00256D-ap4" {
		t.Errorf("Peers = %q, want ap4 reported last", got)
	}
}

// TestPeerTableEvictionOrder: room is made by forgetting an unconfirmed
// entry before a confirmed one, and among those the one seen longest ago;
// a peer's source bound is filled only by that source; a change of
// records drops the confirmation.
func TestPeerTableEvictionOrder(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	peer := func(id, ip string) Peer {
		at = at.Add(time.Second)
		return Peer{Kind: Agent, EndpointID: id, Addrs: []netip.Addr{netip.MustParseAddr(ip)}, Port: 5684,
			LastSeen: at, TXT: map[string]string{"cluster": "home"}}
	}
	keys := func(tab *peerTable) []string { return ids(tab.snapshot(at)) }
	evicted := func(ev *eviction) string {
		if ev == nil {
			return ""
		}
		return ev.reason + " " + ev.peer.EndpointID
	}
	for _, tc := range []struct {
		name    string
		max     int      // 4: a, b, c, d fill the table from four sources; 16: they fill the bound of one source
		confirm []string // confirmed after the first four puts
		puts    []Peer   // then these
		evicted []string // what each of those puts forgot
		want    []string // the table at the end
	}{
		{"full, oldest goes", 4, nil,
			[]Peer{peer("os::00256D-e", "192.0.2.5")},
			[]string{"full os::00256D-a"},
			[]string{"agent os::00256D-b", "agent os::00256D-c", "agent os::00256D-d", "agent os::00256D-e"}},
		{"full, confirmed stay", 4, []string{"os::00256D-a", "os::00256D-b"},
			[]Peer{peer("os::00256D-e", "192.0.2.5"), peer("os::00256D-f", "192.0.2.6")},
			[]string{"full os::00256D-c", "full os::00256D-d"},
			[]string{"agent os::00256D-a", "agent os::00256D-b", "agent os::00256D-e", "agent os::00256D-f"}},
		{"full of confirmed, oldest goes", 4, []string{"os::00256D-a", "os::00256D-b", "os::00256D-c", "os::00256D-d"},
			[]Peer{peer("os::00256D-e", "192.0.2.5")},
			[]string{"full os::00256D-a"},
			[]string{"agent os::00256D-b", "agent os::00256D-c", "agent os::00256D-d", "agent os::00256D-e"}},
		{"source bound, not the confirmed", 16, []string{"os::00256D-a"},
			[]Peer{peer("os::00256D-x1", "192.0.2.1"), peer("os::00256D-x2", "192.0.2.1"), peer("os::00256D-y", "192.0.2.9")},
			[]string{"source os::00256D-b", "source os::00256D-c", ""},
			[]string{"agent os::00256D-a", "agent os::00256D-d", "agent os::00256D-x1", "agent os::00256D-x2",
				"agent os::00256D-y"}},
		{"moving into a full source", 16, nil,
			[]Peer{peer("os::00256D-y", "192.0.2.9"), peer("os::00256D-y", "192.0.2.1")},
			[]string{"", "source os::00256D-a"},
			[]string{"agent os::00256D-b", "agent os::00256D-c", "agent os::00256D-d", "agent os::00256D-y"}},
		{"changed records drop the confirmation", 4, []string{"os::00256D-a", "os::00256D-b", "os::00256D-c", "os::00256D-d"},
			[]Peer{func() Peer { p := peer("os::00256D-a", "192.0.2.1"); p.Port = 5685; return p }(),
				peer("os::00256D-e", "192.0.2.5")},
			[]string{"", "full os::00256D-a"},
			[]string{"agent os::00256D-b", "agent os::00256D-c", "agent os::00256D-d", "agent os::00256D-e"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := newPeerTable(tc.max, 4, time.Hour)
			for i, id := range []string{"os::00256D-a", "os::00256D-b", "os::00256D-c", "os::00256D-d"} {
				ip := "192.0.2.1"
				if tc.max == 4 {
					ip = fmt.Sprintf("192.0.2.%d", i+1)
				}
				tab.put(peer(id, ip))
			}
			for _, id := range tc.confirm {
				if !tab.confirm(peerKey{Agent, id}) {
					t.Fatalf("confirm %s: not in the table", id)
				}
			}
			var got []string
			for _, p := range tc.puts {
				_, ev := tab.put(p)
				got = append(got, evicted(ev))
			}
			if !slices.Equal(got, tc.evicted) {
				t.Errorf("evicted %q, want %q", got, tc.evicted)
			}
			if k := keys(tab); !slices.Equal(k, tc.want) {
				t.Errorf("table %q, want %q", k, tc.want)
			}
		})
	}
}
