package uspmsg_test

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
)

// The tables below transcribe the USP 1.4 field tables (usp-facts.md §1.1
// for usp-msg-1-4, §1.2 for usp-record-1-4; the record file is checked here
// too so one comparison serves both). TestSchema compares them with the
// generated descriptors both ways: every message, field and enum value in a
// table exists with the same number, name, kind, cardinality, map-ness,
// type and oneof, and the descriptors hold nothing the tables lack.
//
// A message is "Name": "fields", fields separated by ';', each written
// "number name [rep] type [@oneof]". Types: string, bytes, bool, uint64,
// fixed32, map (map<string,string>), or a message/enum name relative to the
// package; a name starting with '.' is nested in the message being defined.
// An enum is "Name": "VALUE n, VALUE n, ...".

var msgSchema = map[string]string{
	"Msg":    "1 header Header; 2 body Body",
	"Header": "1 msg_id string; 2 msg_type .MsgType",
	"Body":   "1 request Request @msg_body; 2 response Response @msg_body; 3 error Error @msg_body",
	"Request": "1 get Get @req_type; 2 get_supported_dm GetSupportedDM @req_type; " +
		"3 get_instances GetInstances @req_type; 4 set Set @req_type; 5 add Add @req_type; " +
		"6 delete Delete @req_type; 7 operate Operate @req_type; 8 notify Notify @req_type; " +
		"9 get_supported_protocol GetSupportedProtocol @req_type; 10 register Register @req_type; " +
		"11 deregister Deregister @req_type",
	"Response": "1 get_resp GetResp @resp_type; 2 get_supported_dm_resp GetSupportedDMResp @resp_type; " +
		"3 get_instances_resp GetInstancesResp @resp_type; 4 set_resp SetResp @resp_type; " +
		"5 add_resp AddResp @resp_type; 6 delete_resp DeleteResp @resp_type; " +
		"7 operate_resp OperateResp @resp_type; 8 notify_resp NotifyResp @resp_type; " +
		"9 get_supported_protocol_resp GetSupportedProtocolResp @resp_type; " +
		"10 register_resp RegisterResp @resp_type; 11 deregister_resp DeregisterResp @resp_type",
	"Error":            "1 err_code fixed32; 2 err_msg string; 3 param_errs rep .ParamError",
	"Error.ParamError": "1 param_path string; 2 err_code fixed32; 3 err_msg string",

	"Get":                         "1 param_paths rep string; 2 max_depth fixed32",
	"GetResp":                     "1 req_path_results rep .RequestedPathResult",
	"GetResp.RequestedPathResult": "1 requested_path string; 2 err_code fixed32; 3 err_msg string; 4 resolved_path_results rep GetResp.ResolvedPathResult",
	"GetResp.ResolvedPathResult":  "1 resolved_path string; 2 result_params map",
	"GetSupportedDM":              "1 obj_paths rep string; 2 first_level_only bool; 3 return_commands bool; 4 return_events bool; 5 return_params bool; 6 return_unique_key_sets bool",
	"GetSupportedDMResp":          "1 req_obj_results rep .RequestedObjectResult",
	"GetSupportedDMResp.RequestedObjectResult": "1 req_obj_path string; 2 err_code fixed32; 3 err_msg string; 4 data_model_inst_uri string; " +
		"5 supported_objs rep GetSupportedDMResp.SupportedObjectResult",
	"GetSupportedDMResp.SupportedObjectResult": "1 supported_obj_path string; 2 access GetSupportedDMResp.ObjAccessType; 3 is_multi_instance bool; " +
		"4 supported_commands rep GetSupportedDMResp.SupportedCommandResult; 5 supported_events rep GetSupportedDMResp.SupportedEventResult; " +
		"6 supported_params rep GetSupportedDMResp.SupportedParamResult; 7 divergent_paths rep string; " +
		"8 unique_key_sets rep GetSupportedDMResp.SupportedUniqueKeySet",
	"GetSupportedDMResp.SupportedParamResult": "1 param_name string; 2 access GetSupportedDMResp.ParamAccessType; " +
		"3 value_type GetSupportedDMResp.ParamValueType; 4 value_change GetSupportedDMResp.ValueChangeType",
	"GetSupportedDMResp.SupportedCommandResult": "1 command_name string; 2 input_arg_names rep string; 3 output_arg_names rep string; 4 command_type GetSupportedDMResp.CmdType",
	"GetSupportedDMResp.SupportedEventResult":   "1 event_name string; 2 arg_names rep string",
	"GetSupportedDMResp.SupportedUniqueKeySet":  "1 key_names rep string",
	"GetInstances":                         "1 obj_paths rep string; 2 first_level_only bool",
	"GetInstancesResp":                     "1 req_path_results rep .RequestedPathResult",
	"GetInstancesResp.RequestedPathResult": "1 requested_path string; 2 err_code fixed32; 3 err_msg string; 4 curr_insts rep GetInstancesResp.CurrInstance",
	"GetInstancesResp.CurrInstance":        "1 instantiated_obj_path string; 2 unique_keys map",
	"GetSupportedProtocol":                 "1 controller_supported_protocol_versions string",
	"GetSupportedProtocolResp":             "1 agent_supported_protocol_versions string",

	"Add":                         "1 allow_partial bool; 2 create_objs rep .CreateObject",
	"Add.CreateObject":            "1 obj_path string; 2 param_settings rep Add.CreateParamSetting",
	"Add.CreateParamSetting":      "1 param string; 2 value string; 3 required bool",
	"AddResp":                     "1 created_obj_results rep .CreatedObjectResult",
	"AddResp.CreatedObjectResult": "1 requested_path string; 2 oper_status .OperationStatus",
	"AddResp.CreatedObjectResult.OperationStatus":                  "1 oper_failure .OperationFailure @oper_status; 2 oper_success .OperationSuccess @oper_status",
	"AddResp.CreatedObjectResult.OperationStatus.OperationFailure": "1 err_code fixed32; 2 err_msg string",
	"AddResp.CreatedObjectResult.OperationStatus.OperationSuccess": "1 instantiated_path string; 2 param_errs rep AddResp.ParameterError; 3 unique_keys map",
	"AddResp.ParameterError":                                       "1 param string; 2 err_code fixed32; 3 err_msg string",

	"Delete":                         "1 allow_partial bool; 2 obj_paths rep string",
	"DeleteResp":                     "1 deleted_obj_results rep .DeletedObjectResult",
	"DeleteResp.DeletedObjectResult": "1 requested_path string; 2 oper_status .OperationStatus",
	"DeleteResp.DeletedObjectResult.OperationStatus":                  "1 oper_failure .OperationFailure @oper_status; 2 oper_success .OperationSuccess @oper_status",
	"DeleteResp.DeletedObjectResult.OperationStatus.OperationFailure": "1 err_code fixed32; 2 err_msg string",
	"DeleteResp.DeletedObjectResult.OperationStatus.OperationSuccess": "1 affected_paths rep string; 2 unaffected_path_errs rep DeleteResp.UnaffectedPathError",
	"DeleteResp.UnaffectedPathError":                                  "1 unaffected_path string; 2 err_code fixed32; 3 err_msg string",

	"Set":                         "1 allow_partial bool; 2 update_objs rep .UpdateObject",
	"Set.UpdateObject":            "1 obj_path string; 2 param_settings rep Set.UpdateParamSetting",
	"Set.UpdateParamSetting":      "1 param string; 2 value string; 3 required bool",
	"SetResp":                     "1 updated_obj_results rep .UpdatedObjectResult",
	"SetResp.UpdatedObjectResult": "1 requested_path string; 2 oper_status .OperationStatus",
	"SetResp.UpdatedObjectResult.OperationStatus":                  "1 oper_failure .OperationFailure @oper_status; 2 oper_success .OperationSuccess @oper_status",
	"SetResp.UpdatedObjectResult.OperationStatus.OperationFailure": "1 err_code fixed32; 2 err_msg string; 3 updated_inst_failures rep SetResp.UpdatedInstanceFailure",
	"SetResp.UpdatedObjectResult.OperationStatus.OperationSuccess": "1 updated_inst_results rep SetResp.UpdatedInstanceResult",
	"SetResp.UpdatedInstanceFailure":                               "1 affected_path string; 2 param_errs rep SetResp.ParameterError",
	"SetResp.UpdatedInstanceResult":                                "1 affected_path string; 2 param_errs rep SetResp.ParameterError; 3 updated_params map",
	"SetResp.ParameterError":                                       "1 param string; 2 err_code fixed32; 3 err_msg string",

	"Operate":                                    "1 command string; 2 command_key string; 3 send_resp bool; 4 input_args map",
	"OperateResp":                                "1 operation_results rep .OperationResult",
	"OperateResp.OperationResult":                "1 executed_command string; 2 req_obj_path string @operation_resp; 3 req_output_args .OutputArgs @operation_resp; 4 cmd_failure .CommandFailure @operation_resp",
	"OperateResp.OperationResult.OutputArgs":     "1 output_args map",
	"OperateResp.OperationResult.CommandFailure": "1 err_code fixed32; 2 err_msg string",

	"Notify": "1 subscription_id string; 2 send_resp bool; 3 event .Event @notification; 4 value_change .ValueChange @notification; " +
		"5 obj_creation .ObjectCreation @notification; 6 obj_deletion .ObjectDeletion @notification; " +
		"7 oper_complete .OperationComplete @notification; 8 on_board_req .OnBoardRequest @notification",
	"Notify.Event":          "1 obj_path string; 2 event_name string; 3 params map",
	"Notify.ValueChange":    "1 param_path string; 2 param_value string",
	"Notify.ObjectCreation": "1 obj_path string; 2 unique_keys map",
	"Notify.ObjectDeletion": "1 obj_path string",
	"Notify.OperationComplete": "1 obj_path string; 2 command_name string; 3 command_key string; " +
		"4 req_output_args .OutputArgs @operation_resp; 5 cmd_failure .CommandFailure @operation_resp",
	"Notify.OperationComplete.OutputArgs":     "1 output_args map",
	"Notify.OperationComplete.CommandFailure": "1 err_code fixed32; 2 err_msg string",
	"Notify.OnBoardRequest":                   "1 oui string; 2 product_class string; 3 serial_number string; 4 agent_supported_protocol_versions string",
	"NotifyResp":                              "1 subscription_id string",

	"Register":                          "1 allow_partial bool; 2 reg_paths rep .RegistrationPath",
	"Register.RegistrationPath":         "1 path string",
	"RegisterResp":                      "1 registered_path_results rep .RegisteredPathResult",
	"RegisterResp.RegisteredPathResult": "1 requested_path string; 2 oper_status .OperationStatus",
	"RegisterResp.RegisteredPathResult.OperationStatus":                  "1 oper_failure .OperationFailure @oper_status; 2 oper_success .OperationSuccess @oper_status",
	"RegisterResp.RegisteredPathResult.OperationStatus.OperationFailure": "1 err_code fixed32; 2 err_msg string",
	"RegisterResp.RegisteredPathResult.OperationStatus.OperationSuccess": "1 registered_path string",

	"Deregister":                            "1 paths rep string",
	"DeregisterResp":                        "1 deregistered_path_results rep .DeregisteredPathResult",
	"DeregisterResp.DeregisteredPathResult": "1 requested_path string; 2 oper_status .OperationStatus",
	"DeregisterResp.DeregisteredPathResult.OperationStatus":                  "1 oper_failure .OperationFailure @oper_status; 2 oper_success .OperationSuccess @oper_status",
	"DeregisterResp.DeregisteredPathResult.OperationStatus.OperationFailure": "1 err_code fixed32; 2 err_msg string",
	"DeregisterResp.DeregisteredPathResult.OperationStatus.OperationSuccess": "1 deregistered_path rep string",
}

