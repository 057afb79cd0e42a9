package usp_test

import (
	"reflect"
	"testing"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// TP-469 section 1: Get, GetInstances and GetSupportedDM. Reads change
// nothing; where a case could, the model is checked too.

// wantIDs checks a Get of "<search>.ID" against the IDs of the rows it
// should resolve to, in instance order.
func wantIDs(t *testing.T, h *harness, search string, ids ...string) {
	t.Helper()
	rp := subTable + search + ".ID"
	var res []*uspmsg.GetResp_ResolvedPathResult
	for _, id := range ids {
		res = append(res, resolved(subTable+id[1:]+".", "ID", id))
	}
	wantResp(t, h.send(ctrlID, get([]string{rp}, 0)), getResp(getRR(rp, 0, res...)))
}

func TestTP1_37GetParamsSameObject(t *testing.T) {
	h := newHarness(t)
	paths := []string{"Device.LocalAgent.EndpointID", "Device.LocalAgent.SoftwareVersion"}
	wantResp(t, h.send(ctrlID, get(paths, 0)), getResp(
		getRR(paths[0], 0, resolved("Device.LocalAgent.", "EndpointID", string(agentID))),
		getRR(paths[1], 0, resolved("Device.LocalAgent.", "SoftwareVersion", "1.0.0"))))
}

func TestTP1_38GetParamsDifferentObjects(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	paths := []string{"Device.LocalAgent.EndpointID", subTable + "2.Enable", "Device.DeviceInfo.Manufacturer"}
	wantResp(t, h.send(ctrlID, get(paths, 0)), getResp(
		getRR(paths[0], 0, resolved("Device.LocalAgent.", "EndpointID", string(agentID))),
		getRR(paths[1], 0, resolved(subTable+"2.", "Enable", "false")),
		getRR(paths[2], 0, resolved("Device.DeviceInfo.", "Manufacturer", "uspmesh"))))
}

// controllerRow is the Get result of ctrlID's fresh Controller row.
func controllerRow() []*uspmsg.GetResp_ResolvedPathResult {
	rp := "Device.LocalAgent.Controller.1."
	return []*uspmsg.GetResp_ResolvedPathResult{
		resolved(rp, "Alias", "cpe-1", "EndpointID", string(ctrlID), "ControllerCode", "", "ProvisioningCode", "",
			"Enable", "true", "AssignedRole", "", "InheritedRole", "", "Credential", "",
			"PeriodicNotifInterval", "86400", "PeriodicNotifTime", "0001-01-01T00:00:00Z",
			"USPNotifRetryMinimumWaitInterval", "5", "USPNotifRetryIntervalMultiplier", "2000",
			"OnBoardingComplete", "false", "OnBoardingRestartTime", "0",
			"BootParameterNumberOfEntries", "0", "MTPNumberOfEntries", "0"),
		resolved(rp+"E2ESession.", "SessionMode", "Allow", "SessionExpiration", "0", "MaxUSPRecordSize", "0",
			"PayloadSecurity", "Plaintext", "Status", "Down"),
	}
}

func TestTP1_39GetObject(t *testing.T) {
	h := newHarness(t)
	const la = "Device.LocalAgent."
	r := h.send(ctrlID, get([]string{la}, 0))
	// One result per object of the subtree that has parameters, with
	// keys relative to it; empty tables give none.
	res := r.GetBody().GetResponse().GetGetResp().GetReqPathResults()
	if len(res) != 1 || res[0].GetErrCode() != 0 {
		t.Fatalf("get %v", r)
	}
	got := res[0].GetResolvedPathResults()
	want := append([]*uspmsg.GetResp_ResolvedPathResult{resolved(la,
		"EndpointID", string(agentID), "SoftwareVersion", "1.0.0", "UpTime", "3600", "SupportedProtocols", "CoAP,MQTT,WebSocket",
		"SupportedFingerprintAlgorithms", "SHA-256", "AdvertisedDeviceSubtypes", "", "MaxSubscriptionChangeAdoptionTime", "5",
		"MTPNumberOfEntries", "0", "ControllerNumberOfEntries", "1", "SubscriptionNumberOfEntries", "0", "RequestNumberOfEntries", "0")},
		controllerRow()...)
	if len(got) != len(want)+1 {
		t.Fatalf("resolved %d results, want %d: %v", len(got), len(want)+1, resolvedPaths(t, r))
	}
	for i, w := range want {
		wantProto(t, got[i], w)
	}
	// ControllerTrust. comes last; its parameters are relative too.
	wantProto(t, got[len(want)], resolved(la+"ControllerTrust.", "UntrustedRole", "", "BannedRole", "", "SecuredRoles", "",
		"TOFUAllowed", "false", "TOFUInactivityTimer", "0", "RoleNumberOfEntries", "0", "CredentialNumberOfEntries", "0"))
}

func TestTP1_40GetRow(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + "3."
	r := h.send(ctrlID, get([]string{rp, "Device.LocalAgent.Controller.1."}, 0))
	wantResp(t, r, getResp(getRR(rp, 0, resolved(rp,
		"Alias", "cpe-3", "Enable", "true", "Recipient", ctrlRow, "ID", "s3", "CreationDate", "2026-11-22T08:00:00Z",
		"NotifType", "Event", "ReferenceList", "", "Persistent", "false", "TimeToLive", "30",
		"NotifRetry", "false", "NotifExpiration", "5")),
		getRR("Device.LocalAgent.Controller.1.", 0, controllerRow()...)))
}

func TestTP1_42GetValidAndInvalidPaths(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	paths := []string{
		"Device.LocalAgent.EndpointID",
		"Device.LocalAgent.InvalidParameter",
		"Device.LocalAgent.InvalidObject.",  // not in the supported model
		subTable + "9.",                     // missing instance, not a search: 7026 (R-GET.0)
		subTable + "9.ID",                   // the same, for a parameter
		subTable + "*.InvalidParameter",     // search path outside the supported model
		subTable + "[Enable==true].Nothing", // likewise
		"Device.LocalAgent.EndpointID.",     // a parameter named as an object
		"Device.LocalAgent..",               // not a path
	}
	r := h.send(ctrlID, get(paths, 0))
	want := getResp(getRR(paths[0], 0, resolved("Device.LocalAgent.", "EndpointID", string(agentID))))
	gr := want.GetGetResp()
	for _, p := range paths[1:8] {
		gr.ReqPathResults = append(gr.ReqPathResults, getRR(p, usp.ErrInvalidPath))
	}
	gr.ReqPathResults = append(gr.ReqPathResults, getRR(paths[8], usp.ErrInvalidPathSyntax))
	wantResp(t, r, want)
}

func TestTP1_43GetByUniqueKey(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + `[Recipient=="` + ctrlRow + `"&&ID=="s2"].Enable`
	wantResp(t, h.send(ctrlID, get([]string{rp}, 0)), getResp(getRR(rp, 0, resolved(subTable+"2.", "Enable", "false"))))
}

func TestTP1_44GetWildcardParam(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + "*.Enable"
	wantResp(t, h.send(ctrlID, get([]string{rp}, 0)), getResp(getRR(rp, 0,
		resolved(subTable+"1.", "Enable", "true"), resolved(subTable+"2.", "Enable", "false"), resolved(subTable+"3.", "Enable", "true"))))
}

// wantRowsOf checks that a Get of path resolves to exactly the rows of
// subTable numbered insts, each with all its parameters (relative names).
func wantRowsOf(t *testing.T, h *harness, path string, insts ...string) {
	t.Helper()
	r := h.send(ctrlID, get([]string{path}, 0))
	want := []string{}
	for _, i := range insts {
		want = append(want, subTable+i+".")
	}
	if got := resolvedPaths(t, r); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s resolved %v, want %v", path, got, want)
	}
	for _, res := range r.GetBody().GetResponse().GetGetResp().GetReqPathResults()[0].GetResolvedPathResults() {
		if len(res.GetResultParams()) != 11 || res.GetResultParams()["ID"] == "" {
			t.Fatalf("%s: params %v", res.GetResolvedPath(), res.GetResultParams())
		}
	}
}

