//go:build linux

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stateWrites counts the bytes meshd writes into each node's state dir
// and its subdirectories, as the flash of an AP would see them: a file
// renamed into place (the atomic writes' temporary files, whose names
// start with ".", are counted once, at their rename) or closed after
// writing counts its size, and a file written while it stays open (an
// appended log) counts what it grew by. It watches with inotify, so no
// write between two samples is missed.
type stateWrites struct {
	f *os.File

	mu    sync.Mutex
	dirs  map[int32]watchedDir // inotify watch → directory
	seen  map[string]int64     // a file's size when last counted
	dirty map[string]bool      // files grown since they were last counted at close
	nodes map[int]*writeCount
	done  chan struct{}
}

// watchedDir is a directory under watch.
type watchedDir struct {
	node int
	path string
}

// writeCount is one node's writes.
type writeCount struct {
	Writes int
	Bytes  int64
	Files  map[string]int // writes per file name (relative to the state dir)
}

// watchMask is what stateWrites asks inotify for.
const watchMask = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_MODIFY | unix.IN_CREATE

// watchStateDirs starts counting the writes into dirs (node index →
// state dir) and every directory below them, present or made later.
func watchStateDirs(dirs map[int]string) (*stateWrites, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	w := &stateWrites{f: os.NewFile(uintptr(fd), "inotify"), dirs: map[int32]watchedDir{}, seen: map[string]int64{},
		dirty: map[string]bool{}, nodes: map[int]*writeCount{}, done: make(chan struct{})}
	roots := map[int]string{}
	for node, dir := range dirs {
		w.nodes[node] = &writeCount{Files: map[string]int{}}
		roots[node] = dir
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return w.watch(fd, node, p)
			}
			if fi, err := d.Info(); err == nil {
				w.seen[p] = fi.Size()
			}
			return nil
		})
		if err != nil {
			w.f.Close()
			return nil, err
		}
	}
	go w.read(fd, roots)
	return w, nil
}

// watch adds dir (of node) to the watches.
func (w *stateWrites) watch(fd, node int, dir string) error {
	wd, err := unix.InotifyAddWatch(fd, dir, watchMask)
	if err != nil {
		return fmt.Errorf("inotify %s: %w", dir, err)
	}
	w.mu.Lock()
	w.dirs[int32(wd)] = watchedDir{node, dir}
	w.mu.Unlock()
	return nil
}

// read counts events until the watcher is closed.
func (w *stateWrites) read(fd int, roots map[int]string) {
	defer close(w.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			end := off + unix.SizeofInotifyEvent + int(ev.Len)
			if end > n {
				break
			}
			name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:end]), "\x00")
			off = end
			w.mu.Lock()
			dir, ok := w.dirs[ev.Wd]
			w.mu.Unlock()
			if !ok || name == "" || strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(dir.path, name)
			if ev.Mask&unix.IN_ISDIR != 0 {
				if ev.Mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 {
					_ = w.watch(fd, dir.node, p) // a directory gone at once has nothing to count
				}
				continue
			}
			w.count(dir.node, roots[dir.node], p, ev.Mask)
		}
	}
}

// count records one event on file p of node.
func (w *stateWrites) count(node int, root, p string, mask uint32) {
	var size int64
	if fi, err := os.Stat(p); err == nil {
		size = fi.Size()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var n int64
	switch {
	case mask&unix.IN_MOVED_TO != 0:
		n = size // a whole file replaced
	case mask&unix.IN_MODIFY != 0:
		// Grown by appends, or rewritten from the start.
		if n = size - w.seen[p]; n < 0 || size == 0 {
			n = size
		}
		w.dirty[p] = true
	case mask&unix.IN_CLOSE_WRITE != 0:
		if w.dirty[p] {
			delete(w.dirty, p) // its writes were counted as they came
			return
		}
		n = size
	default:
		return // IN_CREATE of a file: its writes come next
	}
	w.seen[p] = size
	if n == 0 {
		return
	}
	rel, err := filepath.Rel(root, p)
	if err != nil {
		rel = p
	}
	c := w.nodes[node]
	c.Writes++
	c.Bytes += n
	c.Files[rel]++
}

// take returns the counts since the last take (or the start) and starts
// again from zero.
func (w *stateWrites) take() map[int]writeCount {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[int]writeCount{}
	for node, c := range w.nodes {
		out[node] = *c
		w.nodes[node] = &writeCount{Files: map[string]int{}}
	}
	return out
}

// Close stops watching.
func (w *stateWrites) Close() error {
	err := w.f.Close()
	<-w.done
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// String is "N writes, B bytes (file n, ...)".
func (c writeCount) String() string {
	var files []string
	for f, n := range c.Files {
		files = append(files, fmt.Sprintf("%s %d", f, n))
	}
	slices.Sort(files)
	s := fmt.Sprintf("%d writes, %d bytes", c.Writes, c.Bytes)
	if len(files) > 0 {
		s += " (" + strings.Join(files, ", ") + ")"
	}
	return s
}
