package coap

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRoundTrip sends a Record A→B, then B answers to the ReplyTo it got,
// in every security mode.
func TestRoundTrip(t *testing.T) {
	ca := newCA(t, "mesh CA")
	modes := []struct {
		name         string
		cfgA, cfgB   Config
		peerA, peerB string // the identity each side should see of the other
	}{
		{"psk", pskConfig("proto::ctrl-a", meshKey), pskConfig("proto::agent-b", meshKey), "proto::agent-b", "proto::ctrl-a"},
		{"cert", certConfig(t, ca, ca, "proto::ctrl-a"), certConfig(t, ca, ca, "os::00256D-b"), "os::00256D-b", "proto::ctrl-a"},
		{"nosec", nosecConfig(), nosecConfig(), "", ""},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			checkLeaks(t)
			sa, sb := newSink(), newSink()
			m.cfgA.Role = Controller
			a := listen(t, m.cfgA, sa.handle)
			b := listen(t, m.cfgB, sb.handle)
			ctx := context.Background()

			if err := a.Send(ctx, b.URL(), []byte("request")); err != nil {
				t.Fatalf("A→B: %v", err)
			}
			in := sb.next(t)
			if string(in.Record) != "request" || in.Peer != m.peerB || in.ReplyTo != a.URL() {
				t.Fatalf("B got %q from peer %q reply-to %q; want peer %q reply-to %q",
					in.Record, in.Peer, in.ReplyTo, m.peerB, a.URL())
			}
			if in.Source.Addr() != netip.MustParseAddr("127.0.0.1") {
				t.Fatalf("source %v", in.Source)
			}
			if err := b.Send(ctx, in.ReplyTo, []byte("response")); err != nil {
				t.Fatalf("B→A: %v", err)
			}
			back := sa.next(t)
			if string(back.Record) != "response" || back.Peer != m.peerA || back.ReplyTo != b.URL() {
				t.Fatalf("A got %q from peer %q reply-to %q", back.Record, back.Peer, back.ReplyTo)
			}
		})
	}
}

func TestWrongPSK(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	b := listen(t, pskConfig("proto::agent-b", meshKey), sb.handle)
	cfgA := pskConfig("proto::ctrl-a", []byte("another key 1234"))
	cfgA.HandshakeTimeout = time.Second // a wrong key shows only as silence
	a := listen(t, cfgA, newSink().handle)
	err := a.Send(context.Background(), b.URL(), []byte("x"))
	if err == nil {
		t.Fatal("Send with a wrong PSK succeeded")
	}
	t.Logf("Send error: %v", err)
	sb.empty(t)
}

func TestUnknownPSKIdentityRefused(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	cfg := pskConfig("proto::agent-b", meshKey)
	cfg.PSK.Key = func(id string) ([]byte, error) {
		if id != "proto::ctrl-known" {
			return nil, errors.New("unknown identity")
		}
		return meshKey, nil
	}
	b := listen(t, cfg, sb.handle)
	stranger := listen(t, pskConfig("proto::ctrl-stranger", meshKey), newSink().handle)
	if err := stranger.Send(context.Background(), b.URL(), []byte("x")); err == nil {
		t.Fatal("Send from an unknown identity succeeded")
	}
	known := listen(t, pskConfig("proto::ctrl-known", meshKey), newSink().handle)
	if err := known.Send(context.Background(), b.URL(), []byte("y")); err != nil {
		t.Fatal(err)
	}
	if in := sb.next(t); in.Peer != "proto::ctrl-known" || string(in.Record) != "y" {
		t.Fatalf("got %q from %q", in.Record, in.Peer)
	}
	sb.empty(t)
}

