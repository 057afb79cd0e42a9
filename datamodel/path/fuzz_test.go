package path

import (
	"reflect"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	for _, tc := range validCases {
		f.Add(tc.in)
	}
	for _, tc := range invalidCases {
		f.Add(tc.in)
	}
	for _, tc := range supportedValidCases {
		f.Add(tc.in)
	}
	for _, tc := range supportedInvalidCases {
		f.Add(tc.in)
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// round-trips through String. (The regular-expression oracle is left to
// TestOracleRandom: inside a fuzz target its instrumented regexp code would
// steer the fuzzer away from the parser.)
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) { fuzzRoundTrip(t, s, Parse) })
}

// FuzzParseSupported is FuzzParse for ParseSupported.
func FuzzParseSupported(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) { fuzzRoundTrip(t, s, ParseSupported) })
}

func fuzzRoundTrip(t *testing.T, s string, parse func(string) (*Path, error)) {
	p1, err := parse(s)
	if err != nil {
		if _, ok := err.(*SyntaxError); !ok || p1 != nil {
			t.Fatalf("parse(%q) = %v, %T %v", s, p1, err, err)
		}
		return
	}
	s1 := p1.String()
	p2, err := parse(s1)
	if err != nil {
		t.Fatalf("parse(%q) ok, but its String %q fails: %v", s, s1, err)
	}
	if !reflect.DeepEqual(p1, p2) {
		t.Fatalf("parse(%q) = %#v\nparse(%q) = %#v", s, p1, s1, p2)
	}
	if s2 := p2.String(); s2 != s1 {
		t.Fatalf("String not stable: %q then %q", s1, s2)
	}
}
