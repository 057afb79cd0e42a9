package bulkdata

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel/value"
)

// FuzzReportURL: any URL and parameter yields a URL without credentials
// whose query ends with the identity and the parameter, or an error.
func FuzzReportURL(f *testing.F) {
	for _, s := range []string{"https://c.example/r", "http://u:p@c.example/", "https://c.example/r?a=1#frag", "coap://x", "https://[::1]:8443/r", "%zz", "https://u:s3cr/et@h/", "https://u:s3cret@h:x/"} {
		f.Add(s, "k", "v &=?")
	}
	f.Fuzz(func(t *testing.T, raw, k, v string) {
		got, err := ReportURL(raw, Identity{EndpointID: "os::00D09E-SN1"}, [][2]string{{k, v}})
		if err != nil {
			if pw := passwordIn(raw); len(pw) >= 4 && strings.Contains(err.Error(), pw) {
				t.Fatalf("%q: the error %q shows the password", raw, err)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q gave unparsable %q: %v", raw, got, err)
		}
		if u.User != nil || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("%q gave %q", raw, got)
		}
		if !strings.HasSuffix(u.RawQuery, "eid=os%3A%3A00D09E-SN1&"+url.QueryEscape(k)+"="+url.QueryEscape(v)) {
			t.Fatalf("query %q", u.RawQuery)
		}
	})
}

// FuzzCSVRoundTrip: values and separators survive the CSV encoding, read
// back by an RFC 4180 reader of the same separators.
func FuzzCSVRoundTrip(f *testing.F) {
	f.Add("a,b", "\"q\"", ",", "&#13;&#10;", "&quot;")
	f.Add("x;y\n", "", ";", "&#10;", "'")
	f.Fuzz(func(t *testing.T, v1, v2, fs, rs, esc string) {
		enc, err := newCSV(CSVEncoding{FieldSeparator: fs, RowSeparator: rs, EscapeCharacter: esc, ReportFormat: ParameterPerRow, RowTimestamp: TimeNone})
		if err != nil {
			return
		}
		b, _ := enc.Append(nil, []Report{{Items: []Item{{Name: "A", Value: v1, Type: value.String}, {Name: "B", Value: v2, Type: value.String}}}})
		rows := readCSV(string(b), enc.field, enc.row, enc.esc)
		if len(rows) != 3 || len(rows[1]) != 3 || rows[1][1] != v1 || len(rows[2]) != 3 || rows[2][1] != v2 {
			t.Fatalf("%q %q with %q %q %q: read back %q from %q", v1, v2, enc.field, enc.row, enc.esc, rows, b)
		}
	})
}

// readCSV splits CSV text with the given separators (RFC 4180 rules).
func readCSV(s, fs, rs, esc string) [][]string {
	var rows [][]string
	var row []string
	for s != "" {
		var field string
		if strings.HasPrefix(s, esc) {
			s = s[len(esc):]
			var b strings.Builder
			for {
				i := strings.Index(s, esc)
				if i < 0 {
					return nil
				}
				b.WriteString(s[:i])
				s = s[i+len(esc):]
				if strings.HasPrefix(s, esc) {
					b.WriteString(esc)
					s = s[len(esc):]
					continue
				}
				break
			}
			field = b.String()
		} else {
			i, j := strings.Index(s, fs), strings.Index(s, rs)
			end := len(s)
			if i >= 0 {
				end = i
			}
			if j >= 0 && j < end {
				end = j
			}
			field, s = s[:end], s[end:]
		}
		row = append(row, field)
		switch {
		case strings.HasPrefix(s, fs):
			s = s[len(fs):]
		case strings.HasPrefix(s, rs):
			s = s[len(rs):]
			rows, row = append(rows, row), nil
		case s != "":
			return nil
		}
	}
	if row != nil {
		rows = append(rows, row)
	}
	return rows
}

// FuzzJSON: any names and values make valid JSON; in NameValuePair the
// values read back as written.
func FuzzJSON(f *testing.F) {
	f.Add("Device.A", "12", uint8(value.Int))
	f.Add("\x00\"x", "\xff", uint8(value.String))
	f.Fuzz(func(t *testing.T, name, v string, typ uint8) {
		it := Item{Name: name, Value: v, Type: value.Type(typ)}
		for _, format := range []string{ObjectHierarchy, NameValuePair} {
			enc, _ := newJSON(JSONEncoding{format, TimeUnix})
			b, _ := enc.Append(nil, []Report{{Time: time.Unix(1, 0), Items: []Item{it}}})
			var doc struct{ Report []map[string]any }
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("%s: %q: %v", format, b, err)
			}
			if format == NameValuePair && name != "CollectionTime" && string([]rune(name)) == name {
				got, ok := doc.Report[0][name]
				if s, isStr := got.(string); !ok || isStr && s != string([]rune(v)) {
					t.Fatalf("%q: %q read back as %v", name, v, got)
				}
			}
		}
	})
}

// FuzzDecodeSeparator: no panic; a decoded separator is never empty.
func FuzzDecodeSeparator(f *testing.F) {
	for _, s := range []string{",", "&#13;&#10;", "&quot;", "&#x1F600;", "&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := DecodeSeparator(s); err == nil && got == "" {
			t.Fatalf("%q decoded to nothing", s)
		}
	})
}

// passwordIn is what follows the first ':' of a URL's userinfo (up to
// the last '@' before the query), or "".
func passwordIn(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, "?")
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}
