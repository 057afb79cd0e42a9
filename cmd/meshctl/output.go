package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// The results of the commands (see jsonHelp): each prints its text lines
// and marshals as one entry of "results".

// paramValue is a parameter and its value (get, set).
type paramValue struct {
	Path  string `json:"path"`
	Value string `json:"value"`
}

func (p paramValue) text(w io.Writer) { fmt.Fprintf(w, "%s => %s\n", p.Path, p.Value) }

// row is an instance and its unique keys (add, instances), or a deleted
// row (delete: no keys).
type row struct {
	Path       string            `json:"path"`
	UniqueKeys map[string]string `json:"unique_keys,omitempty"`
	// form picks the text form: "add" (keys on their own lines),
	// "instances" (keys on the row's line) or "delete".
	form string
}

func (r row) text(w io.Writer) {
	switch r.form {
	case "delete":
		fmt.Fprintf(w, "deleted %s\n", r.Path)
	case "add":
		fmt.Fprintln(w, r.Path)
		for _, k := range sortedKeys(r.UniqueKeys) {
			fmt.Fprintf(w, "  %s => %s\n", k, r.UniqueKeys[k])
		}
	default:
		keys := []string{}
		for _, k := range sortedKeys(r.UniqueKeys) {
			keys = append(keys, k+"="+r.UniqueKeys[k])
		}
		fmt.Fprintf(w, "%s %s\n", r.Path, strings.Join(keys, " "))
	}
}

// operation is a command's outcome: its output arguments, or the
// Request row of an asynchronous command still running.
type operation struct {
	Path       string            `json:"path"`
	OutputArgs map[string]string `json:"output_args,omitempty"`
	Request    string            `json:"request,omitempty"`
}

func (o operation) text(w io.Writer) {
	switch {
	case o.Request != "":
		fmt.Fprintf(w, "%s started: %s\n", o.Path, o.Request)
	case len(o.OutputArgs) == 0:
		fmt.Fprintf(w, "%s done\n", o.Path)
	default:
		for _, k := range sortedKeys(o.OutputArgs) {
			fmt.Fprintf(w, "%s %s => %s\n", o.Path, k, o.OutputArgs[k])
		}
	}
}

// supportedObj is an object of the supported data model.
type supportedObj struct {
	Path       string         `json:"path"`
	Kind       string         `json:"kind"`
	UniqueKeys [][]string     `json:"unique_keys,omitempty"`
	Params     []supportedArg `json:"params,omitempty"`
	Commands   []supportedCmd `json:"commands,omitempty"`
	Events     []supportedEvt `json:"events,omitempty"`
}

type supportedArg struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Access string `json:"access"`
}

type supportedCmd struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	Input  []string `json:"input"`
	Output []string `json:"output"`
}

type supportedEvt struct {
	Name string   `json:"name"`
	Args []string `json:"args"`
}

func (o supportedObj) text(w io.Writer) {
	fmt.Fprintf(w, "%s (%s)\n", o.Path, o.Kind)
	for _, ks := range o.UniqueKeys {
		fmt.Fprintf(w, "  key [%s]\n", strings.Join(ks, ", "))
	}
	for _, p := range o.Params {
		fmt.Fprintf(w, "  %s %s %s\n", p.Name, p.Type, p.Access)
	}
	for _, c := range o.Commands {
		fmt.Fprintf(w, "  %s %s in(%s) out(%s)\n", c.Name, c.Type, strings.Join(c.Input, ","), strings.Join(c.Output, ","))
	}
	for _, e := range o.Events {
		fmt.Fprintf(w, "  %s (%s)\n", e.Name, strings.Join(e.Args, ","))
	}
}

// versions are the USP versions an Agent speaks.
type versions struct {
	Versions []string `json:"versions"`
}

func (v versions) text(w io.Writer) { fmt.Fprintln(w, strings.Join(v.Versions, ",")) }

