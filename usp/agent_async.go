package usp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// requestTable is where async commands in progress are listed (TR-181).
const requestTable = "Device.LocalAgent.Request."

// Causes of an asynchronous command's cancellation, in its 7023 message.
var (
	errAgentClosed   = errors.New("the agent is shutting down")
	errRequestCancel = errors.New("Device.LocalAgent.Request.{i}.Cancel()")
)

// OperationComplete is the end of an asynchronous command, for the
// OperationComplete notifications of subscribed Controllers.
type OperationComplete struct {
	// Originator is the Controller that started the command.
	Originator EndpointID
	// ObjPath is the path of the object the command belongs to, e.g.
	// "Device." for Device.ScheduleTimer().
	ObjPath string
	// CommandName is the command's name with "()".
	CommandName string
	// CommandKey is the command_key of the Operate that started it.
	CommandKey string
	// Output holds the output arguments of a success.
	Output map[string]string
	// Err is non-nil for a failure; CodeOf gives its USP code
	// (ErrCommandCanceled for a command cancelled by
	// Request.{i}.Cancel() or by Agent.Close).
	Err error
}

// operations tracks the asynchronous commands in progress. Their contexts
// descend from the Agent's base context, so that Close cancels them all.
type operations struct {
	base context.Context
	stop context.CancelCauseFunc // cancels base

	mu        sync.Mutex
	closed    bool
	drained   chan struct{}                      // closed once every command ended after Close
	cancels   map[string]context.CancelCauseFunc // by Request row path
	listeners []func(OperationComplete)
	wg        sync.WaitGroup
}

func newOperations() *operations {
	base, stop := context.WithCancelCause(context.Background())
	return &operations{base: base, stop: stop, drained: make(chan struct{}), cancels: map[string]context.CancelCauseFunc{}}
}

// OnOperationComplete registers fn to be called when an asynchronous
// command ends, from the goroutine that ran it, after its
// Device.LocalAgent.Request.{i} row is removed.
func (a *Agent) OnOperationComplete(fn func(OperationComplete)) {
	a.ops.mu.Lock()
	defer a.ops.mu.Unlock()
	a.ops.listeners = append(a.ops.listeners, fn)
}

// Wait blocks until every asynchronous command started so far has ended.
// It cancels nothing, so it can last as long as the longest command (a
// ScheduleTimer() of an hour); to shut the Agent down use Close.
func (a *Agent) Wait() { a.ops.wg.Wait() }

// Close ends the Agent's asynchronous work: from then on a new
// asynchronous command fails with cmd_failure 7002 (Request denied) and
// lists no Request row; every command in progress has its context
// cancelled, and ends with OperationComplete 7023 (Command canceled) once
// its handler returns, its Request row removed. Close waits for them to
// end, or for ctx to end, whichever comes first; in the second case it
// returns ctx's error, wrapped, and the commands go on ending on their
// own. Synchronous requests are still served after Close.
//
// Close is idempotent: each call waits again, bounded by its own ctx.
func (a *Agent) Close(ctx context.Context) error {
	o := a.ops
	o.mu.Lock()
	if !o.closed {
		o.closed = true
		o.stop(errAgentClosed)
		go func() {
			o.wg.Wait()
			close(o.drained)
		}()
	}
	o.mu.Unlock()
	select {
	case <-o.drained:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("usp: agent close: asynchronous commands still running: %w", ctx.Err())
	}
}

// startAsync lists the command in Device.LocalAgent.Request.{i} and runs
// it on its own goroutine; the row is removed when it ends. It fails with
// 7002 once the Agent is closed.
func (a *Agent) startAsync(ctx context.Context, t datamodel.CommandTarget, in map[string]string, executed, key string) (string, error) {
	o := a.ops
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return "", Errorf(ErrRequestDenied, "%v", errAgentClosed)
	}
	o.wg.Add(1) // before Close can wait: Close sets closed under o.mu
	o.mu.Unlock()
	reqPath, err := a.addRequest(ctx, executed, key)
	if err != nil {
		o.wg.Done()
		return "", err
	}
	// The command keeps the request's values (its Controller) but not its
	// cancellation: it outlives the request, and ends with the Agent.
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	unlink := context.AfterFunc(o.base, func() { cancel(context.Cause(o.base)) })
	if reqPath != "" {
		o.mu.Lock()
		o.cancels[reqPath] = cancel
		o.mu.Unlock()
	}
	go func() {
		defer o.wg.Done()
		defer unlink()
		defer cancel(nil)
		out, err := t.Def.Handler(runCtx, t.Row, in)
		if err != nil && runCtx.Err() != nil {
			err = Errorf(ErrCommandCanceled, "command canceled: %v", context.Cause(runCtx))
		}
		o.mu.Lock()
		if reqPath != "" {
			delete(o.cancels, reqPath)
		}
		fns := append([]func(OperationComplete){}, o.listeners...)
		o.mu.Unlock()
		a.removeRequest(reqPath)
		oc := OperationComplete{Originator: ControllerFrom(ctx), ObjPath: t.Row.Path, CommandName: t.Def.Name + "()",
			CommandKey: key, Output: nonNil(out), Err: err}
		for _, fn := range fns {
			fn(oc)
		}
	}()
	return reqPath, nil
}

// addRequest adds the Device.LocalAgent.Request.{i} row of a command
// starting, and returns its path; "" when the model has no such table.
func (a *Agent) addRequest(ctx context.Context, executed, key string) (string, error) {
	m := a.cfg.Model
	rp, err := path.Parse(requestTable)
	if err != nil {
		return "", nil
	}
	if _, err := m.Schema().Lookup(rp); err != nil {
		return "", nil
	}
	tx := m.Begin(ctx)
	tabs, err := tx.Tables(rp)
	if err != nil || len(tabs) != 1 {
		tx.Rollback()
		return "", Errorf(ErrInternalError, "request table: %v", err)
	}
	res, err := tx.Add(tabs[0], []datamodel.ParamUpdate{
		{Param: "Originator", Value: string(ControllerFrom(ctx))},
		{Param: "Command", Value: executed},
		{Param: "CommandKey", Value: key},
		{Param: "Status", Value: "Active"},
	}, datamodel.WriteOptions{Internal: true})
	if err != nil {
		tx.Rollback()
		return "", Errorf(ErrResourcesExceeded, "cannot list the request: %v", err)
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	return res.Path, nil
}

func (a *Agent) removeRequest(reqPath string) {
	if reqPath == "" {
		return
	}
	ctx := context.Background()
	tx := a.cfg.Model.Begin(ctx)
	defer tx.Rollback()
	p, err := path.Parse(reqPath)
	if err != nil {
		return
	}
	objs, err := tx.Objects(p)
	if err != nil || len(objs) != 1 {
		return
	}
	if _, err := tx.Delete(objs[0], datamodel.WriteOptions{Internal: true}); err == nil {
		if err := tx.Commit(); err != nil {
			a.log.Warn("remove finished request", "path", reqPath, "err", err)
		}
	}
}

// cancelRequest is Device.LocalAgent.Request.{i}.Cancel(): it cancels the
// command's context; the command then ends with 7023.
func (a *Agent) cancelRequest(executed, rowPath string) *opResult {
	a.ops.mu.Lock()
	cancel := a.ops.cancels[rowPath]
	a.ops.mu.Unlock()
	if cancel == nil {
		return cmdFailure(executed, ErrCommandFailure, "the request is not in progress")
	}
	cancel(errRequestCancel)
	return cmdOutput(executed, map[string]string{})
}
