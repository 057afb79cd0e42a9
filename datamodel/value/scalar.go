package value

import "strings"

// scalar is one parsed value; only the fields of its type are set. It is
// kept small: it is built for every value validated or compared.
type scalar struct {
	canon bool   // the parsed text is already canonical
	neg   bool   // integers and decimal: negative (never set for zero)
	b     bool   // boolean
	zoned bool   // dateTime: absolute time (has a zone), else time since boot
	mag   uint64 // integers: magnitude
	sec   int64  // dateTime: seconds since the Unix epoch
	n     int    // base64, hexBinary: decoded length in bytes
	// text is the text of a string or hexBinary, base64 without white
	// space, or the integer digits of a decimal without leading zeros ("" for 0).
	text string
	// frac holds the fraction digits of a decimal or dateTime, without
	// trailing zeros.
	frac string
}

// parse parses s as a value of t. Every failure is CodeInvalidType.
func parse(t Type, s string) (scalar, *Error) {
	switch t {
	case String:
		return scalar{canon: true, text: s}, nil
	case Boolean:
		return parseBool(s)
	case Int, UnsignedInt, Long, UnsignedLong:
		return parseIntType(t, s)
	case Decimal:
		v, ok := parseDecimal(s)
		if !ok {
			return v, invalidType("%s is not a valid decimal", quote(s))
		}
		return v, nil
	case DateTime:
		v, reason := parseDateTime(s)
		if reason != "" {
			return v, invalidType("%s is not a valid dateTime: %s", quote(s), reason)
		}
		return v, nil
	case Base64:
		v, reason := parseBase64(s)
		if reason != "" {
			return v, invalidType("%s is not valid base64: %s", quote(s), reason)
		}
		return v, nil
	case HexBinary:
		v, reason := parseHex(s)
		if reason != "" {
			return v, invalidType("%s is not valid hexBinary: %s", quote(s), reason)
		}
		return v, nil
	}
	return scalar{}, invalidType("unsupported type %s", t)
}

func parseBool(s string) (scalar, *Error) {
	switch s {
	case "true":
		return scalar{canon: true, b: true}, nil
	case "false":
		return scalar{canon: true}, nil
	case "1":
		return scalar{b: true}, nil
	case "0":
		return scalar{}, nil
	}
	if asciiEqualFold(s, "true") {
		return scalar{b: true}, nil
	}
	if asciiEqualFold(s, "false") {
		return scalar{}, nil
	}
	return scalar{}, invalidType("%s is not a valid boolean (true, false, 1 or 0)", quote(s))
}

// asciiEqualFold reports whether s equals the lower-case ASCII word lower,
// ignoring ASCII case only (strings.EqualFold would also take "ſ" for "s").
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// format returns the canonical text of v, parsed from s as a t: s itself
// when it already is canonical.
func format(t Type, v *scalar, s string) string {
	if v.canon {
		return s
	}
	switch t {
	case Boolean:
		if v.b {
			return "true"
		}
		return "false"
	case Int, UnsignedInt, Long, UnsignedLong:
		return formatInt(v.neg, v.mag)
	case Decimal:
		return formatDecimal(v)
	case DateTime:
		return formatDateTime(v)
	case Base64:
		return v.text
	case HexBinary:
		return strings.ToUpper(s)
	}
	return s
}

// cmp orders two values of type t: -1, 0 or +1.
func cmp(t Type, a, b *scalar) int {
	switch t {
	case Boolean:
		return cmpBool(a.b, b.b)
	case Int, UnsignedInt, Long, UnsignedLong:
		return cmpInt(a.neg, a.mag, b.neg, b.mag)
	case Decimal:
		return cmpDecimal(a, b)
	case DateTime:
		return cmpDateTime(a, b)
	case HexBinary:
		return cmpHex(a.text, b.text)
	}
	return strings.Compare(a.text, b.text)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}
