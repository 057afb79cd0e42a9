package coap

import (
	"errors"
	"fmt"

	"github.com/plgd-dev/go-coap/v3/message/codes"
)

// Code is a CoAP response code, class.detail ("4.00" is 0x80).
type Code uint8

// Class is the code's class: 2 success, 4 client error, 5 server error.
func (c Code) Class() int { return int(c >> 5) }

// Detail is the code's detail, the part after the dot.
func (c Code) Detail() int { return int(c & 0x1f) }

// String formats the code as "4.00 BadRequest".
func (c Code) String() string {
	return fmt.Sprintf("%d.%02d %s", c.Class(), c.Detail(), codes.Code(c).String())
}

// Response codes this package sends or reacts to (RFC 7252 §5.9, RFC 7959).
const (
	CodeChanged                 = Code(codes.Changed)                 // 2.04
	CodeContent                 = Code(codes.Content)                 // 2.05
	CodeContinue                = Code(codes.Continue)                // 2.31
	CodeBadRequest              = Code(codes.BadRequest)              // 4.00
	CodeBadOption               = Code(codes.BadOption)               // 4.02
	CodeNotFound                = Code(codes.NotFound)                // 4.04
	CodeMethodNotAllowed        = Code(codes.MethodNotAllowed)        // 4.05
	CodeRequestEntityIncomplete = Code(codes.RequestEntityIncomplete) // 4.08
	CodeRequestEntityTooLarge   = Code(codes.RequestEntityTooLarge)   // 4.13
	CodeUnsupportedMediaType    = Code(codes.UnsupportedMediaType)    // 4.15
	CodeInternalServerError     = Code(codes.InternalServerError)     // 5.00
	CodeServiceUnavailable      = Code(codes.ServiceUnavailable)      // 5.03

	codeEmpty         = Code(codes.Empty) // 0.00
	codeGET           = Code(codes.GET)   // 0.01
	codePOST          = Code(codes.POST)  // 0.02
	codeMaxRequest    = Code(0x1f)        // 0.31, the last request code
	codeFirstResponse = Code(0x40)        // 2.00, the first response code
)

// ResponseError is a 4.xx or 5.xx answer of the peer to a Send; the USP
// layer decides what it means (R-COAP.9/.10). Use errors.As.
type ResponseError struct {
	Code Code
	// Diagnostic is the peer's diagnostic payload, if any.
	Diagnostic string
}

func (e *ResponseError) Error() string {
	if e.Diagnostic == "" {
		return fmt.Sprintf("coap: peer answered %s", e.Code)
	}
	return fmt.Sprintf("coap: peer answered %s: %s", e.Code, e.Diagnostic)
}

var (
	// ErrTimeout reports a request that got no answer after all its
	// retransmissions (RFC 7252 §4.2), or a handshake that did not
	// complete in time.
	ErrTimeout = errors.New("coap: no answer from peer")
	// ErrHandshake reports a DTLS handshake that failed (an alert, or no
	// answer: with a PSK, most often a wrong key) or that had not
	// finished when the caller's context ended.
	ErrHandshake = errors.New("coap: dtls handshake failed")
	// ErrReset reports a request the peer rejected with a Reset message.
	ErrReset = errors.New("coap: peer reset the request")
	// ErrClosed reports use of a closed Endpoint.
	ErrClosed = errors.New("coap: endpoint closed")

	// errSessionLost is a client session closed under a pending request:
	// peer close_notify, ICMP unreachable, replacement after a suspected
	// peer restart, eviction. Send retries once on a fresh session.
	errSessionLost = errors.New("coap: session lost")
)
