package discovery

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// MaxLabel is the longest DNS label in bytes (RFC 1035 §2.3.4). The
// instance name, that is the whole Endpoint ID, must fit in one.
const MaxLabel = 63

// maxInstanceID is the longest instance-id of an Endpoint ID (R-ARC.6),
// counted in characters of the %-encoded form.
const maxInstanceID = 50

// maxScheme and maxAuthority bound the parts of an Endpoint ID that the
// spec leaves open-ended (the longest defined scheme has five letters and
// the longest authority, an OUI-36, nine digits).
const (
	maxScheme    = 16
	maxAuthority = 16
)

// Sentinel errors wrapped by ServiceError and returned by the parsers.
var (
	// ErrLabelTooLong: the Endpoint ID does not fit in one DNS label.
	ErrLabelTooLong = errors.New("longer than a 63-byte DNS label")
	// ErrEndpointID: the text is not a syntactically valid Endpoint ID.
	ErrEndpointID = errors.New("not an Endpoint ID")
	// ErrInstanceName: the DNS-SD instance name is not one escaped label.
	ErrInstanceName = errors.New("malformed instance name")
)

// checkEndpointID reports whether id has the syntax of an Endpoint ID:
// authority-scheme ":" [authority-id] ":" instance-id, the scheme 1–16
// letters or digits, the authority up to 16 unreserved characters, the
// instance-id 1–50 characters that are unreserved (A-Z a-z 0-9 - . _) or
// %HH escapes. It checks no scheme-specific rule (usp.ParseEndpointID
// does): discovery lists what is on the link, the USP layer decides
// whom to talk to.
func checkEndpointID(id string) error {
	scheme, rest, ok := strings.Cut(id, ":")
	if !ok {
		return fmt.Errorf("%w: %q has no ':'", ErrEndpointID, id)
	}
	authority, instance, ok := strings.Cut(rest, ":")
	if !ok {
		return fmt.Errorf("%w: %q has no second ':'", ErrEndpointID, id)
	}
	if scheme == "" || len(scheme) > maxScheme || !allAlnum(scheme) {
		return fmt.Errorf("%w: %q has a bad authority-scheme", ErrEndpointID, id)
	}
	if len(authority) > maxAuthority || !allUnreserved(authority) {
		return fmt.Errorf("%w: %q has a bad authority-id", ErrEndpointID, id)
	}
	if instance == "" || len(instance) > maxInstanceID {
		return fmt.Errorf("%w: %q: instance-id must be 1-%d characters", ErrEndpointID, id, maxInstanceID)
	}
	for i := 0; i < len(instance); i++ {
		c := instance[i]
		switch {
		case isUnreserved(c):
		case c == '%' && i+2 < len(instance) && isHex(instance[i+1]) && isHex(instance[i+2]):
			i += 2
		default:
			return fmt.Errorf("%w: %q: bad character %q in instance-id", ErrEndpointID, id, c)
		}
	}
	return nil
}

// escapeInstance turns a raw instance label into the presentation-format
// text zeroconf pastes in front of ".<service>.local." and miekg/dns
// packs. Bytes miekg/dns escapes when it unpacks a name get the same
// escape here (\. \\ and friends, \DDD for non-printable bytes), so a
// lookup by instance name from another responder compares equal. A dot
// at either end is written \046 instead of \., because zeroconf trims
// dots from both ends of the instance (strings.Trim(s, ".")) and would
// cut "\." in half.
func escapeInstance(raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("%w: empty", ErrInstanceName)
	}
	if len(raw) > MaxLabel {
		return "", fmt.Errorf("%q is %d bytes: %w", raw, len(raw), ErrLabelTooLong)
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '.' && (i == 0 || i == len(raw)-1):
			fmt.Fprintf(&b, `\%03d`, c)
		case isLabelSpecial(c):
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, `\%03d`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// unescapeInstance reverses the presentation format of
// zeroconf.ServiceEntry.Instance: \X is X, \DDD the byte DDD, and an
// unescaped dot separates labels, which an instance must not have. A
// backslash at the very end is what is left of a "\." whose dot
// zeroconf's trimming removed, so it stands for a dot.
func unescapeInstance(s string) (string, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			return "", fmt.Errorf("%w: %q spans several labels", ErrInstanceName, s)
		case c != '\\':
			b = append(b, c)
		case i+1 == len(s):
			b = append(b, '.')
		case i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]):
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v > 255 {
				return "", fmt.Errorf("%w: %q has the escape \\%s", ErrInstanceName, s, s[i+1:i+4])
			}
			b = append(b, byte(v))
			i += 3
		default:
			b = append(b, s[i+1])
			i++
		}
	}
	if len(b) == 0 || len(b) > MaxLabel {
		return "", fmt.Errorf("%w: %q is %d bytes", ErrInstanceName, s, len(b))
	}
	return string(b), nil
}

// hostLabel derives a host name label unique to a node from one of its
// Endpoint IDs: the ID lower-cased, every run of characters other than
// a-z 0-9 turned into one '-', cut to 54 bytes, then "-" and the first 8
// hex digits of the ID's SHA-256, so that IDs which sanitise alike (or
// differ only in case) still get different names. The result is a valid
// RFC 1123 label of at most 63 bytes.
func hostLabel(endpointID string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(endpointID) && b.Len() < 54; i++ {
		c := endpointID[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if (c >= 'a' && c <= 'z') || isDigit(c) {
			b.WriteByte(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	prefix := strings.TrimRight(b.String(), "-")
	sum := sha256.Sum256([]byte(endpointID))
	suffix := hex.EncodeToString(sum[:4])
	if prefix == "" {
		return "usp-" + suffix
	}
	return prefix + "-" + suffix
}

// checkHostLabel reports whether s is one RFC 1123 host name label.
func checkHostLabel(s string) error {
	if s == "" || len(s) > MaxLabel || s[0] == '-' || s[len(s)-1] == '-' {
		return fmt.Errorf("discovery: host name %q is not a DNS label", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' {
			return fmt.Errorf("discovery: host name %q has the character %q", s, c)
		}
	}
	return nil
}

// isLabelSpecial lists the bytes miekg/dns prefixes with a backslash in
// a name's presentation format (isDomainNameLabelSpecial in its types.go).
func isLabelSpecial(c byte) bool {
	switch c {
	case '.', ' ', '\'', '@', ';', '(', ')', '"', '\\':
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isUnreserved(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_'
}

func allAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func allUnreserved(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			return false
		}
	}
	return true
}
