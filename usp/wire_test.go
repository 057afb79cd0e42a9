package usp_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Wire-level helpers for building records and messages that the generated
// types cannot express (two oneof members, unknown fields).

// unhex joins hex chunks, ignoring spaces; it panics on bad hex, which can
// only be a typo in this file.
func unhex(chunks ...string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(chunks, ""), " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// goldenGetMsg is the hand-encoded Get Msg of proto/uspmsg/golden_test.go:
// msg_id "m1", GET, param_paths "Device.Time." and "Device.WiFi.",
// max_depth 2.
func goldenGetMsg() []byte {
	return unhex(
		"0a 06 0a 02 6d31 10 01", // header {msg_id "m1", msg_type GET}
		"12 25 0a 23 0a 21",      // body.request.get, 33 bytes
		"0a 0c 4465766963652e54696d652e",
		"0a 0c 4465766963652e576946692e",
		"15 02000000", // max_depth fixed32 2
	)
}

// goldenRecord is the hand-encoded Record of proto/usprecord/golden_test.go:
// version "1.4", to "proto::a1", from "proto::c1", no_session_context with
// goldenGetMsg as payload.
func goldenRecord() []byte {
	return unhex(
		"0a 03 312e34",
		"12 09 70726f746f3a3a6131",
		"1a 09 70726f746f3a3a6331",
		"3a 31 12 2f", hex.EncodeToString(goldenGetMsg()),
	)
}

// lenField encodes field num as LEN with the concatenation of parts.
func lenField(num protowire.Number, parts ...[]byte) []byte {
	var v []byte
	for _, p := range parts {
		v = append(v, p...)
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
}

// strField encodes field num as a LEN string.
func strField(num protowire.Number, s string) []byte { return lenField(num, []byte(s)) }

// varintField encodes field num as a VARINT.
func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

// recordWith encodes a Record with version, to and from set, then extra.
func recordWith(extra ...[]byte) []byte {
	b := append(strField(1, "1.4"), strField(2, "proto::a1")...)
	b = append(b, strField(3, "proto::c1")...)
	for _, e := range extra {
		b = append(b, e...)
	}
	return b
}

// headerField encodes a Msg header field with msg_id "m1".
func headerField() []byte { return lenField(1, strField(1, "m1")) }

// msgWithBody encodes a Msg with headerField and a body of parts.
func msgWithBody(parts ...[]byte) []byte { return append(headerField(), lenField(2, parts...)...) }

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return b
}
