package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// resultError reports failures inside a response (exit status 1).
type resultError struct{ n int }

func (e *resultError) Error() string { return fmt.Sprintf("%d path(s) failed", e.n) }

func failed(out io.Writer, what string, code uint32, msg string) {
	fmt.Fprintf(out, "ERROR %s %s: %s: %s\n", itoa(code), usp.ErrorCode(code), what, msg)
}

func done(n int) error {
	if n > 0 {
		return &resultError{n}
	}
	return nil
}

func printJSON(out io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, string(b))
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func printGet(out io.Writer, r *uspmsg.GetResp) error {
	bad := 0
	for _, rr := range r.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			failed(out, rr.GetRequestedPath(), rr.GetErrCode(), rr.GetErrMsg())
			bad++
			continue
		}
		for _, res := range rr.GetResolvedPathResults() {
			for _, k := range sortedKeys(res.GetResultParams()) {
				fmt.Fprintf(out, "%s%s => %s\n", res.GetResolvedPath(), k, res.GetResultParams()[k])
			}
		}
	}
	return done(bad)
}

func printSet(out io.Writer, r *uspmsg.SetResp) error {
	bad := 0
	for _, or := range r.GetUpdatedObjResults() {
		if f := or.GetOperStatus().GetOperFailure(); f != nil {
			failed(out, or.GetRequestedPath(), f.GetErrCode(), f.GetErrMsg())
			for _, uf := range f.GetUpdatedInstFailures() {
				for _, pe := range uf.GetParamErrs() {
					failed(out, uf.GetAffectedPath()+pe.GetParam(), pe.GetErrCode(), pe.GetErrMsg())
				}
			}
			bad++
			continue
		}
		for _, ir := range or.GetOperStatus().GetOperSuccess().GetUpdatedInstResults() {
			for _, k := range sortedKeys(ir.GetUpdatedParams()) {
				fmt.Fprintf(out, "%s%s => %s\n", ir.GetAffectedPath(), k, ir.GetUpdatedParams()[k])
			}
			for _, pe := range ir.GetParamErrs() {
				failed(out, ir.GetAffectedPath()+pe.GetParam(), pe.GetErrCode(), pe.GetErrMsg())
				bad++
			}
		}
	}
	return done(bad)
}

func printAdd(out io.Writer, r *uspmsg.AddResp) error {
	bad := 0
	for _, cr := range r.GetCreatedObjResults() {
		if f := cr.GetOperStatus().GetOperFailure(); f != nil {
			failed(out, cr.GetRequestedPath(), f.GetErrCode(), f.GetErrMsg())
			bad++
			continue
		}
		ok := cr.GetOperStatus().GetOperSuccess()
		fmt.Fprintln(out, ok.GetInstantiatedPath())
		for _, k := range sortedKeys(ok.GetUniqueKeys()) {
			fmt.Fprintf(out, "  %s => %s\n", k, ok.GetUniqueKeys()[k])
		}
		for _, pe := range ok.GetParamErrs() {
			failed(out, ok.GetInstantiatedPath()+pe.GetParam(), pe.GetErrCode(), pe.GetErrMsg())
			bad++
		}
	}
	return done(bad)
}

func printDelete(out io.Writer, r *uspmsg.DeleteResp) error {
	bad := 0
	for _, dr := range r.GetDeletedObjResults() {
		if f := dr.GetOperStatus().GetOperFailure(); f != nil {
			failed(out, dr.GetRequestedPath(), f.GetErrCode(), f.GetErrMsg())
			bad++
			continue
		}
		ok := dr.GetOperStatus().GetOperSuccess()
		for _, p := range ok.GetAffectedPaths() {
			fmt.Fprintf(out, "deleted %s\n", p)
		}
		for _, ue := range ok.GetUnaffectedPathErrs() {
			failed(out, ue.GetUnaffectedPath(), ue.GetErrCode(), ue.GetErrMsg())
			bad++
		}
	}
	return done(bad)
}

func printOperate(out io.Writer, r *uspmsg.OperateResp) error {
	bad := 0
	for _, res := range r.GetOperationResults() {
		switch {
		case res.GetCmdFailure() != nil:
			failed(out, res.GetExecutedCommand(), res.GetCmdFailure().GetErrCode(), res.GetCmdFailure().GetErrMsg())
			bad++
		case res.GetReqObjPath() != "":
			fmt.Fprintf(out, "%s started: %s\n", res.GetExecutedCommand(), res.GetReqObjPath())
		default:
			args := res.GetReqOutputArgs().GetOutputArgs()
			if len(args) == 0 {
				fmt.Fprintf(out, "%s done\n", res.GetExecutedCommand())
			}
			for _, k := range sortedKeys(args) {
				fmt.Fprintf(out, "%s %s => %s\n", res.GetExecutedCommand(), k, args[k])
			}
		}
	}
	return done(bad)
}

