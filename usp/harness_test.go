package usp_test

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// Endpoint IDs of the conformance suite.
const (
	agentID = usp.EndpointID("os::012345-AP0001")
	ctrlID  = usp.EndpointID("proto::controller-1")
	ctrl2ID = usp.EndpointID("proto::controller-2")
)

// harnessClock is the harness model's frozen clock: Subscription
// CreationDate and generated IDs derive from it.
var harnessClock = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// harness is one Agent over a fresh Device:2 model, driven in-process
// through HandleRecord exactly as an MTP would.
type harness struct {
	t      *testing.T
	m      *datamodel.Model
	a      *usp.Agent
	timers chan time.Duration
	fire   chan time.Time
	done   chan usp.OperationComplete
	reboot chan struct{}
	n      int
}

// harnessOption adjusts the Agent's configuration once the model exists
// and before the Agent is built (access control, for section 2).
type harnessOption func(t *testing.T, m *datamodel.Model, cfg *usp.AgentConfig)

// testDevice is the schema configuration of every test Agent: a fixed
// identity, the harness clock, and subscriptions' Recipient from the
// request's Controller.
func testDevice() tr181.Config {
	return tr181.Config{
		Manufacturer: "uspmesh", ManufacturerOUI: "012345", ModelName: "AP-1", SerialNumber: "AP0001",
		SoftwareVersion: "1.0.0", EndpointID: string(agentID),
		Now: func() time.Time { return harnessClock }, Boot: harnessClock.Add(-time.Hour),
		Recipient: usp.ControllerPathFrom,
	}
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, timers: make(chan time.Duration, 8), fire: make(chan time.Time, 8),
		done: make(chan usp.OperationComplete, 8), reboot: make(chan struct{}, 4)}
	sc := testDevice()
	sc.After = func(d time.Duration) <-chan time.Time { h.timers <- d; return h.fire }
	sc.Reboot = func(context.Context) error { h.reboot <- struct{}{}; return nil }
	m, err := datamodel.NewModel(ctx, tr181.NewSchema(sc), datamodel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := usp.AgentConfig{EndpointID: agentID, Model: m, Controllers: usp.ControllerTable(m)}
	for _, o := range opts {
		o(t, m, &cfg)
	}
	a, err := usp.NewAgent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.OnOperationComplete(func(oc usp.OperationComplete) { h.done <- oc })
	t.Cleanup(func() {
		close(h.fire)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("agent close: %v", err)
		}
	})
	h.m, h.a = m, a
	return h
}

// send delivers req from ctrl as a Record and returns the response Msg
// (nil when the Agent sent nothing).
func (h *harness) send(from usp.EndpointID, req *uspmsg.Request) *uspmsg.Msg {
	h.t.Helper()
	h.n++
	msg := usp.NewRequest("m"+string(rune('A'+h.n%26))+strings.Repeat("x", h.n/26), req)
	rec, err := usp.NewRecord(agentID, from, msg)
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := usp.EncodeRecord(rec)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := h.a.HandleRecord(context.Background(), from, b)
	if err != nil {
		h.t.Fatalf("HandleRecord: %v", err)
	}
	if out == nil {
		return nil
	}
	if out.GetToId() != string(from) || out.GetFromId() != string(agentID) || out.GetVersion() != usp.Version {
		h.t.Fatalf("response record addressing: to=%s from=%s version=%s", out.GetToId(), out.GetFromId(), out.GetVersion())
	}
	resp, err := usp.MsgFromRecord(out)
	if err != nil {
		h.t.Fatalf("response message: %v", err)
	}
	if resp.GetHeader().GetMsgId() != msg.GetHeader().GetMsgId() {
		h.t.Fatalf("response msg_id %q, request %q", resp.GetHeader().GetMsgId(), msg.GetHeader().GetMsgId())
	}
	if typ, _ := usp.MsgTypeOf(resp.GetBody()); typ != resp.GetHeader().GetMsgType() {
		h.t.Fatalf("response header type %v, body %v", resp.GetHeader().GetMsgType(), typ)
	}
	return resp
}

