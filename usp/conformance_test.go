package usp_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// Each test is one TP-469 case (section 1 unless named otherwise); the
// number is in the test name.

func addSub(t *testing.T, h *harness, kv ...string) string {
	t.Helper()
	r := h.send(ctrlID, add(false, create("Device.LocalAgent.Subscription.", kv...)))
	res := r.GetBody().GetResponse().GetAddResp().GetCreatedObjResults()
	if len(res) != 1 || res[0].GetOperStatus().GetOperSuccess() == nil {
		t.Fatalf("add subscription: %v", r)
	}
	return res[0].GetOperStatus().GetOperSuccess().GetInstantiatedPath()
}

func TestTP1_1AddSubscription(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false, create("Device.LocalAgent.Subscription.",
		"Enable", "true", "ID", "tp1-1", "NotifType", "ValueChange", "ReferenceList", "Device.LocalAgent.EndpointID")))
	res := r.GetBody().GetResponse().GetAddResp().GetCreatedObjResults()
	if len(res) != 1 || res[0].GetRequestedPath() != "Device.LocalAgent.Subscription." {
		t.Fatalf("results %v", r)
	}
	ok := res[0].GetOperStatus().GetOperSuccess()
	if ok == nil || ok.GetInstantiatedPath() != "Device.LocalAgent.Subscription.1." || len(ok.GetParamErrs()) != 0 {
		t.Fatalf("success %v", res[0])
	}
	want := map[string]string{"Alias": "cpe-1", "ID": "tp1-1", "Recipient": "Device.LocalAgent.Controller.1"}
	if !reflect.DeepEqual(ok.GetUniqueKeys(), want) {
		t.Fatalf("unique_keys %v, want %v", ok.GetUniqueKeys(), want)
	}
	if h.value("Device.LocalAgent.Subscription.1.NotifType") != "ValueChange" || h.value("Device.LocalAgent.Controller.1.EndpointID") != string(ctrlID) {
		t.Fatal("state after add")
	}
}

func TestTP1_3AddBadRequiredParam(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false, create("Device.LocalAgent.Subscription.", "Enable!", "InvalidValue", "ID", "x")))
	e := errorOf(t, r)
	if e.GetErrCode() != uint32(usp.ErrInvalidArguments) || len(e.GetParamErrs()) != 1 ||
		e.GetParamErrs()[0].GetParamPath() != "Device.LocalAgent.Subscription.{i}.Enable" || e.GetParamErrs()[0].GetErrCode() != uint32(usp.ErrInvalidType) {
		t.Fatalf("error %v", e)
	}
	if rows := h.rows("Device.LocalAgent.Subscription."); len(rows) != 0 {
		t.Fatalf("rows created: %v", rows)
	}
}

func TestTP1_11SetSubscription(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, set(false, upd(sub, "NotifRetry", "true")))
	res := r.GetBody().GetResponse().GetSetResp().GetUpdatedObjResults()
	if len(res) != 1 {
		t.Fatalf("set %v", r)
	}
	ir := res[0].GetOperStatus().GetOperSuccess().GetUpdatedInstResults()
	if len(ir) != 1 || ir[0].GetAffectedPath() != sub || !reflect.DeepEqual(ir[0].GetUpdatedParams(), map[string]string{"NotifRetry": "true"}) {
		t.Fatalf("updated %v", res[0])
	}
	if h.value(sub+"NotifRetry") != "true" {
		t.Fatal("state")
	}
}

func TestTP1_14SetUnknownParamNoPartial(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, set(false, upd(sub, "Enable", "true", "InvalidParameter!", "1")))
	e := errorOf(t, r)
	if len(e.GetParamErrs()) != 1 || e.GetParamErrs()[0].GetParamPath() != sub+"InvalidParameter" || e.GetParamErrs()[0].GetErrCode() != uint32(usp.ErrUnsupportedParameter) {
		t.Fatalf("error %v", e)
	}
	if h.value(sub+"Enable") != "false" {
		t.Fatal("Enable changed although the Set failed")
	}
}