func TestTP1_45GetWildcardObject(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	wantRowsOf(t, h, subTable+"*.", "1", "2", "3")
}

func TestTP1_46GetSearchEq(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	// TP-469 quotes the boolean; comparison is typed, so "true", true
	// and 1 are the same constant.
	wantRowsOf(t, h, subTable+`[Enable=="true"].`, "1", "3")
	wantRowsOf(t, h, subTable+`[Enable==1].`, "1", "3")
	wantIDs(t, h, `[NotifType=="Event"]`, "s3")
	wantIDs(t, h, `[TimeToLive==010]`, "s1") // 010 ≡ 10
}

// TestTP1_47GetSearchNe checks != (TP-469's metric text repeats 1.46's;
// the purpose, not matching the value, is what is tested).
func TestTP1_47GetSearchNe(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	wantRowsOf(t, h, subTable+`[Enable!="true"].`, "2")
	wantIDs(t, h, `[NotifType!="Event"]`, "s1", "s2")
}

func TestTP1_48GetSearchGt(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	wantRowsOf(t, h, subTable+"[NotifExpiration>10].", "2")
}

func TestTP1_49GetSearchLt(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	wantRowsOf(t, h, subTable+"[NotifExpiration<10].", "3")
}

func TestTP1_50GetSearchGe(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	wantRowsOf(t, h, subTable+"[NotifExpiration>=10].", "1", "2")
}

