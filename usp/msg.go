package usp

import "github.com/uspmesh/uspmesh/proto/uspmsg"

// NewRequest returns a Msg carrying req, with header.msg_type set from the
// req_type oneof (GET for get, NOTIFY for notify, GET_SUPPORTED_PROTO for
// get_supported_protocol, ...). A req with no req_type leaves msg_type
// ERROR (0); MsgFromRecord at the other end rejects such a Msg with 7004.
func NewRequest(msgID string, req *uspmsg.Request) *uspmsg.Msg {
	body := &uspmsg.Body{MsgBody: &uspmsg.Body_Request{Request: req}}
	return newMsg(msgID, body)
}

// NewResponse returns a Msg carrying resp, with header.msg_type set from
// the resp_type oneof (GET_RESP, NOTIFY_RESP, GET_SUPPORTED_PROTO_RESP, ...).
// resp answers the request whose msg_id is msgID (R-MSG.9). A resp with no
// resp_type leaves msg_type ERROR (0).
func NewResponse(msgID string, resp *uspmsg.Response) *uspmsg.Msg {
	body := &uspmsg.Body{MsgBody: &uspmsg.Body_Response{Response: resp}}
	return newMsg(msgID, body)
}

// NewError returns an Error Msg (msg_type ERROR) answering the request
// whose msg_id is msgID with e's code and text and the given per-parameter
// errors. A nil e is sent as ErrInternalError with no text.
func NewError(msgID string, e *Error, paramErrs ...*uspmsg.Error_ParamError) *uspmsg.Msg {
	if e == nil {
		e = &Error{Code: ErrInternalError}
	}
	body := &uspmsg.Body{MsgBody: &uspmsg.Body_Error{Error: &uspmsg.Error{
		ErrCode:   uint32(e.Code),
		ErrMsg:    e.Msg,
		ParamErrs: paramErrs,
	}}}
	return newMsg(msgID, body)
}

func newMsg(msgID string, body *uspmsg.Body) *uspmsg.Msg {
	t, _ := MsgTypeOf(body)
	return &uspmsg.Msg{
		Header: &uspmsg.Header{MsgId: msgID, MsgType: t},
		Body:   body,
	}
}

// MsgTypeOf returns the message type named by body's oneofs, and false if
// they name none (no body, or an empty request or response). Receivers use
// it rather than header.msg_type: the body wins (R-MSG.10).
func MsgTypeOf(body *uspmsg.Body) (uspmsg.Header_MsgType, bool) {
	switch b := body.GetMsgBody().(type) {
	case *uspmsg.Body_Request:
		return requestType(b.Request)
	case *uspmsg.Body_Response:
		return responseType(b.Response)
	case *uspmsg.Body_Error:
		return uspmsg.Header_ERROR, true
	}
	return uspmsg.Header_ERROR, false
}

func requestType(req *uspmsg.Request) (uspmsg.Header_MsgType, bool) {
	switch req.GetReqType().(type) {
	case *uspmsg.Request_Get:
		return uspmsg.Header_GET, true
	case *uspmsg.Request_GetSupportedDm:
		return uspmsg.Header_GET_SUPPORTED_DM, true
	case *uspmsg.Request_GetInstances:
		return uspmsg.Header_GET_INSTANCES, true
	case *uspmsg.Request_Set:
		return uspmsg.Header_SET, true
	case *uspmsg.Request_Add:
		return uspmsg.Header_ADD, true
	case *uspmsg.Request_Delete:
		return uspmsg.Header_DELETE, true
	case *uspmsg.Request_Operate:
		return uspmsg.Header_OPERATE, true
	case *uspmsg.Request_Notify:
		return uspmsg.Header_NOTIFY, true
	case *uspmsg.Request_GetSupportedProtocol:
		return uspmsg.Header_GET_SUPPORTED_PROTO, true
	case *uspmsg.Request_Register:
		return uspmsg.Header_REGISTER, true
	case *uspmsg.Request_Deregister:
		return uspmsg.Header_DEREGISTER, true
	}
	return uspmsg.Header_ERROR, false
}

func responseType(resp *uspmsg.Response) (uspmsg.Header_MsgType, bool) {
	switch resp.GetRespType().(type) {
	case *uspmsg.Response_GetResp:
		return uspmsg.Header_GET_RESP, true
	case *uspmsg.Response_GetSupportedDmResp:
		return uspmsg.Header_GET_SUPPORTED_DM_RESP, true
	case *uspmsg.Response_GetInstancesResp:
		return uspmsg.Header_GET_INSTANCES_RESP, true
	case *uspmsg.Response_SetResp:
		return uspmsg.Header_SET_RESP, true
	case *uspmsg.Response_AddResp:
		return uspmsg.Header_ADD_RESP, true
	case *uspmsg.Response_DeleteResp:
		return uspmsg.Header_DELETE_RESP, true
	case *uspmsg.Response_OperateResp:
		return uspmsg.Header_OPERATE_RESP, true
	case *uspmsg.Response_NotifyResp:
		return uspmsg.Header_NOTIFY_RESP, true
	case *uspmsg.Response_GetSupportedProtocolResp:
		return uspmsg.Header_GET_SUPPORTED_PROTO_RESP, true
	case *uspmsg.Response_RegisterResp:
		return uspmsg.Header_REGISTER_RESP, true
	case *uspmsg.Response_DeregisterResp:
		return uspmsg.Header_DEREGISTER_RESP, true
	}
	return uspmsg.Header_ERROR, false
}