// value reads one parameter straight from the model.
func (h *harness) value(p string) string {
	h.t.Helper()
	pp, err := path.Parse(p)
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := h.m.Get(context.Background(), pp, 0, nil)
	if err != nil || len(res) != 1 {
		h.t.Fatalf("model Get %s: %v %v", p, res, err)
	}
	return res[0].Params[0].Value
}

// rows lists the instance paths of a table straight from the model.
func (h *harness) rows(table string) []string {
	h.t.Helper()
	pp, _ := path.Parse(table)
	in, err := h.m.Instances(context.Background(), pp, true, nil)
	if err != nil {
		h.t.Fatalf("Instances %s: %v", table, err)
	}
	out := []string{}
	for _, i := range in {
		out = append(out, i.Path)
	}
	return out
}

func get(paths []string, depth uint32) *uspmsg.Request {
	return &uspmsg.Request{ReqType: &uspmsg.Request_Get{Get: &uspmsg.Get{ParamPaths: paths, MaxDepth: depth}}}
}

func set(ap bool, objs ...*uspmsg.Set_UpdateObject) *uspmsg.Request {
	return &uspmsg.Request{ReqType: &uspmsg.Request_Set{Set: &uspmsg.Set{AllowPartial: ap, UpdateObjs: objs}}}
}

func upd(obj string, kv ...string) *uspmsg.Set_UpdateObject {
	u := &uspmsg.Set_UpdateObject{ObjPath: obj}
	for i := 0; i+1 < len(kv); i += 2 {
		req := strings.HasSuffix(kv[i], "!")
		u.ParamSettings = append(u.ParamSettings, &uspmsg.Set_UpdateParamSetting{Param: strings.TrimSuffix(kv[i], "!"), Value: kv[i+1], Required: req})
	}
	return u
}

func add(ap bool, objs ...*uspmsg.Add_CreateObject) *uspmsg.Request {
	return &uspmsg.Request{ReqType: &uspmsg.Request_Add{Add: &uspmsg.Add{AllowPartial: ap, CreateObjs: objs}}}
}

// create builds a CreateObject; a param name ending in "!" is required.
func create(obj string, kv ...string) *uspmsg.Add_CreateObject {
	c := &uspmsg.Add_CreateObject{ObjPath: obj}
	for i := 0; i+1 < len(kv); i += 2 {
		req := strings.HasSuffix(kv[i], "!")
		c.ParamSettings = append(c.ParamSettings, &uspmsg.Add_CreateParamSetting{Param: strings.TrimSuffix(kv[i], "!"), Value: kv[i+1], Required: req})
	}
	return c
}

func del(ap bool, paths ...string) *uspmsg.Request {
	return &uspmsg.Request{ReqType: &uspmsg.Request_Delete{Delete: &uspmsg.Delete{AllowPartial: ap, ObjPaths: paths}}}
}

func operate(cmd, key string, sendResp bool, args map[string]string) *uspmsg.Request {
	return &uspmsg.Request{ReqType: &uspmsg.Request_Operate{Operate: &uspmsg.Operate{Command: cmd, CommandKey: key, SendResp: sendResp, InputArgs: args}}}
}

// flatGet renders a GetResp as sorted "requested | resolved | key=value"
// lines and "requested | err=<code>" lines.
func flatGet(t *testing.T, m *uspmsg.Msg) []string {
	t.Helper()
	gr := m.GetBody().GetResponse().GetGetResp()
	if gr == nil {
		t.Fatalf("not a GetResp: %v", m)
	}
	var out []string
	for _, rr := range gr.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			out = append(out, rr.GetRequestedPath()+" | err="+itoa(rr.GetErrCode()))
			continue
		}
		for _, res := range rr.GetResolvedPathResults() {
			for k, v := range res.GetResultParams() {
				out = append(out, rr.GetRequestedPath()+" | "+res.GetResolvedPath()+" | "+k+"="+v)
			}
		}
	}
	sort.Strings(out)
	return out
}

