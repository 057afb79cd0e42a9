package datamodel

import "fmt"

// USP error codes the engine reports. They are the TR-369 values; package usp
// holds the full table and maps any error with a USPErrorCode method.
const (
	CodeInternal          uint32 = 7003
	CodeInvalidArguments  uint32 = 7004
	CodeResourcesExceeded uint32 = 7005
	CodePermissionDenied  uint32 = 7006
	CodeInvalidPathSyntax uint32 = 7008
	CodeUnsupportedParam  uint32 = 7010
	CodeInvalidType       uint32 = 7011
	CodeInvalidValue      uint32 = 7012
	CodeNotWritable       uint32 = 7013
	CodeObjectNotFound    uint32 = 7016
	CodeNotCreated        uint32 = 7017
	CodeNotTable          uint32 = 7018
	CodeNotCreatable      uint32 = 7019
	CodeNotUpdated        uint32 = 7020
	CodeCommandFailure    uint32 = 7022
	CodeDeleteFailure     uint32 = 7024
	CodeDuplicateKey      uint32 = 7025
	CodeInvalidPath       uint32 = 7026
	CodeInvalidCmdArgs    uint32 = 7027
)

// Error is an engine failure with the USP error code that describes it.
// Path names what failed (an object, row or parameter path) when known.
type Error struct {
	Code uint32
	Path string
	Msg  string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("datamodel: %s (%d)", e.Msg, e.Code)
	}
	return fmt.Sprintf("datamodel: %s: %s (%d)", e.Path, e.Msg, e.Code)
}

// USPErrorCode returns the USP error code of e.
func (e *Error) USPErrorCode() uint32 { return e.Code }

func errorf(code uint32, path, format string, args ...any) *Error {
	return &Error{Code: code, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// ParamError is the failure of one parameter of a write.
type ParamError struct {
	// Param is the parameter path relative to the object written.
	Param string
	Code  uint32
	Msg   string
}

// WriteError is a refused write of one object or row: the parameters that
// failed (ParamErrs, relative names) or, for a failure of the whole object
// such as a commit hook's refusal or a duplicate key, just Code and Msg.
type WriteError struct {
	// Path is the object or row path that was being written.
	Path      string
	Code      uint32
	Msg       string
	ParamErrs []ParamError
}

// Error implements error.
func (e *WriteError) Error() string {
	s := fmt.Sprintf("datamodel: write %s: %s (%d)", e.Path, e.Msg, e.Code)
	for _, p := range e.ParamErrs {
		s += fmt.Sprintf("; %s: %s (%d)", p.Param, p.Msg, p.Code)
	}
	return s
}

// USPErrorCode returns the USP error code of e.
func (e *WriteError) USPErrorCode() uint32 { return e.Code }
