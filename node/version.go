package node

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the software version reported in DeviceInfo. Release builds
// set it with -ldflags "-X github.com/uspmesh/uspmesh/node.Version=...".
var Version = "0.1.0"

// VersionLine is what a command's -version prints: prog, Version, the
// source revision the binary was built from (when the build recorded
// it), the Go version and the platform.
func VersionLine(prog string) string {
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

// Check applies the defaults to a copy of c and validates it, as New
// does, without starting anything: a reload checks a new configuration
// with it before replacing the running one.
func (c Config) Check() error {
	c.applyDefaults()
	return c.Validate()
}