var msgEnums = map[string]string{
	"Header.MsgType": "ERROR 0, GET 1, GET_RESP 2, NOTIFY 3, SET 4, SET_RESP 5, OPERATE 6, OPERATE_RESP 7, " +
		"ADD 8, ADD_RESP 9, DELETE 10, DELETE_RESP 11, GET_SUPPORTED_DM 12, GET_SUPPORTED_DM_RESP 13, " +
		"GET_INSTANCES 14, GET_INSTANCES_RESP 15, NOTIFY_RESP 16, GET_SUPPORTED_PROTO 17, " +
		"GET_SUPPORTED_PROTO_RESP 18, REGISTER 19, REGISTER_RESP 20, DEREGISTER 21, DEREGISTER_RESP 22",
	"GetSupportedDMResp.ParamAccessType": "PARAM_READ_ONLY 0, PARAM_READ_WRITE 1, PARAM_WRITE_ONLY 2",
	"GetSupportedDMResp.ObjAccessType":   "OBJ_READ_ONLY 0, OBJ_ADD_DELETE 1, OBJ_ADD_ONLY 2, OBJ_DELETE_ONLY 3",
	"GetSupportedDMResp.ParamValueType": "PARAM_UNKNOWN 0, PARAM_BASE_64 1, PARAM_BOOLEAN 2, PARAM_DATE_TIME 3, " +
		"PARAM_DECIMAL 4, PARAM_HEX_BINARY 5, PARAM_INT 6, PARAM_LONG 7, PARAM_STRING 8, " +
		"PARAM_UNSIGNED_INT 9, PARAM_UNSIGNED_LONG 10",
	"GetSupportedDMResp.ValueChangeType": "VALUE_CHANGE_UNKNOWN 0, VALUE_CHANGE_ALLOWED 1, VALUE_CHANGE_WILL_IGNORE 2",
	"GetSupportedDMResp.CmdType":         "CMD_UNKNOWN 0, CMD_SYNC 1, CMD_ASYNC 2",
}

