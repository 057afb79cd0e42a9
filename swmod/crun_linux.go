package swmod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Crun runs EUs as OCI containers with Debian's crun: `crun run --detach`
// on a config.json swmod writes, `crun kill` and `crun delete` to end
// them. Each EU gets its own mount, PID, IPC and UTS namespaces, a
// read-only root, a tmpfs /tmp and its own cgroup (CgroupParent/<id>)
// with the memory, CPU and pids limits of its RunSpec. It keeps the
// host's network namespace, so an app serves on the node's addresses and
// a test reaches it on 127.0.0.1; a loopback-only namespace would need a
// proxy to be reachable.
//
// crun 1.8 refuses a hybrid cgroup host (v1 controllers plus a cgroup2
// at /sys/fs/cgroup/unified) when the cgroup2 holds any controller. On
// such a host Crun runs crun in a private mount namespace (unshare(1))
// with /sys/fs/cgroup/unified unmounted there, so crun uses the v1
// hierarchies; the host's mounts are untouched. On a v1-only or v2 host
// crun runs directly.
type Crun struct {
	// Binary is crun's path; "crun" when empty.
	Binary string
	// StateRoot is crun's --root; crun's default (/run/crun) when empty.
	StateRoot string
	// CgroupParent is the cgroup (from each hierarchy's root) under
	// which EUs get theirs; "uspmesh-swmod" when empty.
	CgroupParent string
	// UID and GID the app runs as inside its container; 65534 (nobody)
	// when both are zero.
	UID, GID uint32

	once sync.Once
	cg   cgroupHost
}

var _ Runtime = (*Crun)(nil)

// Name implements Runtime.
func (c *Crun) Name() string { return "crun" }

func (c *Crun) probe() cgroupHost {
	c.once.Do(func() { c.cg = probeCgroups("/sys/fs/cgroup") })
	return c.cg
}

// command builds a crun invocation, wrapped when the cgroup2 must be hidden.
func (c *Crun) command(ctx context.Context, args ...string) *exec.Cmd {
	bin := c.Binary
	if bin == "" {
		bin = "crun"
	}
	full := []string{}
	if c.StateRoot != "" {
		full = append(full, "--root", c.StateRoot)
	}
	full = append(full, args...)
	if c.probe().maskV2 {
		wrap := []string{"--mount", "--propagation", "private", "--", "sh", "-c",
			`umount -l /sys/fs/cgroup/unified && exec "$0" "$@"`, bin}
		return exec.CommandContext(ctx, "unshare", append(wrap, full...)...)
	}
	return exec.CommandContext(ctx, bin, full...)
}

func (c *Crun) run(ctx context.Context, args ...string) error {
	cmd := c.command(ctx, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("crun %s: %w: %s", args[0], err, strings.TrimSpace(out.String()))
	}
	return nil
}

func (c *Crun) cgroupPath(id string) string {
	p := c.CgroupParent
	if p == "" {
		p = "uspmesh-swmod"
	}
	return "/" + strings.Trim(p, "/") + "/" + id
}

// Start implements Runtime.
func (c *Crun) Start(ctx context.Context, spec RunSpec) (Instance, error) {
	_ = c.Remove(ctx, spec.ID) // a leftover of the same name would block the run
	cfg, err := json.MarshalIndent(c.config(spec), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("crun: config: %w", err)
	}
	if err := writeAtomic(filepath.Join(spec.RunDir, "config.json"), cfg); err != nil {
		return nil, fmt.Errorf("crun: config: %w", err)
	}
	pidFile := filepath.Join(spec.RunDir, "pid")
	os.Remove(pidFile)
	// The container inherits crun's stdout and stderr, so both are the
	// EU's output (a pipe here would keep cmd.Run waiting for the
	// container); crun's own messages go to its --log file.
	logFile := filepath.Join(spec.RunDir, "crun.log")
	os.Remove(logFile)
	cmd := c.command(ctx, "--log=file:"+logFile, "run", "--detach", "--bundle", spec.RunDir, "--pid-file", pidFile, spec.ID)
	cmd.Stdout, cmd.Stderr = spec.Output, spec.Output
	if err := cmd.Run(); err != nil {
		_ = c.Remove(context.WithoutCancel(ctx), spec.ID)
		msg, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("crun run %s: %w: %s", spec.ID, err, strings.TrimSpace(string(msg)))
	}
	b, err := os.ReadFile(pidFile)
	pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || perr != nil || pid <= 0 {
		_ = c.Remove(context.WithoutCancel(ctx), spec.ID)
		return nil, fmt.Errorf("crun run %s: no pid in %s: %v", spec.ID, pidFile, errors.Join(err, perr))
	}
	start, _ := procStart(pid) // empty if it already ended: Wait returns at once
	return &crunInstance{c: c, id: spec.ID, pid: pid, start: start}, nil
}