func TestTP1_24_25Delete(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, del(false, sub, "Device.LocalAgent.Subscription.9."))
	res := r.GetBody().GetResponse().GetDeleteResp().GetDeletedObjResults()
	if len(res) != 2 || !reflect.DeepEqual(res[0].GetOperStatus().GetOperSuccess().GetAffectedPaths(), []string{sub}) ||
		res[1].GetOperStatus().GetOperSuccess() == nil || len(res[1].GetOperStatus().GetOperSuccess().GetAffectedPaths()) != 0 {
		t.Fatalf("delete %v", r)
	}
	if rows := h.rows("Device.LocalAgent.Subscription."); len(rows) != 0 {
		t.Fatalf("rows left %v", rows)
	}
}

func TestTP1_36_41Get(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, get([]string{"Device.LocalAgent.EndpointID", "Device.LocalAgent.InvalidParameter", "Device.LocalAgent.Subscription.*.ID"}, 0))
	got := flatGet(t, r)
	want := []string{
		"Device.LocalAgent.EndpointID | Device.LocalAgent. | EndpointID=" + string(agentID),
		"Device.LocalAgent.InvalidParameter | err=7026",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestTP1_80GetSupportedProtocol(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, &uspmsg.Request{ReqType: &uspmsg.Request_GetSupportedProtocol{GetSupportedProtocol: &uspmsg.GetSupportedProtocol{ControllerSupportedProtocolVersions: "1.3,1.4"}}})
	if v := r.GetBody().GetResponse().GetGetSupportedProtocolResp().GetAgentSupportedProtocolVersions(); v != usp.SupportedVersions {
		t.Fatalf("versions %q", v)
	}
}

func TestTP1_64_100AsyncAndMissingArg(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, operate("Device.ScheduleTimer()", "k1", true, map[string]string{"DelaySeconds": "30", "InvalidArgument": "x"}))
	or := r.GetBody().GetResponse().GetOperateResp().GetOperationResults()
	if len(or) != 1 || or[0].GetExecutedCommand() != "Device.ScheduleTimer()" || or[0].GetReqObjPath() != "Device.LocalAgent.Request.1." {
		t.Fatalf("operate %v", r)
	}
	if h.value("Device.LocalAgent.Request.1.Status") != "Active" || h.value("Device.LocalAgent.Request.1.CommandKey") != "k1" {
		t.Fatal("request row")
	}
	if d := <-h.timers; d.Seconds() != 30 {
		t.Fatalf("timer %v", d)
	}
	h.fire <- time.Time{}
	oc := <-h.done
	if oc.Err != nil || oc.ObjPath != "Device." || oc.CommandName != "ScheduleTimer()" || oc.CommandKey != "k1" || oc.Originator != ctrlID {
		t.Fatalf("completion %+v", oc)
	}
	h.a.Wait()
	if rows := h.rows("Device.LocalAgent.Request."); len(rows) != 0 {
		t.Fatalf("request rows left: %v", rows)
	}
	r = h.send(ctrlID, operate("Device.ScheduleTimer()", "k2", true, nil))
	or = r.GetBody().GetResponse().GetOperateResp().GetOperationResults()
	if len(or) != 1 || or[0].GetCmdFailure().GetErrCode() != uint32(usp.ErrInvalidCommandArguments) {
		t.Fatalf("missing arg %v", r)
	}
	select {
	case oc := <-h.done:
		t.Fatalf("operation completed without running: %+v", oc)
	default:
	}
}

func TestTP2_1_2RecordAddressing(t *testing.T) {
	h := newHarness(t)
	if r := h.send(agentID, get([]string{"Device.LocalAgent.EndpointID"}, 0)); r != nil {
		t.Fatalf("answered its own endpoint id: %v", r)
	}
}
