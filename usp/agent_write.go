package usp

import (
	"context"
	"errors"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// objFailure is the failure of one entry of a Set, Add or Delete: its code
// and message, and the rows and parameters that failed.
type objFailure struct {
	code  ErrorCode
	msg   string
	insts []instFailure
}

type instFailure struct {
	path   string // the row or object written
	params []datamodel.ParamError
}

// entryFailure turns an engine error for requested path rp into the
// entry's failure.
func entryFailure(rp string, err error) *objFailure {
	var we *datamodel.WriteError
	if errors.As(err, &we) {
		return &objFailure{code: ErrorCode(we.Code), msg: we.Msg, insts: []instFailure{{path: we.Path, params: we.ParamErrs}}}
	}
	return &objFailure{code: CodeOf(err), msg: MessageOf(err)}
}

// asError is the Error message replacing a whole response when the entry
// with requested path rp failed and allow_partial was false; param_errs
// carry full paths.
func (f *objFailure) asError(rp string) *failure {
	out := &failure{code: outerCode(f.code), msg: f.msg}
	for _, in := range f.insts {
		for _, pe := range in.params {
			out.params = append(out.params, &uspmsg.Error_ParamError{ParamPath: in.path + pe.Param, ErrCode: pe.Code, ErrMsg: pe.Msg})
		}
	}
	if len(out.params) == 0 {
		out.params = []*uspmsg.Error_ParamError{{ParamPath: rp, ErrCode: uint32(f.code), ErrMsg: f.msg}}
	} else {
		out.code = outerCode(ErrorCode(out.params[0].ErrCode))
	}
	return out
}

func commitFailure(tx *datamodel.Txn) *failure {
	if err := tx.Commit(); err != nil {
		return fail(ErrInternalError, "%v", err)
	}
	return nil
}

func (a *Agent) set(ctx context.Context, perm Permissions, s *uspmsg.Set) (*uspmsg.Response, *failure) {
	tx := a.cfg.Model.Begin(ctx)
	defer tx.Rollback()
	opt := datamodel.WriteOptions{CanWrite: perm.WriteParam}
	show := a.shown(perm)
	resp := &uspmsg.SetResp{}
	for _, uo := range s.GetUpdateObjs() {
		sp := tx.Savepoint()
		ok, f := setEntry(tx, uo, opt, show)
		if f == nil {
			resp.UpdatedObjResults = append(resp.UpdatedObjResults, &uspmsg.SetResp_UpdatedObjectResult{
				RequestedPath: uo.GetObjPath(), OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus{
					OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperSuccess{OperSuccess: ok}}})
			continue
		}
		if !s.GetAllowPartial() {
			return nil, f.asError(uo.GetObjPath())
		}
		tx.RollbackTo(sp)
		of := &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(f.code), ErrMsg: f.msg}
		for _, in := range f.insts {
			uf := &uspmsg.SetResp_UpdatedInstanceFailure{AffectedPath: in.path}
			for _, pe := range in.params {
				uf.ParamErrs = append(uf.ParamErrs, &uspmsg.SetResp_ParameterError{Param: pe.Param, ErrCode: pe.Code, ErrMsg: pe.Msg})
			}
			of.UpdatedInstFailures = append(of.UpdatedInstFailures, uf)
		}
		resp.UpdatedObjResults = append(resp.UpdatedObjResults, &uspmsg.SetResp_UpdatedObjectResult{
			RequestedPath: uo.GetObjPath(), OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus{
				OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperFailure{OperFailure: of}}})
	}
	if f := commitFailure(tx); f != nil {
		return nil, f
	}
	return &uspmsg.Response{RespType: &uspmsg.Response_SetResp{SetResp: resp}}, nil
}

