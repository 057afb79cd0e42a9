package discovery

import (
	"errors"
	"strings"
	"testing"

	"github.com/grandcat/zeroconf"
	"github.com/miekg/dns"
)

func TestCheckEndpointID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"os::00256D-SN1", true},
		{"proto::agent-ap1", true},
		{"self::ctrl-ap1.", true},
		{"self:ab.c_d:x", true},
		{"oui:00256D:my%2Fagent", true},
		{"futurescheme::x", true}, // schemes are not checked here
		{"os::" + strings.Repeat("a", 50), true},
		{"", false},
		{"os", false},
		{"os:", false},
		{"::x", false},
		{"os::", false},
		{"os::" + strings.Repeat("a", 51), false},
		{"os::a b", false},
		{"os::a:b", false},
		{"os::a%4", false},
		{"os::a%zz", false},
		{"o-s::x", false},
		{"os:a:b:x", false},
		{"os:" + strings.Repeat("a", 17) + ":x", false},
		{"os::é", false},
	} {
		err := checkEndpointID(tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("checkEndpointID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrEndpointID) {
			t.Errorf("checkEndpointID(%q) = %v, not ErrEndpointID", tc.id, err)
		}
	}
}

// viaZeroconf sends an escaped instance through what zeroconf and
// miekg/dns do to it between RegisterProxy and a ServiceEntry: the
// responder builds "<instance>.<service>.local." (trimming dots off the
// instance), miekg/dns packs it and the browser's unpacks it, and the
// browser cuts the service name off and trims dots again. It returns the
// entry's Instance and the number of labels on the wire.
func viaZeroconf(t *testing.T, escaped string) (string, int) {
	t.Helper()
	rec := zeroconf.NewServiceRecord(escaped, Agent.ServiceType(), "local")
	msg := new(dns.Msg)
	msg.Answer = []dns.RR{&dns.SRV{
		Hdr:    dns.RR_Header{Name: rec.ServiceInstanceName(), Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 120},
		Target: "h.local.", Port: 1,
	}}
	wire, err := msg.Pack()
	if err != nil {
		t.Fatalf("pack %q: %v", rec.ServiceInstanceName(), err)
	}
	var got dns.Msg
	if err := got.Unpack(wire); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	name := got.Answer[0].Header().Name
	service := rec.ServiceName()
	if !strings.HasSuffix(name, service) {
		t.Fatalf("unpacked %q does not end in %q", name, service)
	}
	// client.go, mainloop, case *dns.SRV:
	instance := strings.Trim(strings.Replace(name, service, "", 1), ".")
	return instance, dns.CountLabel(name)
}

func TestInstanceRoundTrip(t *testing.T) {
	for _, raw := range []string{
		"os::00256D-SN1",
		"os::00256D-ap1.lab",
		"self::ctrl-ap1.",
		"self::a..",
		".leading",
		`back\slash`,
		`quote"s and spaces`,
		"tab\there",
		"semi;colon(paren)@at'",
		"\x00\xff",
		strings.Repeat("x", MaxLabel-1) + ".",
		strings.Repeat(".", MaxLabel),
	} {
		escaped, err := escapeInstance(raw)
		if err != nil {
			t.Errorf("escapeInstance(%q): %v", raw, err)
			continue
		}
		instance, labels := viaZeroconf(t, escaped)
		if labels != 4 {
			t.Errorf("%q went on the wire as %d labels, want 4 (instance, service, proto, local)", raw, labels)
		}
		got, err := unescapeInstance(instance)
		if err != nil || got != raw {
			t.Errorf("%q: escaped %q, received %q, unescaped %q, %v", raw, escaped, instance, got, err)
		}
	}
}

// TestInstanceLookupName checks that an instance without dots at its ends
// is written exactly as miekg/dns writes the name it unpacks, so that a
// responder's string comparison matches lookups by instance name.
func TestInstanceLookupName(t *testing.T) {
	for _, raw := range []string{"os::00256D-ap1.lab", `a b\c"d`} {
		escaped, err := escapeInstance(raw)
		if err != nil {
			t.Fatal(err)
		}
		name := zeroconf.NewServiceRecord(escaped, Agent.ServiceType(), "local").ServiceInstanceName()
		wire := make([]byte, 256)
		n, err := dns.PackDomainName(name, wire, 0, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		back, _, err := dns.UnpackDomainName(wire[:n], 0)
		if err != nil || back != name {
			t.Errorf("%q: registered as %q, unpacked as %q (%v)", raw, name, back, err)
		}
	}
}

func TestEscapeInstanceErrors(t *testing.T) {
	if _, err := escapeInstance(strings.Repeat("a", MaxLabel+1)); !errors.Is(err, ErrLabelTooLong) {
		t.Errorf("64 bytes: err = %v, want ErrLabelTooLong", err)
	}
	if _, err := escapeInstance(""); !errors.Is(err, ErrInstanceName) {
		t.Errorf("empty: err = %v, want ErrInstanceName", err)
	}
}

func TestUnescapeInstance(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`os::00256D-ap1\.lab`, "os::00256D-ap1.lab", true},
		{`a\046b`, "a.b", true},
		{`a\\`, `a\`, true},
		{`a\`, "a.", true}, // zeroconf trimmed the dot of a final "\."
		{`\255\000`, "\xff\x00", true},
		{`a\25`, "a25", true}, // not \DDD: "\2" is '2'
		{"a.b", "", false},
		{`a\256`, "", false},
		{"", "", false},
		{strings.Repeat("a", MaxLabel+1), "", false},
	} {
		got, err := unescapeInstance(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("unescapeInstance(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInstanceName) {
			t.Errorf("unescapeInstance(%q) = %v, not ErrInstanceName", tc.in, err)
		}
	}
}

func TestHostLabel(t *testing.T) {
	ids := []string{
		"os::00256D-SN1", "os::00256d-sn1", "os::00256D-a.b", "os::00256D-a_b",
		"self::ctrl-ap1.", "::", "oui:123456789:" + strings.Repeat("Z", 50),
	}
	seen := map[string]string{}
	for _, id := range ids {
		l := hostLabel(id)
		if err := checkHostLabel(l); err != nil {
			t.Errorf("hostLabel(%q) = %q: %v", id, l, err)
		}
		if other, dup := seen[l]; dup {
			t.Errorf("hostLabel(%q) = hostLabel(%q) = %q", id, other, l)
		}
		seen[l] = id
		if hostLabel(id) != l {
			t.Errorf("hostLabel(%q) is not stable", id)
		}
	}
	if got, want := hostLabel("os::00256D-SN1"), "os-00256d-sn1-"; !strings.HasPrefix(got, want) {
		t.Errorf("hostLabel = %q, want prefix %q", got, want)
	}
}

func TestCheckHostLabel(t *testing.T) {
	for _, bad := range []string{"", "-a", "a-", "a.b", "a_b", strings.Repeat("a", 64)} {
		if checkHostLabel(bad) == nil {
			t.Errorf("checkHostLabel(%q) = nil", bad)
		}
	}
	if err := checkHostLabel("ap-1"); err != nil {
		t.Error(err)
	}
}