// TestTP1_51GetSearchLe also covers two components joined by && and an
// order operator on a string, which TR-369 forbids: that path is invalid
// (7008), answered inside the GetResp.
func TestTP1_51GetSearchLe(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	wantRowsOf(t, h, subTable+"[NotifExpiration<=10].", "1", "3")
	wantIDs(t, h, `[Enable==true&&NotifExpiration<=10&&TimeToLive>10]`, "s3")
	rp := subTable + `[NotifType>"A"].ID`
	wantResp(t, h.send(ctrlID, get([]string{rp}, 0)), getResp(getRR(rp, usp.ErrInvalidPathSyntax)))
}

func TestTP1_82GetSearchNoSubscriptions(t *testing.T) {
	h := newHarness(t)
	rp := subTable + "[Enable==true]."
	wantResp(t, h.send(ctrlID, get([]string{rp}, 0)), getResp(getRR(rp, 0)))
}

func TestTP1_86GetSearchNoMatch(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	h.send(ctrlID, set(false, upd(subTable+"*.", "Enable", "false")))
	paths := []string{subTable + "[Enable==true].", subTable + `[ID=="none"].Enable`, subTable + "[TimeToLive>30]."}
	r := h.send(ctrlID, get(paths, 0))
	wantResp(t, r, getResp(getRR(paths[0], 0), getRR(paths[1], 0), getRR(paths[2], 0)))
}

func TestTP1_87GetEmptyTable(t *testing.T) {
	h := newHarness(t)
	paths := []string{subTable, subTable + "*.", subTable + "*.Enable", "Device.LocalAgent.MTP."}
	r := h.send(ctrlID, get(paths, 0))
	wantResp(t, r, getResp(getRR(paths[0], 0), getRR(paths[1], 0), getRR(paths[2], 0), getRR(paths[3], 0)))
}

func TestTP1_89GetMaxDepth(t *testing.T) {
	h := newHarness(t)
	addSub(t, h, "ID", "s1")
	const la = "Device.LocalAgent."
	for _, tc := range []struct {
		depth uint32
		want  []string
	}{
		{1, []string{la}},
		// A table and its rows are one level.
		{2, []string{la, la + "Controller.1.", la + "Subscription.1.", la + "ControllerTrust."}},
		{3, []string{la, la + "Controller.1.", la + "Controller.1.E2ESession.", la + "Subscription.1.", la + "ControllerTrust."}},
		{0, []string{la, la + "Controller.1.", la + "Controller.1.E2ESession.", la + "Subscription.1.", la + "ControllerTrust."}},
	} {
		r := h.send(ctrlID, get([]string{la}, tc.depth))
		if got := resolvedPaths(t, r); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("max_depth %d: %v, want %v", tc.depth, got, tc.want)
		}
	}
	// A parameter path is one parameter whatever max_depth says.
	r := h.send(ctrlID, get([]string{la + "EndpointID"}, 1))
	wantResp(t, r, getResp(getRR(la+"EndpointID", 0, resolved(la, "EndpointID", string(agentID)))))
}

// GetInstances.

// twoControllers gives Controller.1 (ctrlID) a BootParameter and an MTP
// row, and makes ctrl2ID Controller.2.
func twoControllers(t *testing.T, h *harness) {
	t.Helper()
	c1 := "Device.LocalAgent.Controller.1."
	r := h.send(ctrlID, add(false, create(c1+"BootParameter.", "ParameterName", "Device.DeviceInfo.UpTime"),
		create(c1+"MTP.", "Protocol", "CoAP", "CoAP.Host", "192.0.2.1")))
	wantResp(t, r, addResp(
		addOK(c1+"BootParameter.", c1+"BootParameter.1.", map[string]string{"Alias": "cpe-1", "ParameterName": "Device.DeviceInfo.UpTime"}),
		addOK(c1+"MTP.", c1+"MTP.1.", map[string]string{"Alias": "cpe-1", "Protocol": "CoAP"})))
	wantValues(t, h, c1+"MTP.1.CoAP.Host", "192.0.2.1")
	h.send(ctrl2ID, get([]string{"Device.LocalAgent.EndpointID"}, 0))
}

const ctrlTable = "Device.LocalAgent.Controller."

var (
	ctrl1Inst = curr(ctrlTable+"1.", "Alias", "cpe-1", "EndpointID", string(ctrlID))
	ctrl2Inst = curr(ctrlTable+"2.", "Alias", "cpe-2", "EndpointID", string(ctrl2ID))
)

func TestTP1_66GetInstancesFirstLevel(t *testing.T) {
	h := newHarness(t)
	twoControllers(t, h)
	const ct = ctrlTable
	paths := []string{ct, ct + "1.", ct + "9.", "Device.LocalAgent.", ct + "[Enable==false]."}
	r := h.send(ctrlID, getInstances(true, paths...))
	wantResp(t, r, instResp(
		instRR(paths[0], 0, ctrl1Inst, ctrl2Inst), // only Controller rows
		instRR(paths[1], 0, ctrl1Inst),            // a row path names that row
		instRR(paths[2], usp.ErrInvalidPath),      // a missing row, not a search
		instRR(paths[3], usp.ErrObjectNotTable),
		instRR(paths[4], 0)))
}

