package value

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// USP error codes that Validate and Compare report.
const (
	// CodeInvalidType (7011 "Invalid type"): the text is not a value of
	// the type, e.g. "abc" for an int or "maybe" for a boolean.
	CodeInvalidType uint32 = 7011
	// CodeInvalidValue (7012 "Invalid value"): a value of the right type
	// that the parameter's constraints exclude.
	CodeInvalidValue uint32 = 7012
)

// Error is a value that failed validation, with the USP error code to
// report. Functions of this package return it as *Error; use errors.As.
type Error struct {
	// Code is CodeInvalidType or CodeInvalidValue.
	Code uint32
	// Msg says precisely what is wrong, e.g. `value "300" out of range [1:255]`.
	Msg string
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// USPErrorCode returns Code, the USP err_code to report.
func (e *Error) USPErrorCode() uint32 { return e.Code }

func invalidType(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidType, Msg: fmt.Sprintf(format, args...)}
}

func invalidValue(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidValue, Msg: fmt.Sprintf(format, args...)}
}

// maxQuoted bounds how much of a value an error message repeats.
const maxQuoted = 64

// quote returns s quoted for a message, shortened to maxQuoted bytes.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
