package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockFile is the state dir's lock: one meshd per state dir.
const lockFile = "meshd.lock"

// ErrStateDirInUse is wrapped by New's error when another meshd holds the
// state dir.
var ErrStateDirInUse = errors.New("state dir in use")

// lockStateDir takes the state dir's lock (creating the dir, mode 0700)
// and writes this process's PID into it. Two meshd on one state dir would
// mint and persist conflicting terms and data model writes, so the second
// is refused, naming the holder. The lock is released when the returned
// file is closed or the process ends (also when it is killed).
//
// A state dir that cannot be written (read-only or full flash) must not
// stop the node: it serves, and its election withdraws from candidacy.
// Then an existing lock file is locked read-only, and without one the
// node goes on unlocked; unlocked says why.
func lockStateDir(dir string) (f *os.File, unlocked error, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("state dir: %w", err)
	}
	name := filepath.Join(dir, lockFile)
	f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		ro, rerr := os.Open(name)
		if rerr != nil {
			return nil, fmt.Errorf("state dir not locked: %w", err), nil
		}
		f = ro
	}
	if err := tryLock(f); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(name); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = "meshd pid " + strconv.Itoa(pid)
			}
		}
		f.Close()
		return nil, nil, fmt.Errorf("%w: %s is locked by %s (one meshd per state dir; stop it or give this one another -state-dir): %w",
			ErrStateDirInUse, dir, holder, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil, nil
}
