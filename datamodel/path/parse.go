package path

import (
	"math"
	"strings"
)

// maxRefIndex bounds n in "Name#n+" so that it fits an int on every platform.
const maxRefIndex = math.MaxInt32

// Parse parses a path of the instantiated data model, as found in Get, Set,
// Add, Delete, Operate and GetInstances requests and in subscriptions.
//
// The grammar (TR-369 "Path Names"), in the words of this package:
//
//	path    = segment "." { segment "." } [ leaf ]
//	segment = NAME | NAME ref | POSNUM | "*" | "[" expr "]"
//	leaf    = NAME | NAME "()" | NAME "!"
//	ref     = [ "#" ( POSNUM | "*" ) ] "+"
//	expr    = WS comp { WS "&&" WS comp } WS
//	comp    = rel WS op WS value
//	rel     = NAME { [ ref ] "." NAME }
//	op      = "==" | "!=" | "~=" | "<=" | ">=" | "<" | ">"
//	value   = '"' { any byte but '"' } '"' | "true" | "false" | NUMBER
//	NAME    = [A-Za-z_] [A-Za-z0-9_-]*
//	POSNUM  = [1-9] [0-9]*
//	NUMBER  = [ "-" ] DIGIT { DIGIT } [ "." DIGIT { DIGIT } ]
//	WS      = { " " | "\t" }
//
// The first segment is a NAME; an instance number, "*" or "[expr]" must
// directly follow a NAME segment (a table). Instance numbers are at most
// 4294967295 and n in "#n+" at most 2147483647. A path ending in '.' is an
// Object path; otherwise the leaf makes it a Param, Command or Event path,
// and at least one segment must precede the leaf ("Device" alone is
// invalid). A reference segment may be followed by further segments or by a
// leaf, or end an object path ("Device.X.1.Ref+."). "{i}" is invalid here;
// use ParseSupported.
//
// Whitespace (WS) is tolerated only where the grammar shows it: just inside
// brackets and around operators and "&&". A rel walks single-instance
// sub-objects and references, never instance numbers or wildcards, and ends
// with the parameter name. Inside a quoted string every "%XX" (two hex
// digits, either case) decodes to the byte 0xXX, so "%22" is '"' and "%25"
// is '%'; a '%' not followed by two hex digits is an error, and the first
// raw '"' ends the string. Unquoted constants are kept as written ("0123",
// "-0.5"); comparing them is the engine's business, as is telling
// unique-key addressing from a search.
//
// Any error is a *SyntaxError.
func Parse(s string) (*Path, error) {
	p, err := parse(s, false)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ParseSupported parses a supported-data-model path as found in
// GetSupportedDM requests: object names, and after a table name either the
// placeholder "{i}" or an instance number, optionally ending with a
// parameter, command or event name. Wildcards, bracket expressions and
// references are invalid. A placeholder must be followed by '.':
// "Device.WiFi.SSID.{i}." and "Device.WiFi.SSID." are valid,
// "Device.WiFi.SSID.{i}" is not. Any error is a *SyntaxError.
func ParseSupported(s string) (*Path, error) {
	p, err := parse(s, true)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// parser holds the input and mode; its methods take and return byte offsets
// into s and never move backwards, so parsing is linear in len(s).
type parser struct {
	s         string
	supported bool
}

func (p *parser) fail(pos int, reason string) *SyntaxError {
	return &SyntaxError{Path: p.s, Pos: pos, Reason: reason}
}

// parse collects segments in a stack buffer and copies them out once, so a
// path costs two allocations (the Path and its segments) plus those of its
// bracket expressions.
func parse(s string, supported bool) (*Path, *SyntaxError) {
	p := parser{s: s, supported: supported}
	if s == "" {
		return nil, p.fail(0, "empty path")
	}
	var buf [8]Segment
	segs := buf[:0]
	for i := 0; i < len(s); {
		var seg Segment
		var err *SyntaxError
		if !isNameStart(s[i]) {
			seg, i, err = p.selector(i, segs)
		} else {
			end := nameEnd(s, i)
			if end == len(s) || s[end] == '(' || s[end] == '!' {
				return p.leaf(segs, i, end)
			}
			seg, i, err = p.named(i, end, len(segs) == 0)
		}
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	}
	return newPath(segs, "", Object), nil
}

func newPath(segs []Segment, leaf string, kind Kind) *Path {
	out := make([]Segment, len(segs))
	copy(out, segs)
	return &Path{Segs: out, Leaf: leaf, Kind: kind}
}

// leaf finishes a path whose last name s[i:end] is not followed by '.'.
func (p *parser) leaf(segs []Segment, i, end int) (*Path, *SyntaxError) {
	s := p.s
	if len(segs) == 0 {
		return nil, p.fail(i, "missing object path before name")
	}
	kind := Param
	switch {
	case end == len(s):
	case s[end] == '(':
		if end+1 >= len(s) || s[end+1] != ')' {
			return nil, p.fail(end+1, "expected ')' after '('")
		}
		if end+2 != len(s) {
			return nil, p.fail(end+2, "unexpected text after command name")
		}
		kind = Command
	default: // '!'
		if end+1 != len(s) {
			return nil, p.fail(end+1, "unexpected text after event name")
		}
		kind = Event
	}
	return newPath(segs, s[i:end], kind), nil
}

// named parses a Name or Reference segment whose name is s[i:end] and which
// is not the leaf; it returns the offset after the segment's '.'.
func (p *parser) named(i, end int, first bool) (Segment, int, *SyntaxError) {
	s := p.s
	switch s[end] {
	case '.':
		return Segment{Kind: Name, Name: s[i:end]}, end + 1, nil
	case '+', '#':
		if p.supported {
			return Segment{}, end, p.fail(end, "reference not allowed in supported-DM path")
		}
		if first {
			return Segment{}, i, p.fail(i, "path must start with an object name")
		}
		seg, next, err := p.reference(s[i:end], end)
		if err != nil {
			return Segment{}, next, err
		}
		next, err = p.dot(next, "reference")
		return seg, next, err
	}
	return Segment{}, end, p.fail(end, "invalid character in name")
}

// reference parses the "#n+", "#*+" or "+" at s[i:] that follows the
// reference parameter name; it returns the offset after the '+'.
func (p *parser) reference(name string, i int) (Segment, int, *SyntaxError) {
	s := p.s
	seg := Segment{Kind: Reference, Name: name}
	if s[i] == '#' {
		i++
		if i < len(s) && s[i] == '*' {
			seg.RefIndex = RefAll
			i++
		} else {
			n, next, err := p.posnum(i, maxRefIndex, "reference index")
			if err != nil {
				return Segment{}, next, err
			}
			seg.RefIndex, i = int(n), next
		}
	}
	if i >= len(s) || s[i] != '+' {
		return Segment{}, i, p.fail(i, "expected '+' after reference index")
	}
	return seg, i + 1, nil
}

// selector parses an Instance, Wildcard, Filter or Placeholder segment at
// s[i:], after checking that it follows a table name; it returns the offset
// after the segment's '.'.
func (p *parser) selector(i int, segs []Segment) (Segment, int, *SyntaxError) {
	s := p.s
	c := s[i]
	switch {
	case c == '.':
		return Segment{}, i, p.fail(i, "empty path segment")
	case !isDigit(c) && c != '*' && c != '[' && c != '{':
		return Segment{}, i, p.fail(i, "unexpected character")
	case len(segs) == 0:
		return Segment{}, i, p.fail(i, "path must start with an object name")
	case segs[len(segs)-1].Kind != Name:
		return Segment{}, i, p.fail(i, "instance selector must follow a table name")
	}
	var seg Segment
	var next int
	var err *SyntaxError
	switch c {
	case '*':
		seg, next, err = Segment{Kind: Wildcard}, i+1, p.unsupported(i, "wildcard")
	case '[':
		if err = p.unsupported(i, "search expression"); err == nil {
			seg.Kind = Filter
			seg.Filter, next, err = p.parseFilter(i)
		}
	case '{':
		seg, next, err = p.placeholder(i)
	default:
		var n uint64
		n, next, err = p.posnum(i, math.MaxUint32, "instance number")
		seg = Segment{Kind: Instance, Instance: uint32(n)}
	}
	if err != nil {
		return Segment{}, next, err
	}
	next, err = p.dot(next, "instance selector")
	return seg, next, err
}

// unsupported refuses construct what in a supported-DM path.
func (p *parser) unsupported(i int, what string) *SyntaxError {
	if p.supported {
		return p.fail(i, what+" not allowed in supported-DM path")
	}
	return nil
}

func (p *parser) placeholder(i int) (Segment, int, *SyntaxError) {
	if !p.supported {
		return Segment{}, i, p.fail(i, "{i} only allowed in supported-DM paths")
	}
	if !strings.HasPrefix(p.s[i:], "{i}") {
		return Segment{}, i, p.fail(i, "malformed placeholder, expected {i}")
	}
	return Segment{Kind: Placeholder}, i + 3, nil
}

// dot requires the '.' that ends a segment at s[i] and returns i+1.
func (p *parser) dot(i int, after string) (int, *SyntaxError) {
	if i < len(p.s) && p.s[i] == '.' {
		return i + 1, nil
	}
	return i, p.fail(i, "expected '.' after "+after)
}

// posnum parses a POSNUM no greater than max at s[i:].
func (p *parser) posnum(i int, max uint64, what string) (uint64, int, *SyntaxError) {
	s := p.s
	if i >= len(s) || !isDigit(s[i]) {
		return 0, i, p.fail(i, "expected "+what)
	}
	if s[i] == '0' {
		if i+1 < len(s) && isDigit(s[i+1]) {
			return 0, i, p.fail(i, what+" has a leading zero")
		}
		return 0, i, p.fail(i, what+" must be at least 1")
	}
	var n uint64
	j := i
	for ; j < len(s) && isDigit(s[j]); j++ {
		n = n*10 + uint64(s[j]-'0')
		if n > max {
			return 0, i, p.fail(i, what+" out of range")
		}
	}
	return n, j, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isNameChar(c byte) bool { return isNameStart(c) || isDigit(c) || c == '-' }

// nameEnd returns the end of the NAME starting at s[i], a name-start byte.
func nameEnd(s string, i int) int {
	for i++; i < len(s) && isNameChar(s[i]); i++ {
	}
	return i
}