func TestTP1_67GetInstancesAllLevels(t *testing.T) {
	h := newHarness(t)
	twoControllers(t, h)
	const ct = ctrlTable
	r := h.send(ctrlID, getInstances(false, ct))
	wantResp(t, r, instResp(instRR(ct, 0,
		ctrl1Inst,
		curr(ct+"1.BootParameter.1.", "Alias", "cpe-1", "ParameterName", "Device.DeviceInfo.UpTime"),
		curr(ct+"1.MTP.1.", "Alias", "cpe-1", "Protocol", "CoAP"),
		ctrl2Inst)))
}

func TestTP1_68GetInstancesTwoTables(t *testing.T) {
	h := newHarness(t)
	twoControllers(t, h)
	const mtp = "Device.LocalAgent.MTP."
	r := h.send(ctrlID, add(false, create(mtp, "Enable", "true", "Protocol", "CoAP", "CoAP.Port", "5684")))
	wantResp(t, r, addResp(addOK(mtp, mtp+"1.", map[string]string{"Alias": "cpe-1"})))
	r = h.send(ctrlID, getInstances(true, ctrlTable, mtp))
	wantResp(t, r, instResp(instRR(ctrlTable, 0, ctrl1Inst, ctrl2Inst), instRR(mtp, 0, curr(mtp+"1.", "Alias", "cpe-1"))))
}

func TestTP1_70GetInstancesWildcard(t *testing.T) {
	h := newHarness(t)
	twoControllers(t, h)
	rp := ctrlTable + "*.MTP."
	r := h.send(ctrlID, getInstances(true, rp))
	wantResp(t, r, instResp(instRR(rp, 0, curr(ctrlTable+"1.MTP.1.", "Alias", "cpe-1", "Protocol", "CoAP"))))
}

func TestTP1_71GetInstancesSearch(t *testing.T) {
	h := newHarness(t)
	twoControllers(t, h)
	rp := ctrlTable + `[Alias=="cpe-1"].BootParameter.`
	r := h.send(ctrlID, getInstances(false, rp))
	wantResp(t, r, instResp(instRR(rp, 0, curr(ctrlTable+"1.BootParameter.1.", "Alias", "cpe-1", "ParameterName", "Device.DeviceInfo.UpTime"))))
}

func TestTP1_83GetInstancesSearchNoMatch(t *testing.T) {
	h := newHarness(t)
	twoControllers(t, h)
	rp := ctrlTable + `[Alias=="no-such-alias"].BootParameter.`
	wantResp(t, h.send(ctrlID, getInstances(false, rp)), instResp(instRR(rp, 0)))
}

// GetSupportedDM.

var allFlags = gsdmFlags{cmds: true, events: true, params: true, keys: true}

// gsdmResult returns the only requested result of a GetSupportedDMResp,
// checking its path, code and data_model_inst_uri.
func gsdmResult(t *testing.T, m *uspmsg.Msg, rp string) *uspmsg.GetSupportedDMResp_RequestedObjectResult {
	t.Helper()
	res := responseOf(t, m).GetGetSupportedDmResp().GetReqObjResults()
	if len(res) != 1 || res[0].GetReqObjPath() != rp || res[0].GetErrCode() != 0 || res[0].GetDataModelInstUri() != dmURI {
		t.Fatalf("gsdm result %v", m)
	}
	return res[0]
}

func objPaths(objs []*gsdmObj) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, o.GetSupportedObjPath())
	}
	return out
}

func param(name string, rw bool, typ uspmsg.GetSupportedDMResp_ParamValueType) *gsdmParam {
	p := &gsdmParam{ParamName: name, ValueType: typ, ValueChange: uspmsg.GetSupportedDMResp_VALUE_CHANGE_ALLOWED}
	if rw {
		p.Access = uspmsg.GetSupportedDMResp_PARAM_READ_WRITE
	}
	return p
}

const (
	tString = uspmsg.GetSupportedDMResp_PARAM_STRING
	tUint   = uspmsg.GetSupportedDMResp_PARAM_UNSIGNED_INT
	tBool   = uspmsg.GetSupportedDMResp_PARAM_BOOLEAN
	tTime   = uspmsg.GetSupportedDMResp_PARAM_DATE_TIME
)

