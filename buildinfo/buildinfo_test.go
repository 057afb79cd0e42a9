package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	l := Line("meshd")
	if !strings.HasPrefix(l, "meshd "+Version) || !strings.HasSuffix(l, runtime.GOOS+"/"+runtime.GOARCH) || !strings.Contains(l, runtime.Version()) {
		t.Fatalf("Line = %q", l)
	}
}
