package coap

import (
	"context"
	"net/netip"
	"time"
)

// sourceShare is the part of the handshake limits (rate and pending) one
// source address may use: 1/sourceShare of each.
const sourceShare = 4

// handshakeSource is what the DTLS server keeps about the inbound
// handshakes of one source address; it is forgotten once the address has
// none pending and its bucket is full again.
type handshakeSource struct {
	pending int
	bucket  tokenBucket
}

// admitLocked starts a pending session for a ClientHello from src, within
// limits that one host cannot use up for everyone:
//   - each address starts handshakes at up to 1/sourceShare of
//     MaxHandshakesPerSecond and keeps up to 1/sourceShare of
//     MaxPendingHandshakes pending; beyond the latter a new handshake
//     evicts the address's own oldest pending one (a client that
//     restarted replaces its half-open handshake);
//   - unknown addresses together start handshakes at up to
//     MaxHandshakesPerSecond; known ones (Config.Known) are not counted;
//   - beyond MaxPendingHandshakes a new handshake evicts the oldest
//     pending one of the address with the most pending; known addresses'
//     handshakes are evicted only for other known ones.
func (d *dtlsServer) admitLocked(ctx context.Context, src netip.AddrPort, data []byte, known bool, now time.Time) *vconn {
	if d.closing || !isClientHello(data) {
		return nil
	}
	addr := src.Addr()
	s := d.sources[addr]
	if s == nil {
		rate := max(1, float64(d.cfg.MaxHandshakesPerSecond)/sourceShare)
		s = &handshakeSource{bucket: tokenBucket{rate: rate, burst: rate}}
	}
	if !s.bucket.allow(now) || (!known && !d.bucket.allow(now)) {
		return nil
	}
	if s.pending >= max(1, d.cfg.MaxPendingHandshakes/sourceShare) {
		if v := d.pendingVictimLocked(addr, true, known); v != nil {
			d.evictLocked(v)
		}
	}
	if d.pending >= d.cfg.MaxPendingHandshakes {
		v := d.pendingVictimLocked(addr, false, known)
		if v == nil {
			return nil // all pending handshakes are of known addresses
		}
		d.evictLocked(v)
	}
	d.sources[addr] = s
	vc := newVconn(d, src, now)
	vc.known = known
	if d.conns[src] == nil {
		d.conns[src] = vc
	}
	d.pending++
	s.pending++
	d.wg.Add(1)
	go d.serve(ctx, vc)
	return vc
}

// pendingVictimLocked picks the pending handshake to evict for a new
// one: with own, the oldest of addr; else the oldest of the address with
// the most pending, among unknown addresses unless known (the new one is
// of a known address).
func (d *dtlsServer) pendingVictimLocked(addr netip.Addr, own, known bool) *vconn {
	var victim *vconn
	load := func(c *vconn) int {
		if s := d.sources[c.addr.Addr()]; s != nil {
			return s.pending
		}
		return 0
	}
	consider := func(c *vconn) {
		switch {
		case c == nil || c.state != statePending:
		case own && c.addr.Addr() != addr:
		case !own && c.known && !known:
		case victim == nil:
			victim = c
		case !own && load(c) != load(victim):
			if load(c) > load(victim) {
				victim = c
			}
		case c.started.Before(victim.started):
			victim = c
		}
	}
	for _, c := range d.conns {
		consider(c)
		consider(c.successor)
	}
	return victim
}

// evictLocked ends a pending handshake.
func (d *dtlsServer) evictLocked(victim *vconn) {
	d.forgetLocked(victim)
	if victim.cancel != nil {
		victim.cancel()
	}
	victim.Close()
}

// pendingDoneLocked counts vc's handshake as no longer pending.
func (d *dtlsServer) pendingDoneLocked(vc *vconn) {
	d.pending--
	if s := d.sources[vc.addr.Addr()]; s != nil {
		s.pending--
	}
}

// forgetSourcesLocked drops the state of addresses with nothing pending
// and a full bucket: they are as if never seen.
func (d *dtlsServer) forgetSourcesLocked(now time.Time) {
	for a, s := range d.sources {
		if s.pending == 0 && s.bucket.full(now) {
			delete(d.sources, a)
		}
	}
}

// tokenBucket limits a rate; it is not safe for concurrent use.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *tokenBucket) allow(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens = b.burst
	} else {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket would be full at now.
func (b *tokenBucket) full(now time.Time) bool {
	return b.last.IsZero() || b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst
}
