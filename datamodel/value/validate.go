package value

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validate checks s against type t and constraint c (nil allows every value
// of t) and returns its canonical form: booleans "true"/"false", integers
// without '+' or leading zeros, decimals without redundant zeros, dateTimes
// in UTC with 'Z', hexBinary in upper case, base64 without white space, and
// lists as their canonical items joined by ",". When s already is
// canonical, Validate returns s itself and allocates nothing.
//
// A failure is an *Error: CodeInvalidType when s is not a value of t (bad
// syntax, invalid UTF-8, or a number outside the type's domain such as
// "4294967296" for an unsignedInt), CodeInvalidValue when c excludes it. A
// list item's error names the item's position.
func Validate(t Type, c *Constraint, s string) (string, error) {
	if !t.Valid() {
		return "", invalidType("unsupported type %s", t)
	}
	if !utf8.ValidString(s) {
		return "", invalidType("%s is not valid UTF-8", quote(s))
	}
	if c != nil && c.List {
		return validateList(t, c, s)
	}
	canon, err := validateItem(t, c, s)
	if err != nil {
		return "", err
	}
	return canon, nil
}

// validateItem validates one value (not a list) and returns its canonical
// text. c may be nil.
func validateItem(t Type, c *Constraint, s string) (string, *Error) {
	v, err := parse(t, s)
	if err != nil {
		return "", err
	}
	canon := format(t, &v, s)
	if c != nil {
		if err := checkItem(t, c, &v, s, canon); err != nil {
			return "", err
		}
	}
	return canon, nil
}

// validateList validates a comma-separated list. It allocates only when
// the list is not already canonical.
func validateList(t Type, c *Constraint, s string) (string, error) {
	body := trimBlanks(s)
	canon, n := body == s, 0
	for it := newListIter(body); ; {
		item, ok := it.next()
		if !ok {
			break
		}
		n++
		trimmed := trimBlanks(item)
		got, err := validateItem(t, c, trimmed)
		if err != nil {
			return "", listItemError(n, err)
		}
		canon = canon && trimmed == item && got == trimmed
	}
	if n < c.MinItems {
		return "", invalidValue("list has %d items, below the minimum %d", n, c.MinItems)
	}
	if c.MaxItems > 0 && n > c.MaxItems {
		return "", invalidValue("list has %d items, more than the maximum %d", n, c.MaxItems)
	}
	out := s
	if !canon {
		out = canonicalList(t, body)
	}
	if c.MaxListLength > 0 {
		if l := utf8.RuneCountInString(out); l > c.MaxListLength {
			return "", invalidValue("list length %d exceeds the maximum %d", l, c.MaxListLength)
		}
	}
	return out, nil
}

// canonicalList rebuilds a list whose items are known to be valid.
func canonicalList(t Type, body string) string {
	var b strings.Builder
	b.Grow(len(body))
	first := true
	for it := newListIter(body); ; {
		item, ok := it.next()
		if !ok {
			break
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		trimmed := trimBlanks(item)
		v, _ := parse(t, trimmed)
		b.WriteString(format(t, &v, trimmed))
	}
	return b.String()
}

func listItemError(n int, err *Error) *Error {
	return &Error{Code: err.Code, Msg: "list item " + strconv.Itoa(n) + ": " + err.Msg}
}

// listIter walks the raw comma-separated items of a trimmed list body
// without allocating; an empty body has no items.
type listIter struct {
	rest string
	done bool
}

func newListIter(body string) listIter { return listIter{rest: body, done: body == ""} }

// next returns the next raw item, or ok false at the end.
func (it *listIter) next() (item string, ok bool) {
	if it.done {
		return "", false
	}
	item, it.rest, ok = strings.Cut(it.rest, ",")
	it.done = !ok
	return item, true
}

// trimBlanks drops spaces, tabs, CRs and LFs around s.
func trimBlanks(s string) string {
	i, j := 0, len(s)
	for i < j && isBlank(s[i]) {
		i++
	}
	for j > i && isBlank(s[j-1]) {
		j--
	}
	return s[i:j]
}

// SplitList splits a TR-181 comma-separated list into its items, dropping
// spaces, tabs, CRs and LFs around each item. An empty or blank string is
// the empty list (nil). Items are not validated.
func SplitList(s string) []string {
	body := trimBlanks(s)
	if body == "" {
		return nil
	}
	items := strings.Split(body, ",")
	for i, it := range items {
		items[i] = trimBlanks(it)
	}
	return items
}

// JoinList joins items into a TR-181 list: comma-separated, no spaces.
func JoinList(items []string) string { return strings.Join(items, ",") }