func itoa(c uint32) string { return strconv.FormatUint(uint64(c), 10) }

// errorOf returns the Error message body, failing if m is not one.
func errorOf(t *testing.T, m *uspmsg.Msg) *uspmsg.Error {
	t.Helper()
	e := m.GetBody().GetError()
	if e == nil {
		t.Fatalf("expected an Error message, got %v", m)
	}
	if m.GetHeader().GetMsgType() != uspmsg.Header_ERROR {
		t.Fatalf("Error message with header type %v", m.GetHeader().GetMsgType())
	}
	return e
}

// responseOf returns the Response body of m, failing if m is not one.
func responseOf(t *testing.T, m *uspmsg.Msg) *uspmsg.Response {
	t.Helper()
	r := m.GetBody().GetResponse()
	if r == nil {
		t.Fatalf("expected a Response message, got %v", m)
	}
	return r
}

// wantProto fails unless got equals want once every err_msg in got is
// cleared (messages are free text; codes are compared). It also fails when
// got carries an error code without a message.
func wantProto(t *testing.T, got, want proto.Message) {
	t.Helper()
	g := proto.Clone(got)
	if missing := clearErrMsgs(g.ProtoReflect()); missing != "" {
		t.Errorf("%s has an err_code but no err_msg", missing)
	}
	if !proto.Equal(g, want) {
		t.Fatalf("got:\n%s\nwant:\n%s", prototext.Format(g), prototext.Format(want))
	}
}

// wantResp checks that m is a Response equal to want (see wantProto).
func wantResp(t *testing.T, m *uspmsg.Msg, want *uspmsg.Response) {
	t.Helper()
	wantProto(t, responseOf(t, m), want)
}

// wantError checks that m is an Error message equal to want (see
// wantProto).
func wantError(t *testing.T, m *uspmsg.Msg, want *uspmsg.Error) {
	t.Helper()
	wantProto(t, errorOf(t, m), want)
}

// clearErrMsgs clears every err_msg field below m and returns the name of
// a message that had a non-zero err_code with an empty err_msg, if any.
func clearErrMsgs(m protoreflect.Message) string {
	var clear []protoreflect.FieldDescriptor
	missing := ""
	fields := m.Descriptor().Fields()
	if code, msg := fields.ByName("err_code"), fields.ByName("err_msg"); code != nil && msg != nil &&
		m.Get(code).Uint() != 0 && m.Get(msg).String() == "" {
		missing = string(m.Descriptor().FullName())
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Name() == "err_msg":
			clear = append(clear, fd)
		case fd.IsMap():
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				if s := clearErrMsgs(v.List().Get(i).Message()); s != "" {
					missing = s
				}
			}
		case fd.Message() != nil:
			if s := clearErrMsgs(v.Message()); s != "" {
				missing = s
			}
		}
		return true
	})
	for _, fd := range clear {
		m.Clear(fd)
	}
	return missing
}

// resolvedPaths lists the resolved_path of every result of a GetResp's
// only requested path, in order.
func resolvedPaths(t *testing.T, m *uspmsg.Msg) []string {
	t.Helper()
	rr := responseOf(t, m).GetGetResp().GetReqPathResults()
	if len(rr) != 1 || rr[0].GetErrCode() != 0 {
		t.Fatalf("get results %v", m)
	}
	out := []string{}
	for _, res := range rr[0].GetResolvedPathResults() {
		out = append(out, res.GetResolvedPath())
	}
	return out
}

// Expected-response builders: the exact messages the conformance cases
// compare answers with (wantResp, wantError; err_msg is not compared).

func addResp(res ...*uspmsg.AddResp_CreatedObjectResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_AddResp{AddResp: &uspmsg.AddResp{CreatedObjResults: res}}}
}

