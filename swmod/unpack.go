package swmod

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// unpack extracts a bundle archive (tar, or tar.gz by its magic number)
// into dir, which must exist and be empty, and returns its manifest and
// the bytes written. It accepts manifest.json and entries under rootfs/
// only: regular files, directories, and symlinks whose target is
// relative without any ".." (so no link leads out). Absolute or escaping
// names, hard links, devices, FIFOs and archives whose files add up to
// more than budget bytes are refused. On error dir may hold a partial
// tree; the caller removes it.
func unpack(r io.Reader, dir string, budget int64) (Manifest, int64, error) {
	var m Manifest
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return m, 0, fault(FaultArchive, "archive: gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	tr := tar.NewReader(src)
	var used int64
	var manifest []byte
	sawRoot := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, used, fault(FaultArchive, "archive: %w", err)
		}
		name, err := entryName(h.Name)
		if err != nil {
			return m, used, err
		}
		if name == "manifest.json" {
			if h.Typeflag != tar.TypeReg || h.Size > maxManifest || manifest != nil {
				return m, used, fault(FaultArchive, "archive: manifest.json must be one regular file of at most %d bytes", maxManifest)
			}
			if manifest, err = io.ReadAll(io.LimitReader(tr, maxManifest)); err != nil {
				return m, used, fault(FaultArchive, "archive: manifest.json: %w", err)
			}
		}
		if name == "rootfs" || strings.HasPrefix(name, "rootfs/") {
			sawRoot = true
		}
		if h.Size < 0 || h.Size > budget-used {
			return m, used, fault(FaultResources, "archive: %s: unpacked size passes the disk budget of %d bytes", name, budget)
		}
		var body io.Reader = tr
		if name == "manifest.json" {
			body = bytes.NewReader(manifest)
		}
		n, err := writeEntry(dir, name, h, body)
		used += n
		if err != nil {
			return m, used, err
		}
	}
	if manifest == nil || !sawRoot {
		return m, used, fault(FaultArchive, "archive: want manifest.json and rootfs/")
	}
	m, err := ParseManifest(manifest)
	if err != nil {
		return m, used, fault(FaultArchive, "archive: %w", err)
	}
	return m, used, nil
}

// entryName cleans an archive member's name and refuses one that is not
// manifest.json or under rootfs/.
func entryName(raw string) (string, error) {
	if strings.ContainsRune(raw, 0) || strings.HasPrefix(raw, "/") {
		return "", fault(FaultArchive, "archive: entry %q: absolute or NUL", raw)
	}
	for _, el := range strings.Split(raw, "/") {
		if el == ".." {
			return "", fault(FaultArchive, "archive: entry %q escapes the bundle", raw)
		}
	}
	name := path.Clean(raw)
	if name != "manifest.json" && name != "rootfs" && !strings.HasPrefix(name, "rootfs/") {
		return "", fault(FaultArchive, "archive: entry %q: want manifest.json or rootfs/...", raw)
	}
	return name, nil
}

// writeEntry writes one member under dir and returns the bytes written.
// It never follows a symlink: every parent must be a real directory.
func writeEntry(dir, name string, h *tar.Header, r io.Reader) (int64, error) {
	if err := realParents(dir, name); err != nil {
		return 0, err
	}
	p := filepath.Join(dir, filepath.FromSlash(name))
	mode := os.FileMode(h.Mode).Perm() & 0o755
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(p, mode|0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return 0, diskFault("archive: "+name, err)
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			return 0, fault(FaultArchive, "archive: %s: not a directory", name)
		}
		return 0, nil
	case tar.TypeSymlink:
		t := h.Linkname
		if t == "" || strings.HasPrefix(t, "/") || strings.ContainsRune(t, 0) || hasDotDot(t) {
			return 0, fault(FaultArchive, "archive: symlink %s -> %q points out of its directory", name, t)
		}
		if err := os.Symlink(t, p); err != nil {
			return 0, fault(FaultArchive, "archive: symlink %s: %w", name, err)
		}
		return 0, nil
	case tar.TypeReg:
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, mode|0o400)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return 0, fault(FaultArchive, "archive: %s: duplicate entry", name)
			}
			return 0, diskFault("archive: "+name, err)
		}
		n, err := io.Copy(f, io.LimitReader(r, h.Size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil && n != h.Size {
			err = fault(FaultArchive, "archive: %s: truncated (%d of %d bytes)", name, n, h.Size)
		}
		if err != nil {
			var fl *Fault
			if errors.As(err, &fl) {
				return n, fl
			}
			if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
				return n, diskFault("archive: "+name, err)
			}
			return n, fault(FaultArchive, "archive: %s: %w", name, err)
		}
		return n, nil
	default:
		return 0, fault(FaultArchive, "archive: %s: type %q not allowed (regular files, directories and symlinks only)", name, string(h.Typeflag))
	}
}

func hasDotDot(p string) bool {
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return true
		}
	}
	return false
}

// realParents checks that every directory on name's way down from dir
// exists as a real directory (no symlink), creating missing ones.
func realParents(dir, name string) error {
	cur := dir
	parts := strings.Split(name, "/")
	for _, el := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, el)
		fi, err := os.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			if err := os.Mkdir(cur, 0o755); err != nil {
				return diskFault("archive: "+name, err)
			}
			continue
		}
		if err != nil {
			return fault(FaultInternal, "archive: %s: %w", name, err)
		}
		if !fi.IsDir() {
			return fault(FaultArchive, "archive: %s: parent %s is not a directory", name, el)
		}
	}
	return nil
}
