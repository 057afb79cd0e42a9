package usp_test

import (
	"context"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
	"github.com/uspmesh/uspmesh/usp"
)

// TP-469 section 1: Operate; sections 2 and 3: what the Agent does with
// Records it must not answer, or answer only with an error.

const (
	requestTable  = "Device.LocalAgent.Request."
	scheduleTimer = "Device.ScheduleTimer()"
)

// timer waits for the ScheduleTimer() handler to arm its timer and
// returns the delay.
func (h *harness) timer() time.Duration {
	h.t.Helper()
	select {
	case d := <-h.timers:
		return d
	case <-time.After(5 * time.Second):
		h.t.Fatal("no timer armed")
	}
	return 0
}

// completion waits for the next OperationComplete.
func (h *harness) completion() usp.OperationComplete {
	h.t.Helper()
	select {
	case oc := <-h.done:
		return oc
	case <-time.After(5 * time.Second):
		h.t.Fatal("no OperationComplete")
	}
	return usp.OperationComplete{}
}

func TestTP1_61RebootSendResp(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, operate("Device.Reboot()", "test61", true, nil))
	wantResp(t, r, operateResp(opOutput("Device.Reboot()", map[string]string{})))
	select {
	case <-h.reboot:
	default:
		t.Fatal("Reboot() did not reach the node")
	}
	// A synchronous command that fails is a cmd_failure inside the
	// OperateResp, never an Error message (R-OPR.1): this node has no
	// FactoryReset().
	r = h.send(ctrlID, operate("Device.FactoryReset()", "k", true, nil))
	wantResp(t, r, operateResp(opFailed("Device.FactoryReset()", usp.ErrCommandFailure)))
	// A command the model does not have fails the whole message.
	wantError(t, h.send(ctrlID, operate("Device.NoSuchCommand()", "k", true, nil)), uspError(usp.ErrInvalidPath))
	wantError(t, h.send(ctrlID, operate("Device.DeviceInfo.", "k", true, nil)), uspError(usp.ErrInvalidPath))
}

func TestTP1_62RebootNoResp(t *testing.T) {
	h := newHarness(t)
	if r := h.send(ctrlID, operate("Device.Reboot()", "test62", false, nil)); r != nil {
		t.Fatalf("answered send_resp=false: %v", r)
	}
	select {
	case <-h.reboot:
	default:
		t.Fatal("Reboot() did not reach the node")
	}
}

// TestTP1_64AsyncCancel runs an asynchronous command and cancels it
// through its Request row: it ends with 7023 and the row goes.
func TestTP1_64AsyncCancel(t *testing.T) {
	h := newHarness(t)
	req := requestTable + "1."
	r := h.send(ctrlID, operate(scheduleTimer, "test64", true, map[string]string{"DelaySeconds": "600"}))
	wantResp(t, r, operateResp(opStarted(scheduleTimer, req)))
	if d := h.timer(); d != 600*time.Second {
		t.Fatalf("timer %v", d)
	}
	r = h.send(ctrlID, operate(req+"Cancel()", "", true, nil))
	wantResp(t, r, operateResp(opOutput(req+"Cancel()", map[string]string{})))
	oc := h.completion()
	if usp.CodeOf(oc.Err) != usp.ErrCommandCanceled || oc.CommandKey != "test64" || oc.ObjPath != "Device." {
		t.Fatalf("completion %+v", oc)
	}
	h.a.Wait()
	wantRows(t, h, requestTable)
	// The row is gone, so a second Cancel() names nothing: the path is
	// not in the instantiated model (7026, for the whole message).
	wantError(t, h.send(ctrlID, operate(req+"Cancel()", "", true, nil)), uspError(usp.ErrInvalidPath))
}