// localAgentObj is the full GSDM answer for Device.LocalAgent. itself.
func localAgentObj() *gsdmObj {
	upTime := param("UpTime", false, tUint)
	upTime.ValueChange = uspmsg.GetSupportedDMResp_VALUE_CHANGE_WILL_IGNORE
	return &gsdmObj{
		SupportedObjPath: "Device.LocalAgent.",
		SupportedParams: []*gsdmParam{
			param("EndpointID", false, tString), param("SoftwareVersion", false, tString), upTime,
			param("SupportedProtocols", false, tString), param("SupportedFingerprintAlgorithms", false, tString),
			param("AdvertisedDeviceSubtypes", true, tString), param("MaxSubscriptionChangeAdoptionTime", true, tUint),
			param("MTPNumberOfEntries", false, tUint), param("ControllerNumberOfEntries", false, tUint),
			param("SubscriptionNumberOfEntries", false, tUint), param("RequestNumberOfEntries", false, tUint),
		},
		SupportedEvents: []*gsdmEvent{{EventName: "Periodic!"}, {EventName: "WakeUp!"}, {EventName: "TransferComplete!",
			ArgNames: []string{"Command", "CommandKey", "Requestor", "TransferType", "Affected", "TransferURL",
				"StartTime", "CompleteTime", "FaultCode", "FaultString"}}},
	}
}

// subscriptionObj is the full GSDM answer for
// Device.LocalAgent.Subscription.{i}.; writeOnceReadOnly parameters (Alias,
// ID) are PARAM_READ_WRITE.
func subscriptionObj() *gsdmObj {
	return &gsdmObj{
		SupportedObjPath: subTable + "{i}.", Access: uspmsg.GetSupportedDMResp_OBJ_ADD_DELETE, IsMultiInstance: true,
		SupportedParams: []*gsdmParam{
			param("Alias", true, tString), param("Enable", true, tBool), param("Recipient", false, tString),
			param("ID", true, tString), param("CreationDate", false, tTime), param("NotifType", true, tString),
			param("ReferenceList", true, tString), param("Persistent", true, tBool), param("TimeToLive", true, tUint),
			param("NotifRetry", true, tBool), param("NotifExpiration", true, tUint),
		},
		UniqueKeySets: []*gsdmKeys{{KeyNames: []string{"Alias"}}, {KeyNames: []string{"Recipient", "ID"}}},
	}
}

var localAgentObjs = []string{
	"Device.LocalAgent.", "Device.LocalAgent.MTP.{i}.", "Device.LocalAgent.MTP.{i}.CoAP.",
	"Device.LocalAgent.MTP.{i}.MQTT.", "Device.LocalAgent.MTP.{i}.WebSocket.", "Device.LocalAgent.Controller.{i}.", "Device.LocalAgent.Controller.{i}.BootParameter.{i}.",
	"Device.LocalAgent.Controller.{i}.E2ESession.", "Device.LocalAgent.Controller.{i}.MTP.{i}.",
	"Device.LocalAgent.Controller.{i}.MTP.{i}.CoAP.", "Device.LocalAgent.Controller.{i}.MTP.{i}.MQTT.",
	"Device.LocalAgent.Controller.{i}.MTP.{i}.WebSocket.", "Device.LocalAgent.Subscription.{i}.",
	"Device.LocalAgent.Request.{i}.", "Device.LocalAgent.ControllerTrust.",
	"Device.LocalAgent.ControllerTrust.Role.{i}.", "Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i}.",
	"Device.LocalAgent.ControllerTrust.Credential.{i}.",
}

func TestTP1_72GSDMLocalAgentAllFlags(t *testing.T) {
	h := newHarness(t)
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(allFlags, "Device.LocalAgent.")), "Device.LocalAgent.")
	objs := res.GetSupportedObjs()
	if got := objPaths(objs); !reflect.DeepEqual(got, localAgentObjs) {
		t.Fatalf("objects %v\nwant %v", got, localAgentObjs)
	}
	wantProto(t, objs[0], localAgentObj())
	wantProto(t, objs[12], subscriptionObj())
	req := objs[13]
	if req.GetAccess() != uspmsg.GetSupportedDMResp_OBJ_READ_ONLY || len(req.GetSupportedCommands()) != 1 {
		t.Fatalf("Request.{i}. %v", req)
	}
	wantProto(t, req.GetSupportedCommands()[0], &gsdmCmd{CommandName: "Cancel()", CommandType: uspmsg.GetSupportedDMResp_CMD_SYNC})
	ctrl := objs[5]
	if ctrl.GetAccess() != uspmsg.GetSupportedDMResp_OBJ_ADD_DELETE || !ctrl.GetIsMultiInstance() ||
		len(ctrl.GetSupportedCommands()) != 1 || ctrl.GetSupportedCommands()[0].GetCommandName() != "SendOnBoardRequest()" {
		t.Fatalf("Controller.{i}. %v", ctrl)
	}
}

// firstLevelLocalAgent is the GSDM answer for Device.LocalAgent. with
// first_level_only: the object, then its immediate children bare.
func firstLevelLocalAgent(self *gsdmObj) []*gsdmObj {
	add := uspmsg.GetSupportedDMResp_OBJ_ADD_DELETE
	return []*gsdmObj{self,
		{SupportedObjPath: "Device.LocalAgent.MTP.{i}.", Access: add, IsMultiInstance: true},
		{SupportedObjPath: "Device.LocalAgent.Controller.{i}.", Access: add, IsMultiInstance: true},
		{SupportedObjPath: "Device.LocalAgent.Subscription.{i}.", Access: add, IsMultiInstance: true},
		{SupportedObjPath: "Device.LocalAgent.Request.{i}.", IsMultiInstance: true},
		{SupportedObjPath: "Device.LocalAgent.ControllerTrust."},
	}
}