func TestUntrustedCertificate(t *testing.T) {
	good, evil := newCA(t, "mesh CA"), newCA(t, "evil CA")
	t.Run("client not trusted", func(t *testing.T) {
		checkLeaks(t)
		sb := newSink()
		b := listen(t, certConfig(t, good, good, "proto::agent-b"), sb.handle)
		// A trusts B's CA but its own certificate comes from another CA.
		a := listen(t, certConfig(t, evil, good, "proto::ctrl-a"), newSink().handle)
		if err := a.Send(context.Background(), b.URL(), []byte("x")); err == nil {
			t.Fatal("B accepted a client certificate from an untrusted CA")
		}
		sb.empty(t)
	})
	t.Run("server not trusted", func(t *testing.T) {
		checkLeaks(t)
		sb := newSink()
		b := listen(t, certConfig(t, evil, good, "proto::agent-b"), sb.handle)
		a := listen(t, certConfig(t, good, good, "proto::ctrl-a"), newSink().handle)
		if err := a.Send(context.Background(), b.URL(), []byte("x")); err == nil {
			t.Fatal("A accepted a server certificate from an untrusted CA")
		}
		sb.empty(t)
	})
	t.Run("client certificate without Endpoint ID", func(t *testing.T) {
		checkLeaks(t)
		sb := newSink()
		b := listen(t, certConfig(t, good, good, "proto::agent-b"), sb.handle)
		cfg := certConfig(t, good, good, "proto::ctrl-a")
		cfg.Cert.Certificate = issueWithoutSAN(t, good)
		a := listen(t, cfg, newSink().handle)
		if err := a.Send(context.Background(), b.URL(), []byte("x")); err == nil {
			t.Fatal("B accepted a client certificate without urn:bbf:usp:id")
		}
		sb.empty(t)
	})
	t.Run("server ID checked", func(t *testing.T) {
		checkLeaks(t)
		sb := newSink()
		b := listen(t, certConfig(t, good, good, "proto::agent-b"), sb.handle)
		cfg := certConfig(t, good, good, "proto::ctrl-a")
		var seen string
		cfg.Cert.VerifyServer = func(to, id string) error {
			seen = id
			if id != "proto::agent-expected" {
				return fmt.Errorf("server is %q", id)
			}
			return nil
		}
		a := listen(t, cfg, newSink().handle)
		if err := a.Send(context.Background(), b.URL(), []byte("x")); err == nil {
			t.Fatal("VerifyServer's refusal ignored")
		}
		if seen != "proto::agent-b" {
			t.Fatalf("VerifyServer saw %q", seen)
		}
		sb.empty(t)
	})
}

// TestBlock1Large moves a 150 KB Record in both directions.
func TestBlock1Large(t *testing.T) {
	for _, mode := range []string{"psk", "nosec"} {
		t.Run(mode, func(t *testing.T) {
			checkLeaks(t)
			cfgA, cfgB := pskConfig("proto::ctrl-a", meshKey), pskConfig("proto::agent-b", meshKey)
			if mode == "nosec" {
				cfgA, cfgB = nosecConfig(), nosecConfig()
			}
			sa, sb := newSink(), newSink()
			a := listen(t, cfgA, sa.handle)
			b := listen(t, cfgB, sb.handle)
			big := make([]byte, 150*1000)
			_, _ = rand.Read(big)
			if err := a.Send(context.Background(), b.URL(), big); err != nil {
				t.Fatal(err)
			}
			in := sb.next(t)
			if !bytes.Equal(in.Record, big) {
				t.Fatalf("B got %d bytes, want the %d sent", len(in.Record), len(big))
			}
			if err := b.Send(context.Background(), in.ReplyTo, big[:149*1000+7]); err != nil {
				t.Fatal(err)
			}
			if back := sa.next(t); !bytes.Equal(back.Record, big[:149*1000+7]) {
				t.Fatalf("A got %d bytes", len(back.Record))
			}
			if n := b.dtlsOrNoSecBudget(); n != 0 {
				t.Fatalf("reassembly budget still holds %d bytes", n)
			}
		})
	}
}

func (e *Endpoint) dtlsOrNoSecBudget() int {
	if e.dtlsSrv != nil {
		return e.dtlsSrv.srv.budget.inUse()
	}
	return e.nosec.srv.budget.inUse()
}

