//go:build !unix

package node

import "os"

// tryLock does nothing where advisory locks are not available.
func tryLock(*os.File) error { return nil }
