package election

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/hashicorp/memberlist"
)

// DefaultStartupWait is the start-up wait when Config.StartupWait is zero:
// long enough for mDNS discovery on a LAN to find the other nodes, short
// enough that five nodes booting together agree within 3 s.
const DefaultStartupWait = 1500 * time.Millisecond

// Config configures a Cluster. The zero value of each field means the
// documented default; Config is not changed after Start.
type Config struct {
	// Name is this node's name in the cluster: its Agent's Endpoint ID.
	// Required; at most 128 bytes.
	Name string
	// BindAddr is the IP address to listen on (UDP and TCP). Default
	// "0.0.0.0", all interfaces; AdvertiseAddr is then required.
	BindAddr string
	// BindPort is the port to listen on, UDP and TCP. Zero picks a free
	// port (the same for both) before memberlist starts, and that port is
	// advertised unless AdvertisePort is set.
	BindPort int
	// AdvertiseAddr is the IP address the other nodes reach this one at.
	// Default BindAddr, when that is a specific address.
	AdvertiseAddr string
	// AdvertisePort is the port the other nodes reach this one at.
	// Default the port bound.
	AdvertisePort int
	// SecretKey is the 32-byte AES-256-GCM key that encrypts and
	// authenticates all gossip, derived from the mesh secret by HKDF.
	// Required unless Insecure is set.
	SecretKey []byte
	// Insecure allows gossip in clear text, without SecretKey. For tests
	// only; it excludes SecretKey.
	Insecure bool
	// Label is carried on every packet and stream (authenticated data
	// under encryption); nodes with another label are ignored, e.g.
	// "uspmesh/<cluster id>". Default none; at most 255 bytes.
	Label string
	// Priority ranks this node when a new leader is chosen: higher wins;
	// negative never leads. Default 0.
	Priority int
	// Meta is what the node advertises about its USP endpoints. Encoded
	// with the election state, it must fit memberlist's 512-byte limit.
	Meta NodeMeta
	// Profile holds the failure-detector and loop timings. Default
	// DefaultProfile (field by field).
	Profile Profile
	// StartupWait is how long after Start this node waits before it
	// claims leadership when none is alive. Default DefaultStartupWait;
	// negative means no wait.
	StartupWait time.Duration
	// StateFile persists the highest (term, leader) followed, written
	// atomically before a new term is announced. Default none (kept in
	// memory only, so a restarted node forgets its fence). While it
	// cannot be written, the node withdraws from candidacy (see
	// LeaderChange.PersistErr).
	StateFile string
	// MinTerm is a term this node is known to have accepted already, kept
	// elsewhere (the node's own fence): when the state file holds a lower
	// term, or none (first start, or a corrupt file set aside), the node
	// starts from MinTerm, so it neither follows a lower claim nor claims
	// a term at or below it. Default 0.
	MinTerm uint64
	// Logger receives the cluster's logs and memberlist's own. Default
	// discard.
	Logger *slog.Logger

	// wrapTransport, set by tests in this package, wraps the network
	// transport (to count bytes or to partition the network).
	wrapTransport func(memberlist.NodeAwareTransport) memberlist.NodeAwareTransport
}

// withDefaults validates c and returns it with defaults applied.
func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		return c, errors.New("election: config: Name is required")
	}
	if len(c.Name) > maxNameLen {
		return c, fmt.Errorf("election: config: Name is %d bytes, limit %d", len(c.Name), maxNameLen)
	}
	switch {
	case c.Insecure && len(c.SecretKey) > 0:
		return c, errors.New("election: config: Insecure and SecretKey exclude each other")
	case !c.Insecure && len(c.SecretKey) != 32:
		return c, fmt.Errorf("election: config: SecretKey is %d bytes, want 32 (or set Insecure for tests)", len(c.SecretKey))
	}
	if len(c.Label) > memberlist.LabelMaxSize {
		return c, fmt.Errorf("election: config: Label is %d bytes, limit %d", len(c.Label), memberlist.LabelMaxSize)
	}
	if c.BindAddr == "" {
		c.BindAddr = "0.0.0.0"
	}
	bind, err := netip.ParseAddr(c.BindAddr)
	if err != nil {
		return c, fmt.Errorf("election: config: BindAddr: %w", err)
	}
	if c.AdvertiseAddr == "" {
		if bind.IsUnspecified() {
			return c, fmt.Errorf("election: config: AdvertiseAddr is required when binding %s", c.BindAddr)
		}
		c.AdvertiseAddr = c.BindAddr
	}
	if adv, err := netip.ParseAddr(c.AdvertiseAddr); err != nil || adv.IsUnspecified() {
		return c, fmt.Errorf("election: config: AdvertiseAddr %q is not a usable IP address", c.AdvertiseAddr)
	}
	if c.BindPort < 0 || c.BindPort > 65535 || c.AdvertisePort < 0 || c.AdvertisePort > 65535 {
		return c, errors.New("election: config: BindPort and AdvertisePort must be in 0..65535")
	}
	if n := len(encodeMeta(c.Name, wireMeta{Node: c.Meta})) + metaReserve; n > memberlist.MetaMaxSize {
		return c, fmt.Errorf("election: config: Meta needs %d bytes with the election state, limit %d", n, memberlist.MetaMaxSize)
	}
	if len(c.Meta.Capabilities) > maxCapabilities {
		return c, fmt.Errorf("election: config: %d capabilities, limit %d", len(c.Meta.Capabilities), maxCapabilities)
	}
	if c.StartupWait == 0 {
		c.StartupWait = DefaultStartupWait
	}
	c.Profile = c.Profile.withDefaults()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
