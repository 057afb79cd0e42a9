package usp_test

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
	"github.com/uspmesh/uspmesh/usp"
)

func getMsg() *uspmsg.Msg {
	return usp.NewRequest("m1", &uspmsg.Request{ReqType: &uspmsg.Request_Get{Get: &uspmsg.Get{
		ParamPaths: []string{"Device.Time.", "Device.WiFi."},
		MaxDepth:   2,
	}}})
}

// wantCode fails t unless err is an *usp.Error with code want.
func wantCode(t *testing.T, err error, want usp.ErrorCode) {
	t.Helper()
	var e *usp.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *usp.Error, want code %d", err, err, want)
	}
	if e.Code != want {
		t.Errorf("code = %d (%v), want %d", e.Code, err, want)
	}
}

func TestRecordGolden(t *testing.T) {
	r, err := usp.NewRecord("proto::a1", "proto::c1", getMsg())
	if err != nil {
		t.Fatalf("NewRecord: %v", err)
	}
	b, err := usp.EncodeRecord(r)
	if err != nil {
		t.Fatalf("EncodeRecord: %v", err)
	}
	if !bytes.Equal(b, goldenRecord()) {
		t.Errorf("EncodeRecord\n got %x\nwant %x", b, goldenRecord())
	}
}

func TestRecordRoundTrip(t *testing.T) {
	msg := getMsg()
	r, err := usp.NewRecord("proto::agent", "proto::ctrl", msg)
	if err != nil {
		t.Fatalf("NewRecord: %v", err)
	}
	if r.GetVersion() != "1.4" || r.GetToId() != "proto::agent" || r.GetFromId() != "proto::ctrl" ||
		r.GetPayloadSecurity() != usprecord.Record_PLAINTEXT || r.GetNoSessionContext() == nil {
		t.Errorf("NewRecord = %v", r)
	}
	b, err := usp.EncodeRecord(r)
	if err != nil {
		t.Fatalf("EncodeRecord: %v", err)
	}
	got, err := usp.DecodeRecord(b)
	if err != nil {
		t.Fatalf("DecodeRecord: %v", err)
	}
	if !proto.Equal(got, r) {
		t.Errorf("DecodeRecord = %v, want %v", got, r)
	}
	m, err := usp.MsgFromRecord(got)
	if err != nil {
		t.Fatalf("MsgFromRecord: %v", err)
	}
	if !proto.Equal(m, msg) {
		t.Errorf("MsgFromRecord = %v, want %v", m, msg)
	}
}

func TestDisconnect(t *testing.T) {
	r := usp.NewDisconnect("proto::ctrl", "proto::agent", usp.ErrSessionContextNotAllowed, "no sessions")
	want := &usprecord.Record{
		Version: "1.4", ToId: "proto::ctrl", FromId: "proto::agent",
		RecordType: &usprecord.Record_Disconnect{Disconnect: &usprecord.DisconnectRecord{
			Reason: "no sessions", ReasonCode: 7106,
		}},
	}
	if !proto.Equal(r, want) {
		t.Errorf("NewDisconnect = %v, want %v", r, want)
	}
	b, err := usp.EncodeRecord(r)
	if err != nil {
		t.Fatalf("EncodeRecord: %v", err)
	}
	got, err := usp.DecodeRecord(b)
	if err != nil || !proto.Equal(got, want) {
		t.Errorf("DecodeRecord = %v, %v; want %v", got, err, want)
	}
}

func TestNewRecordErrors(t *testing.T) {
	if _, err := usp.NewRecord("", "proto::c", getMsg()); err == nil {
		t.Error("NewRecord with empty to: no error")
	}
	if _, err := usp.NewRecord("proto::a", "", getMsg()); err == nil {
		t.Error("NewRecord with empty from: no error")
	}
	if _, err := usp.NewRecord("proto::a", "proto::c", nil); err == nil {
		t.Error("NewRecord with nil msg: no error")
	}
	bad := usp.NewRequest("m", &uspmsg.Request{ReqType: &uspmsg.Request_Get{Get: &uspmsg.Get{ParamPaths: []string{"\xff"}}}})
	if _, err := usp.NewRecord("proto::a", "proto::c", bad); err == nil {
		t.Error("NewRecord with invalid UTF-8: no error")
	}
	if _, err := usp.EncodeRecord(nil); err == nil {
		t.Error("EncodeRecord(nil): no error")
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	nsc := lenField(7, lenField(2, goldenGetMsg()))
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"garbage", unhex("ff ff ff")},
		{"truncated", goldenRecord()[:40]},
		{"bad length", unhex("0a 7f 31")},
		{"invalid UTF-8 version", append(strField(1, "\xff"), nsc...)},
		{"no version", append(strField(2, "a"), append(strField(3, "c"), nsc...)...)},
		{"no to_id", append(strField(1, "1.4"), append(strField(3, "c"), nsc...)...)},
		{"no from_id", append(strField(1, "1.4"), append(strField(2, "a"), nsc...)...)},
		{"no record_type", recordWith()},
		{"unknown record_type only", recordWith(lenField(14, nil))},
		{"two record_types", recordWith(nsc, lenField(12, strField(1, "bye")))},
		{"record_type wrong wire type", recordWith(varintField(7, 1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := usp.DecodeRecord(tt.b)
			if r != nil {
				t.Errorf("DecodeRecord returned a record with its error: %v", r)
			}
			wantCode(t, err, usp.ErrRecordNotParsed)
		})
	}
}

func TestDecodeRecordTolerates(t *testing.T) {
	nsc := lenField(7, lenField(2, goldenGetMsg()))
	tests := []struct {
		name string
		b    []byte
	}{
		{"golden", goldenRecord()},
		{"unknown field", recordWith(nsc, strField(99, "future"))},
		{"same member twice", recordWith(nsc, nsc)},
		{"odd version", append(strField(1, "2.7"), goldenRecord()[5:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := usp.DecodeRecord(tt.b); err != nil {
				t.Errorf("DecodeRecord: %v", err)
			}
		})
	}
}

func TestCheckVersion(t *testing.T) {
	for _, v := range []string{"1.0", "1.3", "1.4", "1.10", "2.0", "01.4"} {
		if err := usp.CheckVersion(v); err != nil {
			t.Errorf("CheckVersion(%q) = %v, want nil", v, err)
		}
	}
	for _, v := range []string{"", "abc", "1", "1.", ".4", "1.4.1", "v1.4", "1.x", "-1.4", "1.4 ", "1234567890.1"} {
		err := usp.CheckVersion(v)
		if err == nil {
			t.Errorf("CheckVersion(%q) = nil, want an error", v)
			continue
		}
		wantCode(t, err, usp.ErrInvalidRecordValue)
	}
}
