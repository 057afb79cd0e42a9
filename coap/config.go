package coap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"
)

// Role says which kind of USP Endpoint serves the resource; it picks the
// interface ("if") advertised in /.well-known/core (R-COAP.0/.1).
type Role int

const (
	// Agent advertises if="bbf.usp.a".
	Agent Role = iota
	// Controller advertises if="bbf.usp.c".
	Controller
)

// String returns the CoRE interface description of the role.
func (r Role) String() string {
	if r == Controller {
		return "bbf.usp.c"
	}
	return "bbf.usp.a"
}

func (r Role) title() string {
	if r == Controller {
		return "USP Controller"
	}
	return "USP Agent"
}

// PSK configures DTLS pre-shared-key mode (RFC 7925 PSK suites:
// TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_AES_128_GCM_SHA256).
type PSK struct {
	// Identity is our own Endpoint ID; our DTLS client sends it as its PSK
	// identity, and the peer reports it as the Record's authenticated
	// sender.
	Identity string
	// Key returns the key for a PSK identity. The server side asks it for
	// each client's identity (an error refuses the handshake); the client
	// side asks it for Identity. It may return one mesh-wide key.
	Key func(identity string) ([]byte, error)
	// PeerKey, when set, gives the client side the key for a session to
	// the USP URI to, meant for the Endpoint ID peer (the one the sender
	// named with WithPeer, "" when it did not), instead of Key(Identity):
	// an endpoint that shares one key with some peers and another with
	// others picks by the identity it means to reach, never by address.
	PeerKey func(to, peer string) ([]byte, error)
}

// CertConfig configures DTLS certificate mode (R-COAP.14–16): ECDSA
// certificates, both sides present one and verify the other's chain
// against Roots. A peer's identity is the Endpoint ID in its certificate's
// URI SAN "urn:bbf:usp:id:<EndpointID>"; a client certificate without one
// is refused.
type CertConfig struct {
	// Certificate is our certificate chain and private key, presented both
	// as DTLS server and as DTLS client.
	Certificate tls.Certificate
	// Roots is the trust store that peers' certificates must chain to.
	Roots *x509.CertPool
	// VerifyServer, when set, is asked after each handshake our client
	// makes: to is the peer's USP URI as given to Send, endpointID the
	// Endpoint ID in the server's certificate ("" when it has none). An
	// error refuses the session. Nil accepts any trusted certificate.
	VerifyServer func(to, endpointID string) error
}

