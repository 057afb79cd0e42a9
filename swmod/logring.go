package swmod

import (
	"io"
	"os"
	"sync"
)

// logRing keeps the last output of an EU in a file of at most max bytes:
// when a write would pass max, the file is rewritten with its newest
// half first.
type logRing struct {
	mu   sync.Mutex
	path string
	max  int64
}

func (l *logRing) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	if int64(len(p)) > l.max/2 {
		p = p[int64(len(p))-l.max/2:]
	}
	fi, err := os.Stat(l.path)
	if err == nil && fi.Size()+int64(len(p)) > l.max {
		if err := l.compact(fi.Size()); err != nil {
			return 0, err
		}
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}

// compact keeps the newest max/2 bytes.
func (l *logRing) compact(size int64) error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	keep := min(size, l.max/2)
	buf := make([]byte, keep)
	_, err = f.ReadAt(buf, size-keep)
	f.Close()
	if err != nil && err != io.EOF {
		return err
	}
	return writeAtomic(l.path, buf)
}

// Bytes returns the log's content.
func (l *logRing) Bytes() ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := os.ReadFile(l.path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	return b, err
}
