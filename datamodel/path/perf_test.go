package path

import (
	"strings"
	"testing"
)

// TestLargeInputs parses inputs of up to half a megabyte, in several
// shapes; the parser does not recurse and never moves backwards,
// so these take linear time.
func TestLargeInputs(t *testing.T) {
	const n = 1 << 15
	conds := strings.Repeat(`A.B+.C=="x%25"&&`, n) + "D==1"
	tests := []struct {
		name  string
		in    string
		valid bool
	}{
		{"many segments", "Device." + strings.Repeat("A.1.", n) + "P", true},
		{"many conditions", "Device.X.[" + conds + "].", true},
		{"long string value", `Device.X.[A=="` + strings.Repeat("%22", n) + `"].`, true},
		{"long name", "Device." + strings.Repeat("A", n) + ".", true},
		{"nested brackets", "Device.X." + strings.Repeat("[", n), false},
		{"unterminated string", `Device.X.[A=="` + strings.Repeat("a", n), false},
		{"many dots", "Device" + strings.Repeat(".", n), false},
		{"unterminated conditions", "Device.X.[" + conds, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.in)
			if (err == nil) != tc.valid {
				t.Fatalf("Parse: err = %v, want valid = %v", err, tc.valid)
			}
			if err == nil && p.String() != tc.in {
				t.Errorf("String() differs from the input")
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"param", "Device.WiFi.SSID.1.SSID"},
		{"search", `Device.WiFi.AccessPoint.[SSIDReference+.SSID=="Home"].AssociatedDevice.*.SignalStrength`},
		{"unique-key", `Device.LocalAgent.Subscription.[ID=="s1"&&Recipient=="Device.LocalAgent.Controller.1"].`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
