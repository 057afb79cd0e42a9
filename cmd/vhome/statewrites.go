//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stateWrites counts the files meshd writes into each node's state dir,
// as the flash of an AP would see them: every file closed after writing
// or renamed into place (the atomic writes' temporary files, whose names
// start with ".", are counted once, at their rename), with its size then.
// It watches with inotify, so no write between two samples is missed.
type stateWrites struct {
	f    *os.File
	dirs map[int32]int // inotify watch → node index

	mu    sync.Mutex
	nodes map[int]*writeCount
	done  chan struct{}
}

// writeCount is one node's writes.
type writeCount struct {
	Writes int
	Bytes  int64
	Files  map[string]int // writes per file name
}

// watchStateDirs starts counting the writes into dirs (node index →
// state dir).
func watchStateDirs(dirs map[int]string) (*stateWrites, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	w := &stateWrites{f: os.NewFile(uintptr(fd), "inotify"), dirs: map[int32]int{}, nodes: map[int]*writeCount{}, done: make(chan struct{})}
	paths := map[int]string{}
	for node, dir := range dirs {
		wd, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO)
		if err != nil {
			w.f.Close()
			return nil, fmt.Errorf("inotify %s: %w", dir, err)
		}
		w.dirs[int32(wd)], paths[node] = node, dir
		w.nodes[node] = &writeCount{Files: map[string]int{}}
	}
	go w.read(paths)
	return w, nil
}

// read counts events until the watcher is closed.
func (w *stateWrites) read(paths map[int]string) {
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
			node, ok := w.dirs[ev.Wd]
			if !ok || name == "" || strings.HasPrefix(name, ".") {
				continue
			}
			var size int64
			if fi, err := os.Stat(filepath.Join(paths[node], name)); err == nil {
				size = fi.Size()
			}
			w.mu.Lock()
			c := w.nodes[node]
			c.Writes++
			c.Bytes += size
			c.Files[name]++
			w.mu.Unlock()
		}
	}
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
