package usp_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
	"github.com/uspmesh/uspmesh/usp"
)

// payloadRecord returns a no-session-context Record carrying payload.
func payloadRecord(payload []byte) *usprecord.Record {
	return &usprecord.Record{
		Version: "1.4", ToId: "proto::a1", FromId: "proto::c1",
		RecordType: &usprecord.Record_NoSessionContext{
			NoSessionContext: &usprecord.NoSessionContextRecord{Payload: payload},
		},
	}
}

func TestMsgFromRecordRecordErrors(t *testing.T) {
	base := func(rt func(*usprecord.Record)) *usprecord.Record {
		r := &usprecord.Record{Version: "1.4", ToId: "proto::a1", FromId: "proto::c1"}
		rt(r)
		return r
	}
	tests := []struct {
		name string
		r    *usprecord.Record
		want usp.ErrorCode
	}{
		{"nil record", nil, usp.ErrRecordNotParsed},
		{"no record_type", base(func(*usprecord.Record) {}), usp.ErrRecordNotParsed},
		{"session_context", base(func(r *usprecord.Record) {
			r.RecordType = &usprecord.Record_SessionContext{SessionContext: &usprecord.SessionContextRecord{
				SessionId: 1, SequenceId: 1, ExpectedId: 1, Payload: [][]byte{goldenGetMsg()},
			}}
		}), usp.ErrSessionContextNotAllowed},
		{"websocket_connect", base(func(r *usprecord.Record) {
			r.RecordType = &usprecord.Record_WebsocketConnect{WebsocketConnect: &usprecord.WebSocketConnectRecord{}}
		}), usp.ErrInvalidRecordValue},
		{"mqtt_connect", base(func(r *usprecord.Record) {
			r.RecordType = &usprecord.Record_MqttConnect{MqttConnect: &usprecord.MQTTConnectRecord{}}
		}), usp.ErrInvalidRecordValue},
		{"stomp_connect", base(func(r *usprecord.Record) {
			r.RecordType = &usprecord.Record_StompConnect{StompConnect: &usprecord.STOMPConnectRecord{}}
		}), usp.ErrInvalidRecordValue},
		{"uds_connect", base(func(r *usprecord.Record) {
			r.RecordType = &usprecord.Record_UdsConnect{UdsConnect: &usprecord.UDSConnectRecord{}}
		}), usp.ErrInvalidRecordValue},
		{"disconnect", usp.NewDisconnect("proto::a1", "proto::c1", usp.ErrSessionContextTerminated, "bye"), usp.ErrInvalidRecordValue},
		{"TLS12 without session", func() *usprecord.Record {
			r := payloadRecord(goldenGetMsg())
			r.PayloadSecurity = usprecord.Record_TLS12
			return r
		}(), usp.ErrInvalidRecordValue},
		{"empty payload", payloadRecord(nil), usp.ErrRecordNotParsed},
		{"garbage payload", payloadRecord(unhex("ff ff")), usp.ErrRecordNotParsed},
		{"truncated payload", payloadRecord(goldenGetMsg()[:20]), usp.ErrRecordNotParsed},
		{"invalid UTF-8 in payload", payloadRecord(lenField(1, strField(1, "\xc3"))), usp.ErrRecordNotParsed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := usp.MsgFromRecord(tt.r)
			if m != nil {
				t.Errorf("MsgFromRecord returned a Msg with its error: %v", m)
			}
			wantCode(t, err, tt.want)
		})
	}
}

