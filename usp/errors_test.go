package usp_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/uspmesh/uspmesh/usp"
)

func TestErrorCodeString(t *testing.T) {
	tests := []struct {
		code usp.ErrorCode
		num  uint32
		name string
	}{
		{usp.ErrMessageFailed, 7000, "Message failed"},
		{usp.ErrMessageNotSupported, 7001, "Message not supported"},
		{usp.ErrRequestDenied, 7002, "Request denied"},
		{usp.ErrInternalError, 7003, "Internal error"},
		{usp.ErrInvalidArguments, 7004, "Invalid arguments"},
		{usp.ErrResourcesExceeded, 7005, "Resources exceeded"},
		{usp.ErrPermissionDenied, 7006, "Permission denied"},
		{usp.ErrInvalidConfiguration, 7007, "Invalid configuration"},
		{usp.ErrInvalidPathSyntax, 7008, "Invalid path syntax"},
		{usp.ErrParameterActionFailed, 7009, "Parameter action failed"},
		{usp.ErrUnsupportedParameter, 7010, "Unsupported parameter"},
		{usp.ErrInvalidType, 7011, "Invalid type"},
		{usp.ErrInvalidValue, 7012, "Invalid value"},
		{usp.ErrNotWritable, 7013, "Attempt to update non-writeable parameter"},
		{usp.ErrValueConflict, 7014, "Value conflict"},
		{usp.ErrOperationError, 7015, "Operation error"},
		{usp.ErrObjectDoesNotExist, 7016, "Object does not exist"},
		{usp.ErrObjectNotCreated, 7017, "Object could not be created"},
		{usp.ErrObjectNotTable, 7018, "Object is not a table"},
		{usp.ErrObjectNotCreatable, 7019, "Attempt to create non-creatable object"},
		{usp.ErrObjectNotUpdated, 7020, "Object could not be updated"},
		{usp.ErrRequiredParameterFailed, 7021, "Required parameter failed"},
		{usp.ErrCommandFailure, 7022, "Command failure"},
		{usp.ErrCommandCanceled, 7023, "Command canceled"},
		{usp.ErrDeleteFailure, 7024, "Delete failure"},
		{usp.ErrDuplicateKey, 7025, "Object exists with duplicate key"},
		{usp.ErrInvalidPath, 7026, "Invalid path"},
		{usp.ErrInvalidCommandArguments, 7027, "Invalid command arguments"},
		{usp.ErrRegisterFailure, 7028, "Register failure"},
		{usp.ErrAlreadyInUse, 7029, "Already in use"},
		{usp.ErrDeregisterFailure, 7030, "Deregister failure"},
		{usp.ErrPathAlreadyRegistered, 7031, "Path already registered"},
		{usp.ErrRecordNotParsed, 7100, "Record could not be parsed"},
		{usp.ErrSecureSessionRequired, 7101, "Secure session required"},
		{usp.ErrSecureSessionNotSupported, 7102, "Secure session not supported"},
		{usp.ErrSegmentationNotSupported, 7103, "Segmentation and reassembly not supported"},
		{usp.ErrInvalidRecordValue, 7104, "Invalid Record value"},
		{usp.ErrSessionContextTerminated, 7105, "Session Context terminated"},
		{usp.ErrSessionContextNotAllowed, 7106, "Session Context not allowed"},
		{7032, 7032, "ErrorCode(7032)"},
		{7107, 7107, "ErrorCode(7107)"},
		{7200, 7200, "Data model specific error"},
		{7299, 7299, "Data model specific error"},
		{7300, 7300, "ErrorCode(7300)"},
		{7800, 7800, "Vendor specific error"},
		{7999, 7999, "Vendor specific error"},
		{0, 0, "ErrorCode(0)"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.num), func(t *testing.T) {
			if uint32(tt.code) != tt.num {
				t.Errorf("code = %d, want %d", uint32(tt.code), tt.num)
			}
			if got := tt.code.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *usp.Error
		want string
	}{
		{&usp.Error{Code: usp.ErrInvalidPath, Msg: "Device.Foo."}, "usp 7026 invalid path: Device.Foo."},
		{&usp.Error{Code: usp.ErrRecordNotParsed}, "usp 7100 record could not be parsed"},
		{usp.Errorf(usp.ErrSessionContextNotAllowed, "from %s", "proto::c"), "usp 7106 session context not allowed: from proto::c"},
		{usp.Errorf(7250, "vendor thing"), "usp 7250 data model specific error: vendor thing"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if got := tt.err.USPErrorCode(); got != uint32(tt.err.Code) {
			t.Errorf("USPErrorCode() = %d, want %d", got, tt.err.Code)
		}
	}
}

func TestErrorfWraps(t *testing.T) {
	e := usp.Errorf(usp.ErrInternalError, "read store: %w", io.ErrUnexpectedEOF)
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = false", e)
	}
	if e.Msg != "read store: unexpected EOF" {
		t.Errorf("Msg = %q", e.Msg)
	}
	if plain := usp.Errorf(usp.ErrInternalError, "no cause"); plain.Unwrap() != nil {
		t.Errorf("Unwrap() of an Errorf without %%w = %v, want nil", plain.Unwrap())
	}
}

// foreignError stands for a lower package's error type that reports a USP
// code without importing usp.
type foreignError struct{ code uint32 }

func (e *foreignError) Error() string        { return fmt.Sprintf("foreign %d", e.code) }
func (e *foreignError) USPErrorCode() uint32 { return e.code }

func TestCodeOf(t *testing.T) {
	base := usp.Errorf(usp.ErrInvalidPath, "Device.Nope.")
	tests := []struct {
		name string
		err  error
		want usp.ErrorCode
	}{
		{"nil", nil, 0},
		{"direct", base, usp.ErrInvalidPath},
		{"wrapped once", fmt.Errorf("get: %w", base), usp.ErrInvalidPath},
		{"wrapped twice", fmt.Errorf("agent: %w", fmt.Errorf("get: %w", base)), usp.ErrInvalidPath},
		{"joined", errors.Join(io.EOF, base), usp.ErrInvalidPath},
		{"foreign", &foreignError{7012}, usp.ErrInvalidValue},
		{"foreign wrapped", fmt.Errorf("set: %w", &foreignError{7013}), usp.ErrNotWritable},
		{"foreign zero code", &foreignError{0}, usp.ErrInternalError},
		{"outermost wins", usp.Errorf(usp.ErrCommandFailure, "op: %w", &foreignError{7016}), usp.ErrCommandFailure},
		{"Error value wrapping", fmt.Errorf("x: %w", &usp.Error{Code: usp.ErrRequestDenied}), usp.ErrRequestDenied},
		{"plain", errors.New("boom"), usp.ErrInternalError},
		{"plain wrapped", fmt.Errorf("ctx: %w", io.EOF), usp.ErrInternalError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := usp.CodeOf(tt.err); got != tt.want {
				t.Errorf("CodeOf(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorsAs(t *testing.T) {
	err := fmt.Errorf("dispatch: %w", usp.Errorf(usp.ErrPermissionDenied, "acl"))
	var e *usp.Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(%v, *usp.Error) = false", err)
	}
	if e.Code != usp.ErrPermissionDenied || e.Msg != "acl" {
		t.Errorf("got %+v, want 7006 acl", e)
	}
}
