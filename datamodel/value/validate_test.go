package value

import (
	"errors"
	"regexp"
	"testing"
)

type validateCase struct {
	name string
	t    Type
	c    *Constraint
	in   string
	want string // canonical output when code is 0
	code uint32 // expected error code, 0 for success
	msg  string // exact error message, when set
}

// checkValidate runs one case with exact expectations.
func checkValidate(t *testing.T, tc validateCase) {
	t.Helper()
	got, err := Validate(tc.t, tc.c, tc.in)
	if tc.code == 0 {
		if err != nil {
			t.Fatalf("Validate(%s, %q) error %v, want %q", tc.t, tc.in, err, tc.want)
		}
		if got != tc.want {
			t.Fatalf("Validate(%s, %q) = %q, want %q", tc.t, tc.in, got, tc.want)
		}
		return
	}
	var ve *Error
	if !errors.As(err, &ve) {
		t.Fatalf("Validate(%s, %q) = %q, %v; want *Error code %d", tc.t, tc.in, got, err, tc.code)
	}
	if ve.Code != tc.code || ve.USPErrorCode() != tc.code {
		t.Fatalf("Validate(%s, %q) code %d (%s), want %d", tc.t, tc.in, ve.Code, ve.Msg, tc.code)
	}
	if tc.msg != "" && ve.Error() != tc.msg {
		t.Fatalf("Validate(%s, %q) message\n got %q\nwant %q", tc.t, tc.in, ve.Error(), tc.msg)
	}
	if got != "" {
		t.Fatalf("Validate(%s, %q) returned %q with an error", tc.t, tc.in, got)
	}
}

func rng(lo, hi string) Range { return Range{Min: lo, Max: hi} }

