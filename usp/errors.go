package usp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
)

// ErrorCode is a USP error code (TR-369 "Error Codes"). 7000–7031 are
// message errors, 7100–7106 record errors, 7200–7299 are reserved for
// data-model specific errors and 7800–7999 for vendors.
type ErrorCode uint32

// The USP error codes of TR-369 1.4.
const (
	ErrMessageFailed             ErrorCode = 7000 // Message failed
	ErrMessageNotSupported       ErrorCode = 7001 // Message not supported
	ErrRequestDenied             ErrorCode = 7002 // Request denied
	ErrInternalError             ErrorCode = 7003 // Internal error
	ErrInvalidArguments          ErrorCode = 7004 // Invalid arguments (also: a broken oneof)
	ErrResourcesExceeded         ErrorCode = 7005 // Resources exceeded
	ErrPermissionDenied          ErrorCode = 7006 // Permission denied
	ErrInvalidConfiguration      ErrorCode = 7007 // Invalid configuration
	ErrInvalidPathSyntax         ErrorCode = 7008 // Invalid path syntax
	ErrParameterActionFailed     ErrorCode = 7009 // Parameter action failed
	ErrUnsupportedParameter      ErrorCode = 7010 // Unsupported parameter
	ErrInvalidType               ErrorCode = 7011 // Invalid type
	ErrInvalidValue              ErrorCode = 7012 // Invalid value
	ErrNotWritable               ErrorCode = 7013 // Attempt to update non-writeable parameter
	ErrValueConflict             ErrorCode = 7014 // Value conflict
	ErrOperationError            ErrorCode = 7015 // Operation error
	ErrObjectDoesNotExist        ErrorCode = 7016 // Object does not exist
	ErrObjectNotCreated          ErrorCode = 7017 // Object could not be created
	ErrObjectNotTable            ErrorCode = 7018 // Object is not a table
	ErrObjectNotCreatable        ErrorCode = 7019 // Attempt to create non-creatable object
	ErrObjectNotUpdated          ErrorCode = 7020 // Object could not be updated
	ErrRequiredParameterFailed   ErrorCode = 7021 // Required parameter failed
	ErrCommandFailure            ErrorCode = 7022 // Command failure
	ErrCommandCanceled           ErrorCode = 7023 // Command canceled
	ErrDeleteFailure             ErrorCode = 7024 // Delete failure
	ErrDuplicateKey              ErrorCode = 7025 // Object exists with duplicate key
	ErrInvalidPath               ErrorCode = 7026 // Invalid path (not in the Supported Data Model)
	ErrInvalidCommandArguments   ErrorCode = 7027 // Invalid command arguments
	ErrRegisterFailure           ErrorCode = 7028 // Register failure
	ErrAlreadyInUse              ErrorCode = 7029 // Already in use
	ErrDeregisterFailure         ErrorCode = 7030 // Deregister failure
	ErrPathAlreadyRegistered     ErrorCode = 7031 // Path already registered (by another agent)
	ErrRecordNotParsed           ErrorCode = 7100 // Record could not be parsed
	ErrSecureSessionRequired     ErrorCode = 7101 // Secure session required
	ErrSecureSessionNotSupported ErrorCode = 7102 // Secure session not supported
	ErrSegmentationNotSupported  ErrorCode = 7103 // Segmentation and reassembly not supported
	ErrInvalidRecordValue        ErrorCode = 7104 // Invalid Record value
	ErrSessionContextTerminated  ErrorCode = 7105 // Session Context terminated
	ErrSessionContextNotAllowed  ErrorCode = 7106 // Session Context not allowed
)

// Code ranges TR-369 reserves beyond the named codes.
const (
	errDataModelFirst, errDataModelLast ErrorCode = 7200, 7299
	errVendorFirst, errVendorLast       ErrorCode = 7800, 7999
)

