package coap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/udp/coder"
)

// Wire constants (RFC 7252, RFC 7959, TR-369 CoAP binding).
const (
	// maxOptions bounds the options decoded from one datagram; a message
	// with more is malformed (a CON gets an RST).
	maxOptions = 32
	// blockSZX is the block size exponent we send: 6 = 1024 bytes.
	blockSZX = 6
	// blockSize is 16 << blockSZX.
	blockSize = 1024
	// maxDatagram is the largest datagram we read; CoAP PDUs here stay
	// under 1152 bytes and DTLS handshake flights under the 1200-byte MTU.
	maxDatagram = 2048
	// tokenLen is the length of the tokens we generate.
	tokenLen = 4
	// maxDiagnostic bounds a diagnostic payload we send.
	maxDiagnostic = 256

	mediaOctetStream = 42
	mediaLinkFormat  = 40
	replyToPrefix    = "reply-to="
)

// errMalformed is a datagram that is not a CoAP message.
var errMalformed = errors.New("coap: malformed message")

// decodeMessage parses one datagram into m; m's Options and Payload alias
// data.
func decodeMessage(data []byte, m *message.Message) error {
	if cap(m.Options) < maxOptions {
		m.Options = make(message.Options, 0, maxOptions)
	}
	m.Options = m.Options[:0]
	if _, err := coder.DefaultCoder.Decode(data, m); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	return nil
}

// encodeMessage encodes m into buf, growing it when needed.
func encodeMessage(m message.Message, buf []byte) ([]byte, error) {
	n, err := coder.DefaultCoder.Encode(m, buf[:cap(buf)])
	if errors.Is(err, message.ErrTooSmall) {
		buf = make([]byte, n)
		n, err = coder.DefaultCoder.Encode(m, buf)
	}
	if err != nil {
		return nil, fmt.Errorf("coap: encode: %w", err)
	}
	return buf[:n], nil
}

// uintOption builds an option carrying v in the minimal number of bytes.
func uintOption(id message.OptionID, v uint32) message.Option {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	i := 0
	for i < 4 && b[i] == 0 {
		i++
	}
	return message.Option{ID: id, Value: append([]byte(nil), b[i:]...)}
}

// uintValue decodes an option value as an unsigned integer (0–4 bytes).
func uintValue(v []byte) (uint32, bool) {
	if len(v) > 4 {
		return 0, false
	}
	var n uint32
	for _, b := range v {
		n = n<<8 | uint32(b)
	}
	return n, true
}

// optUint returns the first option id as an integer; present reports
// whether it is there, ok whether its value is well-formed.
func optUint(opts message.Options, id message.OptionID) (v uint32, present, ok bool) {
	for _, o := range opts {
		if o.ID == id {
			v, ok = uintValue(o.Value)
			return v, true, ok
		}
	}
	return 0, false, true
}

// optPath joins the Uri-Path options with "/".
func optPath(opts message.Options) string {
	var b strings.Builder
	for _, o := range opts {
		if o.ID != message.URIPath {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.Write(o.Value)
	}
	return b.String()
}

// block is a decoded Block1/Block2 option value (RFC 7959 §2.2).
type block struct {
	num  uint32
	more bool
	szx  uint8
}

func decodeBlock(v uint32) block {
	return block{num: v >> 4, more: v&0x8 != 0, szx: uint8(v & 0x7)}
}

func (b block) value() uint32 {
	v := b.num<<4 | uint32(b.szx)
	if b.more {
		v |= 0x8
	}
	return v
}

// size is the block size in bytes; SZX 7 (BERT) is not valid over UDP.
func (b block) size() int { return 16 << b.szx }

// knownCritical lists the critical options the server understands; any
// other critical (odd) option is answered 4.02 (RFC 7252 §5.4.1).
func knownCritical(id message.OptionID) bool {
	switch id {
	case message.URIHost, message.URIPort, message.URIPath, message.URIQuery,
		message.Accept, message.Block1, message.Block2:
		return true
	}
	return false
}

// repeatable reports whether RFC 7252 §5.10 and RFC 7959 let option id
// occur more than once in a request (of the options we understand).
func repeatable(id message.OptionID) bool {
	return id == message.URIPath || id == message.URIQuery
}

// badCriticalOption returns the first critical option of opts that the
// server must answer 4.02 for (RFC 7252 §5.4.1, §5.4.5): one it does not
// understand, or a second occurrence of one that is not repeatable.
func badCriticalOption(opts message.Options) (message.OptionID, bool) {
	for i, o := range opts {
		if o.ID&1 == 0 {
			continue // elective: an unknown or repeated one is ignored
		}
		if !knownCritical(o.ID) {
			return o.ID, true
		}
		if repeatable(o.ID) {
			continue
		}
		for _, prev := range opts[:i] {
			if prev.ID == o.ID {
				return o.ID, true
			}
		}
	}
	return 0, false
}

// diagnostic cuts an error text to a diagnostic payload.
func diagnostic(s string) []byte {
	if len(s) > maxDiagnostic {
		s = s[:maxDiagnostic]
	}
	return []byte(strings.ToValidUTF8(s, "?"))
}
