package value

import (
	"math"
	"strconv"
	"strings"
)

// scanInt parses an optionally signed decimal integer with any number of
// leading zeros. ok is false for bad syntax; overflow is true when the
// magnitude exceeds uint64.
func scanInt(s string) (neg bool, mag uint64, canon, ok, overflow bool) {
	digits := s
	if len(digits) > 0 && (digits[0] == '+' || digits[0] == '-') {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	if digits == "" {
		return false, 0, false, false, false
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return false, 0, false, false, false
		}
		d := uint64(c - '0')
		// 19 digits always fit; only longer numbers need the check.
		if i >= 19 && mag > (math.MaxUint64-d)/10 {
			overflow = true
		}
		mag = mag*10 + d
	}
	if overflow {
		return neg, 0, false, true, true
	}
	canon = len(digits) == len(s) && (digits[0] != '0' || len(digits) == 1)
	if neg {
		canon = mag != 0 && digits[0] != '0'
		neg = mag != 0
	}
	return neg, mag, canon, true, false
}

// intDomain returns the magnitude limits of an integer type.
func intDomain(t Type) (maxNeg, maxPos uint64) {
	switch t {
	case Int:
		return -math.MinInt32, math.MaxInt32
	case UnsignedInt:
		return 0, math.MaxUint32
	case Long:
		return 1 << 63, math.MaxInt64
	}
	return 0, math.MaxUint64
}

// intInDomain reports whether the integer of sign neg and magnitude mag is
// a value of integer type t.
func intInDomain(t Type, neg bool, mag uint64) bool {
	maxNeg, maxPos := intDomain(t)
	if neg {
		return mag <= maxNeg
	}
	return mag <= maxPos
}

func parseIntType(t Type, s string) (scalar, *Error) {
	neg, mag, canon, ok, overflow := scanInt(s)
	if !ok {
		return scalar{}, invalidType("%s is not a valid %s", quote(s), t)
	}
	if overflow || !intInDomain(t, neg, mag) {
		maxNeg, maxPos := intDomain(t)
		lo := "0"
		if maxNeg > 0 {
			lo = "-" + strconv.FormatUint(maxNeg, 10)
		}
		return scalar{}, invalidType("%s is outside the %s domain [%s:%d]", quote(s), t, lo, maxPos)
	}
	return scalar{canon: canon, neg: neg, mag: mag}, nil
}

func formatInt(neg bool, mag uint64) string {
	if neg {
		return "-" + strconv.FormatUint(mag, 10)
	}
	return strconv.FormatUint(mag, 10)
}

func cmpInt(an bool, am uint64, bn bool, bm uint64) int {
	if an != bn {
		if an {
			return -1
		}
		return 1
	}
	c := 0
	switch {
	case am < bm:
		c = -1
	case am > bm:
		c = 1
	}
	if an {
		return -c
	}
	return c
}

// parseDecimal parses an xsd:decimal: [+-] digits [. digits], with at least
// one digit, no exponent.
func parseDecimal(s string) (scalar, bool) {
	var v scalar
	body := s
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		v.neg = body[0] == '-'
		body = body[1:]
	}
	ip, fp, _ := strings.Cut(body, ".")
	if (ip == "" && fp == "") || !allDigits(ip) || !allDigits(fp) {
		return scalar{}, false
	}
	v.text = strings.TrimLeft(ip, "0")
	v.frac = strings.TrimRight(fp, "0")
	v.neg = v.neg && (v.text != "" || v.frac != "")
	v.canon = decimalIsCanon(s, &v)
	return v, true
}

// decimalIsCanon reports whether s is exactly formatDecimal(v).
func decimalIsCanon(s string, v *scalar) bool {
	rest := s
	if v.neg {
		if rest == "" || rest[0] != '-' {
			return false
		}
		rest = rest[1:]
	}
	whole := v.text
	if whole == "" {
		whole = "0"
	}
	if !strings.HasPrefix(rest, whole) {
		return false
	}
	rest = rest[len(whole):]
	if v.frac == "" {
		return rest == ""
	}
	return len(rest) == len(v.frac)+1 && rest[0] == '.' && rest[1:] == v.frac
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func formatDecimal(v *scalar) string {
	var b strings.Builder
	b.Grow(len(v.text) + len(v.frac) + 3)
	if v.neg {
		b.WriteByte('-')
	}
	if v.text == "" {
		b.WriteByte('0')
	}
	b.WriteString(v.text)
	if v.frac != "" {
		b.WriteByte('.')
		b.WriteString(v.frac)
	}
	return b.String()
}

func cmpDecimal(a, b *scalar) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := 0
	switch {
	case len(a.text) != len(b.text):
		c = cmpLen(len(a.text), len(b.text))
	case a.text != b.text:
		c = strings.Compare(a.text, b.text)
	default:
		c = strings.Compare(a.frac, b.frac)
	}
	if a.neg {
		return -c
	}
	return c
}

func cmpLen(a, b int) int {
	if a < b {
		return -1
	}
	return 1
}