func TestMsgFromRecordMsgErrors(t *testing.T) {
	// Whole Msg body fields: body.request.get{param_paths} and
	// body.response.get_resp{req_path_results{requested_path}}.
	get := lenField(2, lenField(1, lenField(1, strField(1, "Device."))))
	resp := lenField(2, lenField(2, lenField(1, lenField(1, strField(1, "Device.")))))
	tests := []struct {
		name    string
		payload []byte
		want    usp.ErrorCode
		msgID   string // msg_id of the Msg returned with the error
	}{
		{"no header", get, usp.ErrInvalidArguments, ""},
		{"empty msg_id", append(lenField(1, varintField(2, 1)), get...), usp.ErrInvalidArguments, ""},
		{"no body", headerField(), usp.ErrInvalidArguments, "m1"},
		{"empty body", msgWithBody(), usp.ErrInvalidArguments, "m1"},
		{"empty request", msgWithBody(lenField(1)), usp.ErrInvalidArguments, "m1"},
		{"empty response", msgWithBody(lenField(2)), usp.ErrInvalidArguments, "m1"},
		{"request and response", msgWithBody(lenField(1, lenField(1)), lenField(2)), usp.ErrInvalidArguments, "m1"},
		{"request and error in two bodies", append(msgWithBody(lenField(1, lenField(1))), lenField(2, lenField(3))...), usp.ErrInvalidArguments, "m1"},
		{"response then request body", append(headerField(), append(resp, get...)...), usp.ErrInvalidArguments, "m1"},
		{"get and set", msgWithBody(lenField(1, lenField(1), lenField(4))), usp.ErrInvalidArguments, "m1"},
		// body.request.notify{event, value_change}
		{"notify event and value_change", msgWithBody(lenField(1, lenField(8, lenField(3), lenField(4)))), usp.ErrInvalidArguments, "m1"},
		// body.response.set_resp.updated_obj_results.oper_status{oper_failure, oper_success}
		{"oper_failure and oper_success", msgWithBody(lenField(2, lenField(4, lenField(1, lenField(2, lenField(1), lenField(2)))))), usp.ErrInvalidArguments, "m1"},
		// body.response.operate_resp.operation_results{req_obj_path, cmd_failure}
		{"req_obj_path and cmd_failure", msgWithBody(lenField(2, lenField(7, lenField(1, strField(2, "Device."), lenField(4))))), usp.ErrInvalidArguments, "m1"},
		{"unknown request type", msgWithBody(lenField(1, lenField(12))), usp.ErrMessageNotSupported, "m1"},
		{"unknown response type", msgWithBody(lenField(2, lenField(12))), usp.ErrMessageNotSupported, "m1"},
		{"unknown body kind", msgWithBody(lenField(4)), usp.ErrMessageNotSupported, "m1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := usp.MsgFromRecord(payloadRecord(tt.payload))
			wantCode(t, err, tt.want)
			if m == nil {
				t.Fatal("MsgFromRecord returned no Msg with a message-level error")
			}
			if got := m.GetHeader().GetMsgId(); got != tt.msgID {
				t.Errorf("returned msg_id = %q, want %q", got, tt.msgID)
			}
		})
	}
}

func TestMsgFromRecordAccepts(t *testing.T) {
	// The body wins over header.msg_type (R-MSG.10): a header saying SET
	// over a Get body is accepted and typed GET.
	mismatch := getMsg()
	mismatch.Header.MsgType = uspmsg.Header_SET
	withUnknown := append(mustMarshal(t, getMsg()), strField(50, "future")...)
	tests := []struct {
		name    string
		payload []byte
		want    uspmsg.Header_MsgType
	}{
		{"golden get", goldenGetMsg(), uspmsg.Header_GET},
		{"msg_type mismatch", mustMarshal(t, mismatch), uspmsg.Header_GET},
		{"unknown top-level field", withUnknown, uspmsg.Header_GET},
		{"same member twice", append(msgWithBody(lenField(1, lenField(1))), lenField(2, lenField(1, lenField(1)))...), uspmsg.Header_GET},
		{"error", mustMarshal(t, usp.NewError("m1", usp.Errorf(usp.ErrInvalidPath, "x"))), uspmsg.Header_ERROR},
		{"notify resp", mustMarshal(t, usp.NewResponse("m1", &uspmsg.Response{RespType: &uspmsg.Response_NotifyResp{NotifyResp: &uspmsg.NotifyResp{}}})), uspmsg.Header_NOTIFY_RESP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := usp.MsgFromRecord(payloadRecord(tt.payload))
			if err != nil {
				t.Fatalf("MsgFromRecord: %v", err)
			}
			if got, ok := usp.MsgTypeOf(m.GetBody()); got != tt.want || !ok {
				t.Errorf("MsgTypeOf = %v, %v; want %v, true", got, ok, tt.want)
			}
			want := new(uspmsg.Msg)
			if err := proto.Unmarshal(tt.payload, want); err != nil || !proto.Equal(m, want) {
				t.Errorf("Msg = %v, want %v (%v)", m, want, err)
			}
		})
	}
}