func TestValidateScalars(t *testing.T) {
	const bad = CodeInvalidType
	cases := []validateCase{
		// string
		{name: "string/plain", t: String, in: "Home", want: "Home"},
		{name: "string/empty", t: String, in: "", want: ""},
		{name: "string/kept as is", t: String, in: " a, b ", want: " a, b "},
		{name: "string/bad utf8", t: String, in: "a\xffb", code: bad, msg: `"a\xffb" is not valid UTF-8`},
		// boolean
		{name: "bool/true", t: Boolean, in: "true", want: "true"},
		{name: "bool/false", t: Boolean, in: "false", want: "false"},
		{name: "bool/1", t: Boolean, in: "1", want: "true"},
		{name: "bool/0", t: Boolean, in: "0", want: "false"},
		{name: "bool/TRUE", t: Boolean, in: "TRUE", want: "true"},
		{name: "bool/False", t: Boolean, in: "False", want: "false"},
		{name: "bool/maybe", t: Boolean, in: "maybe", code: bad, msg: `"maybe" is not a valid boolean (true, false, 1 or 0)`},
		{name: "bool/empty", t: Boolean, in: "", code: bad},
		{name: "bool/2", t: Boolean, in: "2", code: bad},
		{name: "bool/unicode fold", t: Boolean, in: "falſe", code: bad},
		{name: "bool/space", t: Boolean, in: " true", code: bad},
		// int
		{name: "int/zero", t: Int, in: "0", want: "0"},
		{name: "int/plus", t: Int, in: "+5", want: "5"},
		{name: "int/leading zeros", t: Int, in: "007", want: "7"},
		{name: "int/negative zeros", t: Int, in: "-0070", want: "-70"},
		{name: "int/minus zero", t: Int, in: "-0", want: "0"},
		{name: "int/max", t: Int, in: "2147483647", want: "2147483647"},
		{name: "int/min", t: Int, in: "-2147483648", want: "-2147483648"},
		{name: "int/max+1", t: Int, in: "2147483648", code: bad, msg: `"2147483648" is outside the int domain [-2147483648:2147483647]`},
		{name: "int/min-1", t: Int, in: "-2147483649", code: bad},
		{name: "int/abc", t: Int, in: "abc", code: bad, msg: `"abc" is not a valid int`},
		{name: "int/empty", t: Int, in: "", code: bad},
		{name: "int/sign only", t: Int, in: "-", code: bad},
		{name: "int/fraction", t: Int, in: "1.0", code: bad},
		{name: "int/exponent", t: Int, in: "1e3", code: bad},
		{name: "int/space", t: Int, in: " 1", code: bad},
		{name: "int/hex", t: Int, in: "0x10", code: bad},
		{name: "int/underscore", t: Int, in: "1_000", code: bad},
		// unsignedInt
		{name: "uint/max", t: UnsignedInt, in: "4294967295", want: "4294967295"},
		{name: "uint/max+1", t: UnsignedInt, in: "4294967296", code: bad, msg: `"4294967296" is outside the unsignedInt domain [0:4294967295]`},
		{name: "uint/negative", t: UnsignedInt, in: "-1", code: bad},
		{name: "uint/minus zero", t: UnsignedInt, in: "-000", want: "0"},
		{name: "uint/many zeros", t: UnsignedInt, in: "0000000000000000000000000042", want: "42"},
		// long
		{name: "long/max", t: Long, in: "9223372036854775807", want: "9223372036854775807"},
		{name: "long/min", t: Long, in: "-9223372036854775808", want: "-9223372036854775808"},
		{name: "long/max+1", t: Long, in: "9223372036854775808", code: bad},
		{name: "long/min-1", t: Long, in: "-9223372036854775809", code: bad},
		// unsignedLong
		{name: "ulong/max", t: UnsignedLong, in: "18446744073709551615", want: "18446744073709551615"},
		{name: "ulong/max plus", t: UnsignedLong, in: "+018446744073709551615", want: "18446744073709551615"},
		{name: "ulong/max+1", t: UnsignedLong, in: "18446744073709551616", code: bad, msg: `"18446744073709551616" is outside the unsignedLong domain [0:18446744073709551615]`},
		{name: "ulong/huge", t: UnsignedLong, in: "99999999999999999999999", code: bad},
		{name: "ulong/negative", t: UnsignedLong, in: "-5", code: bad},
		// decimal
		{name: "decimal/int", t: Decimal, in: "12", want: "12"},
		{name: "decimal/canonical", t: Decimal, in: "-12.5", want: "-12.5"},
		{name: "decimal/zeros", t: Decimal, in: "+0012.5000", want: "12.5"},
		{name: "decimal/point zero", t: Decimal, in: "2.0", want: "2"},
		{name: "decimal/leading point", t: Decimal, in: ".5", want: "0.5"},
		{name: "decimal/trailing point", t: Decimal, in: "5.", want: "5"},
		{name: "decimal/negative zero", t: Decimal, in: "-0.000", want: "0"},
		{name: "decimal/long", t: Decimal, in: "123456789012345678901234567890.000000000000000000001", want: "123456789012345678901234567890.000000000000000000001"},
		{name: "decimal/point only", t: Decimal, in: ".", code: bad},
		{name: "decimal/exponent", t: Decimal, in: "1e5", code: bad, msg: `"1e5" is not a valid decimal`},
		{name: "decimal/NaN", t: Decimal, in: "NaN", code: bad},
		{name: "decimal/two points", t: Decimal, in: "1.2.3", code: bad},
		{name: "decimal/empty", t: Decimal, in: "", code: bad},
		// dateTime
		{name: "dateTime/utc", t: DateTime, in: "2025-01-01T00:00:00Z", want: "2025-01-01T00:00:00Z"},
		{name: "dateTime/unknown", t: DateTime, in: UnknownTime, want: UnknownTime},
		{name: "dateTime/offset", t: DateTime, in: "2025-01-01T02:30:00+02:30", want: "2025-01-01T00:00:00Z"},
		{name: "dateTime/negative offset over new year", t: DateTime, in: "2024-12-31T22:00:00-02:00", want: "2025-01-01T00:00:00Z"},
		{name: "dateTime/zero offset", t: DateTime, in: "2025-06-01T12:00:00+00:00", want: "2025-06-01T12:00:00Z"},
		{name: "dateTime/fraction", t: DateTime, in: "2025-06-01T12:00:00.123Z", want: "2025-06-01T12:00:00.123Z"},
		{name: "dateTime/fraction zeros", t: DateTime, in: "2025-06-01T12:00:00.1200Z", want: "2025-06-01T12:00:00.12Z"},
		{name: "dateTime/zero fraction", t: DateTime, in: "2025-06-01T12:00:00.000Z", want: "2025-06-01T12:00:00Z"},
		{name: "dateTime/no zone is UTC", t: DateTime, in: "2025-06-01T12:00:00", want: "2025-06-01T12:00:00Z"},
		{name: "dateTime/since boot", t: DateTime, in: "0001-01-03T03:04:05", want: "0001-01-03T03:04:05"},
		{name: "dateTime/leap day", t: DateTime, in: "2024-02-29T00:00:00Z", want: "2024-02-29T00:00:00Z"},
		{name: "dateTime/max", t: DateTime, in: "9999-12-31T23:59:59Z", want: "9999-12-31T23:59:59Z"},
		{name: "dateTime/not leap", t: DateTime, in: "2025-02-29T00:00:00Z", code: bad, msg: `"2025-02-29T00:00:00Z" is not a valid dateTime: day out of range`},
		{name: "dateTime/1900 not leap", t: DateTime, in: "1900-02-29T00:00:00Z", code: bad},
		{name: "dateTime/month 13", t: DateTime, in: "2025-13-01T00:00:00Z", code: bad, msg: `"2025-13-01T00:00:00Z" is not a valid dateTime: month out of range`},
		{name: "dateTime/hour 24", t: DateTime, in: "2025-01-01T24:00:00Z", code: bad},
		{name: "dateTime/leap second", t: DateTime, in: "2016-12-31T23:59:60Z", code: bad},
		{name: "dateTime/year 0", t: DateTime, in: "0000-01-01T00:00:00Z", code: bad},
		{name: "dateTime/before year 1", t: DateTime, in: "0001-01-01T00:00:00+01:00", code: bad},
		{name: "dateTime/after 9999", t: DateTime, in: "9999-12-31T23:59:59-00:01", code: bad},
		{name: "dateTime/date only", t: DateTime, in: "2025-01-01", code: bad},
		{name: "dateTime/space", t: DateTime, in: "2025-01-01 00:00:00Z", code: bad},
		{name: "dateTime/lower t", t: DateTime, in: "2025-01-01t00:00:00Z", code: bad},
		{name: "dateTime/empty fraction", t: DateTime, in: "2025-01-01T00:00:00.Z", code: bad},
		{name: "dateTime/offset 15h", t: DateTime, in: "2025-01-01T00:00:00+15:00", code: bad},
		{name: "dateTime/offset no colon", t: DateTime, in: "2025-01-01T00:00:00+0100", code: bad},
		{name: "dateTime/trailing", t: DateTime, in: "2025-01-01T00:00:00Zx", code: bad},
		{name: "dateTime/empty", t: DateTime, in: "", code: bad},
		// base64
		{name: "base64/empty", t: Base64, in: "", want: ""},
		{name: "base64/one byte", t: Base64, in: "QQ==", want: "QQ=="},
		{name: "base64/two bytes", t: Base64, in: "QUI=", want: "QUI="},
		{name: "base64/three bytes", t: Base64, in: "QUJD", want: "QUJD"},
		{name: "base64/white space", t: Base64, in: "QUJD\r\nRA==", want: "QUJDRA=="},
		{name: "base64/no padding", t: Base64, in: "QQ", code: bad, msg: `"QQ" is not valid base64: length 2 is not a multiple of 4`},
		{name: "base64/padding bits", t: Base64, in: "QR==", code: bad},
		{name: "base64/url alphabet", t: Base64, in: "-_8=", code: bad},
		{name: "base64/inner padding", t: Base64, in: "QQ==QQ==", code: bad},
		{name: "base64/three pads", t: Base64, in: "Q===", code: bad},
		// hexBinary
		{name: "hex/empty", t: HexBinary, in: "", want: ""},
		{name: "hex/upper", t: HexBinary, in: "00AB", want: "00AB"},
		{name: "hex/lower", t: HexBinary, in: "00ab", want: "00AB"},
		{name: "hex/odd", t: HexBinary, in: "ABC", code: bad, msg: `"ABC" is not valid hexBinary: odd number of digits (3)`},
		{name: "hex/bad digit", t: HexBinary, in: "0G", code: bad},
		{name: "hex/prefix", t: HexBinary, in: "0x00", code: bad},
		// invalid type
		{name: "type/zero", t: 0, in: "x", code: bad, msg: "unsupported type Type(0)"},
		{name: "type/too big", t: Decimal + 1, in: "x", code: bad},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkValidate(t, tc) })
	}
}

