package mqtt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
)

// Status is a TR-181 Device.MQTT.Client.{i}.Status value.
type Status string

// The Status values. While retrying after failures the Client keeps the
// status of the last failure (so a reader sees why it is not connected);
// Connecting is shown for the first attempt and after a lost connection.
const (
	StatusConnecting             Status = "Connecting"
	StatusConnected              Status = "Connected"
	StatusDisabled               Status = "Disabled"
	StatusErrorMisconfigured     Status = "Error_Misconfigured"
	StatusErrorBrokerUnreachable Status = "Error_BrokerUnreachable"
	StatusError                  Status = "Error"
)

// RefusedError is a CONNACK refusing the connection.
type RefusedError struct {
	// Code is the CONNACK Reason Code (0x80 and above).
	Code byte
	// Reason is the CONNACK Reason String, if any.
	Reason string
}

// Error says which reason code the broker gave.
func (e *RefusedError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("mqtt: broker refused the connection: reason code 0x%02x (%s): %s", e.Code, reasonName(e.Code), e.Reason)
	}
	return fmt.Sprintf("mqtt: broker refused the connection: reason code 0x%02x (%s)", e.Code, reasonName(e.Code))
}

// SubscribeError is a SUBACK refusing every topic filter asked for, or a
// session with no topic filter to ask for (R-MQTT.16, R-MQTT.17).
type SubscribeError struct {
	// Refused maps each refused topic filter to its SUBACK Reason Code.
	Refused map[string]byte
}

// Error lists the refused topic filters.
func (e *SubscribeError) Error() string {
	if len(e.Refused) == 0 {
		return "mqtt: no topic to subscribe to (configure Topics, or have the broker send subscribe-topic)"
	}
	return fmt.Sprintf("mqtt: broker refused every subscription: %v", e.Refused)
}

// DisconnectError is a DISCONNECT sent by the broker.
type DisconnectError struct {
	// Code is the DISCONNECT Reason Code.
	Code byte
	// Reason is the DISCONNECT Reason String, if any.
	Reason string
}

// Error says which reason code the broker gave.
func (e *DisconnectError) Error() string {
	return fmt.Sprintf("mqtt: broker disconnected: reason code 0x%02x (%s) %s", e.Code, reasonName(e.Code), e.Reason)
}

func reasonName(code byte) string {
	switch code {
	case 0x80:
		return "unspecified error"
	case 0x81:
		return "malformed packet"
	case 0x82:
		return "protocol error"
	case 0x83:
		return "implementation specific error"
	case 0x84:
		return "unsupported protocol version"
	case 0x85:
		return "client identifier not valid"
	case 0x86:
		return "bad user name or password"
	case 0x87:
		return "not authorized"
	case 0x88:
		return "server unavailable"
	case 0x89:
		return "server busy"
	case 0x8A:
		return "banned"
	case 0x8B:
		return "server shutting down"
	case 0x8C:
		return "bad authentication method"
	case 0x8E:
		return "session taken over"
	case 0x95:
		return "packet too large"
	case 0x97:
		return "quota exceeded"
	case 0x9C:
		return "use another server"
	case 0x9D:
		return "server moved"
	}
	return "error"
}

// classify maps a failed attempt (or a lost session) to its Status and a
// short kind used to log a streak of alike failures once.
func classify(err error) (Status, string) {
	var refused *RefusedError
	if errors.As(err, &refused) {
		switch refused.Code {
		case 0x84, 0x85, 0x86, 0x87, 0x8A, 0x8C:
			return StatusErrorMisconfigured, "refused"
		case 0x88, 0x89, 0x9C, 0x9D:
			return StatusErrorBrokerUnreachable, "refused"
		}
		return StatusError, "refused"
	}
	var sub *SubscribeError
	if errors.As(err, &sub) {
		return StatusErrorMisconfigured, "subscribe"
	}
	if tlsVerifyFailed(err) {
		return StatusErrorMisconfigured, "tls"
	}
	var dis *DisconnectError
	if errors.As(err, &dis) {
		return StatusError, "disconnect"
	}
	var dial *dialError
	if errors.As(err, &dial) {
		return StatusErrorBrokerUnreachable, "unreachable"
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return StatusErrorBrokerUnreachable, "timeout"
	}
	// The broker was reached but the session failed: a reset during
	// CONNECT, a TLS alert, a protocol error. (A broker refusing a missing
	// client certificate under TLS 1.3 often shows only as a reset.)
	return StatusError, "error"
}

// tlsVerifyFailed reports a TLS failure that retrying will not cure: the
// broker's certificate did not verify, or the broker refused ours.
func tlsVerifyFailed(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		alert    tls.AlertError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &hostname):
		return true
	case errors.As(err, &alert):
		// bad_certificate, unsupported_certificate, certificate_revoked,
		// certificate_expired, certificate_unknown, unknown_ca,
		// access_denied, certificate_required.
		switch alert {
		case 42, 43, 44, 45, 46, 48, 49, 116:
			return true
		}
	}
	return false
}