// String returns the TR-369 name of c, such as "Invalid path". Codes in
// the data-model and vendor ranges get a generic name; any other code is
// printed as "ErrorCode(n)".
func (c ErrorCode) String() string {
	if s := c.name(); s != "" {
		return s
	}
	switch {
	case c >= errDataModelFirst && c <= errDataModelLast:
		return "Data model specific error"
	case c >= errVendorFirst && c <= errVendorLast:
		return "Vendor specific error"
	}
	return "ErrorCode(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// name is the table of spec names; "" for codes outside 7000–7031 and
// 7100–7106.
func (c ErrorCode) name() string {
	switch c {
	case ErrMessageFailed:
		return "Message failed"
	case ErrMessageNotSupported:
		return "Message not supported"
	case ErrRequestDenied:
		return "Request denied"
	case ErrInternalError:
		return "Internal error"
	case ErrInvalidArguments:
		return "Invalid arguments"
	case ErrResourcesExceeded:
		return "Resources exceeded"
	case ErrPermissionDenied:
		return "Permission denied"
	case ErrInvalidConfiguration:
		return "Invalid configuration"
	case ErrInvalidPathSyntax:
		return "Invalid path syntax"
	case ErrParameterActionFailed:
		return "Parameter action failed"
	case ErrUnsupportedParameter:
		return "Unsupported parameter"
	case ErrInvalidType:
		return "Invalid type"
	case ErrInvalidValue:
		return "Invalid value"
	case ErrNotWritable:
		return "Attempt to update non-writeable parameter"
	case ErrValueConflict:
		return "Value conflict"
	case ErrOperationError:
		return "Operation error"
	case ErrObjectDoesNotExist:
		return "Object does not exist"
	case ErrObjectNotCreated:
		return "Object could not be created"
	case ErrObjectNotTable:
		return "Object is not a table"
	case ErrObjectNotCreatable:
		return "Attempt to create non-creatable object"
	case ErrObjectNotUpdated:
		return "Object could not be updated"
	case ErrRequiredParameterFailed:
		return "Required parameter failed"
	case ErrCommandFailure:
		return "Command failure"
	case ErrCommandCanceled:
		return "Command canceled"
	case ErrDeleteFailure:
		return "Delete failure"
	case ErrDuplicateKey:
		return "Object exists with duplicate key"
	case ErrInvalidPath:
		return "Invalid path"
	case ErrInvalidCommandArguments:
		return "Invalid command arguments"
	case ErrRegisterFailure:
		return "Register failure"
	case ErrAlreadyInUse:
		return "Already in use"
	case ErrDeregisterFailure:
		return "Deregister failure"
	case ErrPathAlreadyRegistered:
		return "Path already registered"
	case ErrRecordNotParsed:
		return "Record could not be parsed"
	case ErrSecureSessionRequired:
		return "Secure session required"
	case ErrSecureSessionNotSupported:
		return "Secure session not supported"
	case ErrSegmentationNotSupported:
		return "Segmentation and reassembly not supported"
	case ErrInvalidRecordValue:
		return "Invalid Record value"
	case ErrSessionContextTerminated:
		return "Session Context terminated"
	case ErrSessionContextNotAllowed:
		return "Session Context not allowed"
	}
	return ""
}

// Error is a USP protocol failure: the code and text that go into an Error
// message, a failure field of a response, or a DisconnectRecord. Find it in
// a chain with errors.As, or get just the code with CodeOf.
type Error struct {
	Code ErrorCode
	Msg  string

	// cause is the error Errorf wrapped with %w, if any.
	cause error
}

// Errorf returns an *Error with the given code and a message formatted as
// by fmt.Errorf. If the format wraps errors with %w, the *Error unwraps to
// them, so errors.Is and errors.As see through it.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Msg: err.Error()}
	switch err.(type) {
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
		e.cause = err
	}
	return e
}

// Error implements error: "usp 7026 invalid path: <Msg>".
func (e *Error) Error() string {
	name := strings.ToLower(e.Code.String())
	if e.Msg == "" {
		return fmt.Sprintf("usp %d %s", uint32(e.Code), name)
	}
	return fmt.Sprintf("usp %d %s: %s", uint32(e.Code), name, e.Msg)
}

// USPErrorCode returns e.Code; it is the method CodeOf looks for.
func (e *Error) USPErrorCode() uint32 { return uint32(e.Code) }

// Unwrap returns the errors wrapped by Errorf's %w verbs, if any.
func (e *Error) Unwrap() error { return e.cause }

// CodeOf returns the USP error code carried by err: that of the first error
// in its chain (errors.As order) that is a *Error or has a
// USPErrorCode() uint32 method, as lower packages such as datamodel do.
// A nil err gives 0; any other error, or a carrier reporting code 0, gives
// ErrInternalError.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return 0
	}
	var carrier interface{ USPErrorCode() uint32 }
	if errors.As(err, &carrier) {
		if c := ErrorCode(carrier.USPErrorCode()); c != 0 {
			return c
		}
	}
	return ErrInternalError
}

// MessageOf is the err_msg of err in a response that already carries its
// code and its path (a requested path, a param path): the data model
// error's own words, without the path and code its Error repeats; any
// other error's text as is.
func MessageOf(err error) string {
	var de *datamodel.Error
	if errors.As(err, &de) && de.Msg != "" {
		return de.Msg
	}
	return err.Error()
}