// TestConcurrentSends runs 16 Sends at once over one session; a few are
// multi-block, so lone blocks interleave with Block1 transfers.
func TestConcurrentSends(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	b := listen(t, pskConfig("proto::agent-b", meshKey), sb.handle)
	a := listen(t, pskConfig("proto::ctrl-a", meshKey), newSink().handle)
	ctx := context.Background()
	if err := a.Send(ctx, b.URL(), []byte("warm-up")); err != nil {
		t.Fatal(err)
	}
	sb.next(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			rec := fmt.Appendf(nil, "record %d", i)
			if i%4 == 0 {
				rec = append(rec, bytes.Repeat([]byte{'.'}, 5000)...)
			}
			errs <- a.Send(ctx, b.URL(), rec)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for range 16 {
		got[string(sb.next(t).Record)] = true
	}
	if len(got) != 16 {
		t.Fatalf("got %d distinct records", len(got))
	}
	if _, established := b.dtlsSrv.counts(); established != 1 {
		t.Fatalf("B serves %d sessions, want 1", established)
	}
}

func TestSendErrors(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	sb.err = errors.New("record does not decode")
	b := listen(t, pskConfig("proto::agent-b", meshKey), sb.handle)
	a := listen(t, pskConfig("proto::ctrl-a", meshKey), newSink().handle)
	ctx := context.Background()

	err := a.Send(ctx, b.URL(), []byte("garbage"))
	var re *ResponseError
	if !errors.As(err, &re) || re.Code != CodeBadRequest || re.Diagnostic != "record does not decode" {
		t.Fatalf("handler error: got %v", err)
	}
	if err := a.Send(ctx, "coaps://"+b.Addr().String()+"/nope", []byte("x")); !errors.As(err, &re) || re.Code != CodeNotFound {
		t.Fatalf("wrong path: got %v", err)
	}
	if err := a.Send(ctx, "coap://"+b.Addr().String()+"/usp", []byte("x")); err == nil {
		t.Fatal("DTLS endpoint sent in clear text")
	}
	if err := a.Send(ctx, "http://x/usp", []byte("x")); err == nil {
		t.Fatal("bad scheme accepted")
	}
	_ = a.Close()
	if err := a.Send(ctx, b.URL(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestSendTimeout: a peer that never answers makes Send fail with
// ErrTimeout after MaxRetransmit retransmissions.
func TestSendTimeout(t *testing.T) {
	checkLeaks(t)
	silent := dialRawServer(t)
	cfg := nosecConfig()
	cfg.ACKTimeout = 50 * time.Millisecond
	cfg.MaxRetransmit = 2
	a := listen(t, cfg, newSink().handle)
	done := make(chan error, 1)
	var el time.Duration
	go func() {
		start := time.Now()
		err := a.Send(context.Background(), "coap://"+silent.addr().String()+"/usp", []byte("x"))
		el = time.Since(start)
		done <- err
	}()
	var sends []time.Time
	for {
		_, at, ok := silent.recv(time.Second)
		if !ok {
			break
		}
		sends = append(sends, at)
	}
	if err := <-done; !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	// 50·f + 100·f + 200·f with f in [1, 1.5): 350–525 ms.
	if el < 350*time.Millisecond || el > 600*time.Millisecond {
		t.Fatalf("gave up after %v", el)
	}
	if len(sends) != 3 {
		t.Fatalf("peer saw %d transmissions, want 3", len(sends))
	}
	d1, d2 := sends[1].Sub(sends[0]), sends[2].Sub(sends[1])
	if d1 < 45*time.Millisecond || d1 > 100*time.Millisecond || d2 < 2*d1-10*time.Millisecond || d2 > 2*d1+30*time.Millisecond {
		t.Fatalf("retransmission gaps %v, %v: want 50–75 ms, then doubled", d1, d2)
	}
}

// issueWithoutSAN signs a leaf certificate that carries no Endpoint ID.
func issueWithoutSAN(t *testing.T, ca *CA) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "proto::ctrl-a"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key}
}

// TestWrongKeyLoggedOnce: a peer whose handshakes fail for a wrong key
// is logged at info, once for repeated tries (it was logged only at
// debug level before, so an operator never saw it).
func TestWrongKeyLoggedOnce(t *testing.T) {
	checkLeaks(t)
	var buf syncLog
	cfg := pskConfig("proto::agent-b", meshKey)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b := listen(t, cfg, newSink().handle)
	wrong := listen(t, pskConfig("proto::ctrl-wrong", []byte("not-the-mesh-key")), newSink().handle)
	for range 2 {
		if err := wrong.Send(context.Background(), b.URL(), []byte("x")); err == nil {
			t.Fatal("Send with a wrong key succeeded")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(buf.String(), "dtls handshake refused") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(buf.String(), "dtls handshake refused"); n != 1 {
		t.Fatalf("refused handshake logged %d times at info, want 1:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "level=INFO") || !strings.Contains(buf.String(), "127.0.0.1") {
		t.Fatalf("the refusal does not name the peer at info:\n%s", buf.String())
	}
}

// syncLog is a log sink safe for concurrent writes.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSendGivesUpAtItsDeadlineDuringHandshake: a Send to a peer that
// never answers the DTLS handshake returns at the caller's deadline, not
// after the endpoint's HandshakeTimeout (it waited the full 10 s before).
func TestSendGivesUpAtItsDeadlineDuringHandshake(t *testing.T) {
	checkLeaks(t)
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	cfg := pskConfig("proto::ctrl-a", meshKey)
	cfg.HandshakeTimeout = 10 * time.Second
	a := listen(t, cfg, newSink().handle)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err = a.Send(ctx, fmt.Sprintf("coaps://%s/usp", silent.LocalAddr()), []byte("x"))
	if took := time.Since(t0); err == nil || took > 2*time.Second {
		t.Fatalf("Send to a silent peer: %v after %v, want a failure at the 300 ms deadline", err, took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrHandshake) {
		t.Fatalf("Send to a silent peer: %v, want an unfinished handshake at the context's deadline", err)
	}
}