func TestValidateConstraints(t *testing.T) {
	const (
		bad = CodeInvalidType
		out = CodeInvalidValue
	)
	channel := &Constraint{Ranges: []Range{rng("1", "255")}}
	channels := &Constraint{Ranges: []Range{rng("1", "14"), rng("36", "165")}}
	power := &Constraint{Ranges: []Range{rng("-1", "100")}}
	big := &Constraint{Ranges: []Range{rng("18446744073709551614", "")}}
	dec := &Constraint{Ranges: []Range{rng("-0.5", "0.25")}}
	status := &Constraint{Enum: []string{"Up", "Down", "Error"}}
	ssid := &Constraint{MinLength: 1, MaxLength: 32}
	key := &Constraint{MinLength: 4, MaxLength: 4}
	mac := &Constraint{Pattern: regexp.MustCompile(`^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})?$`)}
	cases := []validateCase{
		{name: "range/inside", t: UnsignedInt, c: channel, in: "36", want: "36"},
		{name: "range/low edge", t: UnsignedInt, c: channel, in: "1", want: "1"},
		{name: "range/high edge", t: UnsignedInt, c: channel, in: "255", want: "255"},
		{name: "range/leading zeros", t: UnsignedInt, c: channel, in: "0036", want: "36"},
		{name: "range/above", t: UnsignedInt, c: channel, in: "300", code: out, msg: `value "300" out of range [1:255]`},
		{name: "range/below", t: UnsignedInt, c: channel, in: "0", code: out},
		{name: "range/domain before range", t: UnsignedInt, c: channel, in: "-1", code: bad},
		{name: "ranges/first", t: UnsignedInt, c: channels, in: "6", want: "6"},
		{name: "ranges/second", t: UnsignedInt, c: channels, in: "149", want: "149"},
		{name: "ranges/gap", t: UnsignedInt, c: channels, in: "20", code: out, msg: `value "20" out of ranges [1:14] [36:165]`},
		{name: "range/negative low", t: Int, c: power, in: "-1", want: "-1"},
		{name: "range/negative below", t: Int, c: power, in: "-2", code: out, msg: `value "-2" out of range [-1:100]`},
		{name: "range/uint64 exact in", t: UnsignedLong, c: big, in: "18446744073709551615", want: "18446744073709551615"},
		{name: "range/uint64 exact out", t: UnsignedLong, c: big, in: "18446744073709551613", code: out, msg: `value "18446744073709551613" out of range [18446744073709551614:]`},
		{name: "range/decimal in", t: Decimal, c: dec, in: "0.25", want: "0.25"},
		{name: "range/decimal exact out", t: Decimal, c: dec, in: "0.2500000000000000000001", code: out},
		{name: "range/decimal negative edge", t: Decimal, c: dec, in: "-0.50", want: "-0.5"},
		{name: "range/decimal negative out", t: Decimal, c: dec, in: "-0.51", code: out},
		{name: "enum/in", t: String, c: status, in: "Down", want: "Down"},
		{name: "enum/case", t: String, c: status, in: "down", code: out, msg: `value "down" is not one of "Up", "Down", "Error"`},
		{name: "enum/empty", t: String, c: status, in: "", code: out},
		{name: "length/ok", t: String, c: ssid, in: "Home", want: "Home"},
		{name: "length/runes", t: String, c: ssid, in: "ééééééééééééééééééééééééééééééé€", want: "ééééééééééééééééééééééééééééééé€"},
		{name: "length/too long", t: String, c: ssid, in: "123456789012345678901234567890123", code: out, msg: `value "123456789012345678901234567890123" length 33 exceeds the maximum 32`},
		{name: "length/too short", t: String, c: ssid, in: "", code: out, msg: `value "" length 0 is below the minimum 1`},
		{name: "length/base64 decoded", t: Base64, c: key, in: "AAAAAA==", want: "AAAAAA=="},
		{name: "length/base64 too long", t: Base64, c: key, in: "AAAAAAA=", code: out, msg: `value "AAAAAAA=" decoded length 5 exceeds the maximum 4`},
		{name: "length/hex decoded", t: HexBinary, c: key, in: "deadbeef", want: "DEADBEEF"},
		{name: "length/hex short", t: HexBinary, c: key, in: "dead", code: out},
		{name: "length/ignored for int", t: Int, c: key, in: "123456", want: "123456"},
		{name: "pattern/match", t: String, c: mac, in: "00:11:22:aa:bb:cc", want: "00:11:22:aa:bb:cc"},
		{name: "pattern/empty", t: String, c: mac, in: "", want: ""},
		{name: "pattern/miss", t: String, c: mac, in: "00:11:22", code: out},
		{name: "enum/int canonical", t: UnsignedInt, c: &Constraint{Enum: []string{"20", "40"}}, in: "040", want: "40"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkValidate(t, tc) })
	}
}