var recordSchema = map[string]string{
	"Record": "1 version string; 2 to_id string; 3 from_id string; 4 payload_security .PayloadSecurity; " +
		"5 mac_signature bytes; 6 sender_cert bytes; " +
		"7 no_session_context NoSessionContextRecord @record_type; 8 session_context SessionContextRecord @record_type; " +
		"9 websocket_connect WebSocketConnectRecord @record_type; 10 mqtt_connect MQTTConnectRecord @record_type; " +
		"11 stomp_connect STOMPConnectRecord @record_type; 12 disconnect DisconnectRecord @record_type; " +
		"13 uds_connect UDSConnectRecord @record_type",
	"NoSessionContextRecord": "2 payload bytes",
	"SessionContextRecord": "1 session_id uint64; 2 sequence_id uint64; 3 expected_id uint64; 4 retransmit_id uint64; " +
		"5 payload_sar_state .PayloadSARState; 6 payloadrec_sar_state .PayloadSARState; 7 payload rep bytes",
	"WebSocketConnectRecord": "",
	"UDSConnectRecord":       "",
	"MQTTConnectRecord":      "1 version .MQTTVersion; 2 subscribed_topic string",
	"STOMPConnectRecord":     "1 version .STOMPVersion; 2 subscribed_destination string",
	"DisconnectRecord":       "1 reason string; 2 reason_code fixed32",
}

