package coap

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/protocol"
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"
)

// clientHello builds a DTLS 1.2 ClientHello record offering a PSK suite
// and extended master secret, as a real client would.
func clientHello(t testing.TB, seq uint16, cookie []byte) []byte {
	t.Helper()
	var rnd handshake.Random
	if err := rnd.Populate(); err != nil {
		t.Fatal(err)
	}
	rec := &recordlayer.RecordLayer{
		Header: recordlayer.Header{Version: protocol.Version1_0, SequenceNumber: uint64(seq)},
		Content: &handshake.Handshake{
			Header: handshake.Header{MessageSequence: seq},
			Message: &handshake.MessageClientHello{
				Version:            protocol.Version1_2,
				Random:             rnd,
				Cookie:             cookie,
				CipherSuiteIDs:     []uint16{uint16(dtls.TLS_PSK_WITH_AES_128_CCM_8)},
				CompressionMethods: []*protocol.CompressionMethod{{}},
				Extensions:         []extension.Extension{&extension.UseExtendedMasterSecret{Supported: true}},
			},
		},
	}
	b, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// helloVerifyCookie extracts the cookie of a HelloVerifyRequest datagram.
func helloVerifyCookie(b []byte) []byte {
	recs, err := recordlayer.UnpackDatagram(b)
	if err != nil || len(recs) == 0 || len(recs[0]) <= recordlayer.FixedHeaderSize {
		return nil
	}
	var h handshake.Handshake
	if err := h.Unmarshal(recs[0][recordlayer.FixedHeaderSize:]); err != nil {
		return nil
	}
	if hvr, ok := h.Message.(*handshake.MessageHelloVerifyRequest); ok {
		return hvr.Cookie
	}
	return nil
}

// TestHandshakeFlood: 200 sources start handshakes and never finish them
// (half stop after the ClientHello, half complete the cookie exchange and
// stop after the server's flight); the server's memory stays bounded and
// a legitimate peer still gets through.
func TestHandshakeFlood(t *testing.T) {
	checkLeaks(t)
	cfg := pskConfig("proto::agent-b", meshKey)
	cfg.MaxPendingHandshakes = 16
	cfg.MaxHandshakesPerSecond = 1000 // let the flood in, to exercise the pending cap
	cfg.HandshakeTimeout = 5 * time.Second
	sb := newSink()
	b := listen(t, cfg, sb.handle)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	bAddr := net.UDPAddrFromAddrPort(b.Addr())
	cookies := 0
	buf := make([]byte, maxDatagram)
	for i := range 200 {
		c, err := net.DialUDP("udp", nil, bAddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := c.Write(clientHello(t, 0, nil)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			continue // stops after its ClientHello
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := c.Read(buf)
		if err != nil {
			continue
		}
		if cookie := helloVerifyCookie(buf[:n]); cookie != nil {
			cookies++ // completes the cookie exchange, then stops
			_, _ = c.Write(clientHello(t, 1, cookie))
		}
	}
	if cookies < 50 {
		t.Fatalf("only %d HelloVerifyRequests came back: the flood did not reach the handshake", cookies)
	}
	waitFor(t, 2*time.Second, "the flood to be processed", func() bool {
		p, _ := b.dtlsSrv.counts()
		return p > 0
	})
	pending, established := b.dtlsSrv.counts()
	if pending > cfg.MaxPendingHandshakes || established != 0 {
		t.Fatalf("%d pending, %d established; cap %d", pending, established, cfg.MaxPendingHandshakes)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d cookie exchanges completed; heap in use grew by %d KiB; %d goroutines", cookies, growth>>10, runtime.NumGoroutine())
	if growth > 8<<20 {
		t.Fatalf("heap grew by %d KiB under the flood", growth>>10)
	}

	a := listen(t, pskConfig("proto::ctrl-a", meshKey), newSink().handle)
	start := time.Now()
	if err := a.Send(context.Background(), b.URL(), []byte("legit")); err != nil {
		t.Fatalf("legitimate peer refused after the flood: %v", err)
	}
	t.Logf("legitimate Send took %v", time.Since(start))
	if in := sb.next(t); in.Peer != "proto::ctrl-a" {
		t.Fatalf("got record from %q", in.Peer)
	}
}

// TestHandshakeRate: beyond MaxHandshakesPerSecond new ClientHellos are
// dropped without creating state, and one address gets a quarter of it.
func TestHandshakeRate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		addrs     int // sources, 10 ClientHellos from each
		min, max  int // handshakes admitted
		rateLimit int
	}{
		{"all addresses together", 10, 8, 9, 8},   // burst 8, plus at most one token refilled
		{"one address", 1, 2, 3, 8},               // a quarter: burst 2, plus one refilled
		{"the share is at least one", 1, 1, 2, 2}, // 2/4 rounds up to one a second
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			cfg := pskConfig("proto::agent-b", meshKey)
			cfg.MaxHandshakesPerSecond = tc.rateLimit
			cfg.MaxPendingHandshakes = 400
			b := listen(t, cfg, newSink().handle)
			for i := range tc.addrs * 10 {
				from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 2, byte(1 + i%tc.addrs)}), 0)
				c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(from), net.UDPAddrFromAddrPort(b.Addr()))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = c.Close() })
				_, _ = c.Write(clientHello(t, 0, nil))
			}
			waitFor(t, 2*time.Second, "admitted handshakes", func() bool {
				p, _ := b.dtlsSrv.counts()
				return p >= tc.min
			})
			if p, _ := b.dtlsSrv.counts(); p > tc.max {
				t.Fatalf("%d handshakes admitted from %d ClientHellos at %d/s", p, tc.addrs*10, tc.rateLimit)
			}
		})
	}
}