func TestValidateLists(t *testing.T) {
	const (
		bad = CodeInvalidType
		out = CodeInvalidValue
	)
	strs := &Constraint{List: true}
	ints := &Constraint{List: true, Ranges: []Range{rng("1", "165")}}
	bands := &Constraint{List: true, Enum: []string{"2.4GHz", "5GHz", "6GHz"}, MinItems: 1, MaxItems: 2}
	short := &Constraint{List: true, MaxListLength: 10}
	cases := []validateCase{
		{name: "list/empty", t: String, c: strs, in: "", want: ""},
		{name: "list/blank", t: String, c: strs, in: "  ", want: ""},
		{name: "list/canonical", t: String, c: strs, in: "a,b", want: "a,b"},
		{name: "list/spaces", t: String, c: strs, in: " a , b ,c", want: "a,b,c"},
		{name: "list/inner spaces kept", t: String, c: strs, in: "a b, c", want: "a b,c"},
		{name: "list/empty item", t: String, c: strs, in: "a,,b", want: "a,,b"},
		{name: "list/ints", t: UnsignedInt, c: ints, in: "1, 6, 011", want: "1,6,11"},
		{name: "list/ints bad item", t: UnsignedInt, c: ints, in: "1,x,3", code: bad, msg: `list item 2: "x" is not a valid unsignedInt`},
		{name: "list/ints out of range", t: UnsignedInt, c: ints, in: "1,200", code: out, msg: `list item 2: value "200" out of range [1:165]`},
		{name: "list/ints empty item", t: UnsignedInt, c: ints, in: "1,,3", code: bad},
		{name: "list/booleans", t: Boolean, c: strs, in: "1,0,true", want: "true,false,true"},
		{name: "list/dateTimes", t: DateTime, c: strs, in: "2025-01-01T01:00:00+01:00, 0001-01-01T00:00:00Z", want: "2025-01-01T00:00:00Z,0001-01-01T00:00:00Z"},
		{name: "list/enum", t: String, c: bands, in: "2.4GHz,5GHz", want: "2.4GHz,5GHz"},
		{name: "list/enum miss", t: String, c: bands, in: "2.4GHz,60GHz", code: out},
		{name: "list/min items", t: String, c: bands, in: "", code: out, msg: "list has 0 items, below the minimum 1"},
		{name: "list/max items", t: String, c: bands, in: "2.4GHz,5GHz,6GHz", code: out, msg: "list has 3 items, more than the maximum 2"},
		{name: "list/max length ok", t: String, c: short, in: "abcd, efgh", want: "abcd,efgh"},
		{name: "list/max length", t: String, c: short, in: "abcd,efghij", code: out, msg: "list length 11 exceeds the maximum 10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkValidate(t, tc) })
	}
}

// TestValidateNoAlloc checks that canonical input on the hot paths is
// returned as is, without allocating.
func TestValidateNoAlloc(t *testing.T) {
	channel := &Constraint{Ranges: []Range{rng("1", "14"), rng("36", "165")}}
	status := &Constraint{Enum: []string{"Up", "Down", "Error"}}
	list := &Constraint{List: true, Ranges: []Range{rng("1", "165")}, MaxItems: 10, MaxListLength: 64}
	cases := []struct {
		name string
		t    Type
		c    *Constraint
		in   string
	}{
		{"uint range", UnsignedInt, channel, "149"},
		{"string enum", String, status, "Down"},
		{"bool", Boolean, nil, "true"},
		{"long", Long, nil, "-9223372036854775808"},
		{"decimal", Decimal, nil, "-12.5"},
		{"dateTime", DateTime, nil, "2025-01-01T00:00:00.5Z"},
		{"base64", Base64, nil, "QUJDRA=="},
		{"hex", HexBinary, nil, "DEADBEEF"},
		{"uint list", UnsignedInt, list, "1,6,11,36"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			allocs := testing.AllocsPerRun(100, func() { got, _ = Validate(tc.t, tc.c, tc.in) })
			if got != tc.in {
				t.Fatalf("Validate = %q, want %q", got, tc.in)
			}
			if allocs != 0 {
				t.Fatalf("Validate allocates %v times per call, want 0", allocs)
			}
		})
	}
}
