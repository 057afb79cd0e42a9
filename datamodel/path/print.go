package path

import (
	"strconv"
	"strings"
)

// String returns p in canonical form: no whitespace, quoted values with
// '%' and '"' escaped as %25 and %22 (and nothing else escaped), unquoted
// values as written, "()" after a command and "!" after an event. For any
// p returned by Parse, Parse(p.String()) equals p (likewise for
// ParseSupported). A nil Path prints as "".
func (p *Path) String() string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	b.Grow(p.sizeHint())
	for i := range p.Segs {
		p.Segs[i].write(&b)
		b.WriteByte('.')
	}
	b.WriteString(p.Leaf)
	switch p.Kind {
	case Command:
		b.WriteString("()")
	case Event:
		b.WriteByte('!')
	}
	return b.String()
}

// sizeHint estimates the printed length of p, ignoring escapes.
func (p *Path) sizeHint() int {
	n := len(p.Leaf) + 2
	for _, s := range p.Segs {
		n += len(s.Name) + 12
		for _, c := range s.Filter {
			n += len(c.Value) + 6
			for _, r := range c.Rel {
				n += len(r.Name) + 12
			}
		}
	}
	return n
}

// IsSearch reports whether p contains a wildcard, a bracket expression or a
// reference, so that the engine must resolve it against the instances
// (it may match no object, or several) rather than look it up directly.
// Unique-key addressing counts as a bracket expression.
func (p *Path) IsSearch() bool {
	for _, s := range p.Segs {
		switch s.Kind {
		case Wildcard, Filter, Reference:
			return true
		}
	}
	return false
}

// HasInstances reports whether p contains an instance number, as a row path
// does and a Register path or a pure supported-DM path must not.
func (p *Path) HasInstances() bool {
	for _, s := range p.Segs {
		if s.Kind == Instance {
			return true
		}
	}
	return false
}

// write prints one segment without its trailing '.'.
func (s *Segment) write(b *strings.Builder) {
	switch s.Kind {
	case Name:
		b.WriteString(s.Name)
	case Instance:
		b.WriteString(strconv.FormatUint(uint64(s.Instance), 10))
	case Wildcard:
		b.WriteByte('*')
	case Placeholder:
		b.WriteString("{i}")
	case Reference:
		b.WriteString(s.Name)
		switch {
		case s.RefIndex == RefAll:
			b.WriteString("#*")
		case s.RefIndex != 0:
			b.WriteByte('#')
			b.WriteString(strconv.Itoa(s.RefIndex))
		}
		b.WriteByte('+')
	case Filter:
		b.WriteByte('[')
		for i := range s.Filter {
			if i > 0 {
				b.WriteString("&&")
			}
			s.Filter[i].write(b)
		}
		b.WriteByte(']')
	}
}

// String returns c in canonical form, e.g. `SSIDReference+.SSID=="Home"`.
func (c Condition) String() string {
	var b strings.Builder
	c.write(&b)
	return b.String()
}

func (c *Condition) write(b *strings.Builder) {
	for i := range c.Rel {
		if i > 0 {
			b.WriteByte('.')
		}
		c.Rel[i].write(b)
	}
	b.WriteString(c.Op.String())
	if !c.Quoted {
		b.WriteString(c.Value)
		return
	}
	writeQuoted(b, c.Value)
}

// Quote returns s as a quoted search-expression constant, with '%' and
// '"' escaped as %25 and %22, ready to splice into a path such as
// `Device.LocalAgent.Controller.[EndpointID==` + Quote(id) + `].`.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	writeQuoted(&b, s)
	return b.String()
}

func writeQuoted(b *strings.Builder, v string) {
	b.WriteByte('"')
	for {
		k := strings.IndexAny(v, `%"`)
		if k < 0 {
			break
		}
		b.WriteString(v[:k])
		if v[k] == '%' {
			b.WriteString("%25")
		} else {
			b.WriteString("%22")
		}
		v = v[k+1:]
	}
	b.WriteString(v)
	b.WriteByte('"')
}

var opNames = [...]string{Eq: "==", Ne: "!=", Contains: "~=", Lt: "<", Gt: ">", Le: "<=", Ge: ">="}

// String returns the operator as written in a path, e.g. "<=", or "Op(n)"
// for an unknown value.
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

var kindNames = [...]string{Object: "Object", Param: "Param", Command: "Command", Event: "Event"}

// String returns the name of the kind, e.g. "Param", or "Kind(n)" for an
// unknown value.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
