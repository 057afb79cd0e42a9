package usp

import (
	"context"
	"errors"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

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

func cmdOutput(executed string, out map[string]string) *opResult {
	return &opResult{ExecutedCommand: executed, OperationResp: &uspmsg.OperateResp_OperationResult_ReqOutputArgs{
		ReqOutputArgs: &uspmsg.OperateResp_OperationResult_OutputArgs{OutputArgs: out}}}
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
		return cmdFailure(executed, CodeOf(err), MessageOf(err))
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
			return cmdFailure(executed, commandCode(err), MessageOf(err))
		}
		return cmdOutput(executed, nonNil(out))
	}
	reqPath, err := a.startAsync(ctx, t, in, executed, op.GetCommandKey())
	if err != nil {
		return cmdFailure(executed, commandCode(err), MessageOf(err))
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
