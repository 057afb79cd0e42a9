package discovery

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grandcat/zeroconf"
)

// Peer is a USP endpoint seen on the link.
type Peer struct {
	// Kind is Agent or Controller, from the service type.
	Kind Kind
	// EndpointID is the unescaped instance name, a syntactically valid
	// Endpoint ID.
	EndpointID string
	// Addrs are the host's addresses from its A and AAAA records, sorted,
	// without duplicates, at most 16. IPv6 link-local addresses come
	// without a zone: the records do not say on which interface they were
	// heard.
	Addrs []netip.Addr
	// Port is the SRV port.
	Port int
	// Path is TXT "path", the CoAP resource path ("" when absent).
	Path string
	// Name is TXT "name", the Agent's friendly name ("" when absent).
	Name string
	// Encrypt is true when TXT has the key "encrypt": the endpoint
	// requires DTLS.
	Encrypt bool
	// Cluster is TXT "cluster", the mesh the peer belongs to.
	Cluster string
	// Gossip is TXT "gossip", the peer's memberlist port, or 0.
	Gossip int
	// Host is the SRV target in presentation format, e.g.
	// "os-00256d-ap1-0a1b2c3d.local.".
	Host string
	// LastSeen is when the Browser last received this peer's records.
	LastSeen time.Time
	// TXT holds every TXT attribute, keys lower-cased (see parseTXT).
	TXT map[string]string
}

// AddrPort returns the first address of p with its port, preferring
// IPv4 (whose addresses need no zone), or the zero AddrPort when p has
// no address.
func (p Peer) AddrPort() netip.AddrPort {
	for _, a := range p.Addrs {
		if a.Is4() {
			return netip.AddrPortFrom(a, uint16(p.Port))
		}
	}
	if len(p.Addrs) == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(p.Addrs[0], uint16(p.Port))
}

// URL returns the USP URI p advertises: coaps:// when it requires
// encryption, else coap://, at AddrPort and Path; "" when p has no
// address.
func (p Peer) URL() string {
	ap := p.AddrPort()
	if !ap.IsValid() {
		return ""
	}
	scheme := "coap"
	if p.Encrypt {
		scheme = "coaps"
	}
	return fmt.Sprintf("%s://%s/%s", scheme, ap, strings.TrimPrefix(p.Path, "/"))
}

// clone returns a deep copy of p, so that what the Browser hands out
// cannot alias its table.
func (p Peer) clone() Peer {
	p.Addrs = slices.Clone(p.Addrs)
	p.TXT = maps.Clone(p.TXT)
	return p
}

// sameRecords reports whether p and q advertise the same thing; it
// ignores LastSeen.
func (p Peer) sameRecords(q Peer) bool {
	return p.Kind == q.Kind && p.EndpointID == q.EndpointID && p.Port == q.Port &&
		p.Host == q.Host && slices.Equal(p.Addrs, q.Addrs) && maps.Equal(p.TXT, q.TXT)
}

// ErrEntry reports a DNS-SD entry that cannot be a peer.
var ErrEntry = errors.New("malformed DNS-SD entry")

const (
	maxAddrs = 16
	maxHost  = 255
)

// parseEntry turns what zeroconf resolved into a Peer (LastSeen unset).
// It fails on entries that are not ours to use: an unknown service type,
// an instance that is not one label holding an Endpoint ID, no port, no
// usable address, a TXT record over the limits, a bad gossip port.
func parseEntry(e *zeroconf.ServiceEntry) (Peer, error) {
	if e == nil {
		return Peer{}, fmt.Errorf("%w: nil", ErrEntry)
	}
	kind, ok := kindOfService(e.Service)
	if !ok {
		return Peer{}, fmt.Errorf("%w: service type %q", ErrEntry, e.Service)
	}
	id, err := unescapeInstance(e.Instance)
	if err != nil {
		return Peer{}, fmt.Errorf("%w: %w", ErrEntry, err)
	}
	if err := checkEndpointID(id); err != nil {
		return Peer{}, fmt.Errorf("%w: %w", ErrEntry, err)
	}
	if e.Port < 1 || e.Port > 65535 {
		return Peer{}, fmt.Errorf("%w: %s %q has port %d", ErrEntry, kind, id, e.Port)
	}
	if e.HostName == "" || len(e.HostName) > maxHost {
		return Peer{}, fmt.Errorf("%w: %s %q has a %d-byte host name", ErrEntry, kind, id, len(e.HostName))
	}
	addrs := entryAddrs(e)
	if len(addrs) == 0 {
		return Peer{}, fmt.Errorf("%w: %s %q has no usable address", ErrEntry, kind, id)
	}
	txt, err := entryTXT(e.Text)
	if err != nil {
		return Peer{}, fmt.Errorf("%w: %s %q: %w", ErrEntry, kind, id, err)
	}
	p := Peer{
		Kind: kind, EndpointID: id, Addrs: addrs, Port: e.Port, Host: e.HostName, TXT: txt,
		Path: txt[keyPath], Name: txt[keyName], Cluster: txt[keyCluster],
	}
	_, p.Encrypt = txt[keyEncrypt]
	if g, ok := txt[keyGossip]; ok {
		n, err := strconv.Atoi(g)
		if err != nil || n < 1 || n > 65535 {
			return Peer{}, fmt.Errorf("%w: %s %q has gossip port %q", ErrEntry, kind, id, g)
		}
		p.Gossip = n
	}
	return p, nil
}

// entryAddrs collects the usable addresses of e: sorted, unique, not
// unspecified, loopback or multicast, IPv4-mapped ones unmapped, at most
// maxAddrs.
func entryAddrs(e *zeroconf.ServiceEntry) []netip.Addr {
	var out []netip.Addr
	for _, ip := range slices.Concat(e.AddrIPv4, e.AddrIPv6) {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		a = a.Unmap()
		if a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	out = slices.Compact(out)
	if len(out) > maxAddrs {
		out = out[:maxAddrs]
	}
	return out
}

// entryTXT unescapes zeroconf's TXT strings and parses them.
func entryTXT(text []string) (map[string]string, error) {
	if len(text) > maxTXTStrings {
		return nil, fmt.Errorf("%w: %d strings, more than %d", ErrTXT, len(text), maxTXTStrings)
	}
	raw := make([]string, len(text))
	for i, s := range text {
		r, err := unescapeTXT(s)
		if err != nil {
			return nil, err
		}
		raw[i] = r
	}
	return parseTXT(raw)
}

// peerKey identifies a peer: the same Endpoint ID may be an Agent and a
// Controller (R-ARC.0).
type peerKey struct {
	kind Kind
	id   string
}