func TestTP1_73GSDMLocalAgentFirstLevel(t *testing.T) {
	h := newHarness(t)
	f := allFlags
	f.firstLevel = true
	const la = "Device.LocalAgent."
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(f, la)), la)
	wantProto(t, res, gsdmOK(la, firstLevelLocalAgent(localAgentObj())...))
}

func TestTP1_74GSDMFirstLevelNoOptions(t *testing.T) {
	h := newHarness(t)
	const la = "Device.LocalAgent."
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(gsdmFlags{firstLevel: true}, la)), la)
	wantProto(t, res, gsdmOK(la, firstLevelLocalAgent(&gsdmObj{SupportedObjPath: la})...))
	// Without first_level_only, the same holds for the whole subtree.
	res = gsdmResult(t, h.send(ctrlID, getSupportedDM(gsdmFlags{}, la)), la)
	for _, o := range res.GetSupportedObjs() {
		if len(o.GetSupportedParams())+len(o.GetSupportedCommands())+len(o.GetSupportedEvents())+len(o.GetUniqueKeySets()) != 0 {
			t.Fatalf("items without return flags: %v", o)
		}
	}
	if got := objPaths(res.GetSupportedObjs()); !reflect.DeepEqual(got, localAgentObjs) {
		t.Fatalf("objects %v", got)
	}
}

func TestTP1_75GSDMTwoObjectsFirstLevel(t *testing.T) {
	h := newHarness(t)
	f := allFlags
	f.firstLevel = true
	paths := []string{ctrlTable, "Device.LocalAgent.MTP."}
	r := h.send(ctrlID, getSupportedDM(f, paths...))
	res := responseOf(t, r).GetGetSupportedDmResp().GetReqObjResults()
	if len(res) != 2 {
		t.Fatalf("results %v", r)
	}
	// Each result: the object with its items, then its children bare.
	ctrl, mtp := res[0], res[1]
	if got, want := objPaths(ctrl.GetSupportedObjs()), []string{ctrlTable + "{i}.", ctrlTable + "{i}.BootParameter.{i}.",
		ctrlTable + "{i}.E2ESession.", ctrlTable + "{i}.MTP.{i}."}; !reflect.DeepEqual(got, want) || ctrl.GetReqObjPath() != paths[0] {
		t.Fatalf("Controller objects %v, want %v", got, want)
	}
	wantProto(t, mtp, gsdmOK(paths[1], &gsdmObj{SupportedObjPath: "Device.LocalAgent.MTP.{i}.", Access: uspmsg.GetSupportedDMResp_OBJ_ADD_DELETE,
		IsMultiInstance: true, UniqueKeySets: []*gsdmKeys{{KeyNames: []string{"Alias"}}},
		SupportedParams: []*gsdmParam{param("Alias", true, tString), param("Enable", true, tBool), param("Status", false, tString),
			param("Protocol", true, tString), param("EnableMDNS", true, tBool)}},
		&gsdmObj{SupportedObjPath: "Device.LocalAgent.MTP.{i}.CoAP."},
		&gsdmObj{SupportedObjPath: "Device.LocalAgent.MTP.{i}.MQTT."},
		&gsdmObj{SupportedObjPath: "Device.LocalAgent.MTP.{i}.WebSocket."}))
	c := ctrl.GetSupportedObjs()[0]
	if len(c.GetSupportedParams()) != 16 || len(c.GetSupportedCommands()) != 1 || len(c.GetUniqueKeySets()) != 2 {
		t.Fatalf("Controller.{i}. %v", c)
	}
	for _, child := range ctrl.GetSupportedObjs()[1:] {
		if len(child.GetSupportedParams())+len(child.GetSupportedCommands())+len(child.GetUniqueKeySets()) != 0 {
			t.Fatalf("child with items: %v", child)
		}
	}
}

