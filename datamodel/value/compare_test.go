package value

import (
	"errors"
	"reflect"
	"testing"
)

func TestCompare(t *testing.T) {
	cases := []struct {
		name       string
		t          Type
		param, lit string
		want       int
		code       uint32 // expected error code, 0 for success
	}{
		{"string/equal", String, "Home", "Home", 0, 0},
		{"string/case matters", String, "Home", "home", -1, 0},
		{"string/greater", String, "b", "a", 1, 0},
		{"string/empty", String, "", "", 0, 0},
		{"bool/1 is true", Boolean, "true", "1", 0, 0},
		{"bool/0 is false", Boolean, "false", "0", 0, 0},
		{"bool/TRUE", Boolean, "true", "TRUE", 0, 0},
		{"bool/false<true", Boolean, "false", "true", -1, 0},
		{"bool/true>false", Boolean, "true", "0", 1, 0},
		{"bool/bad lit", Boolean, "true", "yes", 0, CodeInvalidType},
		{"int/leading zeros", Int, "123", "0123", 0, 0},
		{"int/plus", Int, "5", "+5", 0, 0},
		{"int/negative", Int, "-70", "-69", -1, 0},
		{"int/negative vs positive", Int, "-1", "1", -1, 0},
		{"int/minus zero", Int, "0", "-0", 0, 0},
		{"int/min", Int, "-2147483648", "2147483647", -1, 0},
		{"int/out of domain lit", Int, "1", "2147483648", 0, CodeInvalidType},
		{"int/bad lit", Int, "1", "one", 0, CodeInvalidType},
		{"int/bad param", Int, "one", "1", 0, CodeInvalidType},
		{"uint/greater", UnsignedInt, "36", "11", 1, 0},
		{"uint/negative lit", UnsignedInt, "36", "-1", 0, CodeInvalidType},
		{"long/min", Long, "-9223372036854775808", "-9223372036854775807", -1, 0},
		{"ulong/max", UnsignedLong, "18446744073709551615", "18446744073709551614", 1, 0},
		{"ulong/max equal", UnsignedLong, "18446744073709551615", "018446744073709551615", 0, 0},
		{"decimal/equal", Decimal, "1.5", "01.50", 0, 0},
		{"decimal/int vs fraction", Decimal, "2", "1.999", 1, 0},
		{"decimal/fraction digits", Decimal, "0.5", "0.45", 1, 0},
		{"decimal/prefix fraction", Decimal, "0.5", "0.51", -1, 0},
		{"decimal/negative", Decimal, "-1.5", "-1.25", -1, 0},
		{"decimal/zero signs", Decimal, "0", "-0.0", 0, 0},
		{"decimal/longer integer", Decimal, "10", "9.99", 1, 0},
		{"decimal/bad lit", Decimal, "1", "1e2", 0, CodeInvalidType},
		{"dateTime/equal instant", DateTime, "2025-01-01T00:00:00Z", "2025-01-01T02:00:00+02:00", 0, 0},
		{"dateTime/before", DateTime, "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z", -1, 0},
		{"dateTime/fraction", DateTime, "2025-01-01T00:00:00.5Z", "2025-01-01T00:00:00.25Z", 1, 0},
		{"dateTime/fraction zeros", DateTime, "2025-01-01T00:00:00.5Z", "2025-01-01T00:00:00.500Z", 0, 0},
		{"dateTime/unknown first", DateTime, UnknownTime, "1970-01-01T00:00:00Z", -1, 0},
		{"dateTime/boot before absolute", DateTime, "0001-01-01T00:00:00", UnknownTime, -1, 0},
		{"dateTime/bad lit", DateTime, UnknownTime, "yesterday", 0, CodeInvalidType},
		{"base64/equal", Base64, "QUJD", "QUJD", 0, 0},
		{"base64/white space", Base64, "QUJDRA==", "QUJD RA==", 0, 0},
		{"base64/differ", Base64, "QUJD", "QUJE", -1, 0},
		{"base64/bad lit", Base64, "QUJD", "QUJ", 0, CodeInvalidType},
		{"hex/case", HexBinary, "DEADBEEF", "deadbeef", 0, 0},
		{"hex/order", HexBinary, "0A", "0B", -1, 0},
		{"hex/prefix shorter", HexBinary, "0A", "0A00", -1, 0},
		{"hex/bad lit", HexBinary, "0A", "0", 0, CodeInvalidType},
		{"invalid type", 0, "1", "1", 0, CodeInvalidType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compare(tc.t, tc.param, tc.lit)
			if tc.code != 0 {
				var ve *Error
				if !errors.As(err, &ve) || ve.Code != tc.code {
					t.Fatalf("Compare(%s, %q, %q) = %d, %v; want code %d", tc.t, tc.param, tc.lit, got, err, tc.code)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Compare(%s, %q, %q) = %d, %v; want %d", tc.t, tc.param, tc.lit, got, err, tc.want)
			}
			if tc.t != String {
				// Swapping sides reverses the order (literal must then be valid).
				if back, err := Compare(tc.t, tc.lit, tc.param); err != nil || back != -tc.want {
					t.Fatalf("Compare(%s, %q, %q) = %d, %v; want %d", tc.t, tc.lit, tc.param, back, err, -tc.want)
				}
			}
		})
	}
}

