package swmod

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Process runs EUs as plain processes, for devices without container
// support: no namespaces, no cgroup, no isolation from the node. The
// entry point runs from the bundle's rootfs (Args[0] taken inside it,
// the working directory inside it) in its own process group; a memory
// limit becomes RLIMIT_AS, which counts address space, not use (a Go
// program needs a few hundred MiB of it). CPU and pids limits are not
// enforced.
type Process struct{}

var _ Runtime = Process{}

// Name implements Runtime.
func (Process) Name() string { return "process" }

// Start implements Runtime.
func (Process) Start(ctx context.Context, spec RunSpec) (Instance, error) {
	cmd := exec.Command(filepath.Join(spec.RootFS, filepath.Clean(spec.Args[0])), spec.Args[1:]...)
	cmd.Dir = filepath.Join(spec.RootFS, filepath.Clean("/"+spec.Cwd))
	cmd.Env = spec.Env
	cmd.Stdout, cmd.Stderr = spec.Output, spec.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("process: start %s: %w", spec.ID, err)
	}
	if l := spec.Limits.MemoryBytes; l > 0 {
		lim := syscall.Rlimit{Cur: uint64(l), Max: uint64(l)}
		if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(cmd.Process.Pid), syscall.RLIMIT_AS,
			uintptr(unsafe.Pointer(&lim)), 0, 0, 0); e != 0 {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, fmt.Errorf("process: %s: RLIMIT_AS: %w", spec.ID, e)
		}
	}
	p := &procInstance{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Remove implements Runtime; a plain process dies with its owner
// (Pdeathsig), so nothing is left to remove.
func (Process) Remove(context.Context, string) error { return nil }

type procInstance struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	once sync.Once
}

func (p *procInstance) Pid() int { return p.cmd.Process.Pid }

func (p *procInstance) Wait(ctx context.Context) (Exit, error) {
	select {
	case <-ctx.Done():
		return Exit{}, ctx.Err()
	case <-p.done:
	}
	ex := Exit{Code: p.cmd.ProcessState.ExitCode()}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ex.Signal = int(ws.Signal())
		}
	}
	return ex, nil
}

func (p *procInstance) Stop(ctx context.Context, grace time.Duration) error {
	p.once.Do(func() {
		pg := -p.cmd.Process.Pid
		_ = syscall.Kill(pg, syscall.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
		case <-ctx.Done():
		}
		_ = syscall.Kill(pg, syscall.SIGKILL)
	})
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("process: stop: %w", ctx.Err())
	}
}