func TestTP1_65AsyncNoResp(t *testing.T) {
	h := newHarness(t)
	if r := h.send(ctrlID, operate(scheduleTimer, "test65", false, map[string]string{"DelaySeconds": "5"})); r != nil {
		t.Fatalf("answered send_resp=false: %v", r)
	}
	if d := h.timer(); d != 5*time.Second {
		t.Fatalf("timer %v", d)
	}
	wantRows(t, h, requestTable, requestTable+"1.")
	wantValues(t, h, requestTable+"1.CommandKey", "test65", requestTable+"1.Status", "Active")
	h.fire <- time.Time{}
	oc := h.completion()
	if oc.Err != nil || oc.ObjPath != "Device." || oc.CommandName != "ScheduleTimer()" || oc.CommandKey != "test65" {
		t.Fatalf("completion %+v", oc)
	}
	h.a.Wait()
	wantRows(t, h, requestTable)
}

func TestTP1_79AsyncWithArguments(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, operate(scheduleTimer, "test79", true, map[string]string{"DelaySeconds": "30"}))
	wantResp(t, r, operateResp(opStarted(scheduleTimer, requestTable+"1.")))
	wantValues(t, h, requestTable+"1.Originator", string(ctrlID), requestTable+"1.Command", scheduleTimer,
		requestTable+"1.CommandKey", "test79", requestTable+"1.Status", "Active")
	if d := h.timer(); d != 30*time.Second {
		t.Fatalf("timer %v", d)
	}
	h.fire <- time.Time{}
	oc := h.completion()
	if oc.Err != nil || oc.ObjPath != "Device." || oc.CommandName != "ScheduleTimer()" || oc.CommandKey != "test79" ||
		oc.Originator != ctrlID || len(oc.Output) != 0 {
		t.Fatalf("completion %+v", oc)
	}
	h.a.Wait()
	wantRows(t, h, requestTable)
}

func TestTP1_91UnknownArgumentIgnored(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, operate(scheduleTimer, "", true, map[string]string{"DelaySeconds": "10", "InvalidArgument": "2"}))
	wantResp(t, r, operateResp(opStarted(scheduleTimer, requestTable+"1.")))
	if d := h.timer(); d != 10*time.Second {
		t.Fatalf("timer %v", d)
	}
}

// TestTP1_100InvalidArgumentValues extends 1.100 (mandatory argument
// missing) to argument values the command's type refuses: 7027 too, and
// nothing starts.
func TestTP1_100InvalidArgumentValues(t *testing.T) {
	h := newHarness(t)
	for _, v := range []string{"0", "-5", "ten", ""} {
		r := h.send(ctrlID, operate(scheduleTimer, "k", true, map[string]string{"DelaySeconds": v}))
		wantResp(t, r, operateResp(opFailed(scheduleTimer, usp.ErrInvalidCommandArguments)))
	}
	wantRows(t, h, requestTable)
	select {
	case d := <-h.timers:
		t.Fatalf("timer armed for %v", d)
	default:
	}
}

// Records.

// record sends hand-built record bytes as if from peer and returns what
// the Agent answered.
func (h *harness) record(peer usp.EndpointID, b []byte) (*usprecord.Record, error) {
	h.t.Helper()
	return h.a.HandleRecord(context.Background(), peer, b)
}

// recordOf encodes msg from from to to as a no-session-context Record.
func recordOf(t *testing.T, to, from usp.EndpointID, msg *uspmsg.Msg) []byte {
	t.Helper()
	rec, err := usp.NewRecord(to, from, msg)
	if err != nil {
		t.Fatal(err)
	}
	return mustMarshal(t, rec)
}

