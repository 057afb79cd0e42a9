package usp

import (
	"fmt"
	"strings"
)

// EndpointID identifies a USP Agent or Controller (TR-369 "Endpoint
// Identifier"): authority-scheme ":" [authority-id] ":" instance-id, for
// example "oui:00256D:my-serial" or "proto::agent-ap1".
//
// Endpoint IDs are compared as exact strings; ParseEndpointID validates
// but never rewrites one (no case folding, no unescaping), so an ID read
// from configuration is the ID sent in to_id/from_id.
type EndpointID string

// MaxInstanceIDLen is the longest instance-id allowed (R-ARC.6), counted in
// raw characters of the encoded form: a %HH escape counts as three.
const MaxInstanceIDLen = 50

// Endpoint ID authority schemes.
const (
	SchemeOUI   = "oui"   // IEEE OUI (6, 7 or 9 hex digits) as authority-id
	SchemeCID   = "cid"   // IEEE CID (6 hex digits) as authority-id
	SchemePEN   = "pen"   // IANA Private Enterprise Number as authority-id
	SchemeSelf  = "self"  // self-assigned; optional 1–6 character authority-id
	SchemeUser  = "user"  // assigned by a user or application
	SchemeOS    = "os"    // instance-id <OUI>-<SerialNumber>
	SchemeOPS   = "ops"   // instance-id <OUI>-<ProductClass>-<SerialNumber>
	SchemeUUID  = "uuid"  // instance-id is an RFC 4122 UUID
	SchemeIMEI  = "imei"  // instance-id is an IMEI (15 digits) or IMEISV (16)
	SchemeProto = "proto" // prototyping only, never in production
	SchemeDoc   = "doc"   // documentation only, never in production
	SchemeFQDN  = "fqdn"  // instance-id is a DNS name
)

// BBF-reserved authorities (R-ARC.3): IDs under them are not for production.
const (
	bbfOUI = "00256D"
	bbfPEN = "3561"
)

// EndpointIDError reports a malformed Endpoint ID. It is a configuration or
// identity error, not a USP protocol error, so it carries no ErrorCode.
type EndpointIDError struct {
	ID     string // the rejected text
	Reason string // what is wrong with it
}

// Error implements error.
func (e *EndpointIDError) Error() string {
	return fmt.Sprintf("usp: invalid endpoint ID %q: %s", e.ID, e.Reason)
}

// ParseEndpointID validates s as an Endpoint ID and returns it unchanged.
//
// Rules, per scheme: oui takes 6, 7 or 9 hex digits (either case); cid
// exactly 6 hex digits; pen decimal digits without a leading zero; self an
// empty authority or 1–6 characters of A-Z a-z 0-9 - . _; every other scheme
// an empty authority. The instance-id is 1–50 characters of
// A-Z a-z 0-9 - . _ or %HH escapes, each escape counting three. Scheme
// checks on the instance-id: os "<OUI>-<Serial>" and ops
// "<OUI>-<ProductClass>-<Serial>" with a 6-hex-digit OUI and non-empty parts
// (ProductClass ends at the first '-' after the OUI); uuid the 36-character
// RFC 4122 text form; imei 15 or 16 decimal digits (no Luhn check); fqdn a
// DNS name of at least two labels (letters, digits, inner hyphens).
func ParseEndpointID(s string) (EndpointID, error) {
	if reason := checkEndpointID(s); reason != "" {
		return "", &EndpointIDError{ID: s, Reason: reason}
	}
	return EndpointID(s), nil
}

func checkEndpointID(s string) string {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "want authority-scheme:[authority-id]:instance-id"
	}
	authority, instance, ok := strings.Cut(rest, ":")
	if !ok {
		return "missing ':' after the authority-id"
	}
	if r := checkAuthority(scheme, authority); r != "" {
		return r
	}
	if r := checkInstanceID(instance); r != "" {
		return r
	}
	return checkSchemeInstance(scheme, instance)
}

