package usprecord_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
)

// The golden Record was encoded by hand from the protobuf wire rules, not by
// proto.Marshal: tag byte = field number << 3 | wire type (0 VARINT, 2 LEN,
// 5 I32), LEN fields carry a one-byte length here, defaults are not sent
// (payload_security PLAINTEXT = 0). Each line is one tag + length + value.

func unhex(chunks ...string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(chunks, ""), " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// goldenGetMsg is the 47-byte Get Msg of package uspmsg's golden test:
// msg_id "m1", GET, param_paths "Device.Time." and "Device.WiFi.",
// max_depth 2.
func goldenGetMsg() []byte {
	return unhex(
		"0a 06 0a 02 6d31 10 01", // header {msg_id "m1", msg_type GET}
		"12 25 0a 23 0a 21",      // body.request.get, 33 bytes
		"0a 0c 4465766963652e54696d652e",
		"0a 0c 4465766963652e576946692e",
		"15 02000000",
	)
}

// goldenRecord is a no-session-context Record, version "1.4", from
// "proto::c1" to "proto::a1", carrying goldenGetMsg. 78 bytes.
func goldenRecord() []byte {
	return unhex(
		"0a 03 312e34",                     // Record.version: field 1 LEN, 3, "1.4"
		"12 09 70726f746f3a3a6131",         // Record.to_id: field 2 LEN, 9, "proto::a1"
		"1a 09 70726f746f3a3a6331",         // Record.from_id: field 3 LEN, 9, "proto::c1"
		"3a 31",                            // Record.no_session_context: field 7 LEN, 49 bytes
		"  12 2f",                          //   NoSessionContextRecord.payload: field 2 LEN, 47 bytes
		hex.EncodeToString(goldenGetMsg()), // the payload bytes
	)
}

// goldenDisconnect is a DisconnectRecord answering a session context:
// version "1.4", to "proto::c1", from "proto::a1", reason "no", 7106.
// 38 bytes.
func goldenDisconnect() []byte {
	return unhex(
		"0a 03 312e34",             // Record.version: field 1 LEN, 3, "1.4"
		"12 09 70726f746f3a3a6331", // Record.to_id: field 2 LEN, 9, "proto::c1"
		"1a 09 70726f746f3a3a6131", // Record.from_id: field 3 LEN, 9, "proto::a1"
		"62 09",                    // Record.disconnect: field 12 LEN, 9 bytes
		"  0a 02 6e6f",             //   DisconnectRecord.reason: field 1 LEN, 2, "no"
		"  15 c21b0000",            //   DisconnectRecord.reason_code: field 2 I32, 7106 = 0x1bc2 (LE)
	)
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		golden []byte
		size   int
		want   *usprecord.Record
	}{
		{"no_session_context", goldenRecord(), 78, &usprecord.Record{
			Version: "1.4", ToId: "proto::a1", FromId: "proto::c1",
			PayloadSecurity: usprecord.Record_PLAINTEXT,
			RecordType: &usprecord.Record_NoSessionContext{
				NoSessionContext: &usprecord.NoSessionContextRecord{Payload: goldenGetMsg()},
			},
		}},
		{"disconnect", goldenDisconnect(), 38, &usprecord.Record{
			Version: "1.4", ToId: "proto::c1", FromId: "proto::a1",
			RecordType: &usprecord.Record_Disconnect{
				Disconnect: &usprecord.DisconnectRecord{Reason: "no", ReasonCode: 7106},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.golden) != tt.size {
				t.Fatalf("golden is %d bytes, hand count says %d", len(tt.golden), tt.size)
			}
			got := new(usprecord.Record)
			if err := proto.Unmarshal(tt.golden, got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if len(got.ProtoReflect().GetUnknown()) != 0 {
				t.Errorf("unknown fields after decode: %x", got.ProtoReflect().GetUnknown())
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("decoded record differs\n got: %v\nwant: %v",
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

// TestGoldenPayload decodes the golden Record's payload as a usp.Msg.
func TestGoldenPayload(t *testing.T) {
	r := new(usprecord.Record)
	if err := proto.Unmarshal(goldenRecord(), r); err != nil {
		t.Fatalf("Unmarshal record: %v", err)
	}
	m := new(uspmsg.Msg)
	if err := proto.Unmarshal(r.GetNoSessionContext().GetPayload(), m); err != nil {
		t.Fatalf("Unmarshal payload: %v", err)
	}
	if got := m.GetHeader().GetMsgId(); got != "m1" {
		t.Errorf("msg_id = %q, want m1", got)
	}
	if got := m.GetHeader().GetMsgType(); got != uspmsg.Header_GET {
		t.Errorf("msg_type = %v, want GET", got)
	}
	get := m.GetBody().GetRequest().GetGet()
	if got := get.GetParamPaths(); len(got) != 2 || got[0] != "Device.Time." || got[1] != "Device.WiFi." {
		t.Errorf("param_paths = %q", got)
	}
	if got := get.GetMaxDepth(); got != 2 {
		t.Errorf("max_depth = %d, want 2", got)
	}
}

// TestPayloadFieldTwo shows NoSessionContextRecord.payload is field 2: the
// same bytes under field 1 (tag 0x0a) are an unknown field.
func TestPayloadFieldTwo(t *testing.T) {
	got := new(usprecord.NoSessionContextRecord)
	wrong := unhex("0a 01 ff") // field 1 LEN, 1, 0xff
	if err := proto.Unmarshal(wrong, got); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if len(got.GetPayload()) != 0 || !bytes.Equal(got.ProtoReflect().GetUnknown(), wrong) {
		t.Errorf("payload %x, unknown %x; want none, %x", got.GetPayload(), got.ProtoReflect().GetUnknown(), wrong)
	}
	if err := proto.Unmarshal(unhex("12 01 ff"), got); err != nil || !bytes.Equal(got.GetPayload(), []byte{0xff}) {
		t.Errorf("payload from field 2 = %x, %v; want ff, nil", got.GetPayload(), err)
	}
}