// answer decodes the Message in the Agent's answer record.
func (h *harness) answer(rec *usprecord.Record, err error) *uspmsg.Msg {
	t := h.t
	t.Helper()
	if err != nil || rec == nil {
		t.Fatalf("no answer: %v", err)
	}
	if rec.GetToId() != string(ctrlID) || rec.GetFromId() != string(agentID) {
		t.Fatalf("answer addressed to %s from %s", rec.GetToId(), rec.GetFromId())
	}
	m, err := usp.MsgFromRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func getEndpointID(id string) *uspmsg.Msg {
	return usp.NewRequest(id, get([]string{"Device.LocalAgent.EndpointID"}, 0))
}

func TestTP2_2WrongToID(t *testing.T) {
	h := newHarness(t)
	for _, to := range []usp.EndpointID{"os::012345-AP0002", "proto::controller-1", "os::012345-ap0001"} {
		out, err := h.record(ctrlID, recordOf(t, to, ctrlID, getEndpointID("m1")))
		if out != nil || err != nil {
			t.Fatalf("to %s: answered %v, %v", to, out, err)
		}
	}
	wantRows(t, h, "Device.LocalAgent.Controller.") // not even seen as a Controller
}

// TestTP2_4FromIDNotThePeer: the from_id must be the Endpoint ID the MTP
// authenticated (R-SEC.0a); a record claiming another is dropped.
func TestTP2_4FromIDNotThePeer(t *testing.T) {
	h := newHarness(t)
	out, err := h.record(ctrl2ID, recordOf(t, agentID, ctrlID, usp.NewRequest("m1", add(false, create(subTable)))))
	if out != nil || err != nil {
		t.Fatalf("answered %v, %v", out, err)
	}
	wantRows(t, h, subTable)
	wantRows(t, h, "Device.LocalAgent.Controller.")
	// An MTP that authenticates nobody passes "": from_id is believed.
	m := h.answer(h.record("", recordOf(t, agentID, ctrlID, getEndpointID("m2"))))
	if m.GetHeader().GetMsgId() != "m2" || m.GetBody().GetResponse().GetGetResp() == nil {
		t.Fatalf("answer %v", m)
	}
}

func TestTP3_1MalformedRecords(t *testing.T) {
	h := newHarness(t)
	good := recordOf(t, agentID, ctrlID, getEndpointID("m1"))
	for name, b := range map[string][]byte{
		"empty":          {},
		"garbage":        []byte("\xff\xfe garbage \x00"),
		"truncated":      good[:len(good)-3],
		"no record_type": recordWith(),
		"empty payload":  mustMarshal(t, &usprecord.Record{Version: "1.4", ToId: string(agentID), FromId: string(ctrlID), RecordType: &usprecord.Record_NoSessionContext{NoSessionContext: &usprecord.NoSessionContextRecord{}}}),
		"payload not a Msg": mustMarshal(t, &usprecord.Record{Version: "1.4", ToId: string(agentID), FromId: string(ctrlID),
			RecordType: &usprecord.Record_NoSessionContext{NoSessionContext: &usprecord.NoSessionContextRecord{Payload: []byte{0xff, 0xff}}}}),
	} {
		out, err := h.record(ctrlID, b)
		if out != nil || usp.CodeOf(err) != usp.ErrRecordNotParsed {
			t.Errorf("%s: answer %v, error %v (want none and 7100)", name, out, err)
		}
	}
	wantRows(t, h, "Device.LocalAgent.Controller.")
}

// TestTP3_1BadMessages: a readable request with a broken body is
// answered with an Error carrying its msg_id (R-MTP.5, R-ENC.4/5);
// responses and errors never are.
func TestTP3_1BadMessages(t *testing.T) {
	h := newHarness(t)
	wrap := func(payload []byte) []byte {
		return mustMarshal(t, &usprecord.Record{Version: "1.3", ToId: string(agentID), FromId: string(ctrlID),
			RecordType: &usprecord.Record_NoSessionContext{NoSessionContext: &usprecord.NoSessionContextRecord{Payload: payload}}})
	}
	for _, tc := range []struct {
		name    string
		msg     []byte
		id      string
		code    usp.ErrorCode // 0: no answer
		errCode usp.ErrorCode // HandleRecord's error
	}{
		{"no body", mustMarshal(t, &uspmsg.Msg{Header: &uspmsg.Header{MsgId: "nobody", MsgType: uspmsg.Header_GET}}), "nobody", usp.ErrInvalidArguments, 0},
		{"empty body", mustMarshal(t, &uspmsg.Msg{Header: &uspmsg.Header{MsgId: "b", MsgType: uspmsg.Header_SET}, Body: &uspmsg.Body{}}), "b", usp.ErrInvalidArguments, 0},
		{"empty request", mustMarshal(t, &uspmsg.Msg{Header: &uspmsg.Header{MsgId: "r", MsgType: uspmsg.Header_GET},
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Request{Request: &uspmsg.Request{}}}}), "r", usp.ErrInvalidArguments, 0},
		{"newer request type", msgWithBody(lenField(1, lenField(99, strField(1, "x")))), "m1", usp.ErrMessageNotSupported, 0},
		{"two request members", msgWithBody(lenField(1, lenField(1, strField(1, "Device.")), lenField(6, strField(2, "Device.X.1.")))), "m1", usp.ErrInvalidArguments, 0},
		{"no msg_id", mustMarshal(t, &uspmsg.Msg{Header: &uspmsg.Header{MsgType: uspmsg.Header_GET}}), "", 0, usp.ErrInvalidArguments},
		{"response without body", mustMarshal(t, &uspmsg.Msg{Header: &uspmsg.Header{MsgId: "x", MsgType: uspmsg.Header_GET_RESP}}), "", 0, usp.ErrInvalidArguments},
		{"empty response", mustMarshal(t, &uspmsg.Msg{Header: &uspmsg.Header{MsgId: "x", MsgType: uspmsg.Header_GET_RESP},
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Response{Response: &uspmsg.Response{}}}}), "", 0, usp.ErrInvalidArguments},
	} {
		out, err := h.record(ctrlID, wrap(tc.msg))
		if tc.code == 0 {
			if out != nil || usp.CodeOf(err) != tc.errCode {
				t.Errorf("%s: answer %v, error %v (want none and %d)", tc.name, out, err, tc.errCode)
			}
			continue
		}
		m := h.answer(out, err)
		if m.GetHeader().GetMsgId() != tc.id || m.GetHeader().GetMsgType() != uspmsg.Header_ERROR ||
			m.GetBody().GetError().GetErrCode() != uint32(tc.code) || m.GetBody().GetError().GetErrMsg() == "" {
			t.Errorf("%s: answer %v, want Error %d for msg_id %q", tc.name, m, tc.code, tc.id)
		}
	}
}