func TestListContains(t *testing.T) {
	cases := []struct {
		name       string
		t          Type
		param, lit string
		want       bool
		code       uint32
	}{
		{"string/found", String, "2.4GHz,5GHz", "5GHz", true, 0},
		{"string/spaces", String, "2.4GHz, 5GHz ", "5GHz", true, 0},
		{"string/missing", String, "2.4GHz,5GHz", "6GHz", false, 0},
		{"string/substring is not an item", String, "2.4GHz,5GHz", "GHz", false, 0},
		{"string/empty list", String, "", "", false, 0},
		{"string/empty item", String, "a,,b", "", true, 0},
		{"uint/typed", UnsignedInt, "1,6,11", "06", true, 0},
		{"uint/missing", UnsignedInt, "1,6,11", "36", false, 0},
		{"uint/bad lit", UnsignedInt, "1,6,11", "x", false, CodeInvalidType},
		{"uint/bad item skipped", UnsignedInt, "x,6", "6", true, 0},
		{"bool/typed", Boolean, "false,true", "1", true, 0},
		{"dateTime/instant", DateTime, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00+01:00", true, 0},
		{"hex/case", HexBinary, "0A,0B", "0b", true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ListContains(tc.t, tc.param, tc.lit)
			if tc.code != 0 {
				var ve *Error
				if !errors.As(err, &ve) || ve.Code != tc.code {
					t.Fatalf("ListContains(%s, %q, %q) = %v, %v; want code %d", tc.t, tc.param, tc.lit, got, err, tc.code)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ListContains(%s, %q, %q) = %v, %v; want %v", tc.t, tc.param, tc.lit, got, err, tc.want)
			}
		})
	}
}

func TestCompareNoAlloc(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = Compare(Int, "-70", "-069")
		_, _ = Compare(UnsignedLong, "18446744073709551615", "1")
		_, _ = Compare(DateTime, "2025-01-01T00:00:00Z", "2025-01-01T02:00:00+02:00")
		_, _ = ListContains(UnsignedInt, "1,6,11", "11")
	})
	if allocs != 0 {
		t.Fatalf("Compare allocates %v times, want 0", allocs)
	}
}

