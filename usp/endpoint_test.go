package usp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/usp"
)

func TestParseEndpointIDValid(t *testing.T) {
	tests := []struct {
		id         string
		scheme     string
		authority  string
		instance   string
		production bool
	}{
		{"oui:00256D:my-unique-bbf-id-42", "oui", "00256D", "my-unique-bbf-id-42", false},
		{"oui:00256d:lower", "oui", "00256d", "lower", false},
		{"oui:001122:serial123", "oui", "001122", "serial123", true},
		{"oui:70B3D5A:ma-m", "oui", "70B3D5A", "ma-m", true},
		{"oui:70B3D5123:ma-s", "oui", "70B3D5123", "ma-s", true},
		{"cid:3AA3F8:my_device.1", "cid", "3AA3F8", "my_device.1", true},
		{"pen:3561:my-bbf-id", "pen", "3561", "my-bbf-id", false},
		{"pen:0:reserved", "pen", "0", "reserved", true},
		{"pen:4491:cable", "pen", "4491", "cable", true},
		{"self::my-agent", "self", "", "my-agent", true},
		{"self:abcdef:x", "self", "abcdef", "x", true},
		{"self:a.b_c-:x", "self", "a.b_c-", "x", true},
		{"user::joe", "user", "", "joe", true},
		{"os::00256D-abc123", "os", "", "00256D-abc123", false},
		{"os::012345-serial-with-dashes", "os", "", "012345-serial-with-dashes", true},
		{"ops::012345-MeshNode-SN0001", "ops", "", "012345-MeshNode-SN0001", true},
		{"ops::00256d-Class-SN", "ops", "", "00256d-Class-SN", false},
		{"uuid::f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "uuid", "", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", true},
		{"uuid::F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6", "uuid", "", "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6", true},
		{"imei::990000862471854", "imei", "", "990000862471854", true},
		{"imei::9900008624718501", "imei", "", "9900008624718501", true},
		{"proto::agent-ap1", "proto", "", "agent-ap1", false},
		{"doc::controller", "doc", "", "controller", false},
		{"fqdn::host.example.org", "fqdn", "", "host.example.org", true},
		{"fqdn::a-1.b2", "fqdn", "", "a-1.b2", true},
		{"user::a%3Ab", "user", "", "a%3Ab", true},
		{"user::%ff%00", "user", "", "%ff%00", true},
		{"user::" + strings.Repeat("x", 50), "user", "", strings.Repeat("x", 50), true},
		{"user::" + strings.Repeat("%41", 16) + "xx", "user", "", strings.Repeat("%41", 16) + "xx", true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			id, err := usp.ParseEndpointID(tt.id)
			if err != nil {
				t.Fatalf("ParseEndpointID: %v", err)
			}
			if id.String() != tt.id {
				t.Errorf("String() = %q, want %q", id.String(), tt.id)
			}
			if got := id.Scheme(); got != tt.scheme {
				t.Errorf("Scheme() = %q, want %q", got, tt.scheme)
			}
			if got := id.Authority(); got != tt.authority {
				t.Errorf("Authority() = %q, want %q", got, tt.authority)
			}
			if got := id.InstanceID(); got != tt.instance {
				t.Errorf("InstanceID() = %q, want %q", got, tt.instance)
			}
			if got := id.IsProduction(); got != tt.production {
				t.Errorf("IsProduction() = %v, want %v", got, tt.production)
			}
		})
	}
}

