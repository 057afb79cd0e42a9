package discovery

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Kind says which USP role a DNS-SD service stands for.
type Kind uint8

const (
	// Agent is a USP Agent, service type "_usp-agt-coap._udp".
	Agent Kind = iota + 1
	// Controller is a USP Controller, service type "_usp-ctr-coap._udp".
	Controller
	// AgentWebSocket is a USP Agent's WebSocket server, service type
	// "_usp-agt-ws._tcp"; Port and Path are the server's.
	AgentWebSocket
)

// kinds lists every Kind, in the order Browse starts them.
var kinds = []Kind{Agent, Controller, AgentWebSocket}

// ServiceType returns the DNS-SD service type of k (TR-369 §"DNS-SD"),
// or "" for an invalid Kind.
func (k Kind) ServiceType() string {
	switch k {
	case Agent:
		return "_usp-agt-coap._udp"
	case Controller:
		return "_usp-ctr-coap._udp"
	case AgentWebSocket:
		return "_usp-agt-ws._tcp"
	}
	return ""
}

// String returns "agent", "controller" or "kind(N)".
func (k Kind) String() string {
	switch k {
	case Agent:
		return "agent"
	case Controller:
		return "controller"
	case AgentWebSocket:
		return "agent-ws"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// kindOfService maps a service type, with or without a final dot and in
// any case, back to its Kind.
func kindOfService(service string) (Kind, bool) {
	service = strings.TrimSuffix(service, ".")
	for _, k := range kinds {
		if strings.EqualFold(service, k.ServiceType()) {
			return k, true
		}
	}
	return 0, false
}

// Service is one USP endpoint to advertise.
type Service struct {
	// Kind picks the service type: Agent, Controller or AgentWebSocket.
	Kind Kind
	// EndpointID is the instance name. It must be an Endpoint ID that fits
	// in a 63-byte DNS label; dots in it are escaped on the wire.
	EndpointID string
	// Port is the CoAP (or CoAP/DTLS) port, 1–65535.
	Port int
	// Path is the CoAP resource path, TXT "path" (R-DIS.9/.11); required.
	Path string
	// FriendlyName is TXT "name" (R-DIS.10), sent for Agents only, and
	// only when not empty.
	FriendlyName string
	// Encrypt adds the valueless TXT key "encrypt": the MTP requires DTLS
	// (R-DIS.11a).
	Encrypt bool
	// Cluster is TXT "cluster=<id>", the mesh this node belongs to;
	// omitted when empty.
	Cluster string
	// Gossip is TXT "gossip=<port>", the memberlist port; 0 omits it.
	Gossip int
	// Extra holds further TXT keys, sent as key=value in key order. A key
	// must be 1–9 printable ASCII characters other than '=' and must not be
	// one of the keys above (in any case).
	Extra map[string]string
}

// ServiceError reports a Service that cannot be advertised. Err is one
// of ErrLabelTooLong, ErrEndpointID, ErrTXT or ErrService.
type ServiceError struct {
	Kind       Kind
	EndpointID string
	Err        error
}

// ErrService reports a Service field out of range (kind, port, path,
// gossip port, duplicate).
var ErrService = errors.New("bad service")

// Error implements error.
func (e *ServiceError) Error() string {
	return fmt.Sprintf("discovery: %s %q: %v", e.Kind, e.EndpointID, e.Err)
}

// Unwrap returns Err.
func (e *ServiceError) Unwrap() error { return e.Err }

// registration is a Service checked and encoded for zeroconf.
type registration struct {
	kind     Kind
	id       string
	instance string   // escaped instance label
	txt      []string // escaped TXT strings
	port     int
}

// prepare checks s and encodes it for RegisterProxy.
func (s Service) prepare() (registration, error) {
	fail := func(err error) (registration, error) {
		return registration{}, &ServiceError{Kind: s.Kind, EndpointID: s.EndpointID, Err: err}
	}
	if s.Kind.ServiceType() == "" {
		return fail(fmt.Errorf("%w: unknown kind %d", ErrService, s.Kind))
	}
	if err := checkEndpointID(s.EndpointID); err != nil {
		return fail(err)
	}
	instance, err := escapeInstance(s.EndpointID)
	if err != nil {
		return fail(err)
	}
	if s.Port < 1 || s.Port > 65535 {
		return fail(fmt.Errorf("%w: port %d", ErrService, s.Port))
	}
	if s.Gossip < 0 || s.Gossip > 65535 {
		return fail(fmt.Errorf("%w: gossip port %d", ErrService, s.Gossip))
	}
	if s.Path == "" {
		return fail(fmt.Errorf("%w: empty path (TXT path is required, R-DIS.9)", ErrService))
	}
	raw, err := s.txtStrings()
	if err != nil {
		return fail(err)
	}
	txt, err := buildTXT(raw)
	if err != nil {
		return fail(err)
	}
	return registration{kind: s.Kind, id: s.EndpointID, instance: instance, txt: txt, port: s.Port}, nil
}

// txtStrings returns the raw TXT strings of s: path, name (Agents),
// encrypt, cluster, gossip, then Extra in key order.
func (s Service) txtStrings() ([]string, error) {
	txt := []string{keyPath + "=" + s.Path}
	if s.Kind != Controller && s.FriendlyName != "" {
		txt = append(txt, keyName+"="+s.FriendlyName)
	}
	if s.Encrypt {
		txt = append(txt, keyEncrypt)
	}
	if s.Cluster != "" {
		txt = append(txt, keyCluster+"="+s.Cluster)
	}
	if s.Gossip != 0 {
		txt = append(txt, keyGossip+"="+strconv.Itoa(s.Gossip))
	}
	seen := make(map[string]bool, len(s.Extra))
	for _, k := range slices.Sorted(maps.Keys(s.Extra)) {
		if err := checkTXTKey(k); err != nil {
			return nil, err
		}
		lower := strings.ToLower(k)
		switch lower {
		case keyPath, keyName, keyEncrypt, keyCluster, keyGossip:
			return nil, fmt.Errorf("%w: Extra key %q is reserved", ErrTXT, k)
		}
		if seen[lower] {
			return nil, fmt.Errorf("%w: Extra keys differ only in case: %q", ErrTXT, k)
		}
		seen[lower] = true
		txt = append(txt, k+"="+s.Extra[k])
	}
	return txt, nil
}
