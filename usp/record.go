package usp

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
)

// Protocol versions.
const (
	// Version is the USP version this implementation speaks; it goes into
	// the version field of every Record sent.
	Version = "1.4"
	// SupportedVersions is the agent_supported_protocol_versions answer to
	// GetSupportedProtocol: every version a 1.4 Agent understands.
	SupportedVersions = "1.0,1.1,1.2,1.3,1.4"
)

// NewRecord wraps msg in a plaintext no-session-context Record addressed to
// to and sent by from, the record type this implementation uses for every
// Message (R-MSG.0a). The payload is msg marshalled deterministically.
func NewRecord(to, from EndpointID, msg *uspmsg.Msg) (*usprecord.Record, error) {
	switch {
	case to == "":
		return nil, errors.New("usp: new record: empty to_id")
	case from == "":
		return nil, errors.New("usp: new record: empty from_id")
	case msg == nil:
		return nil, errors.New("usp: new record: nil message")
	}
	payload, err := marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("usp: new record: marshal message: %w", err)
	}
	return &usprecord.Record{
		Version:         Version,
		ToId:            string(to),
		FromId:          string(from),
		PayloadSecurity: usprecord.Record_PLAINTEXT,
		RecordType: &usprecord.Record_NoSessionContext{
			NoSessionContext: &usprecord.NoSessionContextRecord{Payload: payload},
		},
	}, nil
}

// NewDisconnect returns a DisconnectRecord addressed to to and sent by from,
// carrying code and reason. The Agent answers a session-context Record with
// one coded ErrSessionContextNotAllowed (R-E2E.6a), and sends one before
// closing an MTP connection when it can.
func NewDisconnect(to, from EndpointID, code ErrorCode, reason string) *usprecord.Record {
	return &usprecord.Record{
		Version: Version,
		ToId:    string(to),
		FromId:  string(from),
		RecordType: &usprecord.Record_Disconnect{
			Disconnect: &usprecord.DisconnectRecord{Reason: reason, ReasonCode: uint32(code)},
		},
	}
}

// EncodeRecord marshals r deterministically for an MTP to send.
func EncodeRecord(r *usprecord.Record) ([]byte, error) {
	if r == nil {
		return nil, errors.New("usp: encode record: nil record")
	}
	b, err := marshal(r)
	if err != nil {
		return nil, fmt.Errorf("usp: encode record: %w", err)
	}
	return b, nil
}

// DecodeRecord parses bytes received from an MTP. Every failure is an
// *Error coded ErrRecordNotParsed (7100): bytes that are not a Record
// (including invalid UTF-8 in a string field), a record_type oneof with two
// members, or a missing version, to_id, from_id or record_type. None of
// these leaves enough to answer (R-MTP.5), so the caller drops the record.
//
// DecodeRecord does not judge the version (see CheckVersion), the
// addressing (to_id is ours, from_id is not) or the record type (see
// MsgFromRecord).
func DecodeRecord(b []byte) (*usprecord.Record, error) {
	r := new(usprecord.Record)
	if err := proto.Unmarshal(b, r); err != nil {
		return nil, Errorf(ErrRecordNotParsed, "decode record: %w", err)
	}
	if err := checkOneofs(b, r.ProtoReflect().Descriptor()); err != nil {
		return nil, Errorf(ErrRecordNotParsed, "decode record: %w", err)
	}
	switch {
	case r.GetVersion() == "":
		return nil, Errorf(ErrRecordNotParsed, "record has no version")
	case r.GetToId() == "":
		return nil, Errorf(ErrRecordNotParsed, "record has no to_id")
	case r.GetFromId() == "":
		return nil, Errorf(ErrRecordNotParsed, "record has no from_id")
	case r.GetRecordType() == nil:
		return nil, Errorf(ErrRecordNotParsed, "record has no record_type")
	}
	return r, nil
}

// CheckVersion reports whether v is a well-formed "major.minor" version
// (decimal digits, at most 9 each). It returns an *Error coded
// ErrInvalidRecordValue only for malformed text such as "", "abc" or "1.";
// any well-formed version, including a future 1.x or 2.x, is accepted,
// because a record is never dropped for its version (TR-369 §"Records").
// DecodeRecord does not call it; a caller may log what it reports.
func CheckVersion(v string) error {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || !isNumber(major) || !isNumber(minor) {
		return Errorf(ErrInvalidRecordValue, "malformed record version %q", v)
	}
	return nil
}

