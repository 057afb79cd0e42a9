package value

import "strings"

// Compare compares a parameter's current value (param, canonical for type
// t) with a search-expression constant (lit) and returns -1, 0 or +1 as
// param is less than, equal to or greater than lit. The comparison is
// typed: "1" equals "true" for booleans, "0123" equals "123" for numbers,
// decimals compare exactly, dateTimes by instant ("…T02:00:00+02:00" equals
// "…T00:00:00Z"), hexBinary ignores case. Strings compare byte-wise. For
// types that are not Ordered only equality is meaningful; the order is
// still total and consistent.
//
// An *Error (CodeInvalidType) is returned when lit, or param, is not a
// value of t; the engine decides what that means for the row.
func Compare(t Type, param, lit string) (int, error) {
	switch t {
	case String:
		return strings.Compare(param, lit), nil
	case Int, UnsignedInt, Long, UnsignedLong:
		return compareInts(t, param, lit)
	}
	l, err := parse(t, lit)
	if err != nil {
		return 0, err
	}
	p, err := parse(t, param)
	if err != nil {
		return 0, err
	}
	return cmp(t, &p, &l), nil
}

// ListContains reports whether the comma-separated list param contains an
// item equal (typed, as in Compare) to lit: the "~=" operator. Items of
// param that are not values of t match nothing. It returns an *Error when
// lit is not a value of t.
func ListContains(t Type, param, lit string) (bool, error) {
	l, err := parse(t, lit)
	if err != nil {
		return false, err
	}
	for it := newListIter(trimBlanks(param)); ; {
		item, ok := it.next()
		if !ok {
			break
		}
		if p, err := parse(t, trimBlanks(item)); err == nil && cmp(t, &p, &l) == 0 {
			return true, nil
		}
	}
	return false, nil
}

// compareInts is Compare for the integer types, without building scalars:
// searches over counters and signal levels are the common case.
func compareInts(t Type, param, lit string) (int, error) {
	ln, lm, _, ok, overflow := scanInt(lit)
	if !ok || overflow || !intInDomain(t, ln, lm) {
		_, err := parseIntType(t, lit) // the precise error
		return 0, err
	}
	pn, pm, _, ok, overflow := scanInt(param)
	if !ok || overflow || !intInDomain(t, pn, pm) {
		_, err := parseIntType(t, param)
		return 0, err
	}
	return cmpInt(pn, pm, ln, lm), nil
}