// subscribed is the Subscription row subscribe made.
type subscribed struct {
	Path string `json:"path"`
	ID   string `json:"id"`
}

func (s subscribed) text(w io.Writer) { fmt.Fprintf(w, "subscribed %s (id %s)\n", s.Path, s.ID) }

// notice is one notification.
type notice struct {
	SubscriptionID string            `json:"subscription_id"`
	Type           string            `json:"type"`
	Path           string            `json:"path,omitempty"`
	Value          *string           `json:"value,omitempty"`
	Event          string            `json:"event,omitempty"`
	Params         map[string]string `json:"params,omitempty"`
	CommandKey     *string           `json:"command_key,omitempty"`
	OutputArgs     map[string]string `json:"output_args,omitempty"`
	Failure        *pathError        `json:"failure,omitempty"`
	OnBoard        map[string]string `json:"onboard,omitempty"`
}

func (n notice) text(w io.Writer) {
	id := n.SubscriptionID
	switch n.Type {
	case "ValueChange":
		fmt.Fprintf(w, "[%s] %s => %s\n", id, n.Path, *n.Value)
	case "ObjectCreation":
		fmt.Fprintf(w, "[%s] created %s\n", id, n.Path)
	case "ObjectDeletion":
		fmt.Fprintf(w, "[%s] deleted %s\n", id, n.Path)
	case "Event":
		fmt.Fprintf(w, "[%s] event %s%s", id, n.Path, n.Event)
		for _, k := range sortedKeys(n.Params) {
			fmt.Fprintf(w, " %s=%s", k, n.Params[k])
		}
		fmt.Fprintln(w)
	case "OperationComplete":
		status := "done"
		if f := n.Failure; f != nil {
			status = fmt.Sprintf("failed %d %s", f.Code, f.Message)
		}
		for _, k := range sortedKeys(n.OutputArgs) {
			status += fmt.Sprintf(" %s=%s", k, n.OutputArgs[k])
		}
		fmt.Fprintf(w, "[%s] %s (key %q) %s\n", id, n.Path, *n.CommandKey, status)
	case "OnBoardRequest":
		fmt.Fprintf(w, "[%s] onboard request", id)
		for _, k := range sortedKeys(n.OnBoard) {
			fmt.Fprintf(w, " %s=%s", k, n.OnBoard[k])
		}
		fmt.Fprintln(w)
	default:
		fmt.Fprintf(w, "[%s] %s\n", id, n.Type)
	}
}

