package election

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// StateFileError reports a state file that cannot be read or written.
type StateFileError struct {
	// Path is the state file.
	Path string
	// Op is "read", "parse" or "write".
	Op string
	// Err is the cause.
	Err error
}

// Error names the file, the operation and the cause.
func (e *StateFileError) Error() string {
	return fmt.Sprintf("election: state file %s: %s: %v", e.Path, e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *StateFileError) Unwrap() error { return e.Err }

// stateRecord is the state file's JSON form.
type stateRecord struct {
	Term   uint64 `json:"term"`
	Leader string `json:"leader"`
}

// loadState reads the highest vote persisted in path. A missing file is a
// first start and gives the zero Vote; an empty path disables persistence.
func loadState(path string) (Vote, error) {
	if path == "" {
		return Vote{}, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Vote{}, nil
	}
	if err != nil {
		return Vote{}, &StateFileError{Path: path, Op: "read", Err: err}
	}
	var r stateRecord
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Vote{}, &StateFileError{Path: path, Op: "parse", Err: err}
	}
	if dec.More() {
		return Vote{}, &StateFileError{Path: path, Op: "parse", Err: errors.New("trailing data")}
	}
	if (r.Term == 0) != (r.Leader == "") || len(r.Leader) > maxNameLen {
		return Vote{}, &StateFileError{Path: path, Op: "parse",
			Err: fmt.Errorf("invalid record (term %d, leader %q)", r.Term, r.Leader)}
	}
	return Vote{Term: r.Term, Leader: r.Leader}, nil
}

// saveState writes v to path atomically: a temporary file in the same
// directory, fsync, rename over path, fsync of the directory. An empty
// path does nothing.
func saveState(path string, v Vote) error {
	if path == "" {
		return nil
	}
	if err := writeAtomic(path, v); err != nil {
		return &StateFileError{Path: path, Op: "write", Err: err}
	}
	return nil
}

func writeAtomic(path string, v Vote) (err error) {
	b, err := json.Marshal(stateRecord{Term: v.Term, Leader: v.Leader})
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(append(b, '\n')); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
