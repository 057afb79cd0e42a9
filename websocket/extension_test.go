package websocket

import (
	"errors"
	"testing"
	"time"
)

func TestFormatExtension(t *testing.T) {
	for _, tc := range []struct{ eid, want string }{
		{"proto::ctl", `bbf-usp-protocol; eid="proto::ctl"`},
		{`a"b\c`, `bbf-usp-protocol; eid="a\"b\\c"`},
	} {
		if got := FormatExtension(tc.eid); got != tc.want {
			t.Errorf("FormatExtension(%q) = %s, want %s", tc.eid, got, tc.want)
		}
	}
}

func TestParseExtension(t *testing.T) {
	for _, tc := range []struct {
		name, header, want string
		wantErr            error // nil: any error when want is ""
	}{
		{"quoted", `bbf-usp-protocol; eid="os::00D09E-1"`, "os::00D09E-1", nil},
		{"unquoted", `bbf-usp-protocol;eid=os::abc`, "os::abc", nil},
		{"spaces", "  bbf-usp-protocol \t;  eid = \"proto::x\"  ", "proto::x", nil},
		{"case", `BBF-USP-Protocol; EID="proto::x"`, "proto::x", nil},
		{"after deflate", `permessage-deflate; client_max_window_bits, bbf-usp-protocol; eid="proto::x"`, "proto::x", nil},
		{"before other", `bbf-usp-protocol; foo; eid="proto::x", x-other; a="b,c;d"`, "proto::x", nil},
		{"empty elements", `, ,bbf-usp-protocol; eid="p::q",`, "p::q", nil},
		{"escaped", `bbf-usp-protocol; eid="a\"b\\c"`, `a"b\c`, nil},
		{"first wins", `bbf-usp-protocol; eid="p::1", bbf-usp-protocol; eid="p::2"`, "p::1", nil},
		{"empty header", ``, "", ErrNoExtension},
		{"other only", `permessage-deflate`, "", ErrNoExtension},
		{"no eid", `bbf-usp-protocol`, "", ErrNoEndpointID},
		{"no eid other param", `bbf-usp-protocol; x=1`, "", ErrNoEndpointID},
		{"unterminated", `bbf-usp-protocol; eid="p::1`, "", nil},
		{"empty eid", `bbf-usp-protocol; eid=""`, "", nil},
		{"bare eq", `bbf-usp-protocol; eid=`, "", nil},
		{"no param name", `bbf-usp-protocol; ="x"`, "", nil},
		{"junk", `bbf-usp-protocol "x"`, "", nil},
		{"space in eid", `bbf-usp-protocol; eid="a b"`, "", nil},
		{"control", "bbf-usp-protocol; eid=\"a\x01\"", "", nil},
		{"no name", `; eid="x"`, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseExtension(tc.header)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseExtension(%q) = %q, %v; want %q", tc.header, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseExtension(%q) = %q, want an error", tc.header, got)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("ParseExtension(%q) error %v, want %v", tc.header, err, tc.wantErr)
			}
		})
	}
}

func FuzzParseExtension(f *testing.F) {
	for _, s := range []string{
		`bbf-usp-protocol; eid="os::00D09E-1"`,
		`permessage-deflate; client_max_window_bits, bbf-usp-protocol; eid=proto::x`,
		`bbf-usp-protocol; eid="a\"b\\c"`,
		`bbf-usp-protocol; eid="`,
		`, ;=`,
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if eid, err := ParseExtension(s); err == nil && validEndpointID(eid) != nil {
			t.Fatalf("ParseExtension(%q) returned invalid eid %q", s, eid)
		}
		// Read the input as an Endpoint ID too: valid ones round-trip.
		if validEndpointID(s) != nil {
			return
		}
		got, err := ParseExtension(FormatExtension(s))
		if err != nil || got != s {
			t.Fatalf("round trip of %q: got %q, %v", s, got, err)
		}
		got, err = ParseExtension("permessage-deflate, " + FormatExtension(s) + ", x-y; z")
		if err != nil || got != s {
			t.Fatalf("round trip of %q among others: got %q, %v", s, got, err)
		}
	})
}

func TestRetryDelay(t *testing.T) {
	s := time.Second
	def := Retry{}
	for _, tc := range []struct {
		name string
		r    Retry
		n    int
		rnd  float64
		want time.Duration
	}{
		{"first min", def, 1, 0, 5 * s},
		{"first max", def, 1, 1, 10 * s},
		{"first mid", def, 1, 0.5, 7500 * time.Millisecond},
		{"zero counts as first", def, 0, 0, 5 * s},
		{"second min", def, 2, 0, 10 * s},
		{"third max", def, 3, 1, 40 * s},
		{"fifth", def, 5, 0, 80 * s},
		{"capped", def, 8, 0, 10 * time.Minute},
		{"tenth uncapped", Retry{MaxInterval: 10000 * s}, 10, 0, 2560 * s},
		{"eleventh as tenth", Retry{MaxInterval: 10000 * s}, 11, 1, 5120 * s},
		{"huge n", Retry{MaxInterval: 10000 * s}, 1 << 30, 0, 2560 * s},
		{"custom", Retry{MinWait: 100 * time.Millisecond, Multiplier: 1500, MaxInterval: s}, 2, 1, 225 * time.Millisecond},
		{"no growth", Retry{MinWait: 10 * time.Millisecond, Multiplier: 1000}, 7, 0.5, 10 * time.Millisecond},
		{"below 1000", Retry{MinWait: 10 * time.Millisecond, Multiplier: 10}, 3, 1, 10 * time.Millisecond},
		{"rnd clamped", def, 1, 7, 10 * s},
		{"negative rnd", def, 1, -1, 5 * s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Delay(tc.n, tc.rnd); got != tc.want {
				t.Fatalf("Delay(%d, %v) = %v, want %v", tc.n, tc.rnd, got, tc.want)
			}
		})
	}
}