// benchFigures are the latency percentiles and throughput of bench.
type benchFigures struct {
	Path      string  `json:"path"`
	N         int     `json:"n"`
	C         int     `json:"c"`
	P50       float64 `json:"p50_ms"`
	P90       float64 `json:"p90_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
	PerSecond float64 `json:"per_second"`
}

func (b benchFigures) text(w io.Writer) {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	fmt.Fprintf(w, "Get %s: n=%d c=%d\n", b.Path, b.N, b.C)
	fmt.Fprintf(w, "latency p50=%v p90=%v p99=%v max=%v\n", ms(b.P50), ms(b.P90), ms(b.P99), ms(b.Max))
	fmt.Fprintf(w, "throughput %.0f msg/s\n", b.PerSecond)
}

// minted is a key or secret meshctl made: its value, or the file it is in.
type minted struct {
	Secret string `json:"secret,omitempty"`
	PSK    string `json:"psk,omitempty"`
	Path   string `json:"path,omitempty"`
}

func (m minted) text(w io.Writer) {
	switch {
	case m.Path != "":
		fmt.Fprintf(w, "wrote %s\n", m.Path)
	default:
		fmt.Fprintln(w, m.Secret+m.PSK)
	}
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// objectFailure adds the failure of one object: its parameters' errors,
// each with its path, or the object's own error when no parameter names
// the cause, so that each failure is said once.
func objectFailure(r *report, objPath string, code uint32, msg string, params []pathError) {
	if len(params) == 0 {
		r.fail(pathError{Path: objPath, Code: code, Message: msg})
		return
	}
	for _, p := range params {
		r.fail(p)
	}
}

func reportGet(r *report, resp *uspmsg.GetResp) {
	for _, rr := range resp.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			r.fail(pathError{Path: rr.GetRequestedPath(), Code: rr.GetErrCode(), Message: rr.GetErrMsg()})
			continue
		}
		for _, res := range rr.GetResolvedPathResults() {
			for _, k := range sortedKeys(res.GetResultParams()) {
				r.add(paramValue{res.GetResolvedPath() + k, res.GetResultParams()[k]})
			}
		}
	}
}

func reportSet(r *report, resp *uspmsg.SetResp) {
	for _, or := range resp.GetUpdatedObjResults() {
		if f := or.GetOperStatus().GetOperFailure(); f != nil {
			var params []pathError
			for _, uf := range f.GetUpdatedInstFailures() {
				for _, pe := range uf.GetParamErrs() {
					params = append(params, pathError{Path: uf.GetAffectedPath() + pe.GetParam(), Code: pe.GetErrCode(), Message: pe.GetErrMsg()})
				}
			}
			objectFailure(r, or.GetRequestedPath(), f.GetErrCode(), f.GetErrMsg(), params)
			continue
		}
		for _, ir := range or.GetOperStatus().GetOperSuccess().GetUpdatedInstResults() {
			for _, k := range sortedKeys(ir.GetUpdatedParams()) {
				r.add(paramValue{ir.GetAffectedPath() + k, ir.GetUpdatedParams()[k]})
			}
			for _, pe := range ir.GetParamErrs() {
				r.fail(pathError{Path: ir.GetAffectedPath() + pe.GetParam(), Code: pe.GetErrCode(), Message: pe.GetErrMsg()})
			}
		}
	}
}

func reportAdd(r *report, resp *uspmsg.AddResp) {
	for _, cr := range resp.GetCreatedObjResults() {
		if f := cr.GetOperStatus().GetOperFailure(); f != nil {
			r.fail(pathError{Path: cr.GetRequestedPath(), Code: f.GetErrCode(), Message: f.GetErrMsg()})
			continue
		}
		ok := cr.GetOperStatus().GetOperSuccess()
		r.add(row{Path: ok.GetInstantiatedPath(), UniqueKeys: ok.GetUniqueKeys(), form: "add"})
		for _, pe := range ok.GetParamErrs() {
			r.fail(pathError{Path: ok.GetInstantiatedPath() + pe.GetParam(), Code: pe.GetErrCode(), Message: pe.GetErrMsg()})
		}
	}
}

func reportDelete(r *report, resp *uspmsg.DeleteResp) {
	for _, dr := range resp.GetDeletedObjResults() {
		if f := dr.GetOperStatus().GetOperFailure(); f != nil {
			r.fail(pathError{Path: dr.GetRequestedPath(), Code: f.GetErrCode(), Message: f.GetErrMsg()})
			continue
		}
		ok := dr.GetOperStatus().GetOperSuccess()
		for _, p := range ok.GetAffectedPaths() {
			r.add(row{Path: p, form: "delete"})
		}
		for _, ue := range ok.GetUnaffectedPathErrs() {
			r.fail(pathError{Path: ue.GetUnaffectedPath(), Code: ue.GetErrCode(), Message: ue.GetErrMsg()})
		}
	}
}

func reportOperate(r *report, resp *uspmsg.OperateResp) {
	for _, res := range resp.GetOperationResults() {
		switch {
		case res.GetCmdFailure() != nil:
			r.fail(pathError{Path: res.GetExecutedCommand(), Code: res.GetCmdFailure().GetErrCode(), Message: res.GetCmdFailure().GetErrMsg()})
		case res.GetReqObjPath() != "":
			r.add(operation{Path: res.GetExecutedCommand(), Request: res.GetReqObjPath()})
		default:
			r.add(operation{Path: res.GetExecutedCommand(), OutputArgs: res.GetReqOutputArgs().GetOutputArgs()})
		}
	}
}

func reportInstances(r *report, resp *uspmsg.GetInstancesResp) {
	for _, rr := range resp.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			r.fail(pathError{Path: rr.GetRequestedPath(), Code: rr.GetErrCode(), Message: rr.GetErrMsg()})
			continue
		}
		for _, ci := range rr.GetCurrInsts() {
			r.add(row{Path: ci.GetInstantiatedObjPath(), UniqueKeys: ci.GetUniqueKeys(), form: "instances"})
		}
	}
}

// lower is an enum's name without its prefix, in lower case.
func lower(s fmt.Stringer, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), prefix))
}

func reportSupported(r *report, resp *uspmsg.GetSupportedDMResp) {
	for _, rr := range resp.GetReqObjResults() {
		if rr.GetErrCode() != 0 {
			r.fail(pathError{Path: rr.GetReqObjPath(), Code: rr.GetErrCode(), Message: rr.GetErrMsg()})
			continue
		}
		for _, o := range rr.GetSupportedObjs() {
			so := supportedObj{Path: o.GetSupportedObjPath(), Kind: "object"}
			if o.GetIsMultiInstance() {
				so.Kind = "table " + lower(o.GetAccess(), "OBJ_")
			}
			for _, ks := range o.GetUniqueKeySets() {
				so.UniqueKeys = append(so.UniqueKeys, ks.GetKeyNames())
			}
			for _, p := range o.GetSupportedParams() {
				so.Params = append(so.Params, supportedArg{p.GetParamName(), lower(p.GetValueType(), "PARAM_"), lower(p.GetAccess(), "PARAM_")})
			}
			for _, c := range o.GetSupportedCommands() {
				so.Commands = append(so.Commands, supportedCmd{c.GetCommandName(), lower(c.GetCommandType(), "CMD_"),
					c.GetInputArgNames(), c.GetOutputArgNames()})
			}
			for _, e := range o.GetSupportedEvents() {
				so.Events = append(so.Events, supportedEvt{e.GetEventName(), e.GetArgNames()})
			}
			r.add(so)
		}
	}
}

// noticeOf is the result of one notification.
func noticeOf(n *uspmsg.Notify) notice {
	out := notice{SubscriptionID: n.GetSubscriptionId()}
	switch {
	case n.GetValueChange() != nil:
		v := n.GetValueChange().GetParamValue()
		out.Type, out.Path, out.Value = "ValueChange", n.GetValueChange().GetParamPath(), &v
	case n.GetObjCreation() != nil:
		out.Type, out.Path, out.Params = "ObjectCreation", n.GetObjCreation().GetObjPath(), n.GetObjCreation().GetUniqueKeys()
	case n.GetObjDeletion() != nil:
		out.Type, out.Path = "ObjectDeletion", n.GetObjDeletion().GetObjPath()
	case n.GetEvent() != nil:
		e := n.GetEvent()
		out.Type, out.Path, out.Event, out.Params = "Event", e.GetObjPath(), e.GetEventName(), e.GetParams()
	case n.GetOperComplete() != nil:
		c := n.GetOperComplete()
		key := c.GetCommandKey()
		out.Type, out.Path, out.CommandKey = "OperationComplete", c.GetObjPath()+c.GetCommandName(), &key
		out.OutputArgs = c.GetReqOutputArgs().GetOutputArgs()
		if f := c.GetCmdFailure(); f != nil {
			out.Failure = &pathError{Code: f.GetErrCode(), Message: f.GetErrMsg()}
		}
	case n.GetOnBoardReq() != nil:
		b := n.GetOnBoardReq()
		out.Type, out.OnBoard = "OnBoardRequest", map[string]string{"oui": b.GetOui(), "product_class": b.GetProductClass(),
			"serial_number": b.GetSerialNumber(), "versions": b.GetAgentSupportedProtocolVersions()}
	default:
		out.Type = "unknown"
	}
	return out
}
