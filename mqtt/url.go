package mqtt

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Default broker ports (IANA).
const (
	DefaultPort    = 1883
	DefaultTLSPort = 8883
)

// BrokerURL is a parsed broker address.
type BrokerURL struct {
	// Host is a DNS name or an IP literal (without brackets).
	Host string
	// Port is the TCP port.
	Port int
	// TLS says whether the connection is TLS.
	TLS bool
}

// Addr is the "host:port" form Config.Broker wants.
func (b BrokerURL) Addr() string {
	return net.JoinHostPort(b.Host, strconv.Itoa(b.Port))
}

// String is the URL form ParseBrokerURL reads back: mqtt:// or mqtts://.
func (b BrokerURL) String() string {
	scheme := "mqtt"
	if b.TLS {
		scheme = "mqtts"
	}
	return scheme + "://" + b.Addr()
}

// ParseBrokerURL reads a broker URL: "mqtt://host[:port]" (also "tcp://")
// for plain TCP, default port 1883, and "mqtts://host[:port]" (also "ssl://"
// and "tls://") for TLS, default port 8883. IPv6 literals go in brackets
// ("mqtt://[fd00::1]:1883"). User information, paths other than "/",
// queries and fragments are refused, as are WebSocket schemes.
func ParseBrokerURL(s string) (BrokerURL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL: %w", err)
	}
	var b BrokerURL
	switch strings.ToLower(u.Scheme) {
	case "mqtt", "tcp":
		b.Port = DefaultPort
	case "mqtts", "ssl", "tls":
		b.TLS, b.Port = true, DefaultTLSPort
	case "":
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: no scheme; want mqtt:// or mqtts://", s)
	case "ws", "wss":
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: MQTT over WebSocket is not supported", s)
	default:
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: unknown scheme %q; want mqtt:// or mqtts://", s, u.Scheme)
	}
	switch {
	case u.Opaque != "":
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: want scheme://host[:port]", s)
	case u.User != nil:
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: user information is not allowed (use Config.Username)", s)
	case u.Path != "" && u.Path != "/":
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: a path is not allowed", s)
	case u.RawQuery != "" || u.ForceQuery:
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: a query is not allowed", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: a fragment is not allowed", s)
	}
	b.Host = u.Hostname()
	if b.Host == "" {
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: no host", s)
	}
	if strings.ContainsAny(b.Host, "%[]") {
		if ip := net.ParseIP(b.Host); ip == nil {
			return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: bad host %q", s, b.Host)
		}
	}
	if strings.Contains(b.Host, ":") && net.ParseIP(b.Host) == nil {
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: bad IPv6 literal %q", s, b.Host)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: port %q: want 1-65535", s, p)
		}
		b.Port = int(n)
	} else if strings.HasSuffix(u.Host, ":") {
		return BrokerURL{}, fmt.Errorf("mqtt: broker URL %q: empty port", s)
	}
	return b, nil
}
