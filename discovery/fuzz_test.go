package discovery

import (
	"bytes"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/grandcat/zeroconf"
)

// txtStrings decodes TXT RDATA (a sequence of length-prefixed strings)
// the way a DNS decoder would; a truncated last string is cut short.
func txtStrings(rdata []byte) []string {
	var out []string
	for len(rdata) > 0 {
		n := int(rdata[0])
		rdata = rdata[1:]
		n = min(n, len(rdata))
		out = append(out, string(rdata[:n]))
		rdata = rdata[n:]
	}
	return out
}

func txtRDATA(strs ...string) []byte {
	var b bytes.Buffer
	for _, s := range strs {
		b.WriteByte(byte(len(s)))
		b.WriteString(s)
	}
	return b.Bytes()
}

// The fuzz targets ignore inputs longer than what they need to reach
// every branch: the engine minimises each new input in O(n²) runs, and
// spends whole minutes on kilobyte-long ones.

// FuzzParseTXT feeds parseTXT the strings of TXT RDATA, repeated up to 64
// times so that the size limits are within reach of small inputs.
func FuzzParseTXT(f *testing.F) {
	f.Add(txtRDATA("path=/usp", "name=AP 1", "encrypt", "cluster=c1", "gossip=7946"), uint8(0))
	f.Add(txtRDATA("", "=x", "K=1", "k=2", "bin=\x00\xff"), uint8(1))
	f.Add(txtRDATA(strings.Repeat("a", 255)), uint8(16))
	f.Fuzz(func(t *testing.T, rdata []byte, repeat uint8) {
		if len(rdata) > 300 {
			return
		}
		var strs []string
		for range int(repeat%64) + 1 {
			strs = append(strs, txtStrings(rdata)...)
		}
		m, err := parseTXT(strs)
		if err != nil {
			return
		}
		if len(m) > len(strs) {
			t.Fatalf("%d keys from %d strings", len(m), len(strs))
		}
		first := map[string]string{}
		for _, s := range strs {
			k, v, _ := strings.Cut(s, "=")
			if k == "" || !printableASCII(k) {
				continue
			}
			if _, ok := first[strings.ToLower(k)]; !ok {
				first[strings.ToLower(k)] = v
			}
		}
		for k, v := range m {
			if k == "" || k != strings.ToLower(k) || !printableASCII(k) || strings.Contains(k, "=") {
				t.Fatalf("bad key %q", k)
			}
			if first[k] != v {
				t.Fatalf("m[%q] = %q, first occurrence %q", k, v, first[k])
			}
		}
		if len(m) != len(first) {
			t.Fatalf("%d keys, want %d", len(m), len(first))
		}
	})
}

// fuzzAddrs turns bytes into addresses: a chunk starting with an even byte
// is an IPv4 address (4 bytes), otherwise IPv6 (16 bytes).
func fuzzAddrs(b []byte) (v4, v6 []net.IP) {
	for len(b) > 0 {
		if b[0]%2 == 0 {
			n := min(5, len(b))
			v4 = append(v4, net.IP(slices.Clone(b[1:n])))
			b = b[n:]
		} else {
			n := min(17, len(b))
			v6 = append(v6, net.IP(slices.Clone(b[1:n])))
			b = b[n:]
		}
	}
	return v4, v6
}

func FuzzParseEntry(f *testing.F) {
	f.Add(uint8(0), `os::00256D-ap1\.lab`, "h.local.", 5684,
		txtRDATA("path=/usp", `name=AP\0321`, "encrypt", "gossip=7946"),
		[]byte{0, 169, 254, 10, 1, 1, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add(uint8(1), `self::ctrl\`, "h.local.", 1, txtRDATA(`path=\`), []byte{0, 10, 0, 0, 1})
	f.Add(uint8(2), `a.b`, "", 0, []byte{}, []byte{})
	f.Add(uint8(0), `os::a\256`, "h", 70000, txtRDATA("gossip=x"), []byte{1})
	f.Fuzz(func(t *testing.T, svc uint8, instance, host string, port int, rdata, addrs []byte) {
		if len(instance) > 200 || len(host) > 300 || len(rdata) > 600 || len(addrs) > 300 {
			return
		}
		service := []string{Agent.ServiceType(), Controller.ServiceType(), "_usp-agt-coap._udp.", "_x._tcp"}[svc%4]
		e := zeroconf.NewServiceEntry(instance, service, "local.")
		e.HostName, e.Port, e.Text = host, port, txtStrings(rdata)
		e.AddrIPv4, e.AddrIPv6 = fuzzAddrs(addrs)
		p, err := parseEntry(e)
		if err != nil {
			return
		}
		if p.Kind != Agent && p.Kind != Controller {
			t.Fatalf("kind %v", p.Kind)
		}
		if err := checkEndpointID(p.EndpointID); err != nil {
			t.Fatalf("accepted Endpoint ID %q: %v", p.EndpointID, err)
		}
		if p.Port < 1 || p.Port > 65535 || p.Gossip < 0 || p.Gossip > 65535 {
			t.Fatalf("port %d gossip %d", p.Port, p.Gossip)
		}
		if len(p.Addrs) == 0 || len(p.Addrs) > maxAddrs {
			t.Fatalf("%d addresses", len(p.Addrs))
		}
		for i, a := range p.Addrs {
			if !a.IsValid() || a.Is4In6() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() ||
				(i > 0 && p.Addrs[i-1].Compare(a) >= 0) {
				t.Fatalf("addresses %v", p.Addrs)
			}
		}
		if len(p.TXT) > maxTXTStrings {
			t.Fatalf("%d TXT keys", len(p.TXT))
		}
		// What we accept, we can advertise under the same name.
		esc, err := escapeInstance(p.EndpointID)
		if err != nil {
			t.Fatalf("escapeInstance(%q): %v", p.EndpointID, err)
		}
		if back, err := unescapeInstance(esc); err != nil || back != p.EndpointID {
			t.Fatalf("round trip %q -> %q -> %q, %v", p.EndpointID, esc, back, err)
		}
	})
}

// FuzzInstanceRoundTrip sends any label through escapeInstance, zeroconf's
// name building, miekg/dns and back through unescapeInstance.
func FuzzInstanceRoundTrip(f *testing.F) {
	for _, s := range []string{"os::00256D-ap1.lab", "self::x.", ".a", `\`, "a b", "\x00", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 80 {
			return
		}
		esc, err := escapeInstance(raw)
		if err != nil {
			if raw != "" && len(raw) <= MaxLabel {
				t.Fatalf("escapeInstance(%q): %v", raw, err)
			}
			return
		}
		instance, labels := viaZeroconf(t, esc)
		if labels != 4 {
			t.Fatalf("%q: %d labels on the wire", raw, labels)
		}
		back, err := unescapeInstance(instance)
		if err != nil || back != raw {
			t.Fatalf("%q -> %q -> %q -> %q, %v", raw, esc, instance, back, err)
		}
	})
}

// TestFuzzHelpers keeps the decoders of the fuzz targets honest.
func TestFuzzHelpers(t *testing.T) {
	if got := txtStrings(txtRDATA("a", "", "bc")); !slices.Equal(got, []string{"a", "", "bc"}) {
		t.Errorf("txtStrings = %q", got)
	}
	v4, v6 := fuzzAddrs([]byte{0, 1, 2, 3, 4, 1, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9})
	if len(v4) != 1 || len(v6) != 1 || netip.MustParseAddr(v6[0].String()) != netip.MustParseAddr("fd00::9") {
		t.Errorf("fuzzAddrs = %v %v", v4, v6)
	}
}
