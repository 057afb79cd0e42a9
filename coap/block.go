package coap

import (
	"net/netip"
	"sync"
	"time"
)

// budget bounds the memory of all Block1 reassemblies of an Endpoint: max
// bytes for all of them together, perPeer bytes for those of one source
// address (over all its ports and sessions). A transfer that needs room
// beyond either bound takes it from others instead of being refused:
// beyond perPeer the oldest other transfer of its own address is dropped,
// beyond max the oldest transfer of the address holding the most. So no
// sender, from however many ports, can lock others out; a dropped
// transfer's next block is answered 4.08.
type budget struct {
	mu      sync.Mutex
	max     int
	perPeer int
	used    int
	byAddr  map[netip.Addr]int
	live    map[*transfer]struct{}
	seq     uint64
}

// transfer is one Block1 reassembly in progress. Its fields are guarded
// by the budget's mu, so that another peer's transfer can drop it (and
// free its buffer) at once.
type transfer struct {
	owner   netip.Addr
	seq     uint64 // start order
	buf     []byte
	charged int  // bytes of budget held for buf
	dropped bool // to make room for another transfer
}

func newBudget(max, perPeer int) *budget {
	return &budget{max: max, perPeer: perPeer, byAddr: make(map[netip.Addr]int), live: make(map[*transfer]struct{})}
}

func (b *budget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// heldBy reports the bytes held for the transfers of addr.
func (b *budget) heldBy(addr netip.Addr) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byAddr[addr]
}

func (b *budget) startLocked(owner netip.Addr) *transfer {
	b.seq++
	t := &transfer{owner: owner, seq: b.seq}
	b.live[t] = struct{}{}
	return t
}

// releaseLocked forgets t and gives back what it holds.
func (b *budget) releaseLocked(t *transfer) {
	if _, ok := b.live[t]; !ok {
		return
	}
	delete(b.live, t)
	b.used -= t.charged
	if n := b.byAddr[t.owner] - t.charged; n > 0 {
		b.byAddr[t.owner] = n
	} else {
		delete(b.byAddr, t.owner)
	}
	t.charged, t.buf = 0, nil
}

// chargeLocked takes extra bytes for t, dropping other transfers to make
// room; it reports false when even that cannot make room.
func (b *budget) chargeLocked(t *transfer, extra int) bool {
	for b.byAddr[t.owner]+extra > b.perPeer {
		v := b.victimLocked(t, true)
		if v == nil {
			return false
		}
		b.dropLocked(v)
	}
	for b.used+extra > b.max {
		v := b.victimLocked(t, false)
		if v == nil {
			return false
		}
		b.dropLocked(v)
	}
	b.used += extra
	b.byAddr[t.owner] += extra
	t.charged += extra
	return true
}

// victimLocked picks the transfer to drop for t: the oldest of t's own
// address when sameOwner, else the oldest of the address holding the
// most. It never picks t.
func (b *budget) victimLocked(t *transfer, sameOwner bool) *transfer {
	var victim *transfer
	for v := range b.live {
		switch {
		case v == t || v.charged == 0 || (sameOwner && v.owner != t.owner):
		case victim == nil:
			victim = v
		case !sameOwner && b.byAddr[v.owner] != b.byAddr[victim.owner]:
			if b.byAddr[v.owner] > b.byAddr[victim.owner] {
				victim = v
			}
		case v.seq < victim.seq:
			victim = v
		}
	}
	return victim
}

func (b *budget) dropLocked(t *transfer) {
	b.releaseLocked(t)
	t.dropped = true
}

// reassembler collects the Block1 transfer (RFC 7959 §2.5) of one peer:
// blocks must come in order, NUM 0 with M=1 (re)starts a transfer, a
// block with M=1 must be full size; the block size may shrink between
// blocks as long as offsets line up. It is not safe for concurrent use.
type reassembler struct {
	max     int // largest record accepted
	budget  *budget
	owner   netip.Addr // the peer's source address, for the budget
	timeout time.Duration

	cur     *transfer // nil when no transfer is in progress
	expires time.Time
}

// outcome is what the server answers to one block: code 0 means the
// record is complete (record, possibly empty, is the caller's to keep).
type outcome struct {
	code   Code
	diag   string
	record []byte
}

