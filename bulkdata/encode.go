package bulkdata

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Encoder turns reports into the body a collector receives.
type Encoder interface {
	// Append appends the encoding of reports, oldest first, to dst.
	Append(dst []byte, reports []Report) ([]byte, error)
	// ContentType is the body's media type with its charset.
	ContentType() string
	// Format is the BBF-Report-Format header's value.
	Format() string
}

// ErrEncoding is wrapped by the errors of NewEncoder.
var ErrEncoding = errors.New("bulkdata: unsupported encoding")

// Timestamp formats.
const (
	TimeUnix = "Unix-Epoch"
	TimeISO  = "ISO-8601"
	TimeNone = "None"
)

// NewEncoder returns the encoder of a profile's EncodingType and its
// CSVEncoding or JSONEncoding settings.
func NewEncoder(p *Profile) (Encoder, error) {
	switch p.EncodingType {
	case "JSON":
		return newJSON(p.JSON)
	case "CSV":
		return newCSV(p.CSV)
	}
	return nil, fmt.Errorf("%w: EncodingType %q (JSON and CSV are)", ErrEncoding, p.EncodingType)
}

func checkTimestamp(field, ts string) error {
	switch ts {
	case TimeUnix, TimeISO, TimeNone:
		return nil
	}
	return fmt.Errorf("%w: %s %q", ErrEncoding, field, ts)
}

// appendTime appends t as format says; quoted puts an ISO-8601 time in
// JSON quotes.
func appendTime(dst []byte, t time.Time, format string, quoted bool) []byte {
	if format == TimeISO {
		if quoted {
			dst = append(dst, '"')
		}
		dst = t.UTC().AppendFormat(dst, time.RFC3339)
		if quoted {
			dst = append(dst, '"')
		}
		return dst
	}
	return strconv.AppendInt(dst, t.Unix(), 10)
}

// native reports whether a value of type t is written bare in JSON (a
// number or a boolean) rather than as a string.
func native(t value.Type, v string) bool {
	switch t {
	case value.Boolean:
		return v == "true" || v == "false"
	case value.Int, value.UnsignedInt, value.Long, value.UnsignedLong, value.Decimal:
		return jsonNumber(v)
	}
	return false
}

// jsonNumber reports whether s is a number in JSON's grammar.
func jsonNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}
