package value

import (
	"fmt"
	"strings"
)

// b64 maps a base64 character to its 6-bit value, or -1.
func b64(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// stripBlanks returns s without ASCII white space.
func stripBlanks(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if !isBlank(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// parseBase64 checks padded standard base64 (RFC 4648 §4) whose padding
// bits are zero, ignoring ASCII white space.
func parseBase64(s string) (scalar, string) {
	v := scalar{canon: true, text: s}
	if strings.ContainsAny(s, " \t\r\n") {
		v.canon = false
		v.text = stripBlanks(s)
	}
	t := v.text
	n := len(t)
	if n%4 != 0 {
		return scalar{}, fmt.Sprintf("length %d is not a multiple of 4", n)
	}
	pads := 0
	for pads < 2 && pads < n && t[n-1-pads] == '=' {
		pads++
	}
	for i := 0; i < n-pads; i++ {
		if b64(t[i]) < 0 {
			return scalar{}, fmt.Sprintf("bad character %q", t[i])
		}
	}
	// The last character before padding must not carry bits that the
	// decoded bytes do not hold.
	if pads == 1 && b64(t[n-2])&0x3 != 0 || pads == 2 && b64(t[n-3])&0xf != 0 {
		return scalar{}, "non-zero padding bits"
	}
	v.n = n/4*3 - pads
	return v, ""
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// parseHex checks an even number of hex digits; canonical is upper case.
func parseHex(s string) (scalar, string) {
	if len(s)%2 != 0 {
		return scalar{}, fmt.Sprintf("odd number of digits (%d)", len(s))
	}
	v := scalar{canon: true, text: s, n: len(s) / 2}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if hexVal(c) < 0 {
			return scalar{}, fmt.Sprintf("bad character %q", c)
		}
		if c >= 'a' {
			v.canon = false
		}
	}
	return v, ""
}

// cmpHex orders two hexBinary texts by the bytes they encode.
func cmpHex(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := hexVal(a[i]), hexVal(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
