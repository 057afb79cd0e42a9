package value

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// fuzzType maps a fuzzed byte to a Type, invalid ones included.
func fuzzType(b uint8) Type { return Type(b % 12) }

func FuzzValidate(f *testing.F) {
	seeds := []struct {
		t    uint8
		list bool
		s    string
	}{
		{uint8(Boolean), false, "1"}, {uint8(Int), false, "-0070"}, {uint8(UnsignedLong), false, "18446744073709551616"},
		{uint8(Decimal), false, "+00.500"}, {uint8(DateTime), false, "2025-01-01T02:00:00.10+02:00"},
		{uint8(DateTime), false, "0999-12-31T23:59:59"}, {uint8(Base64), false, "QUJD\nRA=="},
		{uint8(HexBinary), false, "deadBEEF"}, {uint8(String), true, " a , b ,, c"},
		{uint8(UnsignedInt), true, "1, 06,11"}, {uint8(DateTime), false, "0001-01-01T00:30:00-00:30"},
		{uint8(DateTime), false, "9999-12-31T23:59:59.999+00:00"}, {uint8(DateTime), false, "2024-02-29T12:00:00.000"}, {uint8(DateTime), true, "1000-01-01T00:00:00,0001-01-01T00:00:00Z"},
	}
	for _, s := range seeds {
		f.Add(s.t, s.list, s.s)
	}
	f.Fuzz(func(t *testing.T, tb uint8, list bool, s string) {
		typ := fuzzType(tb)
		c := &Constraint{List: list}
		canon, err := Validate(typ, c, s)
		if err != nil {
			var ve *Error
			if !errors.As(err, &ve) || (ve.Code != CodeInvalidType && ve.Code != CodeInvalidValue) {
				t.Fatalf("Validate(%s, %q): error %v is not a typed *Error", typ, s, err)
			}
			return
		}
		if !utf8.ValidString(canon) {
			t.Fatalf("Validate(%s, %q) = %q: not UTF-8", typ, s, canon)
		}
		again, err := Validate(typ, c, canon)
		if err != nil || again != canon {
			t.Fatalf("Validate(%s, %q) = %q, but Validate(%q) = %q, %v", typ, s, canon, canon, again, err)
		}
		if !list {
			if got, err := Compare(typ, canon, s); err != nil || got != 0 {
				t.Fatalf("Compare(%s, %q, %q) = %d, %v; want 0", typ, canon, s, got, err)
			}
			if Orderable(typ, s) != Orderable(typ, canon) {
				t.Fatalf("Orderable(%s) differs for %q and %q", typ, s, canon)
			}
		}
	})
}

func FuzzCompare(f *testing.F) {
	f.Add(uint8(Int), "0123", "123")
	f.Add(uint8(Boolean), "true", "1")
	f.Add(uint8(Decimal), "-0.50", "-.5")
	f.Add(uint8(DateTime), "2025-01-01T00:00:00Z", "2025-01-01T01:00:00+01:00")
	f.Add(uint8(DateTime), "0001-01-01T00:00:00", UnknownTime)
	f.Add(uint8(HexBinary), "0a", "0A00")
	f.Add(uint8(Base64), "QQ==", "Q Q = =")
	f.Add(uint8(String), "a,b", "b")
	f.Fuzz(func(t *testing.T, tb uint8, a, b string) {
		typ := fuzzType(tb)
		_, _ = ListContains(typ, a, b)
		ab, errAB := Compare(typ, a, b)
		ba, errBA := Compare(typ, b, a)
		if (errAB == nil) != (errBA == nil) {
			t.Fatalf("Compare(%s) errors not symmetric: %v / %v", typ, errAB, errBA)
		}
		if errAB != nil {
			return
		}
		if ab < -1 || ab > 1 || ab != -ba {
			t.Fatalf("Compare(%s, %q, %q) = %d but reversed %d", typ, a, b, ab, ba)
		}
		ca, errA := Validate(typ, nil, a)
		cb, errB := Validate(typ, nil, b)
		if errA != nil || errB != nil {
			if typ != String { // strings compare even when not valid UTF-8
				t.Fatalf("Compare(%s) accepted %q, %q that Validate rejects: %v %v", typ, a, b, errA, errB)
			}
			return
		}
		// Equal values have the same canonical form, and canonical forms
		// order like the values.
		if (ab == 0) != (ca == cb) {
			t.Fatalf("Compare(%s, %q, %q) = %d but canonical %q, %q", typ, a, b, ab, ca, cb)
		}
		if got, err := Compare(typ, ca, cb); err != nil || got != ab {
			t.Fatalf("Compare(%s, %q, %q) = %d, %v; want %d", typ, ca, cb, got, err, ab)
		}
		if items := SplitList(ca); len(items) != 1 || items[0] != ca {
			return // ca is not a one-item list
		}
		if in, err := ListContains(typ, ca, b); err != nil || in != (ab == 0) {
			t.Fatalf("ListContains(%s, %q, %q) = %v, %v; want %v", typ, ca, b, in, err, ab == 0)
		}
	})
}