func TestTP1_76GSDMRootAllOptions(t *testing.T) {
	h := newHarness(t)
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(allFlags, "Device.")), "Device.")
	objs := res.GetSupportedObjs()
	// Every supported object once, in {i} notation, the root first.
	seen := map[string]bool{}
	for _, p := range objPaths(objs) {
		if seen[p] {
			t.Fatalf("%s listed twice", p)
		}
		seen[p] = true
	}
	for _, p := range append([]string{"Device.DeviceInfo.", "Device.Time.", "Device.WiFi.Radio.{i}.Stats.",
		"Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.", "Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}.",
		"Device.X_USPMESH_Mesh.Node.{i}."}, localAgentObjs...) {
		if !seen[p] {
			t.Errorf("%s missing", p)
		}
	}
	wantProto(t, objs[0], deviceObj(true, true, true))
	for _, o := range objs {
		switch o.GetSupportedObjPath() {
		case "Device.LocalAgent.":
			wantProto(t, o, localAgentObj())
		case "Device.LocalAgent.Subscription.{i}.":
			wantProto(t, o, subscriptionObj())
		case "Device.WiFi.":
			cmds := o.GetSupportedCommands()
			if len(cmds) != 1 || cmds[0].GetCommandName() != "NeighboringWiFiDiagnostic()" ||
				cmds[0].GetCommandType() != uspmsg.GetSupportedDMResp_CMD_ASYNC || cmds[0].GetOutputArgNames()[0] != "Status" {
				t.Fatalf("Device.WiFi. commands %v", cmds)
			}
		}
		for _, p := range o.GetSupportedParams() {
			if p.GetParamName() == "" || p.GetValueType() == uspmsg.GetSupportedDMResp_PARAM_UNKNOWN ||
				p.GetValueChange() == uspmsg.GetSupportedDMResp_VALUE_CHANGE_UNKNOWN {
				t.Fatalf("%s: incomplete parameter %v", o.GetSupportedObjPath(), p)
			}
		}
	}
}

// deviceObj is the GSDM answer for Device. itself with the given items.
func deviceObj(params, cmds, events bool) *gsdmObj {
	o := &gsdmObj{SupportedObjPath: "Device."}
	if params {
		o.SupportedParams = []*gsdmParam{param("RootDataModelVersion", false, tString)}
	}
	if cmds {
		o.SupportedCommands = []*gsdmCmd{
			{CommandName: "Reboot()", InputArgNames: []string{"Cause", "Reason"}, CommandType: uspmsg.GetSupportedDMResp_CMD_SYNC},
			{CommandName: "FactoryReset()", InputArgNames: []string{"Cause", "Reason"}, CommandType: uspmsg.GetSupportedDMResp_CMD_SYNC},
			{CommandName: "ScheduleTimer()", InputArgNames: []string{"DelaySeconds"}, CommandType: uspmsg.GetSupportedDMResp_CMD_ASYNC},
		}
	}
	if events {
		o.SupportedEvents = []*gsdmEvent{{EventName: "Boot!", ArgNames: []string{"CommandKey", "Cause", "Reason", "FirmwareUpdated", "ParameterMap"}}}
	}
	return o
}

func TestTP1_77GSDMUnsupportedPath(t *testing.T) {
	h := newHarness(t)
	paths := []string{"Device.LocalAgent.UnsupportedObject.", "Device.Reboot2()", "Device.LocalAgent.Subscription.{i}.Nothing",
		"Device.LocalAgent.{i}.", "Device..", "Device.Time."}
	r := h.send(ctrlID, getSupportedDM(gsdmFlags{}, paths...))
	want := &uspmsg.GetSupportedDMResp{}
	for i, p := range paths[:5] {
		code := usp.ErrInvalidPath
		if i == 4 {
			code = usp.ErrInvalidPathSyntax
		}
		want.ReqObjResults = append(want.ReqObjResults, &uspmsg.GetSupportedDMResp_RequestedObjectResult{ReqObjPath: p, ErrCode: uint32(code)})
	}
	want.ReqObjResults = append(want.ReqObjResults, &uspmsg.GetSupportedDMResp_RequestedObjectResult{ReqObjPath: "Device.Time.",
		DataModelInstUri: dmURI, SupportedObjs: []*gsdmObj{{SupportedObjPath: "Device.Time."}}})
	wantResp(t, r, &uspmsg.Response{RespType: &uspmsg.Response_GetSupportedDmResp{GetSupportedDmResp: want}})
}

// TestTP1_99GSDMUniqueKeySets asks for the key sets only. (The §13 table
// writes the path without its trailing dot; an object path has one, so it
// is sent with it.)
func TestTP1_97GSDMRootCommands(t *testing.T) {
	h := newHarness(t)
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(gsdmFlags{cmds: true}, "Device.")), "Device.")
	wantProto(t, res.GetSupportedObjs()[0], deviceObj(false, true, false))
	n := 0
	for _, o := range res.GetSupportedObjs() {
		if len(o.GetSupportedParams())+len(o.GetSupportedEvents())+len(o.GetUniqueKeySets()) != 0 {
			t.Fatalf("%s: more than commands", o.GetSupportedObjPath())
		}
		for _, c := range o.GetSupportedCommands() {
			n++
			if c.GetCommandType() == uspmsg.GetSupportedDMResp_CMD_UNKNOWN {
				t.Fatalf("%s%s: no command_type", o.GetSupportedObjPath(), c.GetCommandName())
			}
		}
	}
	// Device.{Reboot,FactoryReset,ScheduleTimer}, WiFi.NeighboringWiFiDiagnostic,
	// Controller.{i}.SendOnBoardRequest, Request.{i}.Cancel,
	// BulkData.Profile.{i}.ForceCollection, SoftwareModules.InstallDU,
	// DeploymentUnit.{i}.{Update,Uninstall},
	// ExecutionUnit.{i}.SetRequestedState.
	if n != 11 {
		t.Fatalf("%d commands, want 11", n)
	}
}

