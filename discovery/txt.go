package discovery

import (
	"errors"
	"fmt"
	"strings"
)

// TXT limits. A TXT string holds at most 255 bytes on the wire
// (RFC 1035). RFC 6763 §6.2 calls records above 1300 bytes NOT
// RECOMMENDED, so that is what we advertise at most; what we accept is
// looser but bounded, since it comes from anyone on the link.
const (
	maxTXTString   = 255  // bytes in one key=value string
	maxTXTAdvert   = 1300 // total bytes (length octets included) we send
	maxTXTAccepted = 4096 // total bytes we parse
	maxTXTStrings  = 64   // strings we parse
)

// ErrTXT reports a TXT record beyond the limits above, or one we refuse
// to advertise.
var ErrTXT = errors.New("bad TXT record")

// TXT keys of the spec (R-DIS.9–11a) and of the mesh.
const (
	keyPath    = "path"
	keyName    = "name"
	keyEncrypt = "encrypt"
	keyCluster = "cluster"
	keyGossip  = "gossip"
)

// parseTXT decodes the raw strings of a DNS-SD TXT record (RFC 6763
// §6): "key=value" sets key; "key" alone is a boolean attribute, present
// with an empty value; keys are case-insensitive and returned
// lower-cased; the first occurrence of a key wins; the empty string, a
// string starting with '=' and a key with a byte outside printable ASCII
// are skipped (§6.4). Values are arbitrary bytes. It fails only when the
// record exceeds the limits: more than 64 strings, a string over 255
// bytes, or more than 4096 bytes in all.
func parseTXT(txt []string) (map[string]string, error) {
	if len(txt) > maxTXTStrings {
		return nil, fmt.Errorf("%w: %d strings, more than %d", ErrTXT, len(txt), maxTXTStrings)
	}
	total := 0
	for _, s := range txt {
		if len(s) > maxTXTString {
			return nil, fmt.Errorf("%w: a %d-byte string", ErrTXT, len(s))
		}
		total += 1 + len(s)
	}
	if total > maxTXTAccepted {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrTXT, total, maxTXTAccepted)
	}
	m := make(map[string]string, len(txt))
	for _, s := range txt {
		key, value, _ := strings.Cut(s, "=")
		if key == "" || !printableASCII(key) {
			continue
		}
		key = strings.ToLower(key)
		if _, seen := m[key]; !seen {
			m[key] = value
		}
	}
	return m, nil
}

// unescapeTXT turns one TXT string of a zeroconf.ServiceEntry, which is
// in miekg/dns presentation format (\" \\ and \DDD for bytes outside
// printable ASCII), back into its raw bytes.
func unescapeTXT(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c != '\\':
			b = append(b, c)
		case i+1 == len(s):
			return "", fmt.Errorf("%w: dangling backslash", ErrTXT)
		case i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]):
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v > 255 {
				return "", fmt.Errorf("%w: escape \\%s", ErrTXT, s[i+1:i+4])
			}
			b = append(b, byte(v))
			i += 3
		default:
			b = append(b, s[i+1])
			i++
		}
	}
	return string(b), nil
}

// escapeTXT writes a raw TXT string in the presentation format
// miekg/dns packs: it reads "\X" as X and "\DDD" as a byte, so
// backslashes, quotes and non-printable bytes must be escaped.
func escapeTXT(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, `\%03d`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// checkTXTKey reports whether key can be advertised: 1–9 printable
// ASCII characters other than '=' (RFC 6763 §6.4 asks for at most nine).
func checkTXTKey(key string) error {
	if key == "" || len(key) > 9 || !printableASCII(key) || strings.Contains(key, "=") {
		return fmt.Errorf("%w: key %q must be 1-9 printable ASCII characters without '='", ErrTXT, key)
	}
	return nil
}

// buildTXT checks raw key=value strings against the advertising limits
// and returns them escaped for zeroconf.
func buildTXT(raw []string) ([]string, error) {
	total := 0
	out := make([]string, 0, len(raw))
	for _, s := range raw {
		if len(s) > maxTXTString {
			return nil, fmt.Errorf("%w: %q is %d bytes, more than %d", ErrTXT, s[:16]+"...", len(s), maxTXTString)
		}
		total += 1 + len(s)
		out = append(out, escapeTXT(s))
	}
	if total > maxTXTAdvert {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrTXT, total, maxTXTAdvert)
	}
	return out, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
