//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Bounds on waiting for processes.
const (
	// stopTimeout bounds a SIGTERM stop before SIGKILL.
	stopTimeout = 10 * time.Second
	// reapTimeout bounds waiting for a SIGKILLed process group to go.
	reapTimeout = 5 * time.Second
)

// startLine is what meshd prints on stdout once it serves.
var startLine = regexp.MustCompile(`^meshd: agent (\S+) at (\S+)$`)

// parseStartLine returns the Agent Endpoint ID and URL of a start line.
func parseStartLine(line string) (agentID, url string, ok bool) {
	m := startLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// proc is a process started by the harness inside a namespace, in a
// process group of its own (killed as a whole) with SIGKILL as its
// parent-death signal, so that it does not outlive a killed harness.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser // when procSpec.stdin
	exited chan struct{}  // closed once the process is reaped
	err    error          // Wait's result, set before exited closes
}

// procSpec says what to run where.
type procSpec struct {
	ns      string   // network namespace
	argv    []string // command and arguments
	env     []string // added to the harness's environment
	logPath string   // stderr (and by default stdout) is appended here
	stdin   bool     // give the process a stdin pipe (proc.stdin)
	// stdout, when set, consumes the process's stdout (log is the log
	// file); it runs in its own goroutine until it returns, and what it
	// leaves unread goes to the log.
	stdout func(r io.Reader, log io.Writer)
}

// startProc runs spec.argv inside spec.ns with ip netns exec.
func startProc(spec procSpec) (*proc, error) {
	logf, err := os.OpenFile(spec.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("vhome: log: %w", err)
	}
	fmt.Fprintf(logf, "--- vhome %s: ip netns exec %s %s\n", time.Now().Format(time.RFC3339Nano), spec.ns, strings.Join(spec.argv, " "))
	cmd := exec.Command("ip", append([]string{"netns", "exec", spec.ns}, spec.argv...)...)
	cmd.Env = append(os.Environ(), spec.env...)
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	fail := func(err error) (*proc, error) {
		logf.Close()
		return nil, fmt.Errorf("vhome: start %s in %s: %w", spec.argv[0], spec.ns, err)
	}
	if spec.stdin {
		if p.stdin, err = cmd.StdinPipe(); err != nil {
			return fail(err)
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	go func() {
		if spec.stdout != nil {
			spec.stdout(out, logf)
		}
		_, _ = io.Copy(logf, out)
		p.err = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	return p, nil
}

// running reports whether the process has not been reaped yet.
func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// signal sends sig to the process group, unless it is reaped already.
func (p *proc) signal(sig syscall.Signal) {
	if p.running() {
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

// kill SIGKILLs the process group and waits, bounded, for the reaping.
func (p *proc) kill() error {
	p.signal(syscall.SIGKILL)
	select {
	case <-p.exited:
		return nil
	case <-time.After(reapTimeout):
		return fmt.Errorf("vhome: pid %d still there %v after SIGKILL", p.cmd.Process.Pid, reapTimeout)
	}
}

// stop sends SIGTERM and waits up to timeout for a clean exit, then
// kills. It returns an error when the exit was not clean.
func (p *proc) stop(timeout time.Duration) error {
	if !p.running() {
		return nil
	}
	p.signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			return fmt.Errorf("vhome: pid %d exited after SIGTERM: %w", p.cmd.Process.Pid, p.err)
		}
		return nil
	case <-time.After(timeout):
		err := p.kill()
		return errors.Join(fmt.Errorf("vhome: pid %d ignored SIGTERM for %v: killed", p.cmd.Process.Pid, timeout), err)
	}
}

// meshdStart is the outcome of starting one meshd.
type meshdStart struct {
	proc    *proc
	agentID string
	url     string
}

// startMeshd starts meshd (argv) in ns and waits, bounded by timeout and
// ctx, for its start line. On failure the process is gone and the error
// carries the end of its log.
func startMeshd(ctx context.Context, ns string, argv []string, logPath string, timeout time.Duration) (meshdStart, error) {
	type ids struct{ agent, url string }
	found := make(chan ids, 1)
	p, err := startProc(procSpec{ns: ns, argv: argv, logPath: logPath, stdout: func(r io.Reader, log io.Writer) {
		sc := bufio.NewScanner(r)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(log, sc.Text())
			if a, u, ok := parseStartLine(sc.Text()); ok && !seen {
				found <- ids{a, u}
				seen = true
			}
		}
	}})
	if err != nil {
		return meshdStart{}, err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var why string
	select {
	case id := <-found:
		return meshdStart{proc: p, agentID: id.agent, url: id.url}, nil
	case <-p.exited:
		why = fmt.Sprintf("exited (%v) before its start line", p.err)
	case <-timer.C:
		why = fmt.Sprintf("printed no start line within %v", timeout)
	case <-ctx.Done():
		why = ctx.Err().Error()
	}
	kerr := p.kill()
	return meshdStart{}, errors.Join(fmt.Errorf("vhome: meshd in %s %s; log %s:\n%s", ns, why, logPath, tail(logPath, 15)), kerr)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// Kill SIGKILLs node i's meshd (its whole process group) and waits,
// bounded, until it is gone. A node already down is left as it is.
func (h *Home) Kill(i int) error {
	return h.withProc(i, func(p *proc) error { return p.kill() })
}

// Stop sends node i's meshd SIGTERM and waits up to 10 s for a clean
// exit (then kills it). It returns an error when the exit was not clean.
func (h *Home) Stop(i int) error {
	return h.withProc(i, func(p *proc) error { return p.stop(stopTimeout) })
}

func (h *Home) withProc(i int, f func(*proc) error) error {
	m, err := h.member(i)
	if err != nil {
		return err
	}
	m.op.Lock()
	defer m.op.Unlock()
	h.mu.RLock()
	p := m.proc
	h.mu.RUnlock()
	if p == nil {
		return nil
	}
	if err := f(p); err != nil {
		return fmt.Errorf("node %d: %w", i, err)
	}
	h.log.Info("meshd down", "node", i)
	return nil
}

// Restart starts node i's meshd again, with the same state dir and its
// current address, stopping it first (as Stop) when it still runs. It
// waits for the new start line, like StartHome.
func (h *Home) Restart(ctx context.Context, i int) error {
	m, err := h.member(i)
	if err != nil {
		return err
	}
	m.op.Lock()
	defer m.op.Unlock()
	h.mu.RLock()
	p := m.proc
	h.mu.RUnlock()
	if p != nil && p.running() {
		if err := p.stop(stopTimeout); err != nil {
			h.log.Warn("stop before restart", "node", i, "err", err)
		}
	}
	return h.startNode(ctx, m)
}