// Config configures an Endpoint. The zero value of every field means the
// documented default; Config is not changed after Listen.
type Config struct {
	// Listen is the UDP address to serve on, e.g. "127.0.0.1:5684";
	// ":0" picks a port. Default ":5684" (DTLS) or ":5683" (Insecure).
	Listen string
	// Path is the USP resource path, without a leading slash ("usp" is
	// served at /usp; "a/b" at /a/b). Default "usp".
	Path string
	// Role picks the interface advertised in /.well-known/core. Default
	// Agent.
	Role Role
	// Insecure selects NoSec (plain UDP, coap://). It must be explicit:
	// without it exactly one of PSK and Cert must be set.
	Insecure bool
	// PSK selects DTLS pre-shared-key mode.
	PSK *PSK
	// Cert selects DTLS certificate mode.
	Cert *CertConfig

	// MaxSessions bounds the DTLS sessions (or NoSec peer states) we serve,
	// and separately the client sessions we keep open. At the bound the
	// least recently active one is closed. Default 64.
	MaxSessions int
	// MaxPendingHandshakes bounds inbound DTLS handshakes in progress; a
	// new ClientHello beyond it evicts the oldest pending handshake of the
	// source address with the most pending. One address may hold a
	// quarter of it (at least one); beyond that its new ClientHello evicts
	// its own oldest. Default 16.
	MaxPendingHandshakes int
	// MaxHandshakesPerSecond bounds the rate of inbound handshakes started
	// by addresses that are not Known (token bucket, burst of the same
	// size); one address, Known or not, may start a quarter of it (at
	// least one a second). ClientHellos beyond it are dropped and the
	// client retransmits. Default 20.
	MaxHandshakesPerSecond int
	// Known, when set, tells whether a DTLS client's source address is
	// one we expect (a node passes "a mesh member or a configured
	// Controller address"). Handshakes from known addresses are not
	// counted against MaxHandshakesPerSecond and are evicted from the
	// pending ones only for other known ones, so that others' load never
	// refuses them; each address keeps its own share of the limits. It is
	// called for each ClientHello, on the socket's read loop: it must be
	// quick and safe for concurrent use. Nil knows no address.
	Known func(addr netip.Addr) bool
	// HandshakeTimeout bounds one DTLS handshake, in and out. Default 10s.
	HandshakeTimeout time.Duration
	// MaxInflight bounds the CON requests one client session has in
	// flight (RFC 7252 NSTART); further Sends wait. Default 32 (our
	// server queues up to 64 datagrams per session).
	MaxInflight int
	// MaxInflightTotal bounds the CON requests in flight over all client
	// sessions. Default 256.
	MaxInflightTotal int
	// MaxRecordSize caps the Record we accept (Size1 or reassembled size
	// beyond it: 4.13) and send. Default 1 MiB.
	MaxRecordSize int
	// MaxReassemblyBytes caps the memory of all Block1 reassemblies in
	// progress together. The transfers of one source address hold at most
	// a quarter of it (but at least MaxRecordSize); beyond that a new one
	// displaces the address's oldest, and beyond the cap the oldest of the
	// address holding the most. A displaced transfer's next block gets
	// 4.08. Default 4 MiB.
	MaxReassemblyBytes int
	// ReassemblyTimeout drops a Block1 transfer with no new block for
	// this long. Default 60s.
	ReassemblyTimeout time.Duration
	// KeepAlive is the idle time after which a client session is probed
	// with a CoAP ping (empty CON, answered by RST); a session whose ping
	// fails is closed. Negative disables. Default 30s.
	KeepAlive time.Duration
	// IdleTimeout closes a server session (or forgets a NoSec peer) that
	// has received nothing for this long; keep it above the peers'
	// KeepAlive. Default 5m.
	IdleTimeout time.Duration
	// ACKTimeout is RFC 7252 ACK_TIMEOUT; the first retransmission waits
	// ACKTimeout × a random factor in [1, ACKRandomFactor), doubling for
	// each retransmission. Default 2s.
	ACKTimeout time.Duration
	// ACKRandomFactor is RFC 7252 ACK_RANDOM_FACTOR. Default 1.5.
	ACKRandomFactor float64
	// MaxRetransmit is RFC 7252 MAX_RETRANSMIT; negative means none.
	// Default 4.
	MaxRetransmit int
	// SendTimeout bounds one Send as a whole (dial, all blocks,
	// retransmissions), on top of its context. Default 2m.
	SendTimeout time.Duration

	// Logger receives the logs (refused handshakes at info, once a minute
	// per source address; the rest at debug); nil discards them.
	Logger *slog.Logger
}

// Defaults of Config's fields.
const (
	DefaultPortDTLS             = 5684
	DefaultPortNoSec            = 5683
	DefaultPath                 = "usp"
	DefaultMaxSessions          = 64
	DefaultMaxPendingHandshakes = 16
	DefaultHandshakesPerSecond  = 20
	DefaultHandshakeTimeout     = 10 * time.Second
	DefaultMaxInflight          = 32
	DefaultMaxInflightTotal     = 256
	DefaultMaxRecordSize        = 1 << 20
	DefaultMaxReassemblyBytes   = 4 << 20
	DefaultReassemblyTimeout    = 60 * time.Second
	DefaultKeepAlive            = 30 * time.Second
	DefaultIdleTimeout          = 5 * time.Minute
	DefaultACKTimeout           = 2 * time.Second
	DefaultACKRandomFactor      = 1.5
	DefaultMaxRetransmit        = 4
	DefaultSendTimeout          = 2 * time.Minute
)

