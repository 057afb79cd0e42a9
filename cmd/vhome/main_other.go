//go:build !linux

package main

import (
	"fmt"
	"os"
)

// vhome builds its virtual home from Linux network namespaces; elsewhere
// it only says so.
func main() {
	fmt.Fprintln(os.Stderr, "vhome: needs Linux (network namespaces)")
	os.Exit(1)
}