// setEntry applies one UpdateObject to every object its path names, all or
// nothing (R-SET.2a).
func setEntry(tx *datamodel.Txn, uo *uspmsg.Set_UpdateObject, opt datamodel.WriteOptions, show shownFunc) (*uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperationSuccess, *objFailure) {
	p, err := path.Parse(uo.GetObjPath())
	if err != nil {
		return nil, &objFailure{code: ErrInvalidPathSyntax, msg: err.Error()}
	}
	objs, err := tx.Objects(p)
	if err != nil {
		return nil, entryFailure(uo.GetObjPath(), err)
	}
	ups := make([]datamodel.ParamUpdate, len(uo.GetParamSettings()))
	for i, ps := range uo.GetParamSettings() {
		ups[i] = datamodel.ParamUpdate{Param: ps.GetParam(), Value: ps.GetValue(), Required: ps.GetRequired()}
	}
	ok := &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperationSuccess{}
	// Every row is tried, so that a failure names each row that failed
	// (updated_inst_failures, or the Error's param_errs); the caller
	// undoes the rows that succeeded.
	var failed *objFailure
	for _, o := range objs {
		res, err := tx.Update(o, ups, opt)
		if err != nil {
			f := entryFailure(uo.GetObjPath(), err)
			var we *datamodel.WriteError
			if errors.As(err, &we) && len(we.ParamErrs) > 0 {
				f.code, f.msg = ErrRequiredParameterFailed, "required parameters failed"
			}
			if failed == nil {
				failed = f
			} else {
				failed.insts = append(failed.insts, f.insts...)
			}
			continue
		}
		if failed != nil {
			continue
		}
		ir := &uspmsg.SetResp_UpdatedInstanceResult{AffectedPath: res.Path, UpdatedParams: make(map[string]string, len(res.Updated))}
		for _, pv := range res.Updated {
			if v, ok := show(res.Path, pv.Name, pv.Value); ok {
				ir.UpdatedParams[pv.Name] = v
			}
		}
		for _, pe := range res.ParamErrs {
			ir.ParamErrs = append(ir.ParamErrs, &uspmsg.SetResp_ParameterError{Param: pe.Param, ErrCode: pe.Code, ErrMsg: pe.Msg})
		}
		ok.UpdatedInstResults = append(ok.UpdatedInstResults, ir)
	}
	if failed != nil {
		return nil, failed
	}
	return ok, nil
}

func (a *Agent) add(ctx context.Context, perm Permissions, ad *uspmsg.Add) (*uspmsg.Response, *failure) {
	tx := a.cfg.Model.Begin(ctx)
	defer tx.Rollback()
	opt := datamodel.WriteOptions{CanWrite: perm.WriteParam}
	show := a.shown(perm)
	resp := &uspmsg.AddResp{}
	for _, co := range ad.GetCreateObjs() {
		sp := tx.Savepoint()
		oks, f := addEntry(tx, perm, co, opt, show)
		if f == nil {
			for _, ok := range oks {
				resp.CreatedObjResults = append(resp.CreatedObjResults, &uspmsg.AddResp_CreatedObjectResult{
					RequestedPath: co.GetObjPath(), OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus{
						OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperSuccess{OperSuccess: ok}}})
			}
			continue
		}
		if !ad.GetAllowPartial() {
			return nil, f.asError(co.GetObjPath())
		}
		tx.RollbackTo(sp)
		resp.CreatedObjResults = append(resp.CreatedObjResults, &uspmsg.AddResp_CreatedObjectResult{
			RequestedPath: co.GetObjPath(), OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus{
				OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperFailure{
					OperFailure: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(f.code), ErrMsg: f.msg}}}})
	}
	if f := commitFailure(tx); f != nil {
		return nil, f
	}
	return &uspmsg.Response{RespType: &uspmsg.Response_AddResp{AddResp: resp}}, nil
}

type addSuccess = uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperationSuccess

// addEntry creates one row in every table the CreateObject's path names,
// all or nothing.
func addEntry(tx *datamodel.Txn, perm Permissions, co *uspmsg.Add_CreateObject, opt datamodel.WriteOptions, show shownFunc) ([]*addSuccess, *objFailure) {
	rp := co.GetObjPath()
	p, err := path.Parse(rp)
	if err != nil {
		return nil, &objFailure{code: ErrInvalidPathSyntax, msg: err.Error()}
	}
	tabs, err := tx.Tables(p)
	if err != nil {
		return nil, entryFailure(rp, err)
	}
	if len(tabs) == 0 {
		return nil, &objFailure{code: ErrObjectDoesNotExist, msg: "the path names no existing table"}
	}
	ups := make([]datamodel.ParamUpdate, len(co.GetParamSettings()))
	for i, ps := range co.GetParamSettings() {
		ups[i] = datamodel.ParamUpdate{Param: ps.GetParam(), Value: ps.GetValue(), Required: ps.GetRequired()}
	}
	var out []*addSuccess
	for _, t := range tabs {
		if !perm.AddRow(t.Path(), t.Def()) {
			return nil, &objFailure{code: ErrPermissionDenied, msg: "permission denied to add to " + t.Path()}
		}
		res, err := tx.Add(t, ups, opt)
		if err != nil {
			f := entryFailure(rp, err)
			// The row was not created, so it has no instance number: its
			// parameters are named "<table>.{i}.<param>", as TP-469 1.3
			// and 1.7 expect and the reference agent reports them.
			for i := range f.insts {
				f.insts[i].path = t.Path() + "{i}."
			}
			if len(f.insts) > 0 && len(f.insts[0].params) > 0 {
				f.code = ErrorCode(f.insts[0].params[0].Code)
				f.msg = f.insts[0].params[0].Param + ": " + f.insts[0].params[0].Msg
			}
			return nil, f
		}
		ok := &addSuccess{InstantiatedPath: res.Path, UniqueKeys: make(map[string]string, len(res.Keys))}
		for k, v := range res.Keys {
			if v, shown := show(res.Path, k, v); shown {
				ok.UniqueKeys[k] = v
			}
		}
		for _, pe := range res.ParamErrs {
			ok.ParamErrs = append(ok.ParamErrs, &uspmsg.AddResp_ParameterError{Param: pe.Param, ErrCode: pe.Code, ErrMsg: pe.Msg})
		}
		out = append(out, ok)
	}
	return out, nil
}