// add takes one block. size1 is the Size1 option (the announced total
// size), or -1 when absent.
func (r *reassembler) add(b block, size1 int, payload []byte, now time.Time) outcome {
	// A lone block (NUM 0, M 0) is a whole record: it neither needs nor
	// disturbs the transfer in progress. Any other failure ends it.
	single := b.num == 0 && !b.more
	fail := func(c Code, diag string) outcome {
		if !single {
			r.reset()
		}
		return outcome{code: c, diag: diag}
	}
	if b.szx > 6 {
		return fail(CodeBadRequest, "Block1 SZX 7 (BERT) is not valid over UDP")
	}
	size := b.size()
	switch {
	case size1 > r.max:
		return fail(CodeRequestEntityTooLarge, "Size1 exceeds the maximum record size")
	case len(payload) > size:
		return fail(CodeRequestEntityIncomplete, "block payload exceeds its block size")
	case b.more && len(payload) != size:
		return fail(CodeRequestEntityIncomplete, "block with M=1 is not full size")
	case single:
		if len(payload) > r.max {
			return fail(CodeRequestEntityTooLarge, "record exceeds the maximum record size")
		}
		return outcome{record: append([]byte{}, payload...)}
	}
	r.budget.mu.Lock()
	defer r.budget.mu.Unlock()
	return r.addLocked(b, size1, payload, now)
}

// addLocked takes one block of a multi-block transfer.
func (r *reassembler) addLocked(b block, size1 int, payload []byte, now time.Time) outcome {
	fail := func(c Code, diag string) outcome {
		r.dropLocked()
		return outcome{code: c, diag: diag}
	}
	t := r.cur
	switch {
	case b.num == 0:
		r.dropLocked() // a new transfer replaces the one in progress
		t = nil
	case t == nil:
		return fail(CodeRequestEntityIncomplete, "no Block1 transfer in progress")
	case t.dropped:
		return fail(CodeRequestEntityIncomplete, "Block1 transfer dropped to make room for other senders")
	case uint64(b.num)*uint64(b.size()) != uint64(len(t.buf)):
		return fail(CodeRequestEntityIncomplete, "block out of order")
	}
	have := 0
	if t != nil {
		have = len(t.buf)
	}
	if have+len(payload) > r.max {
		return fail(CodeRequestEntityTooLarge, "record exceeds the maximum record size")
	}
	if t == nil {
		t = r.budget.startLocked(r.owner)
		r.cur = t
	}
	if !r.growLocked(t, have+len(payload), size1) {
		return fail(CodeServiceUnavailable, "too many transfers in progress")
	}
	t.buf = append(t.buf, payload...)
	r.expires = now.Add(r.timeout)
	if b.more {
		return outcome{code: CodeContinue}
	}
	rec := t.buf
	t.buf = nil
	r.dropLocked()
	return outcome{record: rec}
}

// growLocked makes room for need bytes, charging the budget for the
// capacity.
func (r *reassembler) growLocked(t *transfer, need, size1 int) bool {
	if need <= cap(t.buf) && t.buf != nil {
		return true
	}
	newCap := max(need, 2*cap(t.buf), blockSize)
	if size1 >= need {
		newCap = max(need, size1)
	}
	newCap = min(newCap, r.max)
	if !r.budget.chargeLocked(t, newCap-t.charged) {
		return false
	}
	nb := make([]byte, len(t.buf), newCap)
	copy(nb, t.buf)
	t.buf = nb
	return true
}

// dropLocked ends the transfer in progress, if any.
func (r *reassembler) dropLocked() {
	if r.cur != nil {
		r.budget.releaseLocked(r.cur)
		r.cur = nil
	}
}

// reset drops the transfer in progress, if any.
func (r *reassembler) reset() {
	r.budget.mu.Lock()
	r.dropLocked()
	r.budget.mu.Unlock()
}

// expire drops a transfer that saw no block since its timeout, or that
// was dropped for another.
func (r *reassembler) expire(now time.Time) {
	r.budget.mu.Lock()
	if t := r.cur; t != nil && (t.dropped || now.After(r.expires)) {
		r.dropLocked()
	}
	r.budget.mu.Unlock()
}
