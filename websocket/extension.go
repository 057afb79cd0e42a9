package websocket

import (
	"errors"
	"fmt"
	"strings"
)

// Subprotocol is the Sec-WebSocket-Protocol value for USP Records encoded
// with protocol buffers (TR-369 R-WS.9).
const Subprotocol = "v1.usp"

// ExtensionName is the WebSocket extension that carries an Endpoint ID in
// its "eid" parameter (TR-369 R-WS.10a, R-WS.11a).
const ExtensionName = "bbf-usp-protocol"

// eidParam is the extension parameter, and the request URI query key
// (R-WS.10b), that carries an Endpoint ID.
const eidParam = "eid"

// maxEndpointIDLen bounds the Endpoint IDs this package accepts.
const maxEndpointIDLen = 512

// ErrNoExtension reports a Sec-WebSocket-Extensions value without the
// bbf-usp-protocol extension. TR-369 R-WS.11b and R-WS.11c say its absence
// is not an error of the session, so callers usually fall back.
var ErrNoExtension = errors.New("websocket: no " + ExtensionName + " extension")

// ErrNoEndpointID reports a bbf-usp-protocol extension without an eid
// parameter.
var ErrNoEndpointID = errors.New("websocket: " + ExtensionName + " extension without " + eidParam)

// FormatExtension returns the Sec-WebSocket-Extensions value announcing eid:
// bbf-usp-protocol; eid="<eid>", with '"' and '\' escaped as RFC 7230
// quoted-pairs.
func FormatExtension(eid string) string {
	var b strings.Builder
	b.WriteString(ExtensionName)
	b.WriteString("; ")
	b.WriteString(eidParam)
	b.WriteString(`="`)
	for i := 0; i < len(eid); i++ {
		if eid[i] == '"' || eid[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(eid[i])
	}
	b.WriteByte('"')
	return b.String()
}

// ParseExtension reads the Endpoint ID from a Sec-WebSocket-Extensions
// value (several header lines may be joined with ", "). It accepts several
// extensions, empty list elements, optional whitespace, case-insensitive
// names, and quoted or unquoted parameter values. It returns an error
// wrapping ErrNoExtension when the extension is absent, ErrNoEndpointID
// when it has no eid, and a syntax error naming the offset otherwise.
func ParseExtension(header string) (eid string, err error) {
	exts, err := parseExtensions(header)
	if err != nil {
		return "", err
	}
	for _, e := range exts {
		if !strings.EqualFold(e.name, ExtensionName) {
			continue
		}
		v, ok := e.param(eidParam)
		if !ok {
			return "", ErrNoEndpointID
		}
		if err := validEndpointID(v); err != nil {
			return "", err
		}
		return v, nil
	}
	return "", ErrNoExtension
}

// validEndpointID accepts 1 to 512 visible ASCII characters, which covers
// the TR-369 forms ("os::00D09E-123", "proto::ctl", ...).
func validEndpointID(eid string) error {
	if eid == "" {
		return errors.New("websocket: empty Endpoint ID")
	}
	if len(eid) > maxEndpointIDLen {
		return fmt.Errorf("websocket: Endpoint ID of %d bytes, at most %d", len(eid), maxEndpointIDLen)
	}
	for i := 0; i < len(eid); i++ {
		if eid[i] <= ' ' || eid[i] > '~' {
			return fmt.Errorf("websocket: Endpoint ID %q: byte %#x at %d is not visible ASCII", eid, eid[i], i)
		}
	}
	return nil
}

// extension is one element of a Sec-WebSocket-Extensions list.
type extension struct {
	name   string
	params [][2]string
}

// param returns the value of the first parameter called name.
func (e extension) param(name string) (string, bool) {
	for _, p := range e.params {
		if strings.EqualFold(p[0], name) {
			return p[1], true
		}
	}
	return "", false
}

// extScanner walks a Sec-WebSocket-Extensions value (RFC 6455 section 9.1).
type extScanner struct {
	s string
	i int
}

func (sc *extScanner) skipSpace() {
	for sc.i < len(sc.s) && (sc.s[sc.i] == ' ' || sc.s[sc.i] == '\t') {
		sc.i++
	}
}

func (sc *extScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("websocket: Sec-WebSocket-Extensions at offset %d: %s", sc.i, fmt.Sprintf(format, args...))
}

// token reads an RFC 7230 token; it may be empty.
func (sc *extScanner) token() string {
	start := sc.i
	for sc.i < len(sc.s) && isTokenChar(sc.s[sc.i]) {
		sc.i++
	}
	return sc.s[start:sc.i]
}

// bareValue reads an unquoted parameter value. It is laxer than a token so
// that unquoted Endpoint IDs such as os::abc are read whole.
func (sc *extScanner) bareValue() string {
	start := sc.i
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		if c <= ' ' || c == 0x7f || c == ',' || c == ';' || c == '"' {
			break
		}
		sc.i++
	}
	return sc.s[start:sc.i]
}

// quoted reads a quoted-string, the opening quote at sc.i.
func (sc *extScanner) quoted() (string, error) {
	sc.i++
	var b strings.Builder
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			sc.i++
			return b.String(), nil
		case c == '\\':
			if sc.i+1 >= len(sc.s) {
				return "", sc.errorf("backslash at the end of a quoted string")
			}
			sc.i++
			c = sc.s[sc.i]
			if c < ' ' && c != '\t' || c == 0x7f {
				return "", sc.errorf("control byte %#x escaped in a quoted string", c)
			}
		case c < ' ' && c != '\t' || c == 0x7f:
			return "", sc.errorf("control byte %#x in a quoted string", c)
		}
		b.WriteByte(c)
		sc.i++
	}
	return "", sc.errorf("unterminated quoted string")
}

// parseExtensions splits a Sec-WebSocket-Extensions value into extensions.
func parseExtensions(h string) ([]extension, error) {
	sc := &extScanner{s: h}
	var exts []extension
	for {
		sc.skipSpace()
		if sc.i == len(sc.s) {
			return exts, nil
		}
		if sc.s[sc.i] == ',' {
			sc.i++
			continue
		}
		e, err := sc.extension()
		if err != nil {
			return nil, err
		}
		exts = append(exts, e)
	}
}

// extension reads one extension and its parameters, up to the next ',' or
// the end.
func (sc *extScanner) extension() (extension, error) {
	var e extension
	if e.name = sc.token(); e.name == "" {
		return e, sc.errorf("expected an extension name, got %q", sc.s[sc.i])
	}
	for {
		sc.skipSpace()
		if sc.i == len(sc.s) || sc.s[sc.i] == ',' {
			return e, nil
		}
		if sc.s[sc.i] != ';' {
			return e, sc.errorf("expected ';' or ',' after extension %q, got %q", e.name, sc.s[sc.i])
		}
		sc.i++
		sc.skipSpace()
		name := sc.token()
		if name == "" {
			return e, sc.errorf("expected a parameter name in extension %q", e.name)
		}
		sc.skipSpace()
		var value string
		if sc.i < len(sc.s) && sc.s[sc.i] == '=' {
			sc.i++
			sc.skipSpace()
			if sc.i < len(sc.s) && sc.s[sc.i] == '"' {
				v, err := sc.quoted()
				if err != nil {
					return e, err
				}
				value = v
			} else if value = sc.bareValue(); value == "" {
				return e, sc.errorf("parameter %q of extension %q has '=' but no value", name, e.name)
			}
		}
		e.params = append(e.params, [2]string{name, value})
	}
}

// isTokenChar reports whether c is an RFC 7230 tchar.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
