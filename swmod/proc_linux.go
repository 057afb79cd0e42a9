package swmod

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// procStart returns pid's start time (field 22 of /proc/pid/stat) and
// whether it is still running (not gone, not a zombie).
func procStart(pid int) (string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return "", false
	}
	return f[19], true
}

// waitGone polls until pid, started at start, has ended or ctx is done.
// It serves processes that are not our children (a detached container).
func waitGone(ctx context.Context, pid int, start string, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if s, ok := procStart(pid); !ok || s != start {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
