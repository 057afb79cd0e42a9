// Package buildinfo is what a build says of itself: the software
// version (stamped by release builds) and the line -version prints. The
// daemon and the tools share it without linking each other.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the software version reported in DeviceInfo. Release builds
// set it with -ldflags "-X github.com/uspmesh/uspmesh/buildinfo.Version=...".
var Version = "0.1.0"

// Line is what a command's -version prints: prog, Version, the
// source revision the binary was built from (when the build recorded
// it), the Go version and the platform.
func Line(prog string) string {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
				if len(rev) > 12 {
					rev = rev[:12]
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" && dirty {
			rev += "+dirty"
		}
	}
	if rev != "" {
		rev = " (" + rev + ")"
	}
	return fmt.Sprintf("%s %s%s %s %s/%s", prog, Version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
