package coap

import (
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchPair is A and B set up for the USP Get pattern: A posts a request,
// B's handler queues it and a worker posts the answer to the request's
// reply-to, A's handler signals the waiting caller.
type benchPair struct {
	a, b    *Endpoint
	mu      sync.Mutex
	waiters map[uint64]chan struct{}
	next    atomic.Uint64
}

func newBenchPair(b *testing.B, cfgA, cfgB Config) *benchPair {
	p := &benchPair{waiters: make(map[uint64]chan struct{})}
	p.a = listen(b, cfgA, func(_ context.Context, in Inbound) error {
		id := binary.BigEndian.Uint64(in.Record)
		p.mu.Lock()
		ch := p.waiters[id]
		delete(p.waiters, id)
		p.mu.Unlock()
		if ch != nil {
			close(ch)
		}
		return nil
	})
	work := make(chan Inbound, 4096)
	p.b = listen(b, cfgB, func(_ context.Context, in Inbound) error {
		work <- in // decode and queue: the answer travels later
		return nil
	})
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case in := <-work:
					_ = p.b.Send(ctx, in.ReplyTo, in.Record)
				case <-ctx.Done():
					return
				}
			}
		})
	}
	b.Cleanup(func() { cancel(); wg.Wait() })
	if err := p.roundTrip(context.Background()); err != nil { // open both sessions
		b.Fatal(err)
	}
	return p
}

// roundTrip posts a 100-byte record and waits for the 100-byte answer.
func (p *benchPair) roundTrip(ctx context.Context) error {
	id := p.next.Add(1)
	rec := make([]byte, 100)
	binary.BigEndian.PutUint64(rec, id)
	ch := make(chan struct{})
	p.mu.Lock()
	p.waiters[id] = ch
	p.mu.Unlock()
	if err := p.a.Send(ctx, p.b.URL(), rec); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-time.After(10 * time.Second):
		return context.DeadlineExceeded
	}
}

func benchRoundTrip(b *testing.B, cfgA, cfgB Config) {
	for _, c := range []*Config{&cfgA, &cfgB} {
		c.ACKTimeout = DefaultACKTimeout
	}
	b.Run("serial", func(b *testing.B) {
		p := newBenchPair(b, cfgA, cfgB)
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			start := time.Now()
			if err := p.roundTrip(context.Background()); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	})
	b.Run("parallel", func(b *testing.B) {
		p := newBenchPair(b, cfgA, cfgB)
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := p.roundTrip(context.Background()); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
	})
}

// BenchmarkRoundTripPSK: request POST A→B and answer POST B→A over
// established DTLS-PSK sessions on loopback (the transport share of a USP
// Get).
func BenchmarkRoundTripPSK(b *testing.B) {
	benchRoundTrip(b, pskConfig("proto::ctrl-a", meshKey), pskConfig("proto::agent-b", meshKey))
}

// BenchmarkRoundTripNoSec is the same over plain UDP.
func BenchmarkRoundTripNoSec(b *testing.B) {
	benchRoundTrip(b, nosecConfig(), nosecConfig())
}
