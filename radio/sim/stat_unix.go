//go:build unix

package sim

import (
	"io/fs"
	"syscall"
)

// inode returns the file's inode number, which changes on every atomic
// replace, so that two writes within one timestamp tick are told apart.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
