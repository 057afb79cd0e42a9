package discovery

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// linkState is the part of the host's network configuration that a
// registration depends on: the interfaces the responder listens on and
// the addresses it advertises.
type linkState struct {
	ifaces  []net.Interface
	addrs   []netip.Addr
	missing []string // configured interface names not usable now
}

// key summarises s for change detection: interface indexes and names,
// then addresses.
func (s linkState) key() string {
	var b strings.Builder
	for _, ifi := range s.ifaces {
		fmt.Fprintf(&b, "%d:%s,", ifi.Index, ifi.Name)
	}
	b.WriteByte('|')
	for _, a := range s.addrs {
		b.WriteString(a.String())
		b.WriteByte(',')
	}
	return b.String()
}

// ipStrings returns the addresses in the form RegisterProxy parses.
func (s linkState) ipStrings() []string {
	out := make([]string, len(s.addrs))
	for i, a := range s.addrs {
		out[i] = a.String()
	}
	return out
}

// readLinkState selects the interfaces to use and their addresses. With
// no names it takes every interface that is up and multicast-capable,
// except loopback; with names, those of them that exist and are up and
// multicast-capable (the others are listed in missing: they may appear
// later, e.g. a bridge created after us).
func readLinkState(names []string) (linkState, error) {
	all, err := net.Interfaces()
	if err != nil {
		return linkState{}, fmt.Errorf("discovery: list interfaces: %w", err)
	}
	var s linkState
	usable := func(ifi net.Interface) bool {
		return ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagMulticast != 0 &&
			ifi.Flags&net.FlagLoopback == 0
	}
	if len(names) == 0 {
		for _, ifi := range all {
			if usable(ifi) {
				s.ifaces = append(s.ifaces, ifi)
			}
		}
	} else {
		for _, name := range names {
			i := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Name == name })
			if i < 0 || !usable(all[i]) {
				s.missing = append(s.missing, name)
				continue
			}
			s.ifaces = append(s.ifaces, all[i])
		}
	}
	for _, ifi := range s.ifaces {
		s.addrs = append(s.addrs, interfaceAddrs(ifi)...)
	}
	slices.SortFunc(s.addrs, netip.Addr.Compare)
	s.addrs = slices.Compact(s.addrs)
	return s, nil
}

// interfaceAddrs returns the addresses of ifi worth advertising: every
// IPv4 unicast address, and its global or unique-local IPv6 addresses;
// IPv6 link-local ones only when it has no other IPv6 address (as
// zeroconf's own Register does), since a peer cannot use them without
// knowing the interface.
func interfaceAddrs(ifi net.Interface) []netip.Addr {
	list, err := ifi.Addrs()
	if err != nil {
		return nil
	}
	var v4, v6, v6ll []netip.Addr
	for _, a := range list {
		ipnet, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipnet.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		switch {
		case ip.IsLoopback() || ip.IsMulticast() || ip.IsUnspecified():
		case ip.Is4():
			v4 = append(v4, ip)
		case ip.IsLinkLocalUnicast():
			v6ll = append(v6ll, ip)
		case ip.IsGlobalUnicast():
			v6 = append(v6, ip)
		}
	}
	if len(v6) == 0 {
		v6 = v6ll
	}
	return append(v4, v6...)
}