func checkAuthority(scheme, a string) string {
	switch scheme {
	case SchemeOUI:
		if n := len(a); (n != 6 && n != 7 && n != 9) || !allHex(a) {
			return "oui authority-id must be 6, 7 or 9 hex digits"
		}
	case SchemeCID:
		if len(a) != 6 || !allHex(a) {
			return "cid authority-id must be 6 hex digits"
		}
	case SchemePEN:
		if a == "" || len(a) > 10 || !allDigits(a) || (a[0] == '0' && len(a) > 1) {
			return "pen authority-id must be a decimal number"
		}
	case SchemeSelf:
		if len(a) > 6 || !allUnreserved(a) {
			return "self authority-id must be empty or 1-6 unreserved characters"
		}
	case SchemeUser, SchemeOS, SchemeOPS, SchemeUUID, SchemeIMEI,
		SchemeProto, SchemeDoc, SchemeFQDN:
		if a != "" {
			return scheme + " takes an empty authority-id"
		}
	case "":
		return "empty authority-scheme"
	default:
		return fmt.Sprintf("unknown authority-scheme %q", scheme)
	}
	return ""
}

func checkInstanceID(s string) string {
	switch {
	case s == "":
		return "empty instance-id"
	case len(s) > MaxInstanceIDLen:
		return fmt.Sprintf("instance-id longer than %d characters", MaxInstanceIDLen)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isUnreserved(c):
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		case c == '%':
			return "instance-id has a '%' not followed by two hex digits"
		case c >= 0x80:
			return fmt.Sprintf("instance-id has the non-ASCII byte 0x%02x", c)
		default:
			return fmt.Sprintf("instance-id has the invalid character %q", c)
		}
	}
	return ""
}

func checkSchemeInstance(scheme, s string) string {
	switch scheme {
	case SchemeOS:
		oui, serial, _ := strings.Cut(s, "-")
		if len(oui) != 6 || !allHex(oui) || serial == "" {
			return "os instance-id must be <OUI>-<SerialNumber>"
		}
	case SchemeOPS:
		oui, rest, _ := strings.Cut(s, "-")
		class, serial, _ := strings.Cut(rest, "-")
		if len(oui) != 6 || !allHex(oui) || class == "" || serial == "" {
			return "ops instance-id must be <OUI>-<ProductClass>-<SerialNumber>"
		}
	case SchemeUUID:
		if !isUUID(s) {
			return "uuid instance-id must be an RFC 4122 UUID"
		}
	case SchemeIMEI:
		if (len(s) != 15 && len(s) != 16) || !allDigits(s) {
			return "imei instance-id must be 15 (IMEI) or 16 (IMEISV) digits"
		}
	case SchemeFQDN:
		if !isDNSName(s) {
			return "fqdn instance-id must be a DNS name"
		}
	}
	return ""
}

// String returns the Endpoint ID text.
func (e EndpointID) String() string { return string(e) }

// Scheme returns the authority-scheme, such as "oui". Like Authority and
// InstanceID it splits the text at its first two colons and is meaningful
// for IDs returned by ParseEndpointID; it returns "" when a part is missing.
func (e EndpointID) Scheme() string {
	scheme, _, ok := strings.Cut(string(e), ":")
	if !ok {
		return ""
	}
	return scheme
}

// Authority returns the authority-id, such as "00256D"; it is empty for the
// schemes that take none.
func (e EndpointID) Authority() string {
	_, rest, _ := strings.Cut(string(e), ":")
	authority, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return authority
}

// InstanceID returns the instance-id, still %-escaped as on the wire.
func (e EndpointID) InstanceID() string {
	_, rest, _ := strings.Cut(string(e), ":")
	_, instance, _ := strings.Cut(rest, ":")
	return instance
}

// IsProduction reports whether e may be used in a deployed product
// (R-ARC.3/4): false for the proto and doc schemes and for IDs under the
// BBF-reserved OUI 00256D (oui authority, or the OUI part of an os/ops
// instance-id, either case) or PEN 3561; true otherwise.
func (e EndpointID) IsProduction() bool {
	switch e.Scheme() {
	case SchemeProto, SchemeDoc:
		return false
	case SchemeOUI:
		return !strings.EqualFold(e.Authority(), bbfOUI)
	case SchemePEN:
		return e.Authority() != bbfPEN
	case SchemeOS, SchemeOPS:
		oui, _, _ := strings.Cut(e.InstanceID(), "-")
		return !strings.EqualFold(oui, bbfOUI)
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isDNSName reports whether s is a host name of two or more labels, each
// 1–63 letters, digits or inner hyphens (RFC 1123), without a final dot.
func isDNSName(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func isUnreserved(c byte) bool { return isAlnum(c) || c == '-' || c == '.' || c == '_' }

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func allHex(s string) bool { return allBytes(s, isHex) }

func allDigits(s string) bool { return allBytes(s, func(c byte) bool { return '0' <= c && c <= '9' }) }

func allUnreserved(s string) bool { return allBytes(s, isUnreserved) }

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
