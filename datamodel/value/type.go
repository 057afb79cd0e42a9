package value

import "fmt"

// Type is a TR-181 parameter base type.
type Type uint8

// The TR-181 base types. The zero Type is invalid.
const (
	// String is a sequence of Unicode characters.
	String Type = iota + 1
	// Boolean is "true" or "false" ("1" and "0" accepted).
	Boolean
	// Int is a signed 32-bit integer.
	Int
	// UnsignedInt is an unsigned 32-bit integer.
	UnsignedInt
	// Long is a signed 64-bit integer.
	Long
	// UnsignedLong is an unsigned 64-bit integer.
	UnsignedLong
	// DateTime is a TR-106 dateTime such as "2025-01-01T00:00:00Z".
	DateTime
	// Base64 is binary data in base64.
	Base64
	// HexBinary is binary data in hexadecimal.
	HexBinary
	// Decimal is an xsd:decimal number such as "-12.5".
	Decimal
)

// UnknownTime is the TR-106 dateTime for "time unknown or not applicable".
const UnknownTime = "0001-01-01T00:00:00Z"

var typeNames = [...]string{
	String:       "string",
	Boolean:      "boolean",
	Int:          "int",
	UnsignedInt:  "unsignedInt",
	Long:         "long",
	UnsignedLong: "unsignedLong",
	DateTime:     "dateTime",
	Base64:       "base64",
	HexBinary:    "hexBinary",
	Decimal:      "decimal",
}

// Valid reports whether t is one of the defined types.
func (t Type) Valid() bool { return t >= String && t <= Decimal }

// String returns the TR-181 name of t ("unsignedInt"), or "Type(n)" for an
// invalid Type.
func (t Type) String() string {
	if !t.Valid() {
		return fmt.Sprintf("Type(%d)", uint8(t))
	}
	return typeNames[t]
}

// ParseType returns the Type whose TR-181 name is s ("string", "boolean",
// "int", "unsignedInt", "long", "unsignedLong", "dateTime", "base64",
// "hexBinary", "decimal"). Names are case-sensitive.
func ParseType(s string) (Type, error) {
	for t := String; t <= Decimal; t++ {
		if typeNames[t] == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("value: unknown type %q", s)
}

// Ordered reports whether the ordering operators <, >, <= and >= are
// allowed for t: numbers and dateTime. Strings, booleans, base64 and
// hexBinary allow only == and !=. For dateTime the unknown time is not
// ordered either; Orderable checks a value.
func Ordered(t Type) bool {
	switch t {
	case Int, UnsignedInt, Long, UnsignedLong, Decimal, DateTime:
		return true
	}
	return false
}

// Orderable reports whether the ordering operators may be used with the
// value s of type t: Ordered(t), and for dateTime s is not the unknown time.
// The engine checks a search constant once and each row's value (a row
// whose dateTime is unknown matches no ordering comparison).
func Orderable(t Type, s string) bool {
	if !Ordered(t) {
		return false
	}
	if t == DateTime {
		v, err := parseDateTime(s)
		return err == "" && !v.unknownTime()
	}
	return true
}

// Default returns the zero value of t as a TR-181 string: "" for string,
// base64 and hexBinary, "false", "0" for the numbers and UnknownTime for
// dateTime. The default of a list parameter of any type is "" (the empty
// list). An invalid Type gives "".
func Default(t Type) string {
	switch t {
	case Boolean:
		return "false"
	case Int, UnsignedInt, Long, UnsignedLong, Decimal:
		return "0"
	case DateTime:
		return UnknownTime
	}
	return ""
}