func addOK(rp, inst string, keys map[string]string, perrs ...*uspmsg.AddResp_ParameterError) *uspmsg.AddResp_CreatedObjectResult {
	return &uspmsg.AddResp_CreatedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus{
		OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperSuccess{OperSuccess: &addSuccess{
			InstantiatedPath: inst, UniqueKeys: keys, ParamErrs: perrs}}}}
}

type addSuccess = uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperationSuccess

func addFail(rp string, code usp.ErrorCode) *uspmsg.AddResp_CreatedObjectResult {
	return &uspmsg.AddResp_CreatedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus{
		OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperFailure{
			OperFailure: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(code)}}}}
}

func addParamErr(param string, code usp.ErrorCode) *uspmsg.AddResp_ParameterError {
	return &uspmsg.AddResp_ParameterError{Param: param, ErrCode: uint32(code)}
}

func setResp(res ...*uspmsg.SetResp_UpdatedObjectResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_SetResp{SetResp: &uspmsg.SetResp{UpdatedObjResults: res}}}
}

func setOK(rp string, insts ...*uspmsg.SetResp_UpdatedInstanceResult) *uspmsg.SetResp_UpdatedObjectResult {
	return &uspmsg.SetResp_UpdatedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus{
		OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperSuccess{
			OperSuccess: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperationSuccess{UpdatedInstResults: insts}}}}
}

func updated(affected string, params map[string]string, perrs ...*uspmsg.SetResp_ParameterError) *uspmsg.SetResp_UpdatedInstanceResult {
	return &uspmsg.SetResp_UpdatedInstanceResult{AffectedPath: affected, UpdatedParams: params, ParamErrs: perrs}
}

func setFail(rp string, code usp.ErrorCode, insts ...*uspmsg.SetResp_UpdatedInstanceFailure) *uspmsg.SetResp_UpdatedObjectResult {
	return &uspmsg.SetResp_UpdatedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus{
		OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperFailure{
			OperFailure: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(code), UpdatedInstFailures: insts}}}}
}

func notUpdated(affected string, perrs ...*uspmsg.SetResp_ParameterError) *uspmsg.SetResp_UpdatedInstanceFailure {
	return &uspmsg.SetResp_UpdatedInstanceFailure{AffectedPath: affected, ParamErrs: perrs}
}

func setParamErr(param string, code usp.ErrorCode) *uspmsg.SetResp_ParameterError {
	return &uspmsg.SetResp_ParameterError{Param: param, ErrCode: uint32(code)}
}

func delResp(res ...*uspmsg.DeleteResp_DeletedObjectResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_DeleteResp{DeleteResp: &uspmsg.DeleteResp{DeletedObjResults: res}}}
}

func delOK(rp string, affected ...string) *uspmsg.DeleteResp_DeletedObjectResult {
	return &uspmsg.DeleteResp_DeletedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus{
		OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperSuccess{
			OperSuccess: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperationSuccess{AffectedPaths: affected}}}}
}

func delFail(rp string, code usp.ErrorCode) *uspmsg.DeleteResp_DeletedObjectResult {
	return &uspmsg.DeleteResp_DeletedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus{
		OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperFailure{
			OperFailure: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(code)}}}}
}

func uspError(code usp.ErrorCode, perrs ...*uspmsg.Error_ParamError) *uspmsg.Error {
	return &uspmsg.Error{ErrCode: uint32(code), ParamErrs: perrs}
}

func paramErr(path string, code usp.ErrorCode) *uspmsg.Error_ParamError {
	return &uspmsg.Error_ParamError{ParamPath: path, ErrCode: uint32(code)}
}

func getResp(rr ...*uspmsg.GetResp_RequestedPathResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_GetResp{GetResp: &uspmsg.GetResp{ReqPathResults: rr}}}
}

// getRR is one requested path's result: an error code, or the resolved
// results.
func getRR(rp string, code usp.ErrorCode, res ...*uspmsg.GetResp_ResolvedPathResult) *uspmsg.GetResp_RequestedPathResult {
	return &uspmsg.GetResp_RequestedPathResult{RequestedPath: rp, ErrCode: uint32(code), ResolvedPathResults: res}
}

