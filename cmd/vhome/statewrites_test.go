//go:build linux

package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStateWritesFollowsSubdirsAndAppends: the flash figures count a
// file replaced by rename at its size, and a file appended to while it
// stays open (the history's segments) by what it grew, in a directory
// made after the watch started; an atomic write's temporary file is not
// counted twice.
func TestStateWritesFollowsSubdirsAndAppends(t *testing.T) {
	dir := t.TempDir()
	w, err := watchStateDirs(map[int]string{0: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	tmp := filepath.Join(dir, ".a.json.tmp")
	if err := os.WriteFile(tmp, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "a.json")); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "history")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	// The new directory's watch is added when its creation is read: wait
	// for it before writing there, as meshd's first flush comes minutes
	// after it makes the directory.
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.mu.Lock()
		n := len(w.dirs)
		w.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new directory is not watched")
		}
		time.Sleep(10 * time.Millisecond)
	}
	f, err := os.OpenFile(filepath.Join(sub, "seg-1"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{50, 30} {
		if _, err := f.Write(make([]byte, n)); err != nil {
			t.Fatal(err)
		}
	}
	var got writeCount
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		w.mu.Lock()
		got = *w.nodes[0]
		w.mu.Unlock()
		if got.Bytes >= 180 {
			break
		}
	}
	// inotify merges a file's unread modifications into one event, so
	// the two appends may count as one write; their bytes are all there.
	if got.Bytes != 180 || got.Files["a.json"] != 1 || got.Files[filepath.Join("history", "seg-1")] == 0 {
		t.Fatalf("counted %v, want 180 bytes: a.json 1, history/seg-1 1 or 2", got)
	}
	// Closing the appended file adds nothing: its bytes were counted.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b"), make([]byte, 7), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		w.mu.Lock()
		got = *w.nodes[0]
		w.mu.Unlock()
		if got.Files["b"] > 0 {
			break
		}
	}
	if got.Bytes != 187 {
		t.Fatalf("after the close and a 7-byte file: %v, want 187 bytes", got)
	}
}
