package coap

import "time"

// dedupEntries bounds the answers remembered per peer. RFC 7252 §4.5 asks
// to recognise duplicates for EXCHANGE_LIFETIME; at the rates of a home
// mesh the last 128 answers of a peer cover that, and a bound keeps a
// fast sender from growing the cache.
const dedupEntries = 128

// dedup remembers the answers recently sent to one peer by Message ID, so
// that a retransmitted CON gets the same ACK again without reaching the
// handler twice. It is not safe for concurrent use.
type dedup struct {
	lifetime time.Duration
	byMID    map[uint16]int // index into ring
	ring     [dedupEntries]dedupEntry
	next     int
}

type dedupEntry struct {
	mid  uint16
	used bool
	at   time.Time
	resp []byte
}

func newDedup(lifetime time.Duration) *dedup {
	return &dedup{lifetime: lifetime, byMID: make(map[uint16]int)}
}

// lookup returns the answer sent to mid, if still remembered.
func (d *dedup) lookup(mid uint16, now time.Time) ([]byte, bool) {
	i, ok := d.byMID[mid]
	if !ok {
		return nil, false
	}
	e := &d.ring[i]
	if now.Sub(e.at) > d.lifetime {
		delete(d.byMID, mid)
		e.used, e.resp = false, nil
		return nil, false
	}
	return e.resp, true
}

// store remembers resp as the answer to mid, evicting the oldest entry.
func (d *dedup) store(mid uint16, resp []byte, now time.Time) {
	if i, ok := d.byMID[mid]; ok {
		d.ring[i].resp, d.ring[i].at = resp, now
		return
	}
	e := &d.ring[d.next]
	if e.used {
		delete(d.byMID, e.mid)
	}
	*e = dedupEntry{mid: mid, used: true, at: now, resp: resp}
	d.byMID[mid] = d.next
	d.next = (d.next + 1) % dedupEntries
}
