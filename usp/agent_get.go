package usp

import (
	"context"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// pathError turns an engine resolution error into the code a read request
// reports: a missing instance in a non-search path is, for USP, a path not
// in the instantiated model (7026, R-GET.0).
func pathError(err error) (ErrorCode, string) {
	c := CodeOf(err)
	if c == ErrObjectDoesNotExist {
		c = ErrInvalidPath
	}
	return c, MessageOf(err)
}

func (a *Agent) get(ctx context.Context, perm Permissions, g *uspmsg.Get) *uspmsg.Response {
	resp := &uspmsg.GetResp{}
	for _, ps := range g.GetParamPaths() {
		rr := &uspmsg.GetResp_RequestedPathResult{RequestedPath: ps}
		resp.ReqPathResults = append(resp.ReqPathResults, rr)
		p, err := path.Parse(ps)
		if err != nil {
			rr.ErrCode, rr.ErrMsg = uint32(ErrInvalidPathSyntax), err.Error()
			continue
		}
		res, err := a.cfg.Model.Get(ctx, p, g.GetMaxDepth(), perm.ReadParam)
		if err != nil {
			c, msg := pathError(err)
			rr.ErrCode, rr.ErrMsg = uint32(c), msg
			continue
		}
		if p.Kind == path.Param && !p.IsSearch() && len(res) == 0 {
			// The one parameter named is not readable: as if absent.
			rr.ErrCode, rr.ErrMsg = uint32(ErrInvalidPath), "parameter not readable"
			continue
		}
		if p.Kind == path.Object && !p.IsSearch() && len(res) == 0 && !hidesRowsOf(perm, p) && a.hidden(ctx, p, g.GetMaxDepth()) {
			// The object named has parameters, none readable: as if
			// absent (R-GET.1), so that an existing object the Controller
			// may not read answers like a missing one.
			rr.ErrCode, rr.ErrMsg = uint32(ErrInvalidPath), "object not readable"
			continue
		}
		secured := canSeeSecrets(perm)
		rr.ResolvedPathResults = make([]*uspmsg.GetResp_ResolvedPathResult, len(res))
		for i, o := range res {
			m := make(map[string]string, len(o.Params))
			for _, pv := range o.Params {
				if pv.Secured && !secured {
					pv.Value = "" // TP-469 2.27
				}
				m[pv.Name] = pv.Value
			}
			rr.ResolvedPathResults[i] = &uspmsg.GetResp_ResolvedPathResult{ResolvedPath: o.Path, ResultParams: m}
		}
	}
	return &uspmsg.Response{RespType: &uspmsg.Response_GetResp{GetResp: resp}}
}

// RowHider is implemented by Permissions that hide some rows of some
// tables from a Controller, as tenancy hides another tenant's deployment
// units. A Get of such a whole table answers with the rows the
// Controller may read, none included, as for an empty table: "not
// readable" (7026) would tell it that rows exist.
type RowHider interface {
	// HidesRows reports whether rows of the table at tablePath
	// ("Device.X.Table.") may be hidden from this Controller.
	HidesRows(tablePath string) bool
}

// hidesRowsOf reports whether p names a whole table whose rows perm may
// hide.
func hidesRowsOf(perm Permissions, p *path.Path) bool {
	rh, ok := perm.(RowHider)
	if !ok || len(p.Segs) == 0 || p.Segs[len(p.Segs)-1].Kind != path.Name {
		return false
	}
	return rh.HidesRows(p.String())
}

// hidden reports whether the object subtree p names, down to maxDepth,
// has any parameter at all: called when the Controller could read none of
// them. It reads no value.
func (a *Agent) hidden(ctx context.Context, p *path.Path, maxDepth uint32) bool {
	found := false
	_, err := a.cfg.Model.Get(ctx, p, maxDepth, func(string, *datamodel.ParamDef) bool {
		found = true
		return false
	})
	return err == nil && found
}

func (a *Agent) getInstances(ctx context.Context, perm Permissions, g *uspmsg.GetInstances) *uspmsg.Response {
	resp := &uspmsg.GetInstancesResp{}
	for _, ps := range g.GetObjPaths() {
		rr := &uspmsg.GetInstancesResp_RequestedPathResult{RequestedPath: ps}
		resp.ReqPathResults = append(resp.ReqPathResults, rr)
		p, err := path.Parse(ps)
		if err != nil {
			rr.ErrCode, rr.ErrMsg = uint32(ErrInvalidPathSyntax), err.Error()
			continue
		}
		insts, err := a.cfg.Model.Instances(ctx, p, g.GetFirstLevelOnly(), perm.ReadParam)
		if err != nil {
			c, msg := pathError(err)
			rr.ErrCode, rr.ErrMsg = uint32(c), msg
			continue
		}
		for _, in := range insts {
			if !perm.ListRow(in.Path, nil) {
				continue
			}
			rr.CurrInsts = append(rr.CurrInsts, &uspmsg.GetInstancesResp_CurrInstance{InstantiatedObjPath: in.Path, UniqueKeys: in.Keys})
		}
	}
	return &uspmsg.Response{RespType: &uspmsg.Response_GetInstancesResp{GetInstancesResp: resp}}
}

type gsdm = uspmsg.GetSupportedDMResp

func (a *Agent) getSupportedDM(perm Permissions, g *uspmsg.GetSupportedDM) *uspmsg.Response {
	s := a.cfg.Model.Schema()
	resp := &gsdm{}
	for _, ps := range g.GetObjPaths() {
		rr := &gsdmReqObj{ReqObjPath: ps}
		resp.ReqObjResults = append(resp.ReqObjResults, rr)
		p, err := path.ParseSupported(ps)
		if err != nil {
			rr.ErrCode, rr.ErrMsg = uint32(ErrInvalidPathSyntax), err.Error()
			continue
		}
		sp, err := s.Lookup(p)
		if err != nil || !perm.SupportedObj(sp.Object) {
			rr.ErrCode, rr.ErrMsg = uint32(ErrInvalidPath), "path not in the supported data model"
			continue
		}
		rr.DataModelInstUri = s.DataModelURI
		if p.Kind != path.Object {
			// A parameter, command or event path: only that item.
			o := supportedObj(sp.Object)
			switch {
			case sp.Param != nil:
				o.SupportedParams = []*gsdmParam{supportedParam(sp.Param)}
			case sp.Command != nil:
				o.SupportedCommands = []*gsdmCmd{supportedCommand(sp.Command)}
			case sp.Event != nil:
				o.SupportedEvents = []*gsdmEvent{supportedEvent(sp.Event)}
			}
			rr.SupportedObjs = []*gsdmObj{o}
			continue
		}
		fill := func(d *datamodel.ObjectDef) *gsdmObj {
			o := supportedObj(d)
			if g.GetReturnParams() {
				for _, pd := range d.Params() {
					o.SupportedParams = append(o.SupportedParams, supportedParam(pd))
				}
			}
			if g.GetReturnCommands() {
				for _, cd := range d.Commands() {
					o.SupportedCommands = append(o.SupportedCommands, supportedCommand(cd))
				}
			}
			if g.GetReturnEvents() {
				for _, ed := range d.Events() {
					o.SupportedEvents = append(o.SupportedEvents, supportedEvent(ed))
				}
			}
			if g.GetReturnUniqueKeySets() {
				for _, ks := range d.UniqueKeys {
					o.UniqueKeySets = append(o.UniqueKeySets, &gsdmKeySet{KeyNames: ks})
				}
			}
			return o
		}
		rr.SupportedObjs = append(rr.SupportedObjs, fill(sp.Object))
		if g.GetFirstLevelOnly() {
			for _, c := range sp.Object.Children() {
				if perm.SupportedObj(c) {
					rr.SupportedObjs = append(rr.SupportedObjs, supportedObj(c))
				}
			}
			continue
		}
		for _, c := range sp.Object.Children() {
			c.Walk(func(d *datamodel.ObjectDef) bool {
				if !perm.SupportedObj(d) {
					return false
				}
				rr.SupportedObjs = append(rr.SupportedObjs, fill(d))
				return true
			})
		}
	}
	return &uspmsg.Response{RespType: &uspmsg.Response_GetSupportedDmResp{GetSupportedDmResp: resp}}
}

type (
	gsdmReqObj = uspmsg.GetSupportedDMResp_RequestedObjectResult
	gsdmObj    = uspmsg.GetSupportedDMResp_SupportedObjectResult
	gsdmParam  = uspmsg.GetSupportedDMResp_SupportedParamResult
	gsdmCmd    = uspmsg.GetSupportedDMResp_SupportedCommandResult
	gsdmEvent  = uspmsg.GetSupportedDMResp_SupportedEventResult
	gsdmKeySet = uspmsg.GetSupportedDMResp_SupportedUniqueKeySet
)

func supportedObj(d *datamodel.ObjectDef) *gsdmObj {
	o := &gsdmObj{SupportedObjPath: d.SupportedPath(), IsMultiInstance: d.Multi}
	if d.Multi {
		o.Access = uspmsg.GetSupportedDMResp_ObjAccessType(d.Access)
	}
	return o
}

func supportedParam(pd *datamodel.ParamDef) *gsdmParam {
	r := &gsdmParam{ParamName: pd.Name, ValueType: valueType(pd), ValueChange: uspmsg.GetSupportedDMResp_VALUE_CHANGE_ALLOWED}
	if pd.Access != datamodel.ReadOnly {
		r.Access = uspmsg.GetSupportedDMResp_PARAM_READ_WRITE
	}
	if pd.ValueChangeIgnored {
		r.ValueChange = uspmsg.GetSupportedDMResp_VALUE_CHANGE_WILL_IGNORE
	}
	return r
}

func supportedCommand(cd *datamodel.CommandDef) *gsdmCmd {
	r := &gsdmCmd{CommandName: cd.Name + "()", CommandType: uspmsg.GetSupportedDMResp_CMD_SYNC}
	if cd.Async {
		r.CommandType = uspmsg.GetSupportedDMResp_CMD_ASYNC
	}
	for _, in := range cd.Inputs {
		r.InputArgNames = append(r.InputArgNames, in.Name)
	}
	for _, out := range cd.Outputs {
		r.OutputArgNames = append(r.OutputArgNames, out.Name)
	}
	return r
}

func supportedEvent(ed *datamodel.EventDef) *gsdmEvent {
	r := &gsdmEvent{EventName: ed.Name + "!"}
	for _, a := range ed.Args {
		r.ArgNames = append(r.ArgNames, a.Name)
	}
	return r
}

// valueType maps a parameter's TR-181 type onto GetSupportedDM's; lists
// are strings on the wire.
func valueType(pd *datamodel.ParamDef) uspmsg.GetSupportedDMResp_ParamValueType {
	if pd.Constraint.List {
		return uspmsg.GetSupportedDMResp_PARAM_STRING
	}
	switch pd.Type {
	case value.String:
		return uspmsg.GetSupportedDMResp_PARAM_STRING
	case value.Boolean:
		return uspmsg.GetSupportedDMResp_PARAM_BOOLEAN
	case value.Int:
		return uspmsg.GetSupportedDMResp_PARAM_INT
	case value.UnsignedInt:
		return uspmsg.GetSupportedDMResp_PARAM_UNSIGNED_INT
	case value.Long:
		return uspmsg.GetSupportedDMResp_PARAM_LONG
	case value.UnsignedLong:
		return uspmsg.GetSupportedDMResp_PARAM_UNSIGNED_LONG
	case value.DateTime:
		return uspmsg.GetSupportedDMResp_PARAM_DATE_TIME
	case value.Base64:
		return uspmsg.GetSupportedDMResp_PARAM_BASE_64
	case value.HexBinary:
		return uspmsg.GetSupportedDMResp_PARAM_HEX_BINARY
	case value.Decimal:
		return uspmsg.GetSupportedDMResp_PARAM_DECIMAL
	}
	return uspmsg.GetSupportedDMResp_PARAM_UNKNOWN
}

// SecretReader is implemented by Permissions that know whether their
// Controller holds one of the SecuredRoles; others see secured values
// ("secured" parameters such as passphrases) as "". Permissions without
// it see them.
type SecretReader interface {
	Secured() bool
}

func canSeeSecrets(perm Permissions) bool {
	if s, ok := perm.(SecretReader); ok {
		return s.Secured()
	}
	return true
}
