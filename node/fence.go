package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/election"
)

// fenceFile keeps the highest leader term this Agent has accepted.
const fenceFile = "fence.json"

// electionFile is the election's state file: the highest (term, leader)
// followed. The fence's term is its floor (election.Config.MinTerm).
const electionFile = "election.json"

// StaleTermError refuses a mesh-wide write that carries a term below the
// highest this node has accepted.
type StaleTermError struct {
	Term, Highest uint64
}

func (e *StaleTermError) Error() string {
	return fmt.Sprintf("stale leader term %d: this node follows term %d or later", e.Term, e.Highest)
}

// fence is the Agent's wall against deposed leaders: it admits a
// mesh-wide write only when its term is at least the highest term
// persisted, whatever the node's current view of the cluster. The highest
// term is written to the state dir (atomically) before a higher term is
// admitted, so a restart never lowers it.
type fence struct {
	path string
	mu   sync.Mutex
	term uint64
}

type fenceRecord struct {
	Term uint64 `json:"term"`
}

// openFence loads the fence of the state dir; a missing file is term 0,
// a corrupt one an error naming it.
func openFence(dir string) (*fence, error) {
	f := &fence{path: dir + "/" + fenceFile}
	b, err := os.ReadFile(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, fmt.Errorf("fence: %w", err)
	}
	var r fenceRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("fence: corrupt %s (remove it only if no leader term must be kept): %w", f.path, err)
	}
	f.term = r.Term
	return f, nil
}

// Admit accepts term when it is not below the highest persisted, raising
// the persisted term to it.
func (f *fence) Admit(_ context.Context, term uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if term < f.term {
		return &StaleTermError{Term: term, Highest: f.term}
	}
	return f.raiseLocked(term)
}

// Raise records that the node follows term (a leader change).
func (f *fence) Raise(term uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.raiseLocked(term)
}

// Term returns the highest term persisted.
func (f *fence) Term() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.term
}

func (f *fence) raiseLocked(term uint64) error {
	if term <= f.term {
		return nil
	}
	b, _ := json.Marshal(fenceRecord{Term: term})
	if err := datamodel.WriteFileAtomic(f.path, b, 0o600); err != nil {
		return fmt.Errorf("fence: persist term %d: %w", term, err)
	}
	f.term = term
	return nil
}

// setAsideCorruptState renames the election state file that err reports
// corrupt to <file>.corrupt and logs it, so that the election can start
// again: terms need only grow, and the fence, passed as the election's
// MinTerm, keeps the highest this node accepted. It reports whether the
// file was set aside.
func setAsideCorruptState(err error, log *slog.Logger) bool {
	var se *election.StateFileError
	if !errors.As(err, &se) || se.Op != "parse" {
		return false
	}
	aside := se.Path + ".corrupt"
	if rerr := os.Rename(se.Path, aside); rerr != nil {
		log.Error("corrupt election state file cannot be set aside", "file", se.Path, "err", se.Err, "rename_err", rerr)
		return false
	}
	log.Warn("corrupt election state file set aside; the election starts from the fence's term",
		"file", se.Path, "aside", aside, "err", se.Err)
	return true
}

// clusterStartError names the configuration at fault when the election
// cannot start: the state dir for its state file, else the gossip port.
func clusterStartError(err error, cfg Config) error {
	var se *election.StateFileError
	if errors.As(err, &se) {
		return &ConfigError{"state_dir", cfg.StateDir, fmt.Sprintf("%s: %s: %v", filepath.Base(se.Path), se.Op, se.Err)}
	}
	return &ConfigError{"gossip_port", strconv.Itoa(cfg.GossipPort), err.Error()}
}
