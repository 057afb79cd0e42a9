package bulkdata

import (
	"fmt"
	"strconv"
	"strings"
)

// CSV report formats.
const (
	ParameterPerRow    = "ParameterPerRow"
	ParameterPerColumn = "ParameterPerColumn"
)

// csvEncoder writes RFC 4180 CSV with a header line. ParameterPerRow has
// the columns ReportTimestamp (unless None), ParameterName,
// ParameterValue, ParameterType and a row per parameter of each report;
// ParameterPerColumn has ReportTimestamp and a column per parameter
// name (every report's names, in order of first appearance) and a row
// per report.
type csvEncoder struct {
	field, row, esc string
	perRow          bool
	timestamp       string
}

func newCSV(c CSVEncoding) (*csvEncoder, error) {
	e := &csvEncoder{timestamp: c.RowTimestamp}
	var err error
	if e.field, err = DecodeSeparator(c.FieldSeparator); err != nil {
		return nil, fmt.Errorf("%w: CSVEncoding.FieldSeparator: %v", ErrEncoding, err)
	}
	if e.row, err = DecodeSeparator(c.RowSeparator); err != nil {
		return nil, fmt.Errorf("%w: CSVEncoding.RowSeparator: %v", ErrEncoding, err)
	}
	if e.esc, err = DecodeSeparator(c.EscapeCharacter); err != nil {
		return nil, fmt.Errorf("%w: CSVEncoding.EscapeCharacter: %v", ErrEncoding, err)
	}
	if strings.Contains(e.field, e.esc) || strings.Contains(e.row, e.esc) || strings.Contains(e.row, e.field) ||
		strings.Contains(e.field, e.row) || strings.Contains(e.esc, e.field) || strings.Contains(e.esc, e.row) {
		return nil, fmt.Errorf("%w: CSVEncoding separators and escape character must differ", ErrEncoding)
	}
	switch c.ReportFormat {
	case ParameterPerRow:
		e.perRow = true
	case ParameterPerColumn:
	default:
		return nil, fmt.Errorf("%w: CSVEncoding.ReportFormat %q", ErrEncoding, c.ReportFormat)
	}
	if err := checkTimestamp("CSVEncoding.RowTimestamp", e.timestamp); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *csvEncoder) ContentType() string { return "text/csv; charset=UTF-8; header=present" }

func (e *csvEncoder) Format() string {
	if e.perRow {
		return ParameterPerRow
	}
	return ParameterPerColumn
}

// Append implements Encoder.
func (e *csvEncoder) Append(dst []byte, reports []Report) ([]byte, error) {
	stamp := e.timestamp != TimeNone
	if e.perRow {
		if stamp {
			dst = append(dst, "ReportTimestamp"...)
			dst = append(dst, e.field...)
		}
		dst = e.line(dst, "ParameterName", "ParameterValue", "ParameterType")
		for i := range reports {
			r := &reports[i]
			for j := range r.Items {
				it := &r.Items[j]
				if stamp {
					dst = e.appendTime(dst, r)
					dst = append(dst, e.field...)
				}
				dst = e.line(dst, it.Name, it.Value, typeName(it))
			}
		}
		return dst, nil
	}
	cols, idx := columns(reports)
	if stamp {
		dst = append(dst, "ReportTimestamp"...)
	}
	for i, c := range cols {
		if i > 0 || stamp {
			dst = append(dst, e.field...)
		}
		dst = e.appendField(dst, c)
	}
	dst = append(dst, e.row...)
	vals := make([]string, len(cols))
	for i := range reports {
		r := &reports[i]
		clear(vals)
		for j := range r.Items {
			vals[idx[r.Items[j].Name]] = r.Items[j].Value
		}
		if stamp {
			dst = e.appendTime(dst, r)
		}
		for k, v := range vals {
			if k > 0 || stamp {
				dst = append(dst, e.field...)
			}
			dst = e.appendField(dst, v)
		}
		dst = append(dst, e.row...)
	}
	return dst, nil
}

// columns lists the names of every report's items in order of first
// appearance, with each name's column.
func columns(reports []Report) ([]string, map[string]int) {
	idx := map[string]int{}
	var cols []string
	for i := range reports {
		for _, it := range reports[i].Items {
			if _, ok := idx[it.Name]; !ok {
				idx[it.Name] = len(cols)
				cols = append(cols, it.Name)
			}
		}
	}
	return cols, idx
}

func (e *csvEncoder) appendTime(dst []byte, r *Report) []byte {
	if e.timestamp == TimeISO {
		return r.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05Z07:00")
	}
	return strconv.AppendInt(dst, r.Time.Unix(), 10)
}

// line appends fields and the row separator.
func (e *csvEncoder) line(dst []byte, fields ...string) []byte {
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, e.field...)
		}
		dst = e.appendField(dst, f)
	}
	return append(dst, e.row...)
}

// appendField appends f, enclosed in the escape character (doubled
// inside) when it holds a separator, the escape character, CR or LF.
func (e *csvEncoder) appendField(dst []byte, f string) []byte {
	if !strings.Contains(f, e.field) && !strings.Contains(f, e.row) && !strings.Contains(f, e.esc) &&
		!strings.ContainsAny(f, "\r\n") {
		return append(dst, f...)
	}
	dst = append(dst, e.esc...)
	for {
		i := strings.Index(f, e.esc)
		if i < 0 {
			break
		}
		dst = append(dst, f[:i+len(e.esc)]...)
		dst = append(dst, e.esc...)
		f = f[i+len(e.esc):]
	}
	dst = append(dst, f...)
	return append(dst, e.esc...)
}

func typeName(it *Item) string {
	if !it.Type.Valid() {
		return "string"
	}
	return it.Type.String()
}

// DecodeSeparator decodes a CSVEncoding separator as TR-181 writes it:
// literal characters and XML character references ("&#13;", "&#x0A;",
// "&quot;", "&amp;", "&lt;", "&gt;", "&apos;"). The result is not empty.
func DecodeSeparator(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty")
	}
	if !strings.Contains(s, "&") {
		return s, nil
	}
	var b strings.Builder
	for s != "" {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		end := strings.IndexByte(s, ';')
		if end < 0 {
			return "", fmt.Errorf("%q: unterminated character reference", s)
		}
		ref := s[1:end]
		s = s[end+1:]
		switch ref {
		case "quot":
			b.WriteByte('"')
			continue
		case "amp":
			b.WriteByte('&')
			continue
		case "lt":
			b.WriteByte('<')
			continue
		case "gt":
			b.WriteByte('>')
			continue
		case "apos":
			b.WriteByte('\'')
			continue
		}
		num, ok := strings.CutPrefix(ref, "#")
		if !ok {
			return "", fmt.Errorf("&%s;: unknown character reference", ref)
		}
		base := 10
		if h, ok := strings.CutPrefix(num, "x"); ok {
			num, base = h, 16
		}
		n, err := strconv.ParseUint(num, base, 21)
		if err != nil || n == 0 || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF) {
			return "", fmt.Errorf("&%s;: not a character", ref)
		}
		b.WriteRune(rune(n))
	}
	return b.String(), nil
}