func resolved(p string, kv ...string) *uspmsg.GetResp_ResolvedPathResult {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &uspmsg.GetResp_ResolvedPathResult{ResolvedPath: p, ResultParams: m}
}

func getInstances(firstLevel bool, paths ...string) *uspmsg.Request {
	return &uspmsg.Request{ReqType: &uspmsg.Request_GetInstances{GetInstances: &uspmsg.GetInstances{ObjPaths: paths, FirstLevelOnly: firstLevel}}}
}

func instResp(rr ...*uspmsg.GetInstancesResp_RequestedPathResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_GetInstancesResp{GetInstancesResp: &uspmsg.GetInstancesResp{ReqPathResults: rr}}}
}

func instRR(rp string, code usp.ErrorCode, insts ...*uspmsg.GetInstancesResp_CurrInstance) *uspmsg.GetInstancesResp_RequestedPathResult {
	return &uspmsg.GetInstancesResp_RequestedPathResult{RequestedPath: rp, ErrCode: uint32(code), CurrInsts: insts}
}

func curr(p string, kv ...string) *uspmsg.GetInstancesResp_CurrInstance {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &uspmsg.GetInstancesResp_CurrInstance{InstantiatedObjPath: p, UniqueKeys: m}
}

type gsdmFlags struct{ firstLevel, cmds, events, params, keys bool }

func getSupportedDM(f gsdmFlags, paths ...string) *uspmsg.Request {
	return &uspmsg.Request{ReqType: &uspmsg.Request_GetSupportedDm{GetSupportedDm: &uspmsg.GetSupportedDM{
		ObjPaths: paths, FirstLevelOnly: f.firstLevel, ReturnCommands: f.cmds, ReturnEvents: f.events,
		ReturnParams: f.params, ReturnUniqueKeySets: f.keys}}}
}

type (
	gsdmObj   = uspmsg.GetSupportedDMResp_SupportedObjectResult
	gsdmParam = uspmsg.GetSupportedDMResp_SupportedParamResult
	gsdmCmd   = uspmsg.GetSupportedDMResp_SupportedCommandResult
	gsdmEvent = uspmsg.GetSupportedDMResp_SupportedEventResult
	gsdmKeys  = uspmsg.GetSupportedDMResp_SupportedUniqueKeySet
)

// dmURI is the data_model_inst_uri of the TR-181 model.
const dmURI = "urn:broadband-forum-org:tr-181-2-19-0-usp"

// gsdmOK is a successful RequestedObjectResult.
func gsdmOK(rp string, objs ...*gsdmObj) *uspmsg.GetSupportedDMResp_RequestedObjectResult {
	return &uspmsg.GetSupportedDMResp_RequestedObjectResult{ReqObjPath: rp, DataModelInstUri: dmURI, SupportedObjs: objs}
}

func operateResp(res ...*uspmsg.OperateResp_OperationResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_OperateResp{OperateResp: &uspmsg.OperateResp{OperationResults: res}}}
}

func opOutput(cmd string, out map[string]string) *uspmsg.OperateResp_OperationResult {
	return &uspmsg.OperateResp_OperationResult{ExecutedCommand: cmd, OperationResp: &uspmsg.OperateResp_OperationResult_ReqOutputArgs{
		ReqOutputArgs: &uspmsg.OperateResp_OperationResult_OutputArgs{OutputArgs: out}}}
}

func opStarted(cmd, reqPath string) *uspmsg.OperateResp_OperationResult {
	return &uspmsg.OperateResp_OperationResult{ExecutedCommand: cmd, OperationResp: &uspmsg.OperateResp_OperationResult_ReqObjPath{ReqObjPath: reqPath}}
}

func opFailed(cmd string, code usp.ErrorCode) *uspmsg.OperateResp_OperationResult {
	return &uspmsg.OperateResp_OperationResult{ExecutedCommand: cmd, OperationResp: &uspmsg.OperateResp_OperationResult_CmdFailure{
		CmdFailure: &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(code)}}}
}
