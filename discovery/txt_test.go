package discovery

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestParseTXT(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want map[string]string
	}{
		{"spec keys", []string{"path=/usp", "name=AP 1", "encrypt"},
			map[string]string{"path": "/usp", "name": "AP 1", "encrypt": ""}},
		{"keys are case-insensitive, first wins", []string{"Path=/a", "PATH=/b", "path=/c"},
			map[string]string{"path": "/a"}},
		{"flag then value: the flag wins", []string{"encrypt", "encrypt=no"},
			map[string]string{"encrypt": ""}},
		{"empty value differs from absent", []string{"name="}, map[string]string{"name": ""}},
		{"value keeps '=' and bytes", []string{"k=a=b", "bin=\x00\xff"},
			map[string]string{"k": "a=b", "bin": "\x00\xff"}},
		{"skipped: empty, no key, non-printable key", []string{"", "=x", "k\x01=v", "ké=v", "ok=1"},
			map[string]string{"ok": "1"}},
		{"space is printable", []string{"a key=v"}, map[string]string{"a key": "v"}},
		{"nothing", nil, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTXT(tc.in)
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("parseTXT(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseTXTLimits(t *testing.T) {
	long := strings.Repeat("v", maxTXTString-2)
	for _, tc := range []struct {
		name string
		in   []string
		ok   bool
	}{
		{"255-byte string", []string{"k=" + long[:maxTXTString-2]}, true},
		{"256-byte string", []string{"k=" + long + "v"}, false},
		{"64 strings", make([]string, maxTXTStrings), true},
		{"65 strings", make([]string, maxTXTStrings+1), false},
		{"16 x 256 bytes", repeat("k="+long, 16), true},
		{"17 x 256 bytes", repeat("k="+long, 17), false},
	} {
		_, err := parseTXT(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrTXT) {
			t.Errorf("%s: %v is not ErrTXT", tc.name, err)
		}
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestUnescapeTXT(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"plain", "plain", true},
		{`a\"b`, `a"b`, true},
		{`a\\b`, `a\b`, true},
		{`\000\255`, "\x00\xff", true},
		{`\x`, "x", true},
		{`a\`, "", false},
		{`\256`, "", false},
	} {
		got, err := unescapeTXT(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("unescapeTXT(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestTXTThroughMiekg sends every byte value through escapeTXT, a packed
// and unpacked TXT record, and unescapeTXT.
func TestTXTThroughMiekg(t *testing.T) {
	var all []byte
	for b := range 256 {
		all = append(all, byte(b))
	}
	raws := []string{"path=/usp", `k=a\b"c`, string(all[:128]), string(all[128:]), ""}
	escaped := make([]string, len(raws))
	for i, r := range raws {
		escaped[i] = escapeTXT(r)
	}
	msg := new(dns.Msg)
	msg.Answer = []dns.RR{&dns.TXT{
		Hdr: dns.RR_Header{Name: "x.local.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1}, Txt: escaped}}
	wire, err := msg.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var got dns.Msg
	if err := got.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	txt := got.Answer[0].(*dns.TXT).Txt
	if len(txt) != len(raws) {
		t.Fatalf("%d strings back, want %d", len(txt), len(raws))
	}
	for i, s := range txt {
		back, err := unescapeTXT(s)
		if err != nil || back != raws[i] {
			t.Errorf("string %d: sent %q, received %q, unescaped %q, %v", i, raws[i], s, back, err)
		}
	}
}
