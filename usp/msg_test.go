package usp_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

func TestNewRequest(t *testing.T) {
	tests := []struct {
		req  *uspmsg.Request
		want uspmsg.Header_MsgType
	}{
		{&uspmsg.Request{ReqType: &uspmsg.Request_Get{Get: &uspmsg.Get{}}}, uspmsg.Header_GET},
		{&uspmsg.Request{ReqType: &uspmsg.Request_GetSupportedDm{GetSupportedDm: &uspmsg.GetSupportedDM{}}}, uspmsg.Header_GET_SUPPORTED_DM},
		{&uspmsg.Request{ReqType: &uspmsg.Request_GetInstances{GetInstances: &uspmsg.GetInstances{}}}, uspmsg.Header_GET_INSTANCES},
		{&uspmsg.Request{ReqType: &uspmsg.Request_Set{Set: &uspmsg.Set{}}}, uspmsg.Header_SET},
		{&uspmsg.Request{ReqType: &uspmsg.Request_Add{Add: &uspmsg.Add{}}}, uspmsg.Header_ADD},
		{&uspmsg.Request{ReqType: &uspmsg.Request_Delete{Delete: &uspmsg.Delete{}}}, uspmsg.Header_DELETE},
		{&uspmsg.Request{ReqType: &uspmsg.Request_Operate{Operate: &uspmsg.Operate{}}}, uspmsg.Header_OPERATE},
		{&uspmsg.Request{ReqType: &uspmsg.Request_Notify{Notify: &uspmsg.Notify{}}}, uspmsg.Header_NOTIFY},
		{&uspmsg.Request{ReqType: &uspmsg.Request_GetSupportedProtocol{GetSupportedProtocol: &uspmsg.GetSupportedProtocol{}}}, uspmsg.Header_GET_SUPPORTED_PROTO},
		{&uspmsg.Request{ReqType: &uspmsg.Request_Register{Register: &uspmsg.Register{}}}, uspmsg.Header_REGISTER},
		{&uspmsg.Request{ReqType: &uspmsg.Request_Deregister{Deregister: &uspmsg.Deregister{}}}, uspmsg.Header_DEREGISTER},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			req := tt.req
			m := usp.NewRequest("id-1", req)
			if got := m.GetHeader().GetMsgType(); got != tt.want {
				t.Errorf("msg_type = %v, want %v", got, tt.want)
			}
			if got := m.GetHeader().GetMsgId(); got != "id-1" {
				t.Errorf("msg_id = %q, want id-1", got)
			}
			if m.GetBody().GetRequest() != req {
				t.Errorf("body.request is not the request passed in")
			}
			if got, ok := usp.MsgTypeOf(m.GetBody()); got != tt.want || !ok {
				t.Errorf("MsgTypeOf = %v, %v; want %v, true", got, ok, tt.want)
			}
		})
	}
	if len(tests) != 11 {
		t.Errorf("%d request kinds tested, want 11", len(tests))
	}
}

func TestNewResponse(t *testing.T) {
	tests := []struct {
		resp *uspmsg.Response
		want uspmsg.Header_MsgType
	}{
		{&uspmsg.Response{RespType: &uspmsg.Response_GetResp{GetResp: &uspmsg.GetResp{}}}, uspmsg.Header_GET_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_GetSupportedDmResp{GetSupportedDmResp: &uspmsg.GetSupportedDMResp{}}}, uspmsg.Header_GET_SUPPORTED_DM_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_GetInstancesResp{GetInstancesResp: &uspmsg.GetInstancesResp{}}}, uspmsg.Header_GET_INSTANCES_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_SetResp{SetResp: &uspmsg.SetResp{}}}, uspmsg.Header_SET_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_AddResp{AddResp: &uspmsg.AddResp{}}}, uspmsg.Header_ADD_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_DeleteResp{DeleteResp: &uspmsg.DeleteResp{}}}, uspmsg.Header_DELETE_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_OperateResp{OperateResp: &uspmsg.OperateResp{}}}, uspmsg.Header_OPERATE_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_NotifyResp{NotifyResp: &uspmsg.NotifyResp{}}}, uspmsg.Header_NOTIFY_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_GetSupportedProtocolResp{GetSupportedProtocolResp: &uspmsg.GetSupportedProtocolResp{}}}, uspmsg.Header_GET_SUPPORTED_PROTO_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_RegisterResp{RegisterResp: &uspmsg.RegisterResp{}}}, uspmsg.Header_REGISTER_RESP},
		{&uspmsg.Response{RespType: &uspmsg.Response_DeregisterResp{DeregisterResp: &uspmsg.DeregisterResp{}}}, uspmsg.Header_DEREGISTER_RESP},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			m := usp.NewResponse("id-2", tt.resp)
			if got := m.GetHeader().GetMsgType(); got != tt.want {
				t.Errorf("msg_type = %v, want %v", got, tt.want)
			}
			if got := m.GetHeader().GetMsgId(); got != "id-2" {
				t.Errorf("msg_id = %q, want id-2", got)
			}
			if m.GetBody().GetResponse() != tt.resp {
				t.Errorf("body.response is not the response passed in")
			}
		})
	}
	if len(tests) != 11 {
		t.Errorf("%d response kinds tested, want 11", len(tests))
	}
}

func TestNewError(t *testing.T) {
	pe := &uspmsg.Error_ParamError{ParamPath: "Device.X.Y", ErrCode: 7012, ErrMsg: "bad"}
	m := usp.NewError("id-3", usp.Errorf(usp.ErrInvalidArguments, "two oneof members"), pe)
	want := &uspmsg.Msg{
		Header: &uspmsg.Header{MsgId: "id-3", MsgType: uspmsg.Header_ERROR},
		Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Error{Error: &uspmsg.Error{
			ErrCode: 7004, ErrMsg: "two oneof members",
			ParamErrs: []*uspmsg.Error_ParamError{{ParamPath: "Device.X.Y", ErrCode: 7012, ErrMsg: "bad"}},
		}}},
	}
	if !proto.Equal(m, want) {
		t.Errorf("NewError = %v, want %v", m, want)
	}
	if got, ok := usp.MsgTypeOf(m.GetBody()); got != uspmsg.Header_ERROR || !ok {
		t.Errorf("MsgTypeOf = %v, %v; want ERROR, true", got, ok)
	}
	nilErr := usp.NewError("id-4", nil)
	if got := nilErr.GetBody().GetError().GetErrCode(); got != 7003 {
		t.Errorf("NewError(nil) err_code = %d, want 7003", got)
	}
}

func TestMsgTypeOfEmpty(t *testing.T) {
	tests := []struct {
		name string
		body *uspmsg.Body
	}{
		{"nil body", nil},
		{"empty body", &uspmsg.Body{}},
		{"empty request", &uspmsg.Body{MsgBody: &uspmsg.Body_Request{Request: &uspmsg.Request{}}}},
		{"nil request", &uspmsg.Body{MsgBody: &uspmsg.Body_Request{}}},
		{"empty response", &uspmsg.Body{MsgBody: &uspmsg.Body_Response{Response: &uspmsg.Response{}}}},
	}
	for _, tt := range tests {
		if got, ok := usp.MsgTypeOf(tt.body); ok || got != uspmsg.Header_ERROR {
			t.Errorf("%s: MsgTypeOf = %v, %v; want ERROR, false", tt.name, got, ok)
		}
	}
	m := usp.NewRequest("x", &uspmsg.Request{})
	if got := m.GetHeader().GetMsgType(); got != uspmsg.Header_ERROR {
		t.Errorf("NewRequest(empty) msg_type = %v, want ERROR", got)
	}
}
