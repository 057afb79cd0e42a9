package path

import (
	"reflect"
	"testing"
)

var supportedValidCases = []validCase{
	{"spec example", "Device.WiFi.SSID.{i}.Stats.", obj(dev, wifi, nm("SSID"), ph, nm("Stats")), ""},
	{"table row placeholder", "Device.WiFi.SSID.{i}.", obj(dev, wifi, nm("SSID"), ph), ""},
	{"table without placeholder", "Device.WiFi.SSID.", obj(dev, wifi, nm("SSID")), ""},
	{"root", "Device.", obj(dev), ""},
	{"param", "Device.WiFi.SSID.{i}.SSID", prm("SSID", dev, wifi, nm("SSID"), ph), ""},
	{"command", "Device.WiFi.SSID.{i}.Reset()", cmd("Reset", dev, wifi, nm("SSID"), ph), ""},
	{"event", "Device.Boot!", evt("Boot", dev), ""},
	{"instance number", "Device.WiFi.SSID.1.Stats.", obj(dev, wifi, nm("SSID"), inst(1), nm("Stats")), ""},
	{"mixed", "Device.A.2.B.{i}.C", prm("C", dev, nm("A"), inst(2), nm("B"), ph), ""},
	{"two placeholders", "Device.A.{i}.B.{i}.", obj(dev, nm("A"), ph, nm("B"), ph), ""},
}

var supportedInvalidCases = []invalidCase{
	{"empty", "", 0},
	{"bare placeholder", "Device.WiFi.SSID.{i}", 20},
	{"wildcard", "Device.WiFi.SSID.*.", 17},
	{"search", "Device.WiFi.SSID.[A==1].", 17},
	{"reference", "Device.WiFi.SSID.1.Ref+.X", 22},
	{"placeholder after placeholder", "Device.X.{i}.{i}.", 13},
	{"placeholder after instance", "Device.X.1.{i}.", 11},
	{"placeholder first", "{i}.X.", 0},
	{"wrong letter", "Device.X.{j}.", 9},
	{"unclosed placeholder", "Device.X.{i.", 9},
	{"placeholder glued", "Device.X.{i}{i}.", 12},
	{"bare name", "Device", 0},
	{"instance 0", "Device.X.0.", 9},
	{"double dot", "Device..", 7},
}

func TestParseSupportedValid(t *testing.T) {
	for _, tc := range supportedValidCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSupported(tc.in)
			if err != nil {
				t.Fatalf("ParseSupported(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseSupported(%q)\n got %#v\nwant %#v", tc.in, got, tc.want)
			}
			if s := got.String(); s != tc.in {
				t.Errorf("String() = %q, want %q", s, tc.in)
			}
		})
	}
}

func TestParseSupportedInvalid(t *testing.T) {
	for _, tc := range supportedInvalidCases {
		t.Run(tc.name, func(t *testing.T) {
			checkSyntaxError(t, tc.in, tc.pos, ParseSupported)
		})
	}
}

// TestModesAgree checks that every instantiated path without search,
// wildcards or references is also a supported-DM path, parsed the same.
func TestModesAgree(t *testing.T) {
	for _, tc := range validCases {
		if tc.want.IsSearch() {
			if _, err := ParseSupported(tc.in); err == nil {
				t.Errorf("ParseSupported(%q) accepted a search path", tc.in)
			}
			continue
		}
		got, err := ParseSupported(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSupported(%q) = %#v, %v", tc.in, got, err)
		}
	}
}
