package path

import "strings"

// parseFilter parses the bracket expression starting at s[i] == '[' and
// returns its conditions and the offset after the ']'. The grammar is in the
// documentation of Parse.
func (p *parser) parseFilter(i int) ([]Condition, int, *SyntaxError) {
	s := p.s
	open := i
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return nil, i, p.fail(open, "empty search expression")
	}
	var buf [2]Condition
	conds := buf[:0]
	for {
		c, next, err := p.condition(i)
		if err != nil {
			return nil, next, err
		}
		conds = append(conds, c)
		i = skipSpace(s, next)
		switch {
		case i >= len(s):
			return nil, i, p.fail(i, "unterminated search expression")
		case s[i] == ']':
			out := make([]Condition, len(conds))
			copy(out, conds)
			return out, i + 1, nil
		case strings.HasPrefix(s[i:], "&&"):
			i = skipSpace(s, i+2)
		case s[i] == '|':
			return nil, i, p.fail(i, "only && may join search components")
		default:
			return nil, i, p.fail(i, "expected && or ']'")
		}
	}
}

// failIn is fail for positions inside a bracket expression, where running
// out of input is reported as such.
func (p *parser) failIn(i int, reason string) *SyntaxError {
	if i >= len(p.s) {
		reason = "unterminated search expression"
	}
	return p.fail(i, reason)
}

func (p *parser) condition(i int) (Condition, int, *SyntaxError) {
	rel, i, err := p.rel(i)
	if err != nil {
		return Condition{}, i, err
	}
	op, i, err := p.op(skipSpace(p.s, i))
	if err != nil {
		return Condition{}, i, err
	}
	c := Condition{Rel: rel, Op: op}
	c.Value, c.Quoted, i, err = p.value(skipSpace(p.s, i))
	return c, i, err
}

// rel parses the relative parameter path of a condition.
func (p *parser) rel(i int) ([]Segment, int, *SyntaxError) {
	s := p.s
	var buf [4]Segment
	rel := buf[:0]
	for {
		if i >= len(s) || !isNameStart(s[i]) {
			return nil, i, p.relError(i, len(rel) == 0)
		}
		end := nameEnd(s, i)
		seg := Segment{Kind: Name, Name: s[i:end]}
		switch {
		case end < len(s) && (s[end] == '+' || s[end] == '#'):
			var err *SyntaxError
			if seg, end, err = p.reference(seg.Name, end); err != nil {
				return nil, end, err
			}
			if end >= len(s) || s[end] != '.' {
				return nil, end, p.failIn(end, "expected '.' and a parameter name after reference")
			}
		case end < len(s) && s[end] == '.':
		default:
			rel = append(rel, seg)
			out := make([]Segment, len(rel))
			copy(out, rel)
			return out, end, nil
		}
		rel = append(rel, seg)
		i = end + 1
	}
}

// relError explains why no name starts at s[i] in a relative path.
func (p *parser) relError(i int, first bool) *SyntaxError {
	if i < len(p.s) {
		switch c := p.s[i]; {
		case first && (c == ']' || c == '&'):
			return p.fail(i, "empty search component")
		case c == '[':
			return p.fail(i, "nested brackets")
		case isDigit(c) || c == '*':
			return p.fail(i, "instance number or wildcard in search expression")
		}
	}
	return p.failIn(i, "expected parameter name")
}

func (p *parser) op(i int) (Op, int, *SyntaxError) {
	s := p.s
	if i+1 < len(s) && s[i+1] == '=' {
		switch s[i] {
		case '=':
			return Eq, i + 2, nil
		case '!':
			return Ne, i + 2, nil
		case '~':
			return Contains, i + 2, nil
		case '<':
			return Le, i + 2, nil
		case '>':
			return Ge, i + 2, nil
		}
	}
	if i < len(s) {
		switch s[i] {
		case '<':
			return Lt, i + 1, nil
		case '>':
			return Gt, i + 1, nil
		}
	}
	return 0, i, p.failIn(i, "expected comparison operator")
}

// value parses the constant of a condition.
func (p *parser) value(i int) (v string, quoted bool, next int, err *SyntaxError) {
	s := p.s
	switch {
	case i >= len(s):
		return "", false, i, p.failIn(i, "")
	case s[i] == '"':
		n := strings.IndexByte(s[i+1:], '"')
		if n < 0 {
			return "", false, len(s), p.fail(len(s), "unterminated string")
		}
		v, err = p.unescape(s[i+1:i+1+n], i+1)
		return v, true, i + n + 2, err
	case isNameStart(s[i]):
		end := nameEnd(s, i)
		if v = s[i:end]; v == "true" || v == "false" {
			return v, false, end, nil
		}
	default:
		if end := numberEnd(s, i); end > i && (end == len(s) || !isNameChar(s[end])) {
			return s[i:end], false, end, nil
		}
	}
	return "", false, i, p.fail(i, "value must be a quoted string, true, false or a number")
}

// numberEnd returns the end of the NUMBER at s[i:], or i if there is none.
func numberEnd(s string, i int) int {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	d := digitsEnd(s, j)
	if d == j {
		return i
	}
	if d < len(s) && s[d] == '.' {
		f := digitsEnd(s, d+1)
		if f == d+1 {
			return i
		}
		d = f
	}
	return d
}

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// unescape decodes the %XX escapes of the quoted string raw, which starts
// at s[base]. Without escapes it returns raw itself, allocating nothing.
func (p *parser) unescape(raw string, base int) (string, *SyntaxError) {
	k := strings.IndexByte(raw, '%')
	if k < 0 {
		return raw, nil
	}
	b := make([]byte, 0, len(raw))
	b = append(b, raw[:k]...)
	for k < len(raw) {
		if raw[k] != '%' {
			b = append(b, raw[k])
			k++
			continue
		}
		if k+2 >= len(raw) || unhex(raw[k+1]) < 0 || unhex(raw[k+2]) < 0 {
			return "", p.fail(base+k, "'%' must start a %XX escape")
		}
		b = append(b, byte(unhex(raw[k+1])<<4|unhex(raw[k+2])))
		k += 3
	}
	return string(b), nil
}

// unhex returns the value of hex digit c, or -1.
func unhex(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}
