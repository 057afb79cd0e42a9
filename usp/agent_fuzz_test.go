package usp_test

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
	"github.com/uspmesh/uspmesh/usp"
)

// snapshot is every parameter of the model as sorted "path=value" lines.
func (h *harness) snapshot() []string {
	h.t.Helper()
	root, err := path.Parse("Device.")
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := h.m.Get(context.Background(), root, 0, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, o := range res {
		for _, p := range o.Params {
			out = append(out, o.Path+p.Name+"="+p.Value)
		}
	}
	sort.Strings(out)
	return out
}

// changed lists the lines of after that are not in before and the lines
// of before that are not in after.
func changed(before, after []string) []string {
	seen := make(map[string]int, len(before))
	for _, l := range before {
		seen[l]++
	}
	var out []string
	for _, l := range after {
		if seen[l] > 0 {
			seen[l]--
			continue
		}
		out = append(out, "+"+l)
	}
	for l, n := range seen {
		for ; n > 0; n-- {
			out = append(out, "-"+l)
		}
	}
	return out
}

// fuzzSeeds are the requests the corpus starts from: one of each kind a
// Controller sends, writes included.
func fuzzSeeds() []*uspmsg.Msg {
	gsdm := &uspmsg.Request{ReqType: &uspmsg.Request_GetSupportedDm{GetSupportedDm: &uspmsg.GetSupportedDM{
		ObjPaths: []string{"Device.LocalAgent."}, ReturnParams: true, ReturnCommands: true, ReturnEvents: true, ReturnUniqueKeySets: true}}}
	return []*uspmsg.Msg{
		usp.NewRequest("g", get([]string{"Device.LocalAgent.", "Device.LocalAgent.Subscription.[Enable==true].ID"}, 2)),
		usp.NewRequest("s", set(true, upd("Device.LocalAgent.Subscription.*.", "Enable!", "true"), upd("Device.DeviceInfo.", "FriendlyName", "x"))),
		usp.NewRequest("a", add(false, create("Device.LocalAgent.Subscription.", "ID", "f", "NotifType", "ValueChange"))),
		usp.NewRequest("d", del(true, "Device.LocalAgent.Subscription.1.", "Device.LocalAgent.Controller.[Enable==true].")),
		usp.NewRequest("o", operate("Device.ScheduleTimer()", "k", true, map[string]string{"DelaySeconds": "1"})),
		usp.NewRequest("r", operate("Device.Reboot()", "k", false, nil)),
		usp.NewRequest("i", getInstances(false, "Device.LocalAgent.")),
		usp.NewRequest("m", gsdm),
		usp.NewRequest("n", &uspmsg.Request{ReqType: &uspmsg.Request_Notify{Notify: &uspmsg.Notify{SubscriptionId: "x"}}}),
		usp.NewResponse("p", &uspmsg.Response{RespType: &uspmsg.Response_NotifyResp{NotifyResp: &uspmsg.NotifyResp{SubscriptionId: "x"}}}),
	}
}

// FuzzAgentRecord feeds arbitrary bytes to the Agent, as a whole Record
// (wrap false) or as the payload of a well-addressed no-session-context
// Record (wrap true). The Agent must not panic, must answer only with a
// well-formed Record for the sender, must report failures as USP errors,
// and must not change the data model unless the bytes are a valid
// request: any valid request may add its sender to the Controller table,
// and only Set, Add, Delete and Operate may change anything else.
func FuzzAgentRecord(f *testing.F) {
	for _, m := range fuzzSeeds() {
		b := mustMarshal(f, m)
		f.Add(true, b)
		rec, err := usp.NewRecord(agentID, ctrlID, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, mustMarshal(f, rec))
	}
	f.Add(false, []byte{})
	f.Add(false, goldenRecord())
	f.Add(false, mustMarshal(f, &usprecord.Record{Version: "1.4", ToId: string(agentID), FromId: string(ctrlID),
		RecordType: &usprecord.Record_SessionContext{SessionContext: &usprecord.SessionContextRecord{SessionId: 1, SequenceId: 1}}}))
	if b, err := usp.EncodeRecord(usp.NewDisconnect(agentID, ctrlID, usp.ErrSessionContextTerminated, "bye")); err == nil {
		f.Add(false, b)
	}
	f.Fuzz(func(t *testing.T, wrap bool, b []byte) {
		h := newHarness(t)
		in := b
		if wrap {
			in = mustMarshal(t, &usprecord.Record{Version: "1.4", ToId: string(agentID), FromId: string(ctrlID),
				RecordType: &usprecord.Record_NoSessionContext{NoSessionContext: &usprecord.NoSessionContextRecord{Payload: b}}})
		}
		before := h.snapshot()
		out, err := h.a.HandleRecord(context.Background(), "", in)
		checkAnswer(t, in, out, err)
		diff := changed(before, h.snapshot())
		if len(diff) == 0 {
			return
		}
		req := validRequest(in)
		if req == nil {
			t.Fatalf("bytes that are no valid request changed the model: %q", diff)
		}
		switch req.GetReqType().(type) {
		case *uspmsg.Request_Set, *uspmsg.Request_Add, *uspmsg.Request_Delete, *uspmsg.Request_Operate:
			return
		}
		for _, d := range diff {
			if !strings.HasPrefix(d[1:], "Device.LocalAgent.Controller.") && !strings.HasPrefix(d[1:], "Device.LocalAgent.ControllerNumberOfEntries=") {
				t.Fatalf("a %T changed %q", req.GetReqType(), diff)
			}
		}
	})
}

// checkAnswer checks what HandleRecord returned for in.
func checkAnswer(t *testing.T, in []byte, out *usprecord.Record, err error) {
	t.Helper()
	if err != nil {
		if out != nil {
			t.Fatalf("answer %v with error %v", out, err)
		}
		if usp.CodeOf(err) == 0 {
			t.Fatalf("error without a USP code: %v", err)
		}
		return
	}
	if out == nil {
		return
	}
	rec, derr := usp.DecodeRecord(in)
	if derr != nil {
		t.Fatalf("answered undecodable bytes: %v", out)
	}
	if out.GetToId() != rec.GetFromId() || out.GetFromId() != string(agentID) || out.GetVersion() != usp.Version {
		t.Fatalf("answer addressed to %q from %q, version %q", out.GetToId(), out.GetFromId(), out.GetVersion())
	}
	b, eerr := usp.EncodeRecord(out)
	if eerr != nil {
		t.Fatal(eerr)
	}
	back, derr := usp.DecodeRecord(b)
	if derr != nil || !proto.Equal(back, out) {
		t.Fatalf("answer does not round-trip: %v", derr)
	}
	if out.GetDisconnect() != nil {
		return
	}
	m, merr := usp.MsgFromRecord(back)
	if merr != nil {
		t.Fatalf("answer message: %v", merr)
	}
	if m.GetBody().GetRequest() != nil {
		t.Fatalf("the Agent answered with a request: %v", m)
	}
}

// validRequest returns the request in, a Record, carries, or nil.
func validRequest(in []byte) *uspmsg.Request {
	rec, err := usp.DecodeRecord(in)
	if err != nil {
		return nil
	}
	m, err := usp.MsgFromRecord(rec)
	if err != nil {
		return nil
	}
	return m.GetBody().GetRequest()
}

// FuzzAgentRecordReadOnly feeds arbitrary bytes to an Agent under access
// control, from a Controller with the ReadOnly role (or, for Records
// naming another sender, an unknown one with the UntrustedRole). Besides
// FuzzAgentRecord's checks: nothing but the Controller table may change,
// and no answer may carry the secured passphrase.
func FuzzAgentRecordReadOnly(f *testing.F) {
	for _, m := range fuzzSeeds() {
		f.Add(true, mustMarshal(f, m))
	}
	f.Add(true, mustMarshal(f, usp.NewRequest("w", get([]string{"Device.WiFi.AccessPoint.*.Security.", "Device.WiFi."}, 0))))
	f.Add(true, mustMarshal(f, usp.NewRequest("k", set(false, upd("Device.WiFi.AccessPoint.1.Security.", "KeyPassphrase!", "x")))))
	f.Fuzz(func(t *testing.T, wrap bool, b []byte) {
		h := newTrustedHarness(t, access.ReadOnly())
		if err := tr181.Populate(context.Background(), h.m, 1, 1, 1); err != nil {
			t.Fatal(err)
		}
		h.assign(ctrlID, "ReadOnly")
		in := b
		if wrap {
			in = mustMarshal(t, &usprecord.Record{Version: "1.4", ToId: string(agentID), FromId: string(ctrlID),
				RecordType: &usprecord.Record_NoSessionContext{NoSessionContext: &usprecord.NoSessionContextRecord{Payload: b}}})
		}
		before := h.snapshot()
		out, err := h.a.HandleRecord(context.Background(), "", in)
		checkAnswer(t, in, out, err)
		h.a.Wait()
		if out != nil {
			if enc, err := usp.EncodeRecord(out); err != nil || bytes.Contains(enc, []byte("mesh-passphrase")) {
				t.Fatalf("answer reveals the passphrase (or does not encode: %v): %v", err, out)
			}
		}
		for _, d := range changed(before, h.snapshot()) {
			if !strings.HasPrefix(d[1:], "Device.LocalAgent.Controller.") && !strings.HasPrefix(d[1:], "Device.LocalAgent.ControllerNumberOfEntries=") {
				t.Fatalf("a read-only or untrusted Controller changed %q", d)
			}
		}
	})
}
