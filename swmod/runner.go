package swmod

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/uspmesh/uspmesh/backoff"
)

// runner supervises one EU: it starts the EU's instance when the EU's
// requested state is Active, stops it when it becomes Idle, reports a
// death with its fault, and restarts it with back-off if AutoStart says so.
type runner struct {
	e      *Env
	euid   string
	log    *logRing
	kick   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// startRunner starts euid's runner; mu is held.
func (e *Env) startRunner(euid string) {
	if e.closed || e.runs[euid] != nil {
		return
	}
	ctx, cancel := context.WithCancel(e.ctx)
	r := &runner{e: e, euid: euid, kick: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{}),
		log: &logRing{path: e.path("logs", euid+".log"), max: e.cfg.LogBytes}}
	e.runs[euid] = r
	e.wg.Add(1)
	go r.loop()
}

// end stops the runner and its instance and waits for that.
func (r *runner) end() {
	r.cancel()
	<-r.done
}

func (r *runner) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// pauseEUs ends the runners of euids (their instances stop, requested
// states stay); resumeEUs starts them again.
func (e *Env) pauseEUs(_ context.Context, euids []string) {
	for _, id := range euids {
		e.mu.Lock()
		r := e.runs[id]
		delete(e.runs, id)
		e.mu.Unlock()
		if r != nil {
			r.end()
		}
	}
}

func (e *Env) resumeEUs(euids []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range euids {
		e.startRunner(id)
	}
}

// SetRequestedState asks an EU to be Active or Idle; the EU's runner
// gets there asynchronously and reports each state through Events.
func (e *Env) SetRequestedState(_ context.Context, euid string, want RequestedState) error {
	if want != WantActive && want != WantIdle {
		return fault(FaultInvalidRequest, "requested state %q: want Active or Idle", want)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.euIndex(euid)
	if i < 0 {
		return fault(FaultUnknownDU, "no EU %q", euid)
	}
	e.st.EUs[i].RequestedState = want
	if err := e.save(); err != nil {
		return err
	}
	if r := e.runs[euid]; r != nil {
		r.poke()
	}
	return nil
}

// update changes the EU's record, saves, and reports it.
func (r *runner) update(f func(*EU)) (EU, bool) {
	e := r.e
	e.mu.Lock()
	i := e.euIndex(r.euid)
	if i < 0 {
		e.mu.Unlock()
		return EU{}, false
	}
	f(&e.st.EUs[i])
	eu := e.st.EUs[i]
	var du DU
	if j := e.duIndex(eu.DUID); j >= 0 {
		du = e.st.DUs[j]
	}
	if err := e.save(); err != nil {
		e.log.Warn("saving EU state", "euid", r.euid, "err", err)
	}
	e.mu.Unlock()
	e.emit(Event{DU: du, EU: &eu})
	return eu, true
}

func (r *runner) loop() {
	defer r.e.wg.Done()
	defer close(r.done)
	fails := 0
	for {
		eu, ok := r.e.EU(r.euid)
		if !ok {
			return
		}
		if eu.RequestedState != WantActive {
			select {
			case <-r.ctx.Done():
				return
			case <-r.kick:
				continue
			}
		}
		r.update(func(u *EU) { u.Status = EUStarting })
		inst, err := r.start(eu)
		if err != nil {
			code := FailureOnStart
			if eu.AutoStart {
				code = FailureOnAutoStart
			}
			r.update(func(u *EU) {
				u.Status, u.FaultCode, u.FaultMessage = EUIdle, code, err.Error()
				if !u.AutoStart {
					u.RequestedState = WantIdle
				}
			})
			fails++
			if !r.wait(fails) {
				return
			}
			continue
		}
		if !r.supervise(inst, &fails) {
			return
		}
	}
}

// supervise runs one instance until it ends or is stopped; false means
// the runner is done.
func (r *runner) supervise(inst Instance, fails *int) bool {
	began := time.Now()
	r.update(func(u *EU) {
		u.Status, u.Pid = EUActive, inst.Pid()
		if *fails == 0 {
			u.FaultCode, u.FaultMessage = NoFault, ""
		}
	})
	wctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exitc := make(chan Exit, 1)
	go func() { ex, _ := inst.Wait(wctx); exitc <- ex }()
	for {
		select {
		case <-r.ctx.Done():
			r.stop(inst)
			r.update(func(u *EU) { u.Status, u.Pid = EUIdle, 0 })
			return false
		case <-r.kick:
			if eu, ok := r.e.EU(r.euid); ok && eu.RequestedState == WantActive {
				continue
			}
			r.update(func(u *EU) { u.Status = EUStopping })
			err := r.stop(inst)
			r.update(func(u *EU) {
				u.Status, u.Pid, u.FaultCode, u.FaultMessage = EUIdle, 0, NoFault, ""
				if err != nil {
					u.FaultCode, u.FaultMessage = FailureOnStop, err.Error()
				}
			})
			*fails = 0
			return true
		case ex := <-exitc:
			r.stop(inst)
			if time.Since(began) > r.e.cfg.RestartMax {
				*fails = 0
			}
			*fails++
			eu, _ := r.update(func(u *EU) {
				u.Status, u.Pid, u.FaultCode, u.FaultMessage = EUIdle, 0, FailureWhileActive, describeExit(ex, u.Limits)
				if u.AutoStart && u.RequestedState == WantActive {
					u.Restarts++
				} else {
					u.RequestedState = WantIdle
				}
			})
			r.e.log.Warn("EU died", "euid", r.euid, "fault", eu.FaultMessage)
			if eu.RequestedState == WantActive && !r.wait(*fails) {
				return false
			}
			return true
		}
	}
}

// wait sleeps the back-off before restart n; false if the runner ends.
func (r *runner) wait(n int) bool {
	t := time.NewTimer(backoff.Wait(r.e.cfg.RestartMin, 2, n, rand.Float64(), r.e.cfg.RestartMax))
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return false
	case <-t.C:
	case <-r.kick:
	}
	return true
}

func (r *runner) stop(inst Instance) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.e.cfg.StopGrace+10*time.Second)
	defer cancel()
	return inst.Stop(ctx, r.e.cfg.StopGrace)
}

func describeExit(ex Exit, l Limits) string {
	switch {
	case ex.OOMKilled:
		return fmt.Sprintf("killed by the OOM killer at its memory limit of %d bytes", l.MemoryBytes)
	case ex.Code == 137 || ex.Signal == 9:
		return "killed (SIGKILL)"
	case ex.Signal != 0:
		return fmt.Sprintf("killed by signal %d", ex.Signal)
	case ex.Code >= 0:
		return fmt.Sprintf("exited with status %d", ex.Code)
	}
	return "exited (status unknown to a detached runtime)"
}

// start runs the EU's current version.
func (r *runner) start(eu EU) (Instance, error) {
	e := r.e
	e.mu.Lock()
	j := e.duIndex(eu.DUID)
	if j < 0 {
		e.mu.Unlock()
		return nil, fmt.Errorf("no DU %q", eu.DUID)
	}
	dir := e.versionDir(eu.DUID, e.st.DUs[j].Gen)
	e.mu.Unlock()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, err
	}
	runDir := e.path("run", eu.EUID)
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	spec := RunSpec{ID: containerID(eu.EUID), RootFS: filepath.Join(dir, "rootfs"), RunDir: runDir,
		Args: m.Args, Env: m.Env, Cwd: m.Cwd, Limits: eu.Limits, Output: pw}
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	inst, err := e.rt.Start(ctx, spec)
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, err
	}
	go func() { io.Copy(r.log, pr); pr.Close() }()
	return inst, nil
}
