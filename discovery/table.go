package discovery

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// peerTable holds the peers a Browser has seen: at most max of them, at
// most perSource of them per source address; entries not seen for expire
// are dropped.
//
// Anyone on the link can announce instances, as many as they like, with
// any TXT, so the table never refuses a newcomer: when it or the
// newcomer's source is full it forgets another entry instead, an
// unconfirmed one before a confirmed one and, among those, the one seen
// longest ago. A flood from one address then only churns that address's
// few entries, and a flood from many addresses cannot keep a newly
// announced peer out, nor push out the peers the consumer confirmed.
//
// The source of an entry is the address it announces first (IPv4
// preferred, see Peer.AddrPort), which is also the address a consumer
// contacts: zeroconf does not say which address a response came from.
type peerTable struct {
	mu        sync.Mutex
	max       int
	perSource int
	expire    time.Duration
	seq       uint64 // counts puts; orders entries by when they were last seen
	peers     map[peerKey]*tableEntry
}

// tableEntry is one peer of the table.
type tableEntry struct {
	peer      Peer
	source    netip.Addr
	seq       uint64 // the put that last stored it
	confirmed bool   // the consumer vouched for it (Browser.Confirm)
}

// eviction says which peer a put forgot to make room, and why.
type eviction struct {
	peer   Peer
	reason string // "source" (the newcomer's source was full) or "full"
}

func newPeerTable(max, perSource int, expire time.Duration) *peerTable {
	return &peerTable{max: max, perSource: perSource, expire: expire, peers: make(map[peerKey]*tableEntry)}
}

// sourceOf returns the address p counts against.
func sourceOf(p Peer) netip.Addr { return p.AddrPort().Addr() }

// put stores p, observed at p.LastSeen. It reports whether p is new or
// changed, and the entry it forgot to make room for p, if any. A change
// of p's records drops its confirmation.
func (t *peerTable) put(p Peer) (changed bool, ev *eviction) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := peerKey{p.Kind, p.EndpointID}
	old, known := t.peers[k]
	src := sourceOf(p)
	if !known || old.source != src {
		ev = t.makeRoomLocked(k, src, p.LastSeen)
	}
	t.seq++
	e := &tableEntry{peer: p, source: src, seq: t.seq}
	if known && old.peer.sameRecords(p) {
		e.confirmed = old.confirmed
	}
	t.peers[k] = e
	return !known || !old.peer.sameRecords(p), ev
}

// makeRoomLocked forgets one entry, other than k, when src already has
// perSource entries or, for a newcomer, when the table is full after
// expiry.
func (t *peerTable) makeRoomLocked(k peerKey, src netip.Addr, now time.Time) *eviction {
	var same []peerKey
	for pk, e := range t.peers {
		if pk != k && e.source == src {
			same = append(same, pk)
		}
	}
	if len(same) >= t.perSource {
		return t.evictLocked(same, "source")
	}
	if _, known := t.peers[k]; known || len(t.peers) < t.max {
		return nil
	}
	t.expireLocked(now)
	if len(t.peers) < t.max {
		return nil
	}
	all := make([]peerKey, 0, len(t.peers))
	for pk := range t.peers {
		all = append(all, pk)
	}
	return t.evictLocked(all, "full")
}

// evictLocked forgets the first of keys to go: unconfirmed before
// confirmed, then the one seen longest ago.
func (t *peerTable) evictLocked(keys []peerKey, reason string) *eviction {
	victim := slices.MinFunc(keys, func(a, b peerKey) int {
		ea, eb := t.peers[a], t.peers[b]
		if ea.confirmed != eb.confirmed {
			if ea.confirmed {
				return 1
			}
			return -1
		}
		return cmp.Compare(ea.seq, eb.seq)
	})
	ev := &eviction{peer: t.peers[victim].peer, reason: reason}
	delete(t.peers, victim)
	return ev
}

// confirm marks the peer k as vouched for, so that it goes last when
// room is needed. It reports whether k is in the table.
func (t *peerTable) confirm(k peerKey) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.peers[k]
	if ok {
		e.confirmed = true
	}
	return ok
}

// snapshot drops the expired peers and returns copies of the others,
// sorted by kind then Endpoint ID.
func (t *peerTable) snapshot(now time.Time) []Peer {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expireLocked(now)
	out := make([]Peer, 0, len(t.peers))
	for _, e := range t.peers {
		out = append(out, e.peer.clone())
	}
	slices.SortFunc(out, func(a, b Peer) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.EndpointID, b.EndpointID))
	})
	return out
}

func (t *peerTable) expireLocked(now time.Time) {
	for k, e := range t.peers {
		if now.Sub(e.peer.LastSeen) > t.expire {
			delete(t.peers, k)
		}
	}
}
