package bulkdata

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// JSON report formats.
const (
	ObjectHierarchy = "ObjectHierarchy"
	NameValuePair   = "NameValuePair"
)

// jsonEncoder writes {"Report":[{...},...]}, one object per report,
// with the CollectionTime first unless ReportTimestamp is None.
// Numbers and booleans are bare; every other value is a string.
type jsonEncoder struct {
	hierarchy bool
	timestamp string
}

func newJSON(c JSONEncoding) (*jsonEncoder, error) {
	e := &jsonEncoder{timestamp: c.ReportTimestamp}
	switch c.ReportFormat {
	case ObjectHierarchy:
		e.hierarchy = true
	case NameValuePair:
	default:
		return nil, fmt.Errorf("%w: JSONEncoding.ReportFormat %q", ErrEncoding, c.ReportFormat)
	}
	if err := checkTimestamp("JSONEncoding.ReportTimestamp", e.timestamp); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *jsonEncoder) ContentType() string { return "application/json; charset=UTF-8" }

func (e *jsonEncoder) Format() string {
	if e.hierarchy {
		return ObjectHierarchy
	}
	return NameValuePair
}

// Append implements Encoder.
func (e *jsonEncoder) Append(dst []byte, reports []Report) ([]byte, error) {
	dst = append(dst, `{"Report":[`...)
	for i := range reports {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = e.report(dst, &reports[i])
	}
	return append(dst, "]}"...), nil
}

func (e *jsonEncoder) report(dst []byte, r *Report) []byte {
	dst = append(dst, '{')
	first := true
	if e.timestamp != TimeNone {
		dst = append(dst, `"CollectionTime":`...)
		dst = appendTime(dst, r.Time, e.timestamp, true)
		first = false
	}
	if !e.hierarchy {
		seen := make(map[string]bool, len(r.Items))
		for i := range r.Items {
			it := &r.Items[i]
			if seen[it.Name] || it.Name == "CollectionTime" && e.timestamp != TimeNone {
				continue // a label given twice: the first one stands
			}
			seen[it.Name] = true
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, it.Name)
			dst = append(dst, ':')
			dst = appendValue(dst, it)
		}
		return append(dst, '}')
	}
	root := &jnode{}
	for i := range r.Items {
		name := r.Items[i].Name
		if !first && (name == "CollectionTime" || strings.HasPrefix(name, "CollectionTime.")) {
			continue // would collide with the timestamp
		}
		root.insert(name, &r.Items[i])
	}
	for _, k := range root.kids {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = k.append(dst)
	}
	return append(dst, '}')
}

// jnode is one name in an ObjectHierarchy report: a value or an object
// of further names, in the order they were first seen.
type jnode struct {
	key  string
	item *Item
	kids []*jnode
	idx  map[string]*jnode
}

// insert puts it at the dotted name below n. A name that is both a value
// and an object (a label colliding with a path) keeps what came first.
func (n *jnode) insert(name string, it *Item) {
	for {
		if n.item != nil {
			return
		}
		seg, rest, more := strings.Cut(name, ".")
		c := n.idx[seg]
		if c == nil {
			if n.idx == nil {
				n.idx = map[string]*jnode{}
			}
			c = &jnode{key: seg}
			n.idx[seg] = c
			n.kids = append(n.kids, c)
			if !more {
				c.item = it
				return
			}
		} else if !more {
			return
		}
		n, name = c, rest
	}
}

func (n *jnode) append(dst []byte) []byte {
	dst = appendString(dst, n.key)
	dst = append(dst, ':')
	if n.item != nil {
		return appendValue(dst, n.item)
	}
	dst = append(dst, '{')
	for i, k := range n.kids {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = k.append(dst)
	}
	return append(dst, '}')
}

func appendValue(dst []byte, it *Item) []byte {
	if native(it.Type, it.Value) {
		return append(dst, it.Value...)
	}
	return appendString(dst, it.Value)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
