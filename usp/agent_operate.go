package usp

import (
	"context"
	"errors"
	"sync"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// requestTable is where async commands in progress are listed (TR-181).
const requestTable = "Device.LocalAgent.Request."

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
	CommandKey  string
	// Output holds the output arguments of a success.
	Output map[string]string
	// Err is non-nil for a failure; CodeOf gives its USP code.
	Err error
}

// operations tracks the asynchronous commands in progress.
type operations struct {
	a         *Agent
	mu        sync.Mutex
	cancels   map[string]context.CancelFunc // by Request row path
	listeners []func(OperationComplete)
	wg        sync.WaitGroup
}

func newOperations(a *Agent) *operations {
	return &operations{a: a, cancels: map[string]context.CancelFunc{}}
}

// OnOperationComplete registers fn to be called when an asynchronous
// command ends, from the goroutine that ran it.
func (a *Agent) OnOperationComplete(fn func(OperationComplete)) {
	a.ops.mu.Lock()
	defer a.ops.mu.Unlock()
	a.ops.listeners = append(a.ops.listeners, fn)
}

// Wait blocks until every asynchronous command started so far has ended.
func (a *Agent) Wait() { a.ops.wg.Wait() }

// response passes a Response message a Controller sent this Agent (a
// NotifyResp) to AgentConfig.Responses.
func (o *operations) response(from EndpointID, msgID string, r *uspmsg.Response) {
	if fn := o.a.cfg.Responses; fn != nil {
		fn(from, msgID, r)
	}
}

func (a *Agent) operate(ctx context.Context, perm Permissions, op *uspmsg.Operate) (*uspmsg.Response, *failure) {
	p, err := path.Parse(op.GetCommand())
	if err != nil {
		return nil, fail(ErrInvalidPathSyntax, "%v", err)
	}
	if p.Kind != path.Command {
		return nil, fail(ErrInvalidPath, "%s is not a command path", op.GetCommand())
	}
	targets, err := a.cfg.Model.Commands(ctx, p)
	if err != nil {
		c, msg := pathError(err)
		return nil, fail(c, "%s", msg)
	}
	resp := &uspmsg.OperateResp{}
	for _, t := range targets {
		resp.OperationResults = append(resp.OperationResults, a.operateOne(ctx, perm, op, t))
	}
	if !op.GetSendResp() {
		return nil, nil
	}
	return &uspmsg.Response{RespType: &uspmsg.Response_OperateResp{OperateResp: resp}}, nil
}

type opResult = uspmsg.OperateResp_OperationResult

func cmdFailure(executed string, code ErrorCode, msg string) *opResult {
	return &opResult{ExecutedCommand: executed, OperationResp: &uspmsg.OperateResp_OperationResult_CmdFailure{
		CmdFailure: &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(code), ErrMsg: msg}}}
}

// operateOne runs one command on one object.
func (a *Agent) operateOne(ctx context.Context, perm Permissions, op *uspmsg.Operate, t datamodel.CommandTarget) *opResult {
	cd := t.Def
	executed := t.Row.Path + cd.Name + "()"
	if !perm.Operate(t.Row.Path, cd) {
		return cmdFailure(executed, ErrPermissionDenied, "permission denied")
	}
	in, err := commandInputs(cd, op.GetInputArgs())
	if err != nil {
		return cmdFailure(executed, CodeOf(err), err.Error())
	}
	if cd.Owner().SupportedPath() == requestTable+"{i}." && cd.Name == "Cancel" {
		return a.cancelRequest(executed, t.Row.Path)
	}
	if cd.Handler == nil {
		return cmdFailure(executed, ErrCommandFailure, "command not implemented on this device")
	}
	if !cd.Async {
		out, err := cd.Handler(ctx, t.Row, in)
		if err != nil {
			return cmdFailure(executed, commandCode(err), err.Error())
		}
		return &opResult{ExecutedCommand: executed, OperationResp: &uspmsg.OperateResp_OperationResult_ReqOutputArgs{
			ReqOutputArgs: &uspmsg.OperateResp_OperationResult_OutputArgs{OutputArgs: nonNil(out)}}}
	}
	reqPath, err := a.startAsync(ctx, t, in, executed, op.GetCommandKey())
	if err != nil {
		return cmdFailure(executed, commandCode(err), err.Error())
	}
	return &opResult{ExecutedCommand: executed, OperationResp: &uspmsg.OperateResp_OperationResult_ReqObjPath{ReqObjPath: reqPath}}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// commandCode is the cmd_failure code of a handler's error: its own USP
// code when it has one of the codes cmd_failure allows, else 7022.
func commandCode(err error) ErrorCode {
	switch c := CodeOf(err); {
	case errors.Is(err, context.Canceled):
		return ErrCommandCanceled
	case c >= ErrRequestDenied && c <= ErrInvalidPathSyntax, c == ErrObjectDoesNotExist, c == ErrCommandFailure, c == ErrCommandCanceled:
		return c
	}
	return ErrCommandFailure
}

// commandInputs checks the input arguments: a missing mandatory one is
// 7027 (R-OPR.5), an invalid value 7027, unknown ones are ignored
// (R-OPR.6), missing optional ones take their default.
func commandInputs(cd *datamodel.CommandDef, args map[string]string) (map[string]string, error) {
	in := make(map[string]string, len(cd.Inputs))
	for _, arg := range cd.Inputs {
		v, ok := args[arg.Name]
		if !ok {
			if arg.Mandatory {
				return nil, Errorf(ErrInvalidCommandArguments, "missing mandatory input argument %s", arg.Name)
			}
			if arg.Default != "" {
				in[arg.Name] = arg.Default
			}
			continue
		}
		if arg.Type != 0 {
			cv, err := value.Validate(arg.Type, &arg.Constraint, v)
			if err != nil {
				return nil, Errorf(ErrInvalidCommandArguments, "input argument %s: %v", arg.Name, err)
			}
			v = cv
		}
		in[arg.Name] = v
	}
	return in, nil
}

// startAsync lists the command in Device.LocalAgent.Request.{i} and runs
// it on its own goroutine; the row is removed when it ends.
func (a *Agent) startAsync(ctx context.Context, t datamodel.CommandTarget, in map[string]string, executed, key string) (string, error) {
	m := a.cfg.Model
	reqPath := ""
	if rp, err := path.Parse(requestTable); err == nil {
		if _, err := m.Schema().Lookup(rp); err == nil {
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
			reqPath = res.Path
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	o := a.ops
	o.mu.Lock()
	o.cancels[reqPath] = cancel
	o.mu.Unlock()
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer cancel()
		out, err := t.Def.Handler(runCtx, t.Row, in)
		if err != nil && runCtx.Err() != nil {
			err = Errorf(ErrCommandCanceled, "command canceled")
		}
		o.mu.Lock()
		delete(o.cancels, reqPath)
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
	cancel()
	return &opResult{ExecutedCommand: executed, OperationResp: &uspmsg.OperateResp_OperationResult_ReqOutputArgs{
		ReqOutputArgs: &uspmsg.OperateResp_OperationResult_OutputArgs{OutputArgs: map[string]string{}}}}
}
