package coap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// uspURI is a parsed coap:// or coaps:// USP URI.
type uspURI struct {
	secure bool
	host   string // as written: an IP literal or a DNS name
	port   uint16
	path   string // without the leading slash
}

// parseURI parses a USP CoAP URI (coap[s]://host[:port]/path). A missing
// port is 5683 (coap) or 5684 (coaps).
func parseURI(s string) (uspURI, error) {
	u, err := url.Parse(s)
	if err != nil {
		return uspURI{}, fmt.Errorf("coap: bad URI %q: %w", s, err)
	}
	var r uspURI
	switch u.Scheme {
	case "coap":
		r.port = DefaultPortNoSec
	case "coaps":
		r.secure, r.port = true, DefaultPortDTLS
	default:
		return uspURI{}, fmt.Errorf("coap: bad URI %q: scheme must be coap or coaps", s)
	}
	if u.User != nil || u.Fragment != "" || u.RawQuery != "" || u.Opaque != "" {
		return uspURI{}, fmt.Errorf("coap: bad URI %q: only host, port and path allowed", s)
	}
	r.host = u.Hostname()
	if r.host == "" {
		return uspURI{}, fmt.Errorf("coap: bad URI %q: no host", s)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return uspURI{}, fmt.Errorf("coap: bad URI %q: bad port", s)
		}
		r.port = uint16(n)
	}
	r.path = strings.Trim(u.Path, "/")
	return r, nil
}

// scheme returns "coaps" or "coap".
func scheme(secure bool) string {
	if secure {
		return "coaps"
	}
	return "coap"
}

// formatURI builds scheme://ip:port/path with the IP in URI syntax
// (brackets for IPv6, "%25" before a zone).
func formatURI(secure bool, ip netip.Addr, port uint16, path string) string {
	host := ip.String()
	if ip.Is6() {
		if z := ip.Zone(); z != "" {
			host = ip.WithZone("").String() + "%25" + z
		}
		host = "[" + host + "]"
	}
	return scheme(secure) + "://" + host + ":" + strconv.Itoa(int(port)) + "/" + path
}

// resolve returns the address to send to: the host as an IP literal, or
// its first address from DNS.
func (u uspURI) resolve(ctx context.Context) (netip.AddrPort, error) {
	if ip, err := netip.ParseAddr(u.host); err == nil {
		return netip.AddrPortFrom(ip.Unmap(), u.port), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("coap: resolve %s: %w", u.host, err)
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("coap: resolve %s: no address", u.host)
	}
	return netip.AddrPortFrom(ips[0].Unmap(), u.port), nil
}

// checkReplyTo validates a request's reply-to URI against the datagram's
// source and returns it normalized (explicit port, IP literal). The host
// must be an IP literal equal to the source IP: a DNS name is refused
// rather than resolved, so that a request never makes the server query
// DNS. The scheme must match ours: a DTLS endpoint never answers in clear
// text, nor a NoSec one over DTLS.
func checkReplyTo(raw string, src netip.AddrPort, secure bool) (string, error) {
	u, err := parseURI(raw)
	if err != nil {
		return "", err
	}
	if u.secure != secure {
		return "", fmt.Errorf("coap: reply-to scheme must be %s", scheme(secure))
	}
	ip, err := netip.ParseAddr(u.host)
	if err != nil {
		return "", errors.New("coap: reply-to host must be an IP literal")
	}
	if ip.WithZone("").Unmap() != src.Addr().WithZone("").Unmap() {
		return "", fmt.Errorf("coap: reply-to host %s is not the source %s", ip, src.Addr())
	}
	return formatURI(secure, ip.Unmap(), u.port, u.path), nil
}
