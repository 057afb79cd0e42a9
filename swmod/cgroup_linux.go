package swmod

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// cgroupHost says how the host mounts cgroups, as crun will see them.
type cgroupHost struct {
	root    string // usually /sys/fs/cgroup
	v2      bool   // the unified hierarchy is mounted at root
	hybrid  bool   // v1 controllers at root/<controller>, a cgroup2 at root/unified
	maskV2  bool   // hybrid with controllers in root/unified: crun 1.8 refuses, so hide it
	present bool   // any cgroup hierarchy at all
}

const cgroup2Magic = 0x63677270

// probeCgroups reads the host's cgroup layout under root.
func probeCgroups(root string) cgroupHost {
	h := cgroupHost{root: root}
	var st syscall.Statfs_t
	if syscall.Statfs(root, &st) != nil {
		return h
	}
	h.present = true
	if st.Type == cgroup2Magic {
		h.v2 = true
		return h
	}
	u := filepath.Join(root, "unified")
	if syscall.Statfs(u, &st) == nil && st.Type == cgroup2Magic {
		h.hybrid = true
		b, _ := os.ReadFile(filepath.Join(u, "cgroup.controllers"))
		h.maskV2 = len(bytes.TrimSpace(b)) > 0
	}
	return h
}

// dir returns where cgroup path p (as in config.json's cgroupsPath) lives
// for the memory controller.
func (h cgroupHost) memoryDir(p string) string {
	if h.v2 {
		return filepath.Join(h.root, p)
	}
	return filepath.Join(h.root, "memory", p)
}

// oomKills returns the OOM kill count of cgroup p (0 when unknown).
func (h cgroupHost) oomKills(p string) int {
	file := "memory.oom_control" // v1: "oom_kill N" since Linux 4.13
	if h.v2 {
		file = "memory.events"
	}
	f, err := os.Open(filepath.Join(h.memoryDir(p), file))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && k == "oom_kill" {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}