func (a *Agent) delete(ctx context.Context, perm Permissions, d *uspmsg.Delete) (*uspmsg.Response, *failure) {
	tx := a.cfg.Model.Begin(ctx)
	defer tx.Rollback()
	resp := &uspmsg.DeleteResp{}
	for _, rp := range d.GetObjPaths() {
		sp := tx.Savepoint()
		affected, f := deleteEntry(tx, perm, rp)
		if f == nil {
			resp.DeletedObjResults = append(resp.DeletedObjResults, &uspmsg.DeleteResp_DeletedObjectResult{
				RequestedPath: rp, OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus{
					OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperSuccess{
						OperSuccess: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperationSuccess{AffectedPaths: affected}}}})
			continue
		}
		if !d.GetAllowPartial() {
			return nil, f.asError(rp)
		}
		tx.RollbackTo(sp)
		resp.DeletedObjResults = append(resp.DeletedObjResults, &uspmsg.DeleteResp_DeletedObjectResult{
			RequestedPath: rp, OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus{
				OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperFailure{
					OperFailure: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(f.code), ErrMsg: f.msg}}}})
	}
	if f := commitFailure(tx); f != nil {
		return nil, f
	}
	return &uspmsg.Response{RespType: &uspmsg.Response_DeleteResp{DeleteResp: resp}}, nil
}

// deleteEntry deletes every row rp names, all or nothing. A valid path
// naming no row (a missing instance included) deletes nothing and succeeds
// (R-DEL.2a).
func deleteEntry(tx *datamodel.Txn, perm Permissions, rp string) ([]string, *objFailure) {
	p, err := path.Parse(rp)
	if err != nil {
		return nil, &objFailure{code: ErrInvalidPathSyntax, msg: err.Error()}
	}
	objs, err := tx.Objects(p)
	if CodeOf(err) == ErrObjectDoesNotExist {
		return []string{}, nil
	}
	if err != nil {
		return nil, entryFailure(rp, err)
	}
	affected := []string{}
	for _, o := range objs {
		if !perm.DeleteRow(o.Path(), o.Def()) {
			return nil, &objFailure{code: ErrPermissionDenied, msg: "permission denied to delete " + o.Path()}
		}
		if _, err := tx.Delete(o, datamodel.WriteOptions{}); err != nil {
			return nil, entryFailure(rp, err)
		}
		affected = append(affected, o.Path())
	}
	return affected, nil
}

// shownFunc says what a write's result may tell the Controller of one
// parameter (rel, relative to the row or object at objPath) that it wrote
// or that keys a row it added: nothing when it may not read it, "" for a
// secured value unless it may see secrets. A result never shows more than
// a Get would (R-GET.1, TP-469 2.27).
type shownFunc func(objPath, rel, v string) (string, bool)

func (a *Agent) shown(perm Permissions) shownFunc {
	if _, all := perm.(allowAll); all {
		return func(_, _, v string) (string, bool) { return v, true }
	}
	s := a.cfg.Model.Schema()
	secrets := canSeeSecrets(perm)
	return func(objPath, rel, v string) (string, bool) {
		p, err := path.Parse(objPath + rel)
		if err != nil || p.Kind != path.Param {
			return "", false
		}
		sp, err := s.Lookup(p)
		if err != nil || !perm.ReadParam(objPath+rel[:strings.LastIndexByte(rel, '.')+1], sp.Param) {
			return "", false
		}
		if sp.Param.Secured && !secrets {
			return "", true
		}
		return v, true
	}
}
