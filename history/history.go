package history

import (
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Config configures a History. Zero values take the defaults noted.
type Config struct {
	// MemoryBytes bounds the memory ring (default 2 MiB: a day and more
	// of a 5-radio, 20-client node at a 10 s period).
	MemoryBytes int
	// ChunkBytes is the unit the ring drops its oldest data in (default
	// 64 KiB).
	ChunkBytes int
	// Dir holds the segment files; "" keeps the history in memory only.
	Dir string
	// FlashEvery keeps one sample per this period on flash (default 1
	// min); events are all kept.
	FlashEvery time.Duration
	// FlushInterval is how long frames may wait before they are written
	// (default 5 min); FlushBytes writes sooner when this many bytes wait
	// (default 16 KiB).
	FlushInterval time.Duration
	FlushBytes    int
	// SegmentBytes rotates a segment file once it is this big (default 64
	// KiB); MaxSegments are kept (default 16: a few days at the defaults).
	SegmentBytes int
	MaxSegments  int
	// Logger receives flash failures and recoveries; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults, with dir as Dir.
func DefaultConfig(dir string) Config {
	return Config{Dir: dir}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.MemoryBytes <= 0 {
		c.MemoryBytes = 2 << 20
	}
	if c.ChunkBytes <= 0 {
		c.ChunkBytes = 64 << 10
	}
	c.ChunkBytes = min(c.ChunkBytes, c.MemoryBytes)
	if c.FlashEvery <= 0 {
		c.FlashEvery = time.Minute
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 5 * time.Minute
	}
	if c.FlushBytes <= 0 {
		c.FlushBytes = 16 << 10
	}
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = 64 << 10
	}
	if c.MaxSegments <= 0 {
		c.MaxSegments = 16
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// chunk is a self-contained run of frames in memory.
type chunk struct {
	buf         []byte
	enc         *encoder
	first, last time.Time
	n           int // entries
}

// History is one node's history. Its methods are safe for concurrent use.
type History struct {
	cfg Config

	mu     sync.Mutex
	chunks []*chunk
	held   int // bytes in chunks
	flash  *flash
	closed bool
}

// Stats describe what a History holds.
type Stats struct {
	// Entries are the samples and events in memory; Oldest and Newest
	// their time range (zero when empty).
	Entries        int
	Oldest, Newest time.Time
	// MemoryBytes is the ring's size in bytes.
	MemoryBytes int
	// FlashBytes is the size of the segment files; FlashWritten the bytes
	// written to them since Open.
	FlashBytes, FlashWritten int64
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("history: closed")

// Open returns a History; with cfg.Dir, it reads the segments there back
// into memory (recovering what it can of damaged ones) and starts a new
// segment.
func Open(cfg Config) (*History, error) {
	h := &History{cfg: cfg.withDefaults()}
	if h.cfg.Dir == "" {
		return h, nil
	}
	f, old, err := openFlash(h.cfg)
	if err != nil {
		return nil, err
	}
	for _, en := range old {
		h.addMemory(en)
	}
	h.flash = f
	return h, nil
}

// AddSample records s.
func (h *History) AddSample(s Sample) error {
	return h.add(entry{sample: &s})
}

// AddEvent records ev.
func (h *History) AddEvent(ev Event) error {
	return h.add(entry{event: &ev})
}

func (h *History) add(en entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	h.addMemory(en)
	if h.flash != nil {
		return h.flash.add(en)
	}
	return nil
}

// addMemory appends en to the newest chunk, starting a new chunk when
// it is full and dropping the oldest when the ring is.
func (h *History) addMemory(en entry) {
	c := h.newest()
	if c == nil || !h.appendTo(c, en) {
		if c != nil {
			c.enc = nil // sealed: its dictionary is in its frames
		}
		c = &chunk{enc: newEncoder(), buf: make([]byte, 0, h.cfg.ChunkBytes)}
		h.chunks = append(h.chunks, c)
		h.held += cap(c.buf)
		if !h.appendTo(c, en) {
			return // bigger than a chunk: cannot happen at 255 records
		}
	}
	for h.held > h.cfg.MemoryBytes && len(h.chunks) > 1 {
		h.held -= cap(h.chunks[0].buf)
		h.chunks[0] = nil
		h.chunks = h.chunks[1:]
	}
}

func (h *History) newest() *chunk {
	if len(h.chunks) == 0 {
		return nil
	}
	return h.chunks[len(h.chunks)-1]
}

// appendTo appends en to c if it fits.
func (h *History) appendTo(c *chunk, en entry) bool {
	before := len(c.buf)
	c.enc.mark()
	buf, err := encodeEntry(c.enc, c.buf, en)
	if err != nil || len(buf) > h.cfg.ChunkBytes {
		c.enc.rollback()
		c.buf = c.buf[:before]
		return false
	}
	c.buf = buf
	t := en.time()
	if c.n == 0 || t.Before(c.first) {
		c.first = t
	}
	if t.After(c.last) {
		c.last = t
	}
	c.n++
	return true
}

func encodeEntry(e *encoder, buf []byte, en entry) ([]byte, error) {
	if en.sample != nil {
		return e.appendSample(buf, *en.sample)
	}
	return e.appendEvent(buf, *en.event)
}

// Stats returns what h holds.
func (h *History) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := Stats{MemoryBytes: h.held}
	for _, c := range h.chunks {
		if c.n == 0 {
			continue
		}
		st.Entries += c.n
		if st.Oldest.IsZero() || c.first.Before(st.Oldest) {
			st.Oldest = c.first
		}
		if c.last.After(st.Newest) {
			st.Newest = c.last
		}
	}
	if h.flash != nil {
		st.FlashBytes, st.FlashWritten = h.flash.held, h.flash.written
	}
	return st
}

// Flush writes the frames waiting for flash now.
func (h *History) Flush() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.flash == nil || h.closed {
		return nil
	}
	return h.flash.flush()
}

// Close writes what waits for flash and closes h. It is idempotent.
func (h *History) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	if h.flash != nil {
		return h.flash.close()
	}
	return nil
}
