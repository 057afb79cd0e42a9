package coap

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// helloFlood sends ClientHellos to to from 256 sockets on address from,
// round robin at about perSecond, and never goes on with a handshake: a
// rogue host that holds no key. It stops at the end of the test; sent
// counts the ClientHellos sent.
func helloFlood(tb testing.TB, to netip.AddrPort, from netip.Addr, perSecond int) (sent *atomic.Int64) {
	tb.Helper()
	socks := make([]*net.UDPConn, 256)
	for i := range socks {
		c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)), net.UDPAddrFromAddrPort(to))
		if err != nil {
			tb.Fatal(err)
		}
		socks[i] = c
	}
	hello := clientHello(tb, 0, nil)
	sent = new(atomic.Int64)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := socks[i%len(socks)].Write(hello); err == nil {
					sent.Add(1)
				}
			}
		}
	})
	tb.Cleanup(func() {
		close(done)
		wg.Wait()
		for _, c := range socks {
			_ = c.Close()
		}
	})
	return sent
}

// newSessionTime listens on addr (port 0), sends one Record to to (which
// opens a new DTLS session) and returns how long the Send took.
func newSessionTime(tb testing.TB, addr netip.Addr, to string, within time.Duration) (time.Duration, error) {
	tb.Helper()
	cfg := pskConfig("proto::ctrl-"+addr.String(), meshKey)
	cfg.Listen = netip.AddrPortFrom(addr, 0).String()
	e, err := Listen(context.Background(), cfg, newSink().handle)
	if err != nil {
		tb.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	start := time.Now()
	err = e.Send(ctx, to, []byte("legit"))
	return time.Since(start), err
}

// floodedServer is a DTLS-PSK endpoint with the default handshake limits
// on 127.0.0.1, under a flood of ClientHellos from 127.0.0.2.
func floodedServer(tb testing.TB, known func(netip.Addr) bool, floodFrom ...netip.Addr) *Endpoint {
	tb.Helper()
	cfg := pskConfig("proto::agent-b", meshKey)
	cfg.Known = known
	b := listen(tb, cfg, func(context.Context, Inbound) error { return nil })
	var sent []*atomic.Int64
	for _, from := range floodFrom {
		sent = append(sent, helloFlood(tb, b.Addr(), from, 120))
	}
	// Wait until each flood has sent well over the server's handshake
	// burst, and holds pending handshakes.
	waitFor(tb, 5*time.Second, "the flood to exceed the handshake burst", func() bool {
		p, _ := b.dtlsSrv.counts()
		for _, n := range sent {
			if n.Load() < 3*DefaultHandshakesPerSecond {
				return false
			}
		}
		return p > 0
	})
	return b
}

// TestHandshakeFloodFairness: a rogue host floods ClientHellos (about 120
// a second from many ports of one address, more than
// MaxHandshakesPerSecond) and never completes them; legitimate clients
// from other addresses still get a new session each, quickly (the target
// is within 1 s; the deadline asserted is generous).
func TestHandshakeFloodFairness(t *testing.T) {
	checkLeaks(t)
	b := floodedServer(t, nil, netip.MustParseAddr("127.0.0.2"))
	const deadline = 2 * time.Second
	var lat []time.Duration
	for i := range 12 {
		addr := netip.AddrFrom4([4]byte{127, 0, 1, byte(10 + i)})
		d, err := newSessionTime(t, addr, b.URL(), deadline)
		if err != nil {
			t.Errorf("legitimate client %v: no session within %v: %v", addr, deadline, err)
			continue
		}
		lat = append(lat, d)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		t.Logf("%d of 12 legitimate sessions up; p50 %v, max %v", len(lat), lat[len(lat)/2], lat[len(lat)-1])
	}
}

// TestHandshakeFloodKnown: a flood from six addresses uses up the rate of
// all unknown addresses together; clients from Known addresses still get
// a new session each, quickly.
func TestHandshakeFloodKnown(t *testing.T) {
	checkLeaks(t)
	known := func(a netip.Addr) bool { return a.As4()[2] == 1 } // 127.0.1.0/24
	var flood []netip.Addr
	for i := range 6 {
		flood = append(flood, netip.AddrFrom4([4]byte{127, 0, 3, byte(1 + i)}))
	}
	b := floodedServer(t, known, flood...)
	const deadline = 2 * time.Second
	for i := range 6 {
		addr := netip.AddrFrom4([4]byte{127, 0, 1, byte(30 + i)})
		if d, err := newSessionTime(t, addr, b.URL(), deadline); err != nil {
			t.Errorf("known client %v: no session within %v: %v", addr, deadline, err)
		} else {
			t.Logf("known client %v: session up in %v", addr, d)
		}
	}
}

// TestPendingEvictsHeaviest: at MaxPendingHandshakes a new ClientHello
// evicts the oldest pending handshake of the address holding the most,
// and never one of a known address for an unknown one.
func TestPendingEvictsHeaviest(t *testing.T) {
	checkLeaks(t)
	cfg := pskConfig("proto::agent-b", meshKey)
	cfg.MaxPendingHandshakes = 8 // two per address
	cfg.MaxHandshakesPerSecond = 1000
	kAddr := netip.MustParseAddr("127.0.4.1")
	cfg.Known = func(a netip.Addr) bool { return a == kAddr }
	b := listen(t, cfg, newSink().handle)
	hello := func(from netip.Addr) netip.AddrPort {
		t.Helper()
		c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)), net.UDPAddrFromAddrPort(b.Addr()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := c.Write(clientHello(t, 0, nil)); err != nil {
			t.Fatal(err)
		}
		src := c.LocalAddr().(*net.UDPAddr).AddrPort()
		waitFor(t, 2*time.Second, "the ClientHello to be admitted", func() bool {
			b.dtlsSrv.mu.Lock()
			defer b.dtlsSrv.mu.Unlock()
			return b.dtlsSrv.conns[src] != nil
		})
		return src
	}
	pendingFrom := func() map[netip.Addr]int {
		b.dtlsSrv.mu.Lock()
		defer b.dtlsSrv.mu.Unlock()
		n := map[netip.Addr]int{}
		for a, c := range b.dtlsSrv.conns {
			if c.state == statePending {
				n[a.Addr()]++
			}
		}
		return n
	}
	heavy, light := netip.MustParseAddr("127.0.4.2"), netip.MustParseAddr("127.0.4.3")
	k := []netip.AddrPort{hello(kAddr), hello(kAddr)}
	firstHeavy := hello(heavy)
	hello(heavy)
	hello(light)
	hello(netip.MustParseAddr("127.0.4.4"))
	hello(netip.MustParseAddr("127.0.4.4"))
	hello(netip.MustParseAddr("127.0.4.5")) // 8 pending: the cap
	hello(netip.MustParseAddr("127.0.4.6")) // evicts heavy's oldest
	got := pendingFrom()
	if got[heavy] != 1 || got[kAddr] != 2 || got[light] != 1 {
		t.Fatalf("pending per address %v; want heavy's oldest evicted", got)
	}
	b.dtlsSrv.mu.Lock()
	_, stillThere := b.dtlsSrv.conns[firstHeavy]
	b.dtlsSrv.mu.Unlock()
	if stillThere {
		t.Fatal("heavy's oldest handshake kept; a newer one evicted")
	}
	for i := range 20 { // unknown newcomers never displace the known ones
		hello(netip.AddrFrom4([4]byte{127, 0, 5, byte(1 + i)}))
	}
	b.dtlsSrv.mu.Lock()
	defer b.dtlsSrv.mu.Unlock()
	for _, src := range k {
		if c := b.dtlsSrv.conns[src]; c == nil || c.state != statePending {
			t.Fatalf("known address's handshake %v evicted for unknown ones", src)
		}
	}
	if b.dtlsSrv.pending > cfg.MaxPendingHandshakes {
		t.Fatalf("%d pending, cap %d", b.dtlsSrv.pending, cfg.MaxPendingHandshakes)
	}
}

// BenchmarkHandshakeUnderFlood: new sessions from legitimate clients
// (each from its own address, about ten a second) while a rogue host
// floods ClientHellos (about 120 a second from many ports of one
// address). It reports the share of sessions up within 5 s and their
// p50 and max latency; run it with e.g. -benchtime=60x.
func BenchmarkHandshakeUnderFlood(b *testing.B) {
	for _, tc := range []struct {
		name  string
		known func(netip.Addr) bool
	}{
		{"unknown", nil},
		{"known", func(a netip.Addr) bool { return a.As4()[1] == 6 }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := floodedServer(b, tc.known, netip.MustParseAddr("127.0.0.2"))
			pace := time.NewTicker(100 * time.Millisecond)
			defer pace.Stop()
			var lat []time.Duration
			ok := 0
			b.ResetTimer()
			for i := range b.N {
				<-pace.C
				addr := netip.AddrFrom4([4]byte{127, 6, byte(i / 250), byte(1 + i%250)})
				d, err := newSessionTime(b, addr, srv.URL(), 5*time.Second)
				if err == nil {
					ok++
				}
				lat = append(lat, d)
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(100*float64(ok)/float64(b.N), "success-%")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}
