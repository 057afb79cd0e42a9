package coap

import (
	"sync"
	"time"
)

// budget is a byte budget shared by all Block1 reassemblies of an
// Endpoint, so that many half-finished transfers cannot exhaust memory.
type budget struct {
	mu   sync.Mutex
	max  int
	used int
}

func (b *budget) take(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *budget) give(n int) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

func (b *budget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// reassembler collects the Block1 transfer (RFC 7959 §2.5) of one peer:
// blocks must come in order, NUM 0 with M=1 (re)starts a transfer, a
// block with M=1 must be full size; the block size may shrink between
// blocks as long as offsets line up. It is not safe for concurrent use.
type reassembler struct {
	max     int // largest record accepted
	budget  *budget
	timeout time.Duration

	buf     []byte // nil when no transfer is in progress
	charged int    // bytes of budget held for buf
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
	case b.num == 0:
		r.reset() // a new transfer replaces the one in progress
	case r.buf == nil:
		return fail(CodeRequestEntityIncomplete, "no Block1 transfer in progress")
	case uint64(b.num)*uint64(size) != uint64(len(r.buf)):
		return fail(CodeRequestEntityIncomplete, "block out of order")
	}
	if len(r.buf)+len(payload) > r.max {
		return fail(CodeRequestEntityTooLarge, "record exceeds the maximum record size")
	}
	if !r.grow(len(r.buf)+len(payload), size1) {
		return fail(CodeServiceUnavailable, "too many transfers in progress")
	}
	r.buf = append(r.buf, payload...)
	r.expires = now.Add(r.timeout)
	if b.more {
		return outcome{code: CodeContinue}
	}
	rec := r.buf
	r.buf = nil
	r.release()
	return outcome{record: rec}
}

// grow makes room for need bytes, charging the budget for the capacity.
func (r *reassembler) grow(need, size1 int) bool {
	if need <= cap(r.buf) && r.buf != nil {
		return true
	}
	newCap := max(need, 2*cap(r.buf), blockSize)
	if size1 >= need {
		newCap = max(need, size1)
	}
	newCap = min(newCap, r.max)
	if !r.budget.take(newCap - r.charged) {
		return false
	}
	nb := make([]byte, len(r.buf), newCap)
	copy(nb, r.buf)
	r.buf = nb
	r.charged = newCap
	return true
}

// reset drops the transfer in progress, if any.
func (r *reassembler) reset() {
	r.buf = nil
	r.release()
}

func (r *reassembler) release() {
	if r.charged > 0 {
		r.budget.give(r.charged)
		r.charged = 0
	}
}

// expire drops a transfer that saw no block since its timeout.
func (r *reassembler) expire(now time.Time) {
	if r.buf != nil && now.After(r.expires) {
		r.reset()
	}
}