func TestParseEndpointIDInvalid(t *testing.T) {
	tests := []struct {
		id     string
		reason string
	}{
		{"", "want authority-scheme:[authority-id]:instance-id"},
		{"proto", "want authority-scheme:[authority-id]:instance-id"},
		{"proto:agent", "missing ':' after the authority-id"},
		{"::x", "empty authority-scheme"},
		{"foo::x", `unknown authority-scheme "foo"`},
		{"OUI:00256D:x", `unknown authority-scheme "OUI"`},
		{"oui::x", "oui authority-id must be 6, 7 or 9 hex digits"},
		{"oui:00256:x", "oui authority-id must be 6, 7 or 9 hex digits"},
		{"oui:00256D12:x", "oui authority-id must be 6, 7 or 9 hex digits"},
		{"oui:00256G:x", "oui authority-id must be 6, 7 or 9 hex digits"},
		{"cid:3AA3F:x", "cid authority-id must be 6 hex digits"},
		{"cid:3AA3F8A:x", "cid authority-id must be 6 hex digits"},
		{"pen::x", "pen authority-id must be a decimal number"},
		{"pen:03561:x", "pen authority-id must be a decimal number"},
		{"pen:35a:x", "pen authority-id must be a decimal number"},
		{"pen:12345678901:x", "pen authority-id must be a decimal number"},
		{"self:abcdefg:x", "self authority-id must be empty or 1-6 unreserved characters"},
		{"self:a%20:x", "self authority-id must be empty or 1-6 unreserved characters"},
		{"user:me:x", "user takes an empty authority-id"},
		{"proto:x:agent", "proto takes an empty authority-id"},
		{"proto::", "empty instance-id"},
		{"proto::a:b", `instance-id has the invalid character ':'`},
		{"proto::a b", `instance-id has the invalid character ' '`},
		{"proto::a/b", `instance-id has the invalid character '/'`},
		{"proto::a\x00", `instance-id has the invalid character '\x00'`},
		{"proto::é", "instance-id has the non-ASCII byte 0xc3"},
		{"proto::a%2", "instance-id has a '%' not followed by two hex digits"},
		{"proto::a%zz", "instance-id has a '%' not followed by two hex digits"},
		{"proto::" + strings.Repeat("x", 51), "instance-id longer than 50 characters"},
		{"proto::" + strings.Repeat("%41", 17), "instance-id longer than 50 characters"},
		{"os::00256D", "os instance-id must be <OUI>-<SerialNumber>"},
		{"os::00256D-", "os instance-id must be <OUI>-<SerialNumber>"},
		{"os::0025-serial", "os instance-id must be <OUI>-<SerialNumber>"},
		{"ops::00256D-serial", "ops instance-id must be <OUI>-<ProductClass>-<SerialNumber>"},
		{"ops::00256D--serial", "ops instance-id must be <OUI>-<ProductClass>-<SerialNumber>"},
		{"uuid::f81d4fae7dec11d0a76500a0c91e6bf6", "uuid instance-id must be an RFC 4122 UUID"},
		{"uuid::f81d4fae-7dec-11d0-a765-00a0c91e6bfg", "uuid instance-id must be an RFC 4122 UUID"},
		{"imei::99000086247185", "imei instance-id must be 15 (IMEI) or 16 (IMEISV) digits"},
		{"imei::99000086247185A", "imei instance-id must be 15 (IMEI) or 16 (IMEISV) digits"},
		{"fqdn::localhost", "fqdn instance-id must be a DNS name"},
		{"fqdn::-bad.example.org", "fqdn instance-id must be a DNS name"},
		{"fqdn::host.example.org.", "fqdn instance-id must be a DNS name"},
		{"fqdn::under_score.org", "fqdn instance-id must be a DNS name"},
		{"fqdn::" + strings.Repeat("a", 64) + ".b", "instance-id longer than 50 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			id, err := usp.ParseEndpointID(tt.id)
			if err == nil {
				t.Fatalf("ParseEndpointID = %q, want an error", id)
			}
			if id != "" {
				t.Errorf("ParseEndpointID returned %q with its error", id)
			}
			var e *usp.EndpointIDError
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *EndpointIDError", err)
			}
			if e.ID != tt.id || e.Reason != tt.reason {
				t.Errorf("got {%q, %q}, want {%q, %q}", e.ID, e.Reason, tt.id, tt.reason)
			}
		})
	}
}

// TestEndpointIDAccessorsUnparsed pins the accessors on text that was never
// validated: they split at the first two colons and never panic.
func TestEndpointIDAccessorsUnparsed(t *testing.T) {
	tests := []struct {
		id                          usp.EndpointID
		scheme, authority, instance string
	}{
		{"", "", "", ""},
		{"garbage", "", "", ""},
		{"a:b", "a", "", ""},
		{"a:b:c:d", "a", "b", "c:d"},
	}
	for _, tt := range tests {
		if s, a, i := tt.id.Scheme(), tt.id.Authority(), tt.id.InstanceID(); s != tt.scheme || a != tt.authority || i != tt.instance {
			t.Errorf("%q: got (%q, %q, %q), want (%q, %q, %q)", tt.id, s, a, i, tt.scheme, tt.authority, tt.instance)
		}
	}
}
