package uspmsg_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// The golden messages below were encoded by hand from the protobuf wire
// rules, not by proto.Marshal: a tag byte is (field number << 3 | wire
// type), with wire type 0 = VARINT, 2 = LEN, 5 = I32 (fixed32, 4 bytes
// little-endian); a LEN field is followed by its length as a varint (all
// lengths here are < 128, so one byte) and then its bytes. Fields with
// default values (msg_type ERROR, false, 0, "") are not sent. Each line is
// one tag + length + value, indented by nesting depth.

// unhex joins hex chunks, ignoring spaces. It panics on bad hex: the
// chunks are constants of this file.
func unhex(chunks ...string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(chunks, ""), " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// goldenGet is a Get Msg: msg_id "m1", GET, param_paths "Device.Time." and
// "Device.WiFi.", max_depth 2. 47 bytes.
func goldenGet() []byte {
	return unhex(
		"0a 06",                                // Msg.header: field 1 LEN, 6 bytes
		"  0a 02 6d31",                         //   Header.msg_id: field 1 LEN, 2, "m1"
		"  10 01",                              //   Header.msg_type: field 2 VARINT, GET = 1
		"12 25",                                // Msg.body: field 2 LEN, 37 bytes
		"  0a 23",                              //   Body.request: field 1 LEN, 35 bytes
		"    0a 21",                            //     Request.get: field 1 LEN, 33 bytes
		"      0a 0c 4465766963652e54696d652e", //       Get.param_paths: field 1 LEN, 12, "Device.Time."
		"      0a 0c 4465766963652e576946692e", //       Get.param_paths: field 1 LEN, 12, "Device.WiFi."
		"      15 02000000",                    //       Get.max_depth: field 2 I32, 2 (LE)
	)
}

// goldenGetResp is a GetResp Msg: msg_id "m1", GET_RESP, one requested
// path "Device.Time." resolved to itself with result_params {Enable: true}.
// 62 bytes.
func goldenGetResp() []byte {
	return unhex(
		"0a 06",                                  // Msg.header: field 1 LEN, 6 bytes
		"  0a 02 6d31",                           //   Header.msg_id: field 1 LEN, 2, "m1"
		"  10 02",                                //   Header.msg_type: field 2 VARINT, GET_RESP = 2
		"12 34",                                  // Msg.body: field 2 LEN, 52 bytes
		"  12 32",                                //   Body.response: field 2 LEN, 50 bytes
		"    0a 30",                              //     Response.get_resp: field 1 LEN, 48 bytes
		"      0a 2e",                            //       GetResp.req_path_results: field 1 LEN, 46 bytes
		"        0a 0c 4465766963652e54696d652e", //         RequestedPathResult.requested_path: 1 LEN, 12, "Device.Time."
		"        22 1e",                          //         RequestedPathResult.resolved_path_results: 4 LEN, 30 bytes
		"          0a 0c 4465766963652e54696d652e", //           ResolvedPathResult.resolved_path: 1 LEN, 12, "Device.Time."
		"          12 0e",                          //           ResolvedPathResult.result_params: 2 LEN, 14 (one map entry)
		"            0a 06 456e61626c65",           //             entry key: field 1 LEN, 6, "Enable"
		"            12 04 74727565",               //             entry value: field 2 LEN, 4, "true"
	)
}

// goldenSet is a Set Msg: msg_id "m1", SET, allow_partial, one update_obj
// "Device.Time." setting required Enable=true. 50 bytes.
func goldenSet() []byte {
	return unhex(
		"0a 06",                                  // Msg.header: field 1 LEN, 6 bytes
		"  0a 02 6d31",                           //   Header.msg_id: field 1 LEN, 2, "m1"
		"  10 04",                                //   Header.msg_type: field 2 VARINT, SET = 4
		"12 28",                                  // Msg.body: field 2 LEN, 40 bytes
		"  0a 26",                                //   Body.request: field 1 LEN, 38 bytes
		"    22 24",                              //     Request.set: field 4 LEN, 36 bytes
		"      08 01",                            //       Set.allow_partial: field 1 VARINT, true
		"      12 20",                            //       Set.update_objs: field 2 LEN, 32 bytes
		"        0a 0c 4465766963652e54696d652e", //         UpdateObject.obj_path: 1 LEN, 12, "Device.Time."
		"        12 10",                          //         UpdateObject.param_settings: 2 LEN, 16 bytes
		"          0a 06 456e61626c65",           //           UpdateParamSetting.param: 1 LEN, 6, "Enable"
		"          12 04 74727565",               //           UpdateParamSetting.value: 2 LEN, 4, "true"
		"          18 01",                        //           UpdateParamSetting.required: 3 VARINT, true
	)
}

// goldenError is an Error Msg: msg_id "m1" (msg_type ERROR = 0 is not
// sent), err_code 7004, err_msg "bad path", one param_err {Device.X, 7026,
// "no such"}. 51 bytes.
func goldenError() []byte {
	return unhex(
		"0a 04",                        // Msg.header: field 1 LEN, 4 bytes
		"  0a 02 6d31",                 //   Header.msg_id: field 1 LEN, 2, "m1"
		"12 2b",                        // Msg.body: field 2 LEN, 43 bytes
		"  1a 29",                      //   Body.error: field 3 LEN, 41 bytes
		"    0d 5c1b0000",              //     Error.err_code: field 1 I32, 7004 = 0x1b5c (LE)
		"    12 08 6261642070617468",   //     Error.err_msg: field 2 LEN, 8, "bad path"
		"    1a 18",                    //     Error.param_errs: field 3 LEN, 24 bytes
		"      0a 08 4465766963652e58", //       ParamError.param_path: 1 LEN, 8, "Device.X"
		"      15 721b0000",            //       ParamError.err_code: 2 I32, 7026 = 0x1b72 (LE)
		"      1a 07 6e6f2073756368",   //       ParamError.err_msg: 3 LEN, 7, "no such"
	)
}

func header(t uspmsg.Header_MsgType) *uspmsg.Header {
	return &uspmsg.Header{MsgId: "m1", MsgType: t}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		golden []byte
		size   int
		want   *uspmsg.Msg
	}{
		{"get", goldenGet(), 47, &uspmsg.Msg{
			Header: header(uspmsg.Header_GET),
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Request{Request: &uspmsg.Request{
				ReqType: &uspmsg.Request_Get{Get: &uspmsg.Get{
					ParamPaths: []string{"Device.Time.", "Device.WiFi."},
					MaxDepth:   2,
				}},
			}}},
		}},
		{"get_resp", goldenGetResp(), 62, &uspmsg.Msg{
			Header: header(uspmsg.Header_GET_RESP),
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Response{Response: &uspmsg.Response{
				RespType: &uspmsg.Response_GetResp{GetResp: &uspmsg.GetResp{
					ReqPathResults: []*uspmsg.GetResp_RequestedPathResult{{
						RequestedPath: "Device.Time.",
						ResolvedPathResults: []*uspmsg.GetResp_ResolvedPathResult{{
							ResolvedPath: "Device.Time.",
							ResultParams: map[string]string{"Enable": "true"},
						}},
					}},
				}},
			}}},
		}},
		{"set", goldenSet(), 50, &uspmsg.Msg{
			Header: header(uspmsg.Header_SET),
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Request{Request: &uspmsg.Request{
				ReqType: &uspmsg.Request_Set{Set: &uspmsg.Set{
					AllowPartial: true,
					UpdateObjs: []*uspmsg.Set_UpdateObject{{
						ObjPath: "Device.Time.",
						ParamSettings: []*uspmsg.Set_UpdateParamSetting{{
							Param: "Enable", Value: "true", Required: true,
						}},
					}},
				}},
			}}},
		}},
		{"error", goldenError(), 51, &uspmsg.Msg{
			Header: header(uspmsg.Header_ERROR),
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Error{Error: &uspmsg.Error{
				ErrCode: 7004,
				ErrMsg:  "bad path",
				ParamErrs: []*uspmsg.Error_ParamError{{
					ParamPath: "Device.X", ErrCode: 7026, ErrMsg: "no such",
				}},
			}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.golden) != tt.size {
				t.Fatalf("golden is %d bytes, hand count says %d", len(tt.golden), tt.size)
			}
			got := new(uspmsg.Msg)
			if err := proto.Unmarshal(tt.golden, got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if len(got.ProtoReflect().GetUnknown()) != 0 {
				t.Errorf("unknown fields after decode: %x", got.ProtoReflect().GetUnknown())
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("decoded message differs\n got: %v\nwant: %v",
					prototext.Format(got), prototext.Format(tt.want))
			}
			out, err := proto.MarshalOptions{Deterministic: true}.Marshal(got)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(out, tt.golden) {
				t.Errorf("re-encoded bytes differ\n got %x\nwant %x", out, tt.golden)
			}
		})
	}
}

// TestFixed32NotVarint shows max_depth is fixed32 on the wire: the same
// value sent as a varint (tag 0x10) is not max_depth but an unknown field.
func TestFixed32NotVarint(t *testing.T) {
	varint := unhex("10 02") // field 2 VARINT, 2
	got := new(uspmsg.Get)
	if err := proto.Unmarshal(varint, got); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if got.GetMaxDepth() != 0 {
		t.Errorf("max_depth = %d from a varint, want 0", got.GetMaxDepth())
	}
	if u := got.ProtoReflect().GetUnknown(); !bytes.Equal(u, varint) {
		t.Errorf("unknown fields = %x, want %x", u, varint)
	}
	fixed := unhex("15 02000000") // field 2 I32, 2
	if err := proto.Unmarshal(fixed, got); err != nil || got.GetMaxDepth() != 2 {
		t.Errorf("max_depth from I32 = %d, %v; want 2, nil", got.GetMaxDepth(), err)
	}
}