// TestTP3_1RequestsAnAgentDoesNotTake: Notify, Register and Deregister
// go from an Agent to a Controller; sent to the Agent they are 7001.
func TestTP3_1RequestsAnAgentDoesNotTake(t *testing.T) {
	h := newHarness(t)
	for _, req := range []*uspmsg.Request{
		{ReqType: &uspmsg.Request_Notify{Notify: &uspmsg.Notify{SubscriptionId: "s", SendResp: true,
			Notification: &uspmsg.Notify_Event_{Event: &uspmsg.Notify_Event{ObjPath: "Device.", EventName: "Boot!"}}}}},
		{ReqType: &uspmsg.Request_Register{Register: &uspmsg.Register{RegPaths: []*uspmsg.Register_RegistrationPath{{Path: "Device.X_Y."}}}}},
		{ReqType: &uspmsg.Request_Deregister{Deregister: &uspmsg.Deregister{Paths: []string{"Device.X_Y."}}}},
	} {
		wantError(t, h.send(ctrlID, req), uspError(usp.ErrMessageNotSupported))
	}
}

// TestTP3_1ResponsesAreNotAnswered: responses and errors a Controller
// sends are consumed, never answered.
func TestTP3_1ResponsesAreNotAnswered(t *testing.T) {
	h := newHarness(t)
	for _, m := range []*uspmsg.Msg{
		usp.NewResponse("n1", &uspmsg.Response{RespType: &uspmsg.Response_NotifyResp{NotifyResp: &uspmsg.NotifyResp{SubscriptionId: "s"}}}),
		usp.NewError("n2", usp.Errorf(usp.ErrMessageFailed, "no")),
	} {
		out, err := h.record(ctrlID, recordOf(t, agentID, ctrlID, m))
		if out != nil || err != nil {
			t.Fatalf("answered %v: %v, %v", m, out, err)
		}
	}
}

