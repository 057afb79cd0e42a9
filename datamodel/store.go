package datamodel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Store keeps the model's persistent state as one document.
type Store interface {
	// Load returns the saved document, or (nil, nil) when none was saved.
	Load(ctx context.Context) ([]byte, error)
	// Save replaces the saved document atomically: after a crash, Load
	// returns either the old or the new document, whole.
	Save(ctx context.Context, doc []byte) error
}

// FileStore is a Store in one file, replaced atomically: the new document
// goes to a temporary file in the same directory, is synced, and renamed
// over the old one, and the directory is synced.
type FileStore struct {
	// Path is the file, e.g. "<state dir>/datamodel.json".
	Path string
}

// Load implements Store. It also removes temporary files that a crash in
// the middle of Save left behind.
func (f FileStore) Load(ctx context.Context) ([]byte, error) {
	if stale, _ := filepath.Glob(filepath.Join(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".tmp-*")); len(stale) > 0 {
		for _, s := range stale {
			os.Remove(s)
		}
	}
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("datamodel: load %s: %w", f.Path, err)
	}
	return b, nil
}

// Save implements Store.
func (f FileStore) Save(ctx context.Context, doc []byte) error {
	if err := WriteFileAtomic(f.Path, doc, 0o600); err != nil {
		return fmt.Errorf("datamodel: save: %w", err)
	}
	return nil
}

// WriteFileAtomic replaces name with data so that a crash at any moment
// leaves either the old file or the new one: temporary file in the same
// directory, write, fsync, rename, fsync of the directory.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", name, err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmpName, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmpName, err)
	}
	if err := os.Rename(tmpName, name); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmpName, name, err)
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