func TestTP1_98GSDMRootEvents(t *testing.T) {
	h := newHarness(t)
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(gsdmFlags{events: true}, "Device.")), "Device.")
	wantProto(t, res.GetSupportedObjs()[0], deviceObj(false, false, true))
	var events []string
	for _, o := range res.GetSupportedObjs() {
		if len(o.GetSupportedParams())+len(o.GetSupportedCommands())+len(o.GetUniqueKeySets()) != 0 {
			t.Fatalf("%s: more than events", o.GetSupportedObjPath())
		}
		for _, e := range o.GetSupportedEvents() {
			events = append(events, o.GetSupportedObjPath()+e.GetEventName())
		}
	}
	want := []string{"Device.Boot!", "Device.LocalAgent.Periodic!", "Device.LocalAgent.WakeUp!", "Device.LocalAgent.TransferComplete!",
		"Device.BulkData.Profile.{i}.Push!", "Device.SoftwareModules.DUStateChange!"}
	if !reflect.DeepEqual(events, want) {
		t.Fatalf("events %v, want %v", events, want)
	}
}

// TestTP1_99GSDMUniqueKeySets asks for the key sets only. (The §13 table
// writes the path without its trailing dot; an object path has one, so it
// is sent with it.) The table path may also end in "{i}." or name a row
// by its instance number: the same supported object.
func TestTP1_99GSDMUniqueKeySets(t *testing.T) {
	h := newHarness(t)
	obj := &gsdmObj{SupportedObjPath: subTable + "{i}.", Access: uspmsg.GetSupportedDMResp_OBJ_ADD_DELETE, IsMultiInstance: true,
		UniqueKeySets: []*gsdmKeys{{KeyNames: []string{"Alias"}}, {KeyNames: []string{"Recipient", "ID"}}}}
	for _, rp := range []string{subTable, subTable + "{i}.", subTable + "1."} {
		res := gsdmResult(t, h.send(ctrlID, getSupportedDM(gsdmFlags{keys: true}, rp)), rp)
		wantProto(t, res, gsdmOK(rp, obj))
	}
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(allFlags, subTable)), subTable)
	wantProto(t, res, gsdmOK(subTable, subscriptionObj()))
}

func TestTP1_105GSDMCommandOnly(t *testing.T) {
	h := newHarness(t)
	rp := "Device.Reboot()"
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(allFlags, rp)), rp)
	wantProto(t, res, &uspmsg.GetSupportedDMResp_RequestedObjectResult{ReqObjPath: rp, DataModelInstUri: dmURI,
		SupportedObjs: []*gsdmObj{{SupportedObjPath: "Device.", SupportedCommands: []*gsdmCmd{
			{CommandName: "Reboot()", InputArgNames: []string{"Cause", "Reason"}, CommandType: uspmsg.GetSupportedDMResp_CMD_SYNC}}}}})
}

func TestTP1_106GSDMEventOnly(t *testing.T) {
	h := newHarness(t)
	rp := "Device.Boot!"
	// The return flags are ignored for a command, event or parameter path.
	res := gsdmResult(t, h.send(ctrlID, getSupportedDM(gsdmFlags{}, rp)), rp)
	wantProto(t, res, &uspmsg.GetSupportedDMResp_RequestedObjectResult{ReqObjPath: rp, DataModelInstUri: dmURI,
		SupportedObjs: []*gsdmObj{{SupportedObjPath: "Device.", SupportedEvents: []*gsdmEvent{
			{EventName: "Boot!", ArgNames: []string{"CommandKey", "Cause", "Reason", "FirmwareUpdated", "ParameterMap"}}}}}})
}

func TestTP1_107GSDMParamOnly(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		rp   string
		obj  *gsdmObj
		want *gsdmParam
	}{
		{"Device.DeviceInfo.SoftwareVersion", &gsdmObj{SupportedObjPath: "Device.DeviceInfo."}, param("SoftwareVersion", false, tString)},
		{subTable + "{i}.ID", &gsdmObj{SupportedObjPath: subTable + "{i}.", Access: uspmsg.GetSupportedDMResp_OBJ_ADD_DELETE, IsMultiInstance: true},
			param("ID", true, tString)},
	} {
		res := gsdmResult(t, h.send(ctrlID, getSupportedDM(allFlags, tc.rp)), tc.rp)
		tc.obj.SupportedParams = []*gsdmParam{tc.want}
		wantProto(t, res, &uspmsg.GetSupportedDMResp_RequestedObjectResult{ReqObjPath: tc.rp, DataModelInstUri: dmURI,
			SupportedObjs: []*gsdmObj{tc.obj}})
	}
}