// DefaultConfig returns a Config with every default spelled out and no
// security mode chosen: set PSK, Cert or Insecure.
func DefaultConfig() Config {
	return Config{
		Listen:                 fmt.Sprintf(":%d", DefaultPortDTLS),
		Path:                   DefaultPath,
		MaxSessions:            DefaultMaxSessions,
		MaxPendingHandshakes:   DefaultMaxPendingHandshakes,
		MaxHandshakesPerSecond: DefaultHandshakesPerSecond,
		HandshakeTimeout:       DefaultHandshakeTimeout,
		MaxInflight:            DefaultMaxInflight,
		MaxInflightTotal:       DefaultMaxInflightTotal,
		MaxRecordSize:          DefaultMaxRecordSize,
		MaxReassemblyBytes:     DefaultMaxReassemblyBytes,
		ReassemblyTimeout:      DefaultReassemblyTimeout,
		KeepAlive:              DefaultKeepAlive,
		IdleTimeout:            DefaultIdleTimeout,
		ACKTimeout:             DefaultACKTimeout,
		ACKRandomFactor:        DefaultACKRandomFactor,
		MaxRetransmit:          DefaultMaxRetransmit,
		SendTimeout:            DefaultSendTimeout,
	}
}

// TestConfig returns DefaultConfig on 127.0.0.1 with a kernel-chosen port
// and fast timers, for tests on loopback.
func TestConfig() Config {
	c := DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.HandshakeTimeout = 3 * time.Second
	c.ACKTimeout = 500 * time.Millisecond
	c.KeepAlive = 2 * time.Second
	c.IdleTimeout = 10 * time.Second
	c.ReassemblyTimeout = 5 * time.Second
	c.SendTimeout = 30 * time.Second
	return c
}

// withDefaults checks cfg and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	modes := 0
	for _, set := range []bool{c.Insecure, c.PSK != nil, c.Cert != nil} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return c, errors.New("coap: config: set exactly one of Insecure, PSK and Cert")
	}
	if c.PSK != nil && (c.PSK.Identity == "" || c.PSK.Key == nil) {
		return c, errors.New("coap: config: PSK needs Identity and Key")
	}
	if c.Cert != nil && (len(c.Cert.Certificate.Certificate) == 0 || c.Cert.Roots == nil) {
		return c, errors.New("coap: config: Cert needs Certificate and Roots")
	}
	if c.Listen == "" {
		port := DefaultPortDTLS
		if c.Insecure {
			port = DefaultPortNoSec
		}
		c.Listen = fmt.Sprintf(":%d", port)
	}
	c.Path = strings.Trim(c.Path, "/")
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.Path == ".well-known/core" {
		return c, errors.New("coap: config: Path must not be .well-known/core")
	}
	def := DefaultConfig()
	orInt(&c.MaxSessions, def.MaxSessions)
	orInt(&c.MaxPendingHandshakes, def.MaxPendingHandshakes)
	orInt(&c.MaxHandshakesPerSecond, def.MaxHandshakesPerSecond)
	orDur(&c.HandshakeTimeout, def.HandshakeTimeout)
	orInt(&c.MaxInflight, def.MaxInflight)
	orInt(&c.MaxInflightTotal, def.MaxInflightTotal)
	orInt(&c.MaxRecordSize, def.MaxRecordSize)
	orInt(&c.MaxReassemblyBytes, def.MaxReassemblyBytes)
	orDur(&c.ReassemblyTimeout, def.ReassemblyTimeout)
	if c.KeepAlive == 0 {
		c.KeepAlive = def.KeepAlive
	}
	orDur(&c.IdleTimeout, def.IdleTimeout)
	orDur(&c.ACKTimeout, def.ACKTimeout)
	orDur(&c.SendTimeout, def.SendTimeout)
	if c.ACKRandomFactor < 1 {
		c.ACKRandomFactor = def.ACKRandomFactor
	}
	switch {
	case c.MaxRetransmit == 0:
		c.MaxRetransmit = def.MaxRetransmit
	case c.MaxRetransmit < 0:
		c.MaxRetransmit = 0
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func orInt(v *int, def int) {
	if *v <= 0 {
		*v = def
	}
}

func orDur(v *time.Duration, def time.Duration) {
	if *v <= 0 {
		*v = def
	}
}
