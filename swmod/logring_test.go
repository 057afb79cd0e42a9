package swmod

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestLogRingBounded(t *testing.T) {
	l := &logRing{path: filepath.Join(t.TempDir(), "eu.log"), max: 4096}
	var last string
	for i := range 1000 {
		last = fmt.Sprintf("line %04d\n", i)
		if n, err := l.Write([]byte(last)); err != nil || n != len(last) {
			t.Fatalf("write: %d, %v", n, err)
		}
		if fi, _ := os.Stat(l.path); fi.Size() > l.max {
			t.Fatalf("log grew to %d bytes, max %d", fi.Size(), l.max)
		}
	}
	b, _ := l.Bytes()
	if !bytes.HasSuffix(b, []byte(last)) || len(b) < int(l.max/2) {
		t.Fatalf("log keeps %d bytes ending %q, want the newest", len(b), b[max(0, len(b)-20):])
	}
	// One write larger than the log keeps its tail.
	big := bytes.Repeat([]byte("x"), 10000)
	big[len(big)-1] = 'E'
	l.Write(big)
	if b, _ := l.Bytes(); int64(len(b)) > l.max || b[len(b)-1] != 'E' {
		t.Fatalf("after a big write: %d bytes", len(b))
	}
}