// Remove implements Runtime: crun delete --force, quiet about a missing
// container.
func (c *Crun) Remove(ctx context.Context, id string) error {
	if err := c.run(ctx, "state", id); err != nil {
		return nil // nothing of that name
	}
	return c.run(ctx, "delete", "--force", id)
}

type crunInstance struct {
	c     *Crun
	id    string
	pid   int
	start string

	mu      sync.Mutex
	stopped bool
}

func (i *crunInstance) Pid() int { return i.pid }

func (i *crunInstance) Wait(ctx context.Context) (Exit, error) {
	if i.start != "" {
		if err := waitGone(ctx, i.pid, i.start, 50*time.Millisecond); err != nil {
			return Exit{}, err
		}
	}
	// A detached container is not our child: its status is unknown, but
	// its cgroup (kept until crun delete) counts OOM kills.
	ex := Exit{Code: -1}
	if i.c.probe().present && i.c.probe().oomKills(i.c.cgroupPath(i.id)) > 0 {
		ex.OOMKilled, ex.Signal = true, 9
	}
	return ex, nil
}

func (i *crunInstance) Stop(ctx context.Context, grace time.Duration) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.stopped {
		return nil
	}
	if s, ok := procStart(i.pid); ok && s == i.start {
		_ = i.c.run(ctx, "kill", i.id, "TERM")
		wctx, cancel := context.WithTimeout(ctx, grace)
		err := waitGone(wctx, i.pid, i.start, 20*time.Millisecond)
		cancel()
		if err != nil {
			_ = i.c.run(ctx, "kill", "--all", i.id, "KILL")
			if err := waitGone(ctx, i.pid, i.start, 20*time.Millisecond); err != nil {
				return fmt.Errorf("crun: stop %s: %w", i.id, err)
			}
		}
	}
	if err := i.c.run(ctx, "delete", "--force", i.id); err != nil {
		return err
	}
	i.stopped = true
	return nil
}

// config is the OCI runtime config for spec.
func (c *Crun) config(spec RunSpec) map[string]any {
	uid, gid := c.UID, c.GID
	if uid == 0 && gid == 0 {
		uid, gid = 65534, 65534
	}
	cwd := spec.Cwd
	if cwd == "" {
		cwd = "/"
	}
	caps := []string{"CAP_NET_BIND_SERVICE"}
	res := map[string]any{}
	if l := spec.Limits.MemoryBytes; l > 0 {
		res["memory"] = map[string]any{"limit": l, "swap": l}
	}
	if l := spec.Limits.CPUMilli; l > 0 {
		res["cpu"] = map[string]any{"quota": l * 100, "period": 100000}
	}
	if l := spec.Limits.Pids; l > 0 {
		res["pids"] = map[string]any{"limit": l}
	}
	mount := func(dst, typ, src string, opts ...string) map[string]any {
		return map[string]any{"destination": dst, "type": typ, "source": src, "options": opts}
	}
	return map[string]any{
		"ociVersion": "1.0.0",
		"process": map[string]any{
			"terminal": false,
			"user":     map[string]any{"uid": uid, "gid": gid},
			"args":     spec.Args,
			"env":      append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, spec.Env...),
			"cwd":      cwd,
			"capabilities": map[string]any{
				"bounding": caps, "effective": caps, "permitted": caps,
			},
			"noNewPrivileges": true,
		},
		"root":     map[string]any{"path": spec.RootFS, "readonly": true},
		"hostname": spec.ID,
		"mounts": []any{
			mount("/proc", "proc", "proc"),
			mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
			mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"),
			mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
			mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
			mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
			mount("/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777", "size=16m"),
		},
		"linux": map[string]any{
			"cgroupsPath": c.cgroupPath(spec.ID),
			"resources":   res,
			"namespaces": []any{
				map[string]any{"type": "pid"}, map[string]any{"type": "ipc"},
				map[string]any{"type": "uts"}, map[string]any{"type": "mount"},
			},
			"maskedPaths": []string{"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"},
			"readonlyPaths": []string{"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
				"/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}