var recordEnums = map[string]string{
	"Record.PayloadSecurity":               "PLAINTEXT 0, TLS12 1",
	"SessionContextRecord.PayloadSARState": "NONE 0, BEGIN 1, INPROCESS 2, COMPLETE 3",
	"MQTTConnectRecord.MQTTVersion":        "V3_1_1 0, V5 1",
	"STOMPConnectRecord.STOMPVersion":      "V1_2 0",
}

func TestSchema(t *testing.T) {
	tests := []struct {
		name     string
		file     protoreflect.FileDescriptor
		pkg      string
		messages map[string]string
		enums    map[string]string
	}{
		{"usp-msg-1-4", uspmsg.File_usp_msg_1_4_proto, "usp", msgSchema, msgEnums},
		{"usp-record-1-4", usprecord.File_usp_record_1_4_proto, "usp_record", recordSchema, recordEnums},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tt.file
			if fd.Package() != protoreflect.FullName(tt.pkg) || fd.Syntax() != protoreflect.Proto3 {
				t.Errorf("file is package %s %v, want %s proto3", fd.Package(), fd.Syntax(), tt.pkg)
			}
			if fd.Imports().Len() != 0 || fd.Extensions().Len() != 0 || fd.Services().Len() != 0 {
				t.Errorf("file has imports, extensions or services")
			}
			want := parseSchema(t, tt.pkg, tt.messages, tt.enums)
			checkSchema(t, fd, want)
			nf, nv := 0, 0
			for _, f := range want.messages {
				nf += len(f)
			}
			for _, v := range want.enums {
				nv += len(v)
			}
			t.Logf("%d messages, %d fields, %d enums, %d enum values", len(want.messages), nf, len(want.enums), nv)
		})
	}
}