func TestTypes(t *testing.T) {
	names := []string{"string", "boolean", "int", "unsignedInt", "long", "unsignedLong", "dateTime", "base64", "hexBinary", "decimal"}
	ordered := map[Type]bool{Int: true, UnsignedInt: true, Long: true, UnsignedLong: true, DateTime: true, Decimal: true}
	defaults := []string{"", "false", "0", "0", "0", "0", UnknownTime, "", "", "0"}
	for i, name := range names {
		typ := Type(i + 1)
		t.Run(name, func(t *testing.T) {
			if got := typ.String(); got != name {
				t.Fatalf("String() = %q, want %q", got, name)
			}
			if got, err := ParseType(name); err != nil || got != typ {
				t.Fatalf("ParseType(%q) = %v, %v", name, got, err)
			}
			if got := Ordered(typ); got != ordered[typ] {
				t.Fatalf("Ordered = %v", got)
			}
			if got := Default(typ); got != defaults[i] {
				t.Fatalf("Default = %q, want %q", got, defaults[i])
			}
			if got, err := Validate(typ, nil, Default(typ)); err != nil || got != Default(typ) {
				t.Fatalf("Validate(Default) = %q, %v", got, err)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		if got := Type(0).String(); got != "Type(0)" {
			t.Fatalf("String() = %q", got)
		}
		for _, s := range []string{"", "String", "unsignedint", "dataType"} {
			if _, err := ParseType(s); err == nil {
				t.Fatalf("ParseType(%q) accepted", s)
			}
		}
		if Ordered(0) || Default(0) != "" || Type(11).Valid() {
			t.Fatal("invalid type treated as valid")
		}
	})
}

func TestOrderable(t *testing.T) {
	cases := []struct {
		t    Type
		s    string
		want bool
	}{
		{Int, "5", true},
		{Decimal, "1.5", true},
		{DateTime, "2025-01-01T00:00:00Z", true},
		{DateTime, UnknownTime, false},
		{DateTime, "0001-01-01T01:00:00+01:00", false}, // the unknown time, written differently
		{DateTime, "0001-01-01T00:00:00", true},        // boot time, not the unknown time
		{DateTime, "garbage", false},
		{String, "a", false},
		{Boolean, "true", false},
		{HexBinary, "00", false},
	}
	for _, tc := range cases {
		t.Run(tc.t.String()+"/"+tc.s, func(t *testing.T) {
			if got := Orderable(tc.t, tc.s); got != tc.want {
				t.Fatalf("Orderable(%s, %q) = %v, want %v", tc.t, tc.s, got, tc.want)
			}
		})
	}
}

func TestSplitJoinList(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" \t ", nil},
		{"a", []string{"a"}},
		{" a , b,c ", []string{"a", "b", "c"}},
		{"a,,b", []string{"a", "", "b"}},
		{"x y, z", []string{"x y", "z"}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got := SplitList(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("SplitList(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := JoinList([]string{"a", "b c", ""}); got != "a,b c," {
		t.Fatalf("JoinList = %q", got)
	}
	if got := JoinList(nil); got != "" {
		t.Fatalf("JoinList(nil) = %q", got)
	}
}

func TestCheck(t *testing.T) {
	pat, err := CompilePattern(`[0-9]+`, `x`)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		t    Type
		c    *Constraint
		ok   bool
	}{
		{"nil", Int, nil, true},
		{"zero", String, &Constraint{}, true},
		{"ranges", UnsignedInt, &Constraint{Ranges: []Range{rng("1", "14"), rng("36", "")}}, true},
		{"decimal range", Decimal, &Constraint{Ranges: []Range{rng("-0.5", "1.25")}}, true},
		{"dateTime range", DateTime, &Constraint{Ranges: []Range{rng("2000-01-01T00:00:00Z", "")}}, true},
		{"enum and pattern", String, &Constraint{Enum: []string{"a"}, Pattern: pat, MaxLength: 4}, true},
		{"list", String, &Constraint{List: true, MinItems: 1, MaxItems: 4, MaxListLength: 64}, true},
		{"invalid type", 0, &Constraint{}, false},
		{"range on string", String, &Constraint{Ranges: []Range{rng("1", "2")}}, false},
		{"bad bound", Int, &Constraint{Ranges: []Range{rng("1.5", "2")}}, false},
		{"bound beyond uint64", UnsignedLong, &Constraint{Ranges: []Range{rng("0", "18446744073709551616")}}, false},
		{"min > max", Int, &Constraint{Ranges: []Range{rng("5", "2")}}, false},
		{"enum not canonical", Boolean, &Constraint{Enum: []string{"1"}}, false},
		{"enum not a value", Int, &Constraint{Enum: []string{"one"}}, false},
		{"length on int", Int, &Constraint{MaxLength: 4}, false},
		{"length order", String, &Constraint{MinLength: 5, MaxLength: 4}, false},
		{"negative", String, &Constraint{MinLength: -1}, false},
		{"items without list", String, &Constraint{MaxItems: 3}, false},
		{"items order", String, &Constraint{List: true, MinItems: 3, MaxItems: 2}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.c.Check(tc.t); (err == nil) != tc.ok {
				t.Fatalf("Check(%s) = %v, want ok=%v", tc.t, err, tc.ok)
			}
		})
	}
}

func TestCompilePattern(t *testing.T) {
	re, err := CompilePattern(`[0-9]{2}`, `ab|cd`)
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{"12": true, "ab": true, "cd": true, "123": false, "xab": false, "abcd": false, "": false} {
		if got := re.MatchString(s); got != want {
			t.Errorf("match %q = %v, want %v", s, got, want)
		}
	}
	if _, err := CompilePattern(); err == nil {
		t.Error("no pattern accepted")
	}
	if _, err := CompilePattern(`(`); err == nil {
		t.Error("bad pattern accepted")
	}
}

// TestBadRangeBound checks that a range whose bound does not parse matches
// nothing (Check reports such ranges when the schema loads).
func TestBadRangeBound(t *testing.T) {
	for _, r := range []Range{rng("x", ""), rng("", "99999999999999999999"), rng("1.5", "")} {
		t.Run(r.String(), func(t *testing.T) {
			c := &Constraint{Ranges: []Range{r}}
			_, err := Validate(Int, c, "1")
			var ve *Error
			if !errors.As(err, &ve) || ve.Code != CodeInvalidValue {
				t.Fatalf("Validate with range %s = %v, want code %d", r, err, CodeInvalidValue)
			}
		})
	}
}
