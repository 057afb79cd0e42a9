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
// blocks must come in order, NUM 0 (re)starts a transfer, a block with
// M=1 must be full size; the block size may shrink between blocks as
// long as offsets line up. It is not safe for concurrent use.
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
	if b.szx > 6 {
		r.reset()
		return outcome{code: CodeBadRequest, diag: "Block1 SZX 7 (BERT) is not valid over UDP"}
	}
	size := b.size()
	switch {
	case size1 > r.max:
		r.reset()
		return outcome{code: CodeRequestEntityTooLarge, diag: "Size1 exceeds the maximum record size"}
	case len(payload) > size:
		r.reset()
		return outcome{code: CodeRequestEntityIncomplete, diag: "block payload exceeds its block size"}
	case b.more && len(payload) != size:
		r.reset()
		return outcome{code: CodeRequestEntityIncomplete, diag: "block with M=1 is not full size"}
	}
	if b.num == 0 {
		r.reset()
		if !b.more {
			if len(payload) > r.max {
				return outcome{code: CodeRequestEntityTooLarge, diag: "record exceeds the maximum record size"}
			}
			return outcome{record: append([]byte{}, payload...)}
		}
	} else {
		if r.buf == nil {
			return outcome{code: CodeRequestEntityIncomplete, diag: "no Block1 transfer in progress"}
		}
		if uint64(b.num)*uint64(size) != uint64(len(r.buf)) {
			r.reset()
			return outcome{code: CodeRequestEntityIncomplete, diag: "block out of order"}
		}
	}
	if len(r.buf)+len(payload) > r.max {
		r.reset()
		return outcome{code: CodeRequestEntityTooLarge, diag: "record exceeds the maximum record size"}
	}
	if !r.grow(len(r.buf)+len(payload), size1) {
		r.reset()
		return outcome{code: CodeServiceUnavailable, diag: "too many transfers in progress"}
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

// splitBlocks cuts a record into the Block1 blocks we send: always at
// least one block, 1024 bytes each (SZX 6), the last one possibly short
// or empty.
func splitBlocks(record []byte) [][]byte {
	n := max(1, (len(record)+blockSize-1)/blockSize)
	out := make([][]byte, n)
	for i := range out {
		lo := i * blockSize
		hi := min(lo+blockSize, len(record))
		out[i] = record[lo:hi]
	}
	return out
}
