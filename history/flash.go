package history

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// magic starts every segment file.
var magic = []byte("USPMHST1")

const segSuffix = ".hst"

// flash appends thinned frames to segment files.
type flash struct {
	cfg       Config
	file      *os.File
	name      string
	size      int // of the current segment
	enc       *encoder
	pending   []byte
	lastWrite time.Time // the entry time of the last flush
	lastKept  time.Time // the newest sample kept for flash
	held      int64     // bytes of all segments
	written   int64
}

// openFlash reads the segments of cfg.Dir and starts a new one.
func openFlash(cfg Config) (*flash, []entry, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("history: %w", err)
	}
	names, err := segments(cfg.Dir)
	if err != nil {
		return nil, nil, err
	}
	f := &flash{cfg: cfg}
	var old []entry
	for _, name := range names {
		ens, size, err := readSegment(filepath.Join(cfg.Dir, name))
		if err != nil {
			cfg.Logger.Warn("history segment damaged: kept the records before the damage", "file", filepath.Join(cfg.Dir, name),
				"records", len(ens), "err", err)
		}
		old = append(old, ens...)
		f.held += size
	}
	for _, en := range old {
		if en.sample != nil && en.sample.Time.After(f.lastKept) {
			f.lastKept = en.sample.Time
		}
	}
	return f, old, nil
}

// segments lists the segment files of dir, oldest first.
func segments(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasPrefix(e.Name(), "seg-") && strings.HasSuffix(e.Name(), segSuffix) {
			names = append(names, e.Name())
		}
	}
	slices.SortFunc(names, func(a, b string) int { return segTime(a) - segTime(b) })
	return names, nil
}

func segTime(name string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "seg-"), segSuffix))
	return n
}

// readSegment decodes one segment file; a damaged one returns what came
// before the damage with the error.
func readSegment(path string) ([]entry, int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	ens, err := decodeSegment(data)
	return ens, int64(len(data)), err
}

// decodeSegment decodes a segment file's bytes: the entries up to the
// first damaged frame, and a *CorruptError (offsets from the file's
// start) when there is one.
func decodeSegment(data []byte) ([]entry, error) {
	if !bytes.HasPrefix(data, magic) {
		return nil, &CorruptError{0, "not a history segment (bad magic)"}
	}
	ens, err := decode(data[len(magic):])
	var ce *CorruptError
	if errors.As(err, &ce) {
		ce.Offset += len(magic)
	}
	return ens, err
}

// add queues en for flash if it is kept, and writes when due.
func (f *flash) add(en entry) error {
	t := en.time()
	if f.lastWrite.IsZero() {
		f.lastWrite = t
	}
	if s := en.sample; s != nil {
		if !f.lastKept.IsZero() && s.Time.Sub(f.lastKept) < f.cfg.FlashEvery {
			return f.due(t)
		}
		f.lastKept = s.Time
	}
	if f.enc == nil || f.size+len(f.pending) >= f.cfg.SegmentBytes {
		if err := f.rotate(t); err != nil {
			return err
		}
	}
	f.enc.mark()
	buf, err := encodeEntry(f.enc, f.pending, en)
	if errors.Is(err, errDictFull) {
		f.enc.rollback()
		if err := f.rotate(t); err != nil {
			return err
		}
		buf, err = encodeEntry(f.enc, f.pending, en)
	}
	if err != nil {
		return err
	}
	f.pending = buf
	return f.due(t)
}

// due flushes when FlushInterval passed since the last write or
// FlushBytes wait.
func (f *flash) due(t time.Time) error {
	if len(f.pending) >= f.cfg.FlushBytes || (len(f.pending) > 0 && t.Sub(f.lastWrite) >= f.cfg.FlushInterval) {
		f.lastWrite = t
		return f.flush()
	}
	return nil
}

// rotate writes what waits into the current segment and starts a new
// one named after t, removing the oldest beyond MaxSegments.
func (f *flash) rotate(t time.Time) error {
	if err := f.flush(); err != nil {
		return err
	}
	if f.file != nil {
		if err := f.file.Close(); err != nil {
			f.cfg.Logger.Warn("history segment close", "file", f.name, "err", err)
		}
		f.file = nil
	}
	name := filepath.Join(f.cfg.Dir, fmt.Sprintf("seg-%d%s", t.Unix(), segSuffix))
	for i := 1; ; i++ { // two segments in one second: the next free second
		if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
			break
		}
		name = filepath.Join(f.cfg.Dir, fmt.Sprintf("seg-%d%s", t.Unix()+int64(i), segSuffix))
	}
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f.file, f.name, f.size, f.enc = file, name, 0, newEncoder()
	f.pending = append(f.pending[:0], magic...)
	return f.prune()
}

// prune removes the oldest segments beyond MaxSegments.
func (f *flash) prune() error {
	names, err := segments(f.cfg.Dir)
	if err != nil {
		return err
	}
	for len(names) > f.cfg.MaxSegments {
		p := filepath.Join(f.cfg.Dir, names[0])
		if st, err := os.Stat(p); err == nil {
			f.held -= st.Size()
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		names = names[1:]
	}
	return nil
}

// flush appends the waiting frames to the segment and syncs it. On
// failure the frames are dropped (memory stays bounded) and the error
// returned.
func (f *flash) flush() error {
	if f.file == nil || len(f.pending) == 0 {
		return nil
	}
	data := f.pending
	f.pending = f.pending[:0]
	n, err := f.file.Write(data)
	f.size += n
	f.held += int64(n)
	f.written += int64(n)
	if err == nil {
		err = f.file.Sync()
	}
	if err != nil {
		// The segment may end in a partial frame now: later frames go to
		// a new segment, so that none is appended after damage.
		_ = f.file.Close()
		f.file, f.enc = nil, nil
		return fmt.Errorf("history: write %s: %w", f.name, err)
	}
	return nil
}

// close flushes and closes the segment.
func (f *flash) close() error {
	err := f.flush()
	if f.file != nil {
		err = errors.Join(err, f.file.Close())
		f.file = nil
	}
	return err
}