func printInstances(out io.Writer, r *uspmsg.GetInstancesResp) error {
	bad := 0
	for _, rr := range r.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			failed(out, rr.GetRequestedPath(), rr.GetErrCode(), rr.GetErrMsg())
			bad++
			continue
		}
		for _, ci := range rr.GetCurrInsts() {
			keys := []string{}
			for _, k := range sortedKeys(ci.GetUniqueKeys()) {
				keys = append(keys, k+"="+ci.GetUniqueKeys()[k])
			}
			fmt.Fprintf(out, "%s %s\n", ci.GetInstantiatedObjPath(), strings.Join(keys, " "))
		}
	}
	return done(bad)
}

func printSupported(out io.Writer, r *uspmsg.GetSupportedDMResp) error {
	bad := 0
	for _, rr := range r.GetReqObjResults() {
		if rr.GetErrCode() != 0 {
			failed(out, rr.GetReqObjPath(), rr.GetErrCode(), rr.GetErrMsg())
			bad++
			continue
		}
		for _, o := range rr.GetSupportedObjs() {
			kind := "object"
			if o.GetIsMultiInstance() {
				kind = "table " + strings.ToLower(strings.TrimPrefix(o.GetAccess().String(), "OBJ_"))
			}
			fmt.Fprintf(out, "%s (%s)\n", o.GetSupportedObjPath(), kind)
			for _, ks := range o.GetUniqueKeySets() {
				fmt.Fprintf(out, "  key [%s]\n", strings.Join(ks.GetKeyNames(), ", "))
			}
			for _, p := range o.GetSupportedParams() {
				fmt.Fprintf(out, "  %s %s %s\n", p.GetParamName(), strings.ToLower(strings.TrimPrefix(p.GetValueType().String(), "PARAM_")),
					strings.ToLower(strings.TrimPrefix(p.GetAccess().String(), "PARAM_")))
			}
			for _, c := range o.GetSupportedCommands() {
				fmt.Fprintf(out, "  %s %s in(%s) out(%s)\n", c.GetCommandName(), strings.ToLower(strings.TrimPrefix(c.GetCommandType().String(), "CMD_")),
					strings.Join(c.GetInputArgNames(), ","), strings.Join(c.GetOutputArgNames(), ","))
			}
			for _, e := range o.GetSupportedEvents() {
				fmt.Fprintf(out, "  %s (%s)\n", e.GetEventName(), strings.Join(e.GetArgNames(), ","))
			}
		}
	}
	return done(bad)
}

func printNotify(out io.Writer, n *uspmsg.Notify) {
	id := n.GetSubscriptionId()
	switch {
	case n.GetValueChange() != nil:
		fmt.Fprintf(out, "[%s] %s => %s\n", id, n.GetValueChange().GetParamPath(), n.GetValueChange().GetParamValue())
	case n.GetObjCreation() != nil:
		fmt.Fprintf(out, "[%s] created %s\n", id, n.GetObjCreation().GetObjPath())
	case n.GetObjDeletion() != nil:
		fmt.Fprintf(out, "[%s] deleted %s\n", id, n.GetObjDeletion().GetObjPath())
	case n.GetEvent() != nil:
		e := n.GetEvent()
		fmt.Fprintf(out, "[%s] event %s%s", id, e.GetObjPath(), e.GetEventName())
		for _, k := range sortedKeys(e.GetParams()) {
			fmt.Fprintf(out, " %s=%s", k, e.GetParams()[k])
		}
		fmt.Fprintln(out)
	case n.GetOperComplete() != nil:
		c := n.GetOperComplete()
		status := "done"
		if f := c.GetCmdFailure(); f != nil {
			status = fmt.Sprintf("failed %d %s", f.GetErrCode(), f.GetErrMsg())
		}
		fmt.Fprintf(out, "[%s] %s%s (key %q) %s\n", id, c.GetObjPath(), c.GetCommandName(), c.GetCommandKey(), status)
	case n.GetOnBoardReq() != nil:
		fmt.Fprintf(out, "[%s] onboard request %v\n", id, n.GetOnBoardReq())
	}
}