// TestTP3_1DisconnectRecord: a Controller closing its side is not
// answered, and is not an error for the MTP to report.
func TestTP3_1DisconnectRecord(t *testing.T) {
	h := newHarness(t)
	b, err := usp.EncodeRecord(usp.NewDisconnect(agentID, ctrlID, usp.ErrSessionContextTerminated, "bye"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := h.record(ctrlID, b); out != nil || err != nil {
		t.Fatalf("answered %v, %v", out, err)
	}
}

// TestTP3_8SessionContextNotSupported: this Agent does not do session
// contexts (TP 3.8–3.14 are conditional on them); a session-context
// Record is answered with a DisconnectRecord 7106 (R-E2E.6a).
func TestTP3_8SessionContextNotSupported(t *testing.T) {
	h := newHarness(t)
	payload := mustMarshal(t, getEndpointID("s1"))
	b := mustMarshal(t, &usprecord.Record{Version: "1.4", ToId: string(agentID), FromId: string(ctrlID),
		RecordType: &usprecord.Record_SessionContext{SessionContext: &usprecord.SessionContextRecord{
			SessionId: 7, SequenceId: 1, ExpectedId: 1, Payload: [][]byte{payload}}}})
	out, err := h.record(ctrlID, b)
	if err != nil || out.GetDisconnect() == nil || out.GetDisconnect().GetReasonCode() != uint32(usp.ErrSessionContextNotAllowed) ||
		out.GetToId() != string(ctrlID) || out.GetFromId() != string(agentID) || out.GetVersion() != usp.Version {
		t.Fatalf("answer %v, %v", out, err)
	}
}

// TestTP3_1DuplicateMsgIDInProgress: a request whose msg_id is still being
// processed for the same Controller is ignored (R-MSG.4); once answered,
// the msg_id may be used again.
func TestTP3_1DuplicateMsgIDInProgress(t *testing.T) {
	h := newHarness(t)
	entered, release := make(chan usp.EndpointID, 4), make(chan struct{})
	a, err := usp.NewAgent(usp.AgentConfig{EndpointID: agentID, Model: h.m,
		Controllers: func(_ context.Context, id usp.EndpointID) (string, error) {
			entered <- id
			<-release
			return "", nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	b := recordOf(t, agentID, ctrlID, getEndpointID("dup"))
	first := make(chan *usprecord.Record, 1)
	go func() {
		out, _ := a.HandleRecord(context.Background(), ctrlID, b)
		first <- out
	}()
	<-entered // the first copy is in progress
	if out, err := a.HandleRecord(context.Background(), ctrlID, b); out != nil || err != nil {
		t.Fatalf("duplicate answered: %v, %v", out, err)
	}
	close(release)
	m := h.answer(<-first, nil)
	if m.GetHeader().GetMsgId() != "dup" || m.GetBody().GetResponse().GetGetResp() == nil {
		t.Fatalf("first answer %v", m)
	}
	m = h.answer(a.HandleRecord(context.Background(), ctrlID, b))
	if m.GetHeader().GetMsgId() != "dup" {
		t.Fatalf("reused msg_id answer %v", m)
	}
}

// TP-469 section 1 cases, by number, and where each is tested.
//
// Covered here and in conformance_test.go, conformance_get_test.go,
// conformance_write_test.go:
//
//	Add        1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 1.9 1.10 1.81 1.88 1.95
//	Set        1.11 1.12 1.13 1.14 1.15 1.16 1.17 1.18 1.19 1.20 1.21 1.22
//	           1.23 1.96 1.104
//	Delete     1.24 1.25 1.26 1.27 1.28 1.29 1.30 1.31 1.32 1.33 1.34 1.35
//	           1.90
//	Get        1.36 1.37 1.38 1.39 1.40 1.41 1.42 1.43 1.44 1.45 1.46 1.47
//	           1.48 1.49 1.50 1.51 1.82 1.86 1.87 1.89
//	Operate    1.61 1.62 1.64 1.65 1.79 1.91 1.100
//	GetInst.   1.66 1.67 1.68 1.70 1.71 1.83
//	GSDM       1.72 1.73 1.74 1.75 1.76 1.77 1.97 1.98 1.99 1.105 1.106 1.107
//	GSP        1.80
//	Records    2.1 2.2 2.4 (from_id ≠ authenticated peer), 3.1 (malformed
//	           records and messages, Notify/Register/Deregister to the Agent,
//	           responses, DisconnectRecord, duplicate msg_id), 3.8 (session
//	           context refused with 7106)
//
// TP-469 section 2 (access control) in conformance_access_test.go, with a
// real access.Evaluator deciding for the Agent and the Notifier: 2.9
// (unknown Controller gets the UntrustedRole), 2.12 2.14 2.16 (Add,
// Delete, Set without w: Error 7006, or oper_failure / param_errs),
// 2.18 (Operate without x: cmd_failure 7006, nothing runs), 2.20 (no n:
// no ValueChange, ObjectCreation or Event), 2.21 (highest Order wins
// within a Role, Roles OR-ed), 2.22 (unreadable parameter omitted, 7026
// when named; unreadable object 7026), 2.24 2.25 2.26 (Add with a
// forbidden parameter: Error 7006 / default kept / oper_failure 7006),
// 2.27 (SecuredRoles: "" in Get, SetResp and ValueChange). Several
// Controllers at once (issue #5) in multitenant_test.go.
//
// In notify_test.go (the subscriptions work): 1.52–1.58 (ValueChange,
// retry, TimeToLive, NotifExpiration, ObjectCreation/Deletion) and 1.78
// (a deleted Controller's Subscriptions go).
//
// Left out, with the reason:
//
//	1.59        Periodic! — the Notifier has no Periodic! timer yet
//	            (subscriptions work).
//	1.60        OnBoardRequest — SendOnBoardRequest() is wired by the node;
//	            here Config.SendOnBoardRequest is nil (subscriptions work).
//	1.63        deprecated by 1.79 (Controller.{i}.ScheduleTimer() left
//	            Device:2.14).
//	1.69        not in force in TP-469.
//	1.84        Notify on a search-path ReferenceList (subscriptions work).
//	1.85        "for future work" in TP-469.
//	1.92        needs TraceRoute(), which this model does not have; no other
//	            command has an observable optional-argument default.
//	1.93 1.94   TriggerAction / TriggerConfigSettings are not in this
//	            model's Subscription (optional parameters).
//	1.101–1.103 not in the §13 table this suite follows; no text at hand.
//
// Section 2 left out, with the reason:
//
//	2.3 2.5–2.8 2.10 2.11 2.13 2.15 2.17 2.19 2.23, and 2.28 on: not in
//	            the §13 table this suite follows and no text at hand, so
//	            their procedures are not guessed. Those about certificates
//	            and the MTP's authentication belong to the CoAP/DTLS suite
//	            (this one has no MTP); challenges (RequestChallenge()) and
//	            TOFU are not implemented by this Agent.
//
// GetSupportedDM with Param r denied still lists the parameter's
// meta-information (only objects are filtered, by Obj r): no section-2
// case in the table covers it.