// MsgFromRecord returns the Message carried by a no-session-context Record.
//
// Failures are *Error values:
//   - session_context: ErrSessionContextNotAllowed (7106); answer with
//     NewDisconnect (R-E2E.6a).
//   - websocket/mqtt/stomp/uds connect and disconnect records carry no
//     Message: ErrInvalidRecordValue (7104); a caller that handles
//     DisconnectRecord checks r.GetDisconnect() first.
//   - payload_security other than PLAINTEXT (TLS12 needs a session
//     context, R-E2E.41): ErrInvalidRecordValue (7104).
//   - no record_type, an empty payload or one that is not a Msg:
//     ErrRecordNotParsed (7100).
//   - a Msg with no header, an empty msg_id, no body, an empty body,
//     request or response oneof, or a oneof with two members:
//     ErrInvalidArguments (7004, R-ENC.4/5).
//   - a body, request or response oneof holding only a field this schema
//     does not know (a newer message type): ErrMessageNotSupported (7001).
//
// For the last two cases the decoded Msg is returned together with the
// error, so that an Agent can answer a Request with an Error message
// carrying its msg_id (R-MTP.5); otherwise the Msg is nil on error.
func MsgFromRecord(r *usprecord.Record) (*uspmsg.Msg, error) {
	switch rt := r.GetRecordType().(type) {
	case *usprecord.Record_NoSessionContext:
		if r.GetPayloadSecurity() != usprecord.Record_PLAINTEXT {
			return nil, Errorf(ErrInvalidRecordValue, "payload_security %v without a session context", r.GetPayloadSecurity())
		}
		return decodeMsg(rt.NoSessionContext.GetPayload())
	case *usprecord.Record_SessionContext:
		return nil, Errorf(ErrSessionContextNotAllowed, "session context records are not supported")
	case nil:
		return nil, Errorf(ErrRecordNotParsed, "record has no record_type")
	default:
		name := r.ProtoReflect().WhichOneof(r.ProtoReflect().Descriptor().Oneofs().ByName("record_type")).Name()
		return nil, Errorf(ErrInvalidRecordValue, "%s record carries no message", name)
	}
}

// decodeMsg parses and checks a no-session-context payload; see
// MsgFromRecord for the failures.
func decodeMsg(b []byte) (*uspmsg.Msg, error) {
	if len(b) == 0 {
		return nil, Errorf(ErrRecordNotParsed, "empty payload")
	}
	m := new(uspmsg.Msg)
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, Errorf(ErrRecordNotParsed, "decode message: %w", err)
	}
	if err := checkOneofs(b, m.ProtoReflect().Descriptor()); err != nil {
		return m, Errorf(ErrInvalidArguments, "message: %w", err)
	}
	if err := checkMsg(m); err != nil {
		return m, err
	}
	return m, nil
}

// checkMsg reports a Msg that lacks a msg_id or a resolvable body.
func checkMsg(m *uspmsg.Msg) error {
	switch {
	case m.GetHeader() == nil:
		return Errorf(ErrInvalidArguments, "message has no header")
	case m.GetHeader().GetMsgId() == "":
		return Errorf(ErrInvalidArguments, "message has no msg_id")
	case m.GetBody() == nil:
		return Errorf(ErrInvalidArguments, "message has no body")
	}
	if _, ok := MsgTypeOf(m.GetBody()); ok {
		return nil
	}
	// Find the innermost empty oneof: unknown fields there mean a message
	// type newer than this schema, none means a broken message.
	var inner proto.Message = m.GetBody()
	switch b := m.GetBody().GetMsgBody().(type) {
	case *uspmsg.Body_Request:
		inner = b.Request
	case *uspmsg.Body_Response:
		inner = b.Response
	}
	if inner != nil && inner.ProtoReflect().IsValid() && len(inner.ProtoReflect().GetUnknown()) > 0 {
		return Errorf(ErrMessageNotSupported, "message type not supported")
	}
	return Errorf(ErrInvalidArguments, "message body names no message type")
}

// marshal is how this package encodes: deterministically, so that equal
// messages give equal bytes (golden tests, MAC inputs, duplicate detection).
func marshal(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

func isNumber(s string) bool { return s != "" && len(s) <= 9 && allDigits(s) }
