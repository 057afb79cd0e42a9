package node

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/discovery"
	"github.com/uspmesh/uspmesh/radio"
)

// Deps are the parts of the outside world a node works with. cmd/meshd
// builds them (it chooses and opens the radio backend); tests inject
// their own. A nil field takes the default given beside it.
type Deps struct {
	// Radios is the radio backend whose radios the node binds to
	// Device.WiFi. (nil: no radios). Its owner opens it before New and
	// closes it after Close.
	Radios radio.Backend
	// Clock is the node's time source (nil: the system clock).
	Clock clock.Clock
	// Logger receives the node's logs, scoped per part with "sub" (nil:
	// discarded).
	Logger *slog.Logger
	// Listen opens a USP endpoint on the CoAP MTP (nil: coap.Listen on a
	// real UDP socket).
	Listen ListenFunc
	// Discover starts DNS-SD advertising and browsing for the mesh (nil:
	// mDNS through the discovery package).
	Discover DiscoverFunc
	// Restart, when set, carries out Device.Reboot() and
	// Device.FactoryReset(): the node calls it once, after the command
	// has answered, and its owner closes the node, wipes the state
	// (ResetState) when factoryReset is true, and starts a new node on
	// the same configuration. nil: both commands fail as not supported.
	Restart func(factoryReset bool)
}

// Endpoint is what the node needs of a listening USP endpoint: the
// Agent's and the mesh Controller's. *coap.Endpoint is one.
type Endpoint interface {
	// Send posts one Record to a USP URI; coap.WithPeer in ctx names the
	// Endpoint ID meant, which picks the DTLS key.
	Send(ctx context.Context, to string, record []byte) error
	// Addr is the address served on; URL our USP URI.
	Addr() netip.AddrPort
	URL() string
	// Close stops serving; it is idempotent.
	Close() error
}

// ListenFunc opens an Endpoint serving cfg with handler h. The node
// passes a ctx that outlives the endpoint and calls Close itself.
type ListenFunc func(ctx context.Context, cfg coap.Config, h coap.Handler) (Endpoint, error)

// Discovery is a running DNS-SD advertiser and browser.
type Discovery interface {
	// Peers delivers the peers found (each sighting again when it
	// changes); it is closed by Close.
	Peers() <-chan discovery.Peer
	// Close stops advertising and browsing.
	Close()
}

// DiscoverFunc advertises adv's services and browses as browse says.
type DiscoverFunc func(ctx context.Context, adv discovery.AdvertiseConfig, browse discovery.BrowseConfig) (Discovery, error)

// withDefaults returns d with every nil field set to its default.
func (d Deps) withDefaults() Deps {
	d.Clock = clock.Or(d.Clock)
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Listen == nil {
		d.Listen = listenCoAP
	}
	if d.Discover == nil {
		d.Discover = discoverMDNS
	}
	return d
}

// listenCoAP is the default ListenFunc.
func listenCoAP(ctx context.Context, cfg coap.Config, h coap.Handler) (Endpoint, error) {
	ep, err := coap.Listen(ctx, cfg, h)
	if err != nil {
		return nil, err
	}
	return ep, nil
}

// mdns is the default Discovery: the discovery package's advertiser and
// browser.
type mdns struct {
	adv     *discovery.Advertiser
	browser *discovery.Browser
}

func (m *mdns) Peers() <-chan discovery.Peer { return m.browser.Peers() }

// Confirm marks a peer the mesh proved a member, so that the browser's
// bounded table keeps it before unproven entries.
func (m *mdns) Confirm(k discovery.Kind, id string) bool { return m.browser.Confirm(k, id) }

func (m *mdns) Close() {
	m.browser.Close()
	m.adv.Close()
}

// discoverMDNS is the default DiscoverFunc.
func discoverMDNS(ctx context.Context, adv discovery.AdvertiseConfig, browse discovery.BrowseConfig) (Discovery, error) {
	a, err := discovery.Advertise(ctx, adv)
	if err != nil {
		return nil, err
	}
	b, err := discovery.Browse(ctx, browse)
	if err != nil {
		a.Close()
		return nil, err
	}
	return &mdns{adv: a, browser: b}, nil
}