// TestFixed32Fields lists every fixed32 field of §1 as (field, number,
// kind) and checks that the descriptors have exactly these.
func TestFixed32Fields(t *testing.T) {
	want := []string{
		"usp.AddResp.CreatedObjectResult.OperationStatus.OperationFailure.err_code 1 fixed32",
		"usp.AddResp.ParameterError.err_code 2 fixed32",
		"usp.DeleteResp.DeletedObjectResult.OperationStatus.OperationFailure.err_code 1 fixed32",
		"usp.DeleteResp.UnaffectedPathError.err_code 2 fixed32",
		"usp.DeregisterResp.DeregisteredPathResult.OperationStatus.OperationFailure.err_code 1 fixed32",
		"usp.Error.ParamError.err_code 2 fixed32",
		"usp.Error.err_code 1 fixed32",
		"usp.Get.max_depth 2 fixed32",
		"usp.GetInstancesResp.RequestedPathResult.err_code 2 fixed32",
		"usp.GetResp.RequestedPathResult.err_code 2 fixed32",
		"usp.GetSupportedDMResp.RequestedObjectResult.err_code 2 fixed32",
		"usp.Notify.OperationComplete.CommandFailure.err_code 1 fixed32",
		"usp.OperateResp.OperationResult.CommandFailure.err_code 1 fixed32",
		"usp.RegisterResp.RegisteredPathResult.OperationStatus.OperationFailure.err_code 1 fixed32",
		"usp.SetResp.ParameterError.err_code 2 fixed32",
		"usp.SetResp.UpdatedObjectResult.OperationStatus.OperationFailure.err_code 1 fixed32",
		"usp_record.DisconnectRecord.reason_code 2 fixed32",
	}
	got := fieldsWhere(func(f protoreflect.FieldDescriptor) bool { return f.Kind() == protoreflect.Fixed32Kind },
		uspmsg.File_usp_msg_1_4_proto, usprecord.File_usp_record_1_4_proto)
	compareLists(t, "fixed32 fields", got, want)
}

