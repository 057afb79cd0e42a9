package value

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Range is an inclusive range of an ordered type (the numbers and
// dateTime). Its bounds are written as TR-181 writes minInclusive and
// maxInclusive, e.g. Range{Min: "1", Max: "255"}; an empty bound is open.
// Bounds are compared with the type's own exact comparison, so uint64 and
// decimal bounds are exact, and a bound need not lie in the type's domain
// (Min "-1" is fine for an unsignedInt). A bound that does not parse makes
// the range match nothing; Constraint.Check reports it.
type Range struct {
	Min, Max string
}

// String formats r as "[min:max]"; an open bound is left empty.
func (r Range) String() string { return "[" + r.Min + ":" + r.Max + "]" }

// Constraint restricts the values of a parameter beyond its type. The zero
// value (and a nil *Constraint) allows every value of the type. A
// Constraint is read-only once in use and may be shared between goroutines.
type Constraint struct {
	// Ranges apply to ordered types: the value must fall in at least one
	// of them (TR-181 allows several). Empty means no range restriction.
	Ranges []Range
	// Enum lists the allowed canonical values (of each list item).
	Enum []string
	// Pattern, when set, must match the whole canonical value (of each list
	// item). Build it with CompilePattern, which anchors it.
	Pattern *regexp.Regexp
	// MinLength and MaxLength bound the length of a string in characters,
	// or of base64 and hexBinary data in decoded bytes (of each list item).
	// MaxLength 0 means unbounded. Ignored for other types.
	MinLength, MaxLength int
	// List makes the parameter a comma-separated list of the type.
	List bool
	// MinItems and MaxItems bound the number of list items; MaxItems 0
	// means unbounded.
	MinItems, MaxItems int
	// MaxListLength bounds the canonical list string in characters
	// (TR-181's list maxLength); 0 means unbounded.
	MaxListLength int
}

// CompilePattern compiles TR-181 <pattern> values into one regular
// expression that matches a whole value when any of them does. Patterns
// use RE2 syntax (regexp/syntax); XSD-only constructs such as \i, \c or
// character-class subtraction are not supported and give an error.
func CompilePattern(patterns ...string) (*regexp.Regexp, error) {
	if len(patterns) == 0 {
		return nil, errors.New("value: no pattern")
	}
	var b strings.Builder
	b.WriteString(`^(?:`)
	for i, p := range patterns {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(`(?:` + p + `)`)
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("value: pattern: %w", err)
	}
	return re, nil
}

// Check reports whether c makes sense for type t: bounds that parse and are
// in order, ranges only on ordered types, lengths only on string and binary
// types, enumeration values that are canonical values of t, and list
// settings only on lists. Schema loaders call it once; Validate does not.
func (c *Constraint) Check(t Type) error {
	if !t.Valid() {
		return fmt.Errorf("value: invalid type %s", t)
	}
	if c == nil {
		return nil
	}
	if err := c.checkRanges(t); err != nil {
		return err
	}
	for _, e := range c.Enum {
		got, err := validateItem(t, nil, e)
		if err != nil {
			return fmt.Errorf("value: enumeration value: %w", err)
		}
		if got != e {
			return fmt.Errorf("value: enumeration value %q is not canonical (%q)", e, got)
		}
	}
	switch {
	case c.MinLength < 0 || c.MaxLength < 0 || c.MinItems < 0 || c.MaxItems < 0 || c.MaxListLength < 0:
		return errors.New("value: negative length or item count")
	case (c.MinLength > 0 || c.MaxLength > 0) && t != String && t != Base64 && t != HexBinary:
		return fmt.Errorf("value: length limits do not apply to %s", t)
	case c.MaxLength > 0 && c.MinLength > c.MaxLength:
		return fmt.Errorf("value: MinLength %d > MaxLength %d", c.MinLength, c.MaxLength)
	case !c.List && (c.MinItems > 0 || c.MaxItems > 0 || c.MaxListLength > 0):
		return errors.New("value: list limits on a parameter that is not a list")
	case c.MaxItems > 0 && c.MinItems > c.MaxItems:
		return fmt.Errorf("value: MinItems %d > MaxItems %d", c.MinItems, c.MaxItems)
	}
	return nil
}

func (c *Constraint) checkRanges(t Type) error {
	if len(c.Ranges) > 0 && !Ordered(t) {
		return fmt.Errorf("value: ranges do not apply to %s", t)
	}
	for _, r := range c.Ranges {
		lo, okLo := parseBound(t, r.Min)
		hi, okHi := parseBound(t, r.Max)
		if !okLo || !okHi {
			return fmt.Errorf("value: range %s: bound is not a %s", r, t)
		}
		if r.Min != "" && r.Max != "" && cmp(t, &lo, &hi) > 0 {
			return fmt.Errorf("value: range %s: min > max", r)
		}
	}
	return nil
}

// parseBound parses a range bound of type t; "" is an open bound. Integer
// bounds are not limited to the type's domain.
func parseBound(t Type, s string) (scalar, bool) {
	if s == "" {
		return scalar{}, true
	}
	switch t {
	case Int, UnsignedInt, Long, UnsignedLong:
		neg, mag, _, ok, overflow := scanInt(s)
		return scalar{neg: neg, mag: mag}, ok && !overflow
	case Decimal:
		return parseDecimal(s)
	case DateTime:
		v, reason := parseDateTime(s)
		return v, reason == ""
	}
	return scalar{}, false
}

// cmpBound compares v, a value of ordered type t, with a non-empty range
// bound; ok is false when the bound does not parse.
func cmpBound(t Type, v *scalar, bound string) (c int, ok bool) {
	switch t {
	case Int, UnsignedInt, Long, UnsignedLong: // the hot path: no scalar
		neg, mag, _, ok, overflow := scanInt(bound)
		return cmpInt(v.neg, v.mag, neg, mag), ok && !overflow
	}
	b, ok := parseBound(t, bound)
	return cmp(t, v, &b), ok
}

// inRanges reports whether v, a value of ordered type t, lies in one of rs.
// A range with a bound that does not parse matches nothing.
func inRanges(t Type, v *scalar, rs []Range) bool {
	for _, r := range rs {
		if r.Min != "" {
			if c, ok := cmpBound(t, v, r.Min); !ok || c < 0 {
				continue
			}
		}
		if r.Max != "" {
			if c, ok := cmpBound(t, v, r.Max); !ok || c > 0 {
				continue
			}
		}
		return true
	}
	return false
}

// checkItem applies the item constraints of c to v, the value of type t
// parsed from s, whose canonical text is canon.
func checkItem(t Type, c *Constraint, v *scalar, s, canon string) *Error {
	if len(c.Ranges) > 0 && Ordered(t) && !inRanges(t, v, c.Ranges) {
		return rangeError(s, c.Ranges)
	}
	if len(c.Enum) > 0 && !inEnum(canon, c.Enum) {
		return invalidValue("value %s is not one of %s", quote(s), enumText(c.Enum))
	}
	if c.Pattern != nil && !c.Pattern.MatchString(canon) {
		return invalidValue("value %s does not match pattern %s", quote(s), c.Pattern)
	}
	if c.MinLength <= 0 && c.MaxLength <= 0 {
		return nil
	}
	n, unit := 0, "length"
	switch t {
	case String:
		n = utf8.RuneCountInString(canon)
	case Base64, HexBinary:
		n, unit = v.n, "decoded length"
	default:
		return nil
	}
	if n < c.MinLength {
		return invalidValue("value %s %s %d is below the minimum %d", quote(s), unit, n, c.MinLength)
	}
	if c.MaxLength > 0 && n > c.MaxLength {
		return invalidValue("value %s %s %d exceeds the maximum %d", quote(s), unit, n, c.MaxLength)
	}
	return nil
}

func rangeError(s string, rs []Range) *Error {
	if len(rs) == 1 {
		return invalidValue("value %s out of range %s", quote(s), rs[0])
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return invalidValue("value %s out of ranges %s", quote(s), strings.Join(parts, " "))
}

func inEnum(s string, enum []string) bool {
	for _, e := range enum {
		if e == s {
			return true
		}
	}
	return false
}

// maxEnumShown bounds how many enumeration values an error message lists.
const maxEnumShown = 12

func enumText(enum []string) string {
	var b strings.Builder
	for i, e := range enum {
		if i == maxEnumShown {
			fmt.Fprintf(&b, ", … (%d more)", len(enum)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(e))
	}
	return b.String()
}
