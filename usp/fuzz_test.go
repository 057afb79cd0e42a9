package usp_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// seedMsgs returns encoded Messages for the fuzz corpora: the hand-encoded
// golden Get and one message of each shape the builders make.
func seedMsgs(f *testing.F) [][]byte {
	msgs := []*uspmsg.Msg{
		usp.NewRequest("s1", &uspmsg.Request{ReqType: &uspmsg.Request_Set{Set: &uspmsg.Set{
			AllowPartial: true,
			UpdateObjs: []*uspmsg.Set_UpdateObject{{ObjPath: "Device.WiFi.SSID.1.", ParamSettings: []*uspmsg.Set_UpdateParamSetting{
				{Param: "SSID", Value: "mesh", Required: true},
			}}},
		}}}),
		usp.NewRequest("s2", &uspmsg.Request{ReqType: &uspmsg.Request_Notify{Notify: &uspmsg.Notify{
			SubscriptionId: "sub", Notification: &uspmsg.Notify_ValueChange_{ValueChange: &uspmsg.Notify_ValueChange{ParamPath: "Device.X", ParamValue: "1"}},
		}}}),
		usp.NewResponse("s3", &uspmsg.Response{RespType: &uspmsg.Response_GetResp{GetResp: &uspmsg.GetResp{
			ReqPathResults: []*uspmsg.GetResp_RequestedPathResult{{RequestedPath: "Device.", ResolvedPathResults: []*uspmsg.GetResp_ResolvedPathResult{
				{ResolvedPath: "Device.", ResultParams: map[string]string{"A": "1"}},
			}}},
		}}}),
		usp.NewResponse("s4", &uspmsg.Response{RespType: &uspmsg.Response_OperateResp{OperateResp: &uspmsg.OperateResp{
			OperationResults: []*uspmsg.OperateResp_OperationResult{{ExecutedCommand: "Device.Reboot()",
				OperationResp: &uspmsg.OperateResp_OperationResult_CmdFailure{CmdFailure: &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: 7022}}}},
		}}}),
		usp.NewError("s5", usp.Errorf(usp.ErrInvalidArguments, "bad"), &uspmsg.Error_ParamError{ParamPath: "Device.X", ErrCode: 7012}),
	}
	out := [][]byte{goldenGetMsg()}
	for _, m := range msgs {
		out = append(out, mustMarshal(f, m))
	}
	return out
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(goldenRecord())
	f.Add([]byte{})
	f.Add(recordWith(lenField(7, lenField(2, goldenGetMsg())), lenField(12, strField(1, "x"))))
	for _, m := range seedMsgs(f) {
		f.Add(recordWith(lenField(7, lenField(2, m))))
	}
	if b, err := usp.EncodeRecord(usp.NewDisconnect("proto::c", "proto::a", usp.ErrSessionContextNotAllowed, "no")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := usp.DecodeRecord(b)
		if err != nil {
			checkUSPError(t, err)
			if r != nil {
				t.Fatalf("DecodeRecord returned a record with error %v", err)
			}
			return
		}
		out, err := usp.EncodeRecord(r)
		if err != nil {
			t.Fatalf("EncodeRecord of a decoded record: %v", err)
		}
		again, err := usp.DecodeRecord(out)
		if err != nil {
			t.Fatalf("DecodeRecord of re-encoded record: %v\nin  %x\nout %x", err, b, out)
		}
		if !proto.Equal(r, again) {
			t.Fatalf("re-decoded record differs:\n%v\n%v", r, again)
		}
		m, err := usp.MsgFromRecord(r)
		if err != nil {
			checkUSPError(t, err)
		}
		checkMsg(t, m, err)
	})
}

func FuzzDecodeMsg(f *testing.F) {
	for _, m := range seedMsgs(f) {
		f.Add(m)
	}
	f.Add(msgWithBody(lenField(1, lenField(1), lenField(4))))
	f.Add(msgWithBody(lenField(1, lenField(12))))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := usp.MsgFromRecord(payloadRecord(b))
		if err != nil {
			checkUSPError(t, err)
		}
		checkMsg(t, m, err)
		if m == nil {
			return
		}
		// Whatever was decoded re-encodes and decodes to the same Msg, and
		// a valid Msg stays valid. (An invalid one may become valid: of a
		// oneof with two members only the last survives the round trip.)
		out, merr := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if merr != nil {
			t.Fatalf("Marshal of a decoded Msg: %v", merr)
		}
		m2, err2 := usp.MsgFromRecord(payloadRecord(out))
		if m2 == nil || !proto.Equal(m, m2) {
			t.Fatalf("re-decoded Msg differs (%v):\n%v\n%v", err2, m, m2)
		}
		if err == nil && err2 != nil {
			t.Fatalf("valid Msg rejected after re-encode: %v", err2)
		}
	})
}

func FuzzParseEndpointID(f *testing.F) {
	for _, s := range []string{
		"oui:00256D:my-unique-bbf-id-42", "cid:3AA3F8:x", "pen:3561:y", "self::my-agent",
		"os::00256D-abc", "ops::012345-Class-SN", "uuid::f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
		"imei::990000862471854", "proto::agent-ap1", "doc::x", "fqdn::host.example.org",
		"user::a%3Ab", "", ":", "::", "a:b:c:d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := usp.ParseEndpointID(s)
		if err != nil {
			var e *usp.EndpointIDError
			if !errors.As(err, &e) || e.ID != s || e.Reason == "" || id != "" {
				t.Fatalf("ParseEndpointID(%q) = %q, %v", s, id, err)
			}
			return
		}
		if id.String() != s {
			t.Fatalf("String() = %q, want %q", id.String(), s)
		}
		if again, err := usp.ParseEndpointID(id.String()); err != nil || again != id {
			t.Fatalf("re-parse of %q = %q, %v", id, again, err)
		}
		if got := id.Scheme() + ":" + id.Authority() + ":" + id.InstanceID(); got != s {
			t.Fatalf("parts rebuild %q, want %q", got, s)
		}
		_ = id.IsProduction()
	})
}

// checkUSPError fails t unless err is a *usp.Error with a record or
// message error code.
func checkUSPError(t *testing.T, err error) {
	t.Helper()
	var e *usp.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *usp.Error", err, err)
	}
	switch e.Code {
	case usp.ErrRecordNotParsed, usp.ErrInvalidRecordValue, usp.ErrSessionContextNotAllowed,
		usp.ErrInvalidArguments, usp.ErrMessageNotSupported:
	default:
		t.Fatalf("unexpected code %d: %v", e.Code, err)
	}
}

// checkMsg checks MsgFromRecord's contract on (m, err): a Msg comes with a
// nil error only when it has a msg_id and a type, and with an error only
// for message-level codes.
func checkMsg(t *testing.T, m *uspmsg.Msg, err error) {
	t.Helper()
	code := usp.CodeOf(err)
	switch {
	case err == nil && m == nil:
		t.Fatal("MsgFromRecord returned neither Msg nor error")
	case err == nil:
		if m.GetHeader().GetMsgId() == "" {
			t.Fatal("accepted a Msg without msg_id")
		}
		if _, ok := usp.MsgTypeOf(m.GetBody()); !ok {
			t.Fatal("accepted a Msg without a type")
		}
	case m != nil && code != usp.ErrInvalidArguments && code != usp.ErrMessageNotSupported:
		t.Fatalf("Msg returned with record-level error %v", err)
	}
}