// TestOneofMembers lists every oneof member of §1 and checks that the
// descriptors have exactly these.
func TestOneofMembers(t *testing.T) {
	want := []string{
		"usp.AddResp.CreatedObjectResult.OperationStatus.oper_failure 1 message oneof oper_status",
		"usp.AddResp.CreatedObjectResult.OperationStatus.oper_success 2 message oneof oper_status",
		"usp.Body.error 3 message oneof msg_body",
		"usp.Body.request 1 message oneof msg_body",
		"usp.Body.response 2 message oneof msg_body",
		"usp.DeleteResp.DeletedObjectResult.OperationStatus.oper_failure 1 message oneof oper_status",
		"usp.DeleteResp.DeletedObjectResult.OperationStatus.oper_success 2 message oneof oper_status",
		"usp.DeregisterResp.DeregisteredPathResult.OperationStatus.oper_failure 1 message oneof oper_status",
		"usp.DeregisterResp.DeregisteredPathResult.OperationStatus.oper_success 2 message oneof oper_status",
		"usp.Notify.OperationComplete.cmd_failure 5 message oneof operation_resp",
		"usp.Notify.OperationComplete.req_output_args 4 message oneof operation_resp",
		"usp.Notify.event 3 message oneof notification",
		"usp.Notify.obj_creation 5 message oneof notification",
		"usp.Notify.obj_deletion 6 message oneof notification",
		"usp.Notify.on_board_req 8 message oneof notification",
		"usp.Notify.oper_complete 7 message oneof notification",
		"usp.Notify.value_change 4 message oneof notification",
		"usp.OperateResp.OperationResult.cmd_failure 4 message oneof operation_resp",
		"usp.OperateResp.OperationResult.req_obj_path 2 string oneof operation_resp",
		"usp.OperateResp.OperationResult.req_output_args 3 message oneof operation_resp",
		"usp.RegisterResp.RegisteredPathResult.OperationStatus.oper_failure 1 message oneof oper_status",
		"usp.RegisterResp.RegisteredPathResult.OperationStatus.oper_success 2 message oneof oper_status",
		"usp.Request.add 5 message oneof req_type",
		"usp.Request.delete 6 message oneof req_type",
		"usp.Request.deregister 11 message oneof req_type",
		"usp.Request.get 1 message oneof req_type",
		"usp.Request.get_instances 3 message oneof req_type",
		"usp.Request.get_supported_dm 2 message oneof req_type",
		"usp.Request.get_supported_protocol 9 message oneof req_type",
		"usp.Request.notify 8 message oneof req_type",
		"usp.Request.operate 7 message oneof req_type",
		"usp.Request.register 10 message oneof req_type",
		"usp.Request.set 4 message oneof req_type",
		"usp.Response.add_resp 5 message oneof resp_type",
		"usp.Response.delete_resp 6 message oneof resp_type",
		"usp.Response.deregister_resp 11 message oneof resp_type",
		"usp.Response.get_instances_resp 3 message oneof resp_type",
		"usp.Response.get_resp 1 message oneof resp_type",
		"usp.Response.get_supported_dm_resp 2 message oneof resp_type",
		"usp.Response.get_supported_protocol_resp 9 message oneof resp_type",
		"usp.Response.notify_resp 8 message oneof resp_type",
		"usp.Response.operate_resp 7 message oneof resp_type",
		"usp.Response.register_resp 10 message oneof resp_type",
		"usp.Response.set_resp 4 message oneof resp_type",
		"usp.SetResp.UpdatedObjectResult.OperationStatus.oper_failure 1 message oneof oper_status",
		"usp.SetResp.UpdatedObjectResult.OperationStatus.oper_success 2 message oneof oper_status",
		"usp_record.Record.disconnect 12 message oneof record_type",
		"usp_record.Record.mqtt_connect 10 message oneof record_type",
		"usp_record.Record.no_session_context 7 message oneof record_type",
		"usp_record.Record.session_context 8 message oneof record_type",
		"usp_record.Record.stomp_connect 11 message oneof record_type",
		"usp_record.Record.uds_connect 13 message oneof record_type",
		"usp_record.Record.websocket_connect 9 message oneof record_type",
	}
	got := fieldsWhere(func(f protoreflect.FieldDescriptor) bool { return f.ContainingOneof() != nil },
		uspmsg.File_usp_msg_1_4_proto, usprecord.File_usp_record_1_4_proto)
	compareLists(t, "oneof members", got, want)
}

// compareLists reports entries of got missing from want and the reverse.
func compareLists(t *testing.T, what string, got, want []string) {
	t.Helper()
	inGot, inWant := map[string]bool{}, map[string]bool{}
	for _, s := range got {
		inGot[s] = true
	}
	for _, s := range want {
		inWant[s] = true
		if !inGot[s] {
			t.Errorf("%s: descriptors lack %s", what, s)
		}
	}
	for _, s := range got {
		if !inWant[s] {
			t.Errorf("%s: descriptors have unlisted %s", what, s)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d in descriptors, %d listed", what, len(got), len(want))
	}
}
