// Package node is the composition root of meshd: it turns a Config and
// its Deps into a running mesh node, and owns that node's one lifecycle.
//
// New opens the state dir (identity, persistent data model, the leader
// term fence), binds the radios it is given to Device.WiFi., provisions
// access control, builds the USP Agent and its Notifier and serves them
// on the CoAP/DTLS MTP and, when configured, over MQTT (a client of the
// operator's broker, mqtt.go) and WebSocket (a server for apps, and a
// session to each Controller with a ws[s]:// MTP, ws.go). With a mesh secret it also joins the home's mesh
// (mesh.go): its own USP Controller on a second endpoint, DNS-SD, the
// memberlist cluster and leader election, the mesh Roles, and, on the
// leader, the control loop of package leader. A mesh that cannot start
// (no address yet, a port taken, an unreadable secret) leaves the Agent
// serving alone: the reason shows in Device.X_USPMESH_Mesh.Status and
// StatusMessage and in the log, and the mesh is retried. It runs bulk
// data (bulkdata.go) and keeps the node's history of its radios, clients
// and mesh events (history*.go, package history).
//
// Data enters as USP Records on any MTP (CoAP POSTs, MQTT PUBLISHes on
// the Agent's topic, WebSocket messages; each decoded once and queued for
// the Agent's workers), DNS-SD sightings, gossip and radio events. Each
// answer leaves the way its request came (a POST to the reply-to, a
// PUBLISH to the Response Topic, the same WebSocket session);
// notifications go to the Controller's enabled MTP rows by Order, else
// its live WebSocket session, else the MTP it subscribed over (mtp.go);
// the leader's requests leave from its Controller endpoint.
//
// Close tears the node down in reverse order of construction: the
// Agent's intake stops and its workers drain, the Agent cancels its
// running commands, the Notifier stops, then the mesh (leader loop,
// Controller, election, discovery), the Agent's endpoint and the Wi-Fi
// binding. The radio backend belongs to whoever opened it.
package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/buildinfo"
	"github.com/uspmesh/uspmesh/bulkdata"
	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/lograte"
	"github.com/uspmesh/uspmesh/meshkey"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/bind"
	"github.com/uspmesh/uspmesh/usp"
)

// commandGrace bounds how long Close waits for the Agent's running
// commands once they are cancelled.
const commandGrace = 3 * time.Second

// Node is one running mesh node.
type Node struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	lock     *os.File // the state dir's lock, held until Close
	agentID  usp.EndpointID
	model    *datamodel.Model
	access   *access.Evaluator
	agent    *usp.Agent
	notifier *usp.Notifier
	ep       Endpoint
	coapRow  atomic.Value // string: the Agent's CoAP Device.LocalAgent.MTP row
	mqtt     atomic.Pointer[mqttMTP]
	ws       atomic.Pointer[wsMTP]
	bulk     atomic.Pointer[bulkdata.Runner]
	hist     atomic.Pointer[sampler] // the history, once started
	apps     atomic.Pointer[apps]    // the application runtime, once started (nil when off)
	appsErr  atomic.Pointer[error]   // why the application runtime did not start (nil when it did or is off)
	intake   intake
	book     addressBook
	refusals *lograte.Limiter // refused input, logged once a minute per kind
	fence    *fence
	wifi     *bind.Binding
	steer    *steering // the Agent's side of client steering
	// steerStats count the steering actions this node led.
	steerStats steerStats
	// rollouts is the state of the rollouts this node leads.
	rollouts rollouts
	// rolePaths are the provisioned Roles' paths by name.
	rolePaths map[string]string
	// configured are the Endpoint IDs of the configured Controllers.
	configured map[string]bool
	// base is the context the node's parts run under; it is never
	// cancelled: each part is closed explicitly, in order.
	base context.Context

	meshMu  sync.Mutex
	mesh    *mesh // nil while the node runs alone; guarded by meshMu
	closing bool  // guarded by meshMu
	// restarting is set once Device.Reboot() or FactoryReset() asked
	// for a restart.
	restarting atomic.Bool
	stopMesh   chan struct{} // closed by Close: ends the mesh retries
	bg         sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// New builds a node from cfg and deps and starts serving; ctx bounds the
// start only. Close stops the node.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	deps = deps.withDefaults()
	n := &Node{cfg: cfg, deps: deps, log: deps.Logger, configured: map[string]bool{}, refusals: lograte.New(deps.Logger, deps.Clock, 0),
		base: context.WithoutCancel(ctx), stopMesh: make(chan struct{})}
	for _, c := range cfg.Controllers {
		n.configured[c.EndpointID] = true
	}
	if err := n.start(ctx); err != nil {
		_ = n.Close()
		return nil, err
	}
	return n, nil
}

// start builds the parts in order; Close undoes whatever was built.
func (n *Node) start(ctx context.Context) error {
	cfg := &n.cfg
	lock, unlocked, err := lockStateDir(cfg.StateDir)
	if err != nil {
		return err
	}
	if unlocked != nil {
		n.log.Warn("starting without the state dir's lock", "state_dir", cfg.StateDir, "err", unlocked)
	}
	n.lock = lock
	id, firstStart, err := loadIdentity(cfg.StateDir)
	if err != nil {
		return err
	}
	if cfg.SerialNumber == "" {
		cfg.SerialNumber = id.SerialNumber
	}
	n.agentID = usp.EndpointID(cfg.AgentID)
	if n.agentID == "" {
		n.agentID = usp.EndpointID("os::" + cfg.OUI + "-" + cfg.SerialNumber)
		if _, err := usp.ParseEndpointID(string(n.agentID)); err != nil {
			return &ConfigError{"serial_number", cfg.SerialNumber, "makes an invalid Endpoint ID: " + err.Error()}
		}
	}
	if prev := earlierState(cfg.StateDir); firstStart && len(prev) > 0 {
		n.log.Warn("identity.json was missing beside an earlier run's state: this node starts with a NEW Endpoint ID; "+
			"the mesh lists the old one as Lost until lost_node_expiry; to keep the old identity, stop meshd and restore identity.json",
			"state_dir", cfg.StateDir, "found", strings.Join(prev, ","), "endpoint_id", n.agentID)
	}
	if n.fence, err = openFence(cfg.StateDir); err != nil {
		return err
	}
	n.wifi = n.newBinding()
	n.steer = newSteering(n, n.steerRefresh())
	if err := n.buildModel(ctx, firstStart); err != nil {
		return err
	}
	if err := n.buildUSP(); err != nil {
		return err
	}
	if err := n.startApps(ctx); err != nil {
		return err
	}
	if err := n.listen(ctx); err != nil {
		return err
	}
	if err := n.startBulkData(); err != nil {
		return err
	}
	var radios []radio.Radio
	if n.deps.Radios != nil {
		if radios, err = n.deps.Radios.Radios(ctx); err != nil {
			return fmt.Errorf("radio: %w", err)
		}
	}
	if err := n.wifi.Start(n.base, n.model, radios); err != nil {
		return fmt.Errorf("wifi: %w", err)
	}
	n.steer.start(n.base, radios)
	if err := n.startHistory(radios); err != nil {
		return err
	}
	if cfg.MeshSecretFile != "" {
		n.bg.Add(1)
		go n.runMesh()
	}
	n.raiseBoot(ctx)
	return nil
}

func (n *Node) buildModel(ctx context.Context, firstStart bool) error {
	cfg := n.cfg
	s := tr181.NewSchema(tr181.Config{
		Manufacturer: cfg.Manufacturer, ManufacturerOUI: cfg.OUI, ModelName: cfg.ModelName,
		ProductClass: cfg.ProductClass, SerialNumber: cfg.SerialNumber, SoftwareVersion: buildinfo.Version,
		EndpointID: string(n.agentID), Recipient: usp.ControllerPathFrom, WiFi: n.wifiHooks(),
		MTPState: n.mtpState, Reboot: n.restartCommand(false), FactoryReset: n.restartCommand(true),
		SendOnBoardRequest: func(ctx context.Context, controller string) error {
			return n.notifier.SendOnBoardRequest(ctx, controller, usp.OnBoardInfo{
				OUI: cfg.OUI, ProductClass: cfg.ProductClass, SerialNumber: cfg.SerialNumber})
		},
	})
	n.attachBulkData(s)
	n.attachHistory(s)
	n.attachSteering(s)
	n.attachApps(s)
	n.attachRollout(s)
	store := datamodel.FileStore{Path: filepath.Join(cfg.StateDir, "datamodel.json")}
	// A data model file that is not there (first start, or removed to
	// reset the model) starts from the configured values.
	_, statErr := os.Stat(store.Path)
	freshModel := errors.Is(statErr, fs.ErrNotExist)
	m, err := datamodel.NewModel(ctx, s, datamodel.Config{Store: store, Logger: n.log.With("sub", "datamodel")})
	if err != nil {
		return err
	}
	n.model = m
	if cfg.FriendlyName != "" && (firstStart || freshModel) {
		if err := setParams(ctx, m, "Device.DeviceInfo.", map[string]string{"FriendlyName": cfg.FriendlyName}); err != nil {
			return &ConfigError{"friendly_name", cfg.FriendlyName, err.Error()}
		}
	}
	return n.provision(ctx)
}

func (n *Node) buildUSP() error {
	var err error
	if n.access, err = access.New(n.model); err != nil {
		return err
	}
	ac := appsAccess{accessControl{n.access}, n}
	n.notifier, err = usp.NewNotifier(n.base, usp.NotifierConfig{Agent: n.agentID, Model: n.model, Transport: transport{n},
		Access: pushOwnerAccess{ac, n}, Clock: n.deps.Clock, Logger: n.log.With("sub", "notify")})
	if err != nil {
		return err
	}
	n.agent, err = usp.NewAgent(usp.AgentConfig{EndpointID: n.agentID, Model: n.model, Access: ac,
		Controllers: usp.ControllerTable(n.model), Responses: n.notifier.HandleResponse, Subscribed: n.book.subscribed,
		Logger: n.log.With("sub", "agent")})
	if err != nil {
		return err
	}
	n.agent.OnOperationComplete(n.notifier.OperationComplete)
	return nil
}

// listen serves the Agent: workers first, then the endpoint, so that no
// Record arrives before there is someone to take it.
func (n *Node) listen(ctx context.Context) error {
	cc := coap.Config{Listen: n.cfg.Listen, Path: "usp", Role: coap.Agent, Insecure: n.cfg.Insecure, Logger: n.log.With("sub", "coap"),
		Known: n.knownAddr()}
	switch {
	case n.cfg.Insecure:
	case n.cfg.CertFile != "":
		cert, err := tls.LoadX509KeyPair(n.cfg.CertFile, n.cfg.KeyFile)
		if err != nil {
			return &ConfigError{"cert_file", n.cfg.CertFile, err.Error()}
		}
		pool, err := readPool("ca_file", n.cfg.CAFile)
		if err != nil {
			return err
		}
		cc.Cert = &coap.CertConfig{Certificate: cert, Roots: pool}
	default:
		keyFor, peerKey, err := n.pskKeys()
		if err != nil {
			return err
		}
		cc.PSK = &coap.PSK{Identity: string(n.agentID), Key: keyFor, PeerKey: peerKey}
	}
	n.intake.handle = n.handle
	n.intake.start(n.base, workers)
	ep, err := n.deps.Listen(n.base, cc, n.acceptCoAP)
	if err != nil {
		return &ConfigError{"listen", n.cfg.Listen, err.Error()}
	}
	n.ep = ep
	n.log.Info("agent serving", "endpoint_id", n.agentID, "url", n.reachable(ep.URL()), "dtls", !n.cfg.Insecure)
	row, err := provisionRow(ctx, n.model, "Device.LocalAgent.MTP.", "Alias", mtpAliasCoAP, [][2]string{
		{"Enable", "true"}, {"Protocol", mtpCoAP}, {"EnableMDNS", strconv.FormatBool(n.cfg.MeshSecretFile != "")},
		{"CoAP.Port", strconv.Itoa(int(ep.Addr().Port()))}, {"CoAP.Path", "usp"},
		{"CoAP.EnableEncryption", strconv.FormatBool(!n.cfg.Insecure)},
	})
	if err != nil {
		return fmt.Errorf("provision CoAP MTP row: %w", err)
	}
	n.coapRow.Store(row)
	if err := n.startWebSocket(ctx); err != nil {
		return err
	}
	if n.cfg.MQTT != nil {
		if err := n.startMQTT(ctx); err != nil {
			return err
		}
	} else if err := deleteKeyed(ctx, n.model, "Device.LocalAgent.MTP.", "Alias", mtpAliasMQTT); err != nil {
		return err
	}
	if n.cfg.WebSocket == nil {
		if err := deleteKeyed(ctx, n.model, "Device.LocalAgent.MTP.", "Alias", mtpAliasWS); err != nil {
			return err
		}
	}
	return nil
}

// knownAddr returns the coap.Config.Known of the Agent's endpoint: the
// addresses of configured Controllers' CoAP MTPs and of the mesh's
// members, whose DTLS handshakes a flood from elsewhere must not starve.
func (n *Node) knownAddr() func(netip.Addr) bool {
	ctl := map[netip.Addr]bool{}
	for _, c := range n.cfg.Controllers {
		if u, err := parseMTP(c.MTP); err == nil {
			if a, err := netip.ParseAddr(u.Hostname()); err == nil {
				ctl[a.Unmap()] = true
			}
		}
	}
	return func(a netip.Addr) bool {
		a = a.Unmap()
		if ctl[a] {
			return true
		}
		m := n.meshNow()
		if m == nil {
			return false
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, mem := range m.members {
			if mem.Addr.Addr().Unmap() == a {
				return true
			}
		}
		return false
	}
}

// mqttNow and wsNow return the MQTT and WebSocket MTPs, or nil before
// they start.
func (n *Node) mqttNow() *mqttMTP { return n.mqtt.Load() }
func (n *Node) wsNow() *wsMTP     { return n.ws.Load() }

// mtpState is tr181.Config.MTPState: the live state of the MTP rows.
func (n *Node) mtpState(_ context.Context, row, param string) (string, bool) {
	if r, _ := n.coapRow.Load().(string); row == r && param == "Status" {
		return "Up", true
	}
	if q := n.mqttNow(); q != nil {
		if v, ok := q.state(row, param); ok {
			return v, true
		}
	}
	if w := n.wsNow(); w != nil {
		return w.state(row, param)
	}
	return "", false
}

// readPool reads a PEM trust store; the error names the config field.
func readPool(field, file string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if err := appendPool(pool, field, file); err != nil {
		return nil, err
	}
	return pool, nil
}

// appendPool adds the PEM certificates of file to pool; the error names
// the config field.
func appendPool(pool *x509.CertPool, field, file string) error {
	pem, err := os.ReadFile(file)
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		return &ConfigError{field, file, fmt.Sprintf("no PEM certificates (%v)", err)}
	}
	return nil
}

// pskKeys returns the DTLS PSK lookup: configured Controllers use the
// configured PSK; every other identity (mesh nodes, tools holding the
// mesh secret) the PSK derived from the mesh secret.
//
// The client side picks by the identity it sends to (coap.WithPeer): a
// configured Controller gets the configured PSK, any other the mesh PSK.
// A mesh secret that cannot be read leaves only the configured PSK (the
// mesh reports why it does not start).
func (n *Node) pskKeys() (key func(string) ([]byte, error), peerKey func(to, peer string) ([]byte, error), err error) {
	var configured, meshKey []byte
	if n.cfg.PSKHex != "" || n.cfg.PSKFile != "" {
		if configured, err = n.cfg.pskKey(); err != nil {
			return nil, nil, err
		}
	}
	if n.cfg.MeshSecretFile != "" {
		if keys, err := readMeshKeys(n.cfg.MeshSecretFile); err == nil {
			meshKey = keys.PSK
		} else if configured == nil {
			return nil, nil, err
		}
	}
	pick := func(useConfigured bool) ([]byte, error) {
		switch {
		case configured != nil && (meshKey == nil || useConfigured):
			return configured, nil
		case meshKey != nil:
			return meshKey, nil
		}
		return nil, errors.New("no PSK configured")
	}
	key = func(identity string) ([]byte, error) { return pick(n.configured[identity]) }
	peerKey = func(_, peer string) ([]byte, error) { return pick(n.configured[peer]) }
	return key, peerKey, nil
}

// readMeshKeys reads the mesh secret file and derives its keys; the
// error names the config field.
func readMeshKeys(file string) (meshkey.Keys, error) {
	secret, err := meshkey.ReadSecret(file)
	if err != nil {
		return meshkey.Keys{}, &ConfigError{"mesh_secret_file", file, err.Error()}
	}
	keys, err := meshkey.Derive(secret)
	if err != nil {
		return meshkey.Keys{}, &ConfigError{"mesh_secret_file", file, err.Error()}
	}
	return keys, nil
}

// AgentID returns the Agent's Endpoint ID.
func (n *Node) AgentID() usp.EndpointID { return n.agentID }

// URL returns the Agent's USP URI.
func (n *Node) URL() string { return n.reachable(n.ep.URL()) }

// reachable rewrites a URL whose host is an unspecified address ("[::]",
// "0.0.0.0": listening on every address) to one a peer can use: this
// node's address on its LAN (see hostIP), else loopback.
func (n *Node) reachable(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	a, err := netip.ParseAddr(u.Hostname())
	if err != nil || !a.IsUnspecified() {
		return raw
	}
	ip, err := n.hostIP()
	if err != nil {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	u.Host = net.JoinHostPort(ip.String(), u.Port())
	return u.String()
}

// Model returns the node's data model.
func (n *Node) Model() *datamodel.Model { return n.model }

// Close stops the node, tearing its parts down in reverse order of
// construction (see the package doc). Running commands are cancelled and
// waited for at most commandGrace. It is idempotent.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		var errs []error
		n.meshMu.Lock()
		n.closing = true
		n.meshMu.Unlock()
		close(n.stopMesh)
		n.intake.stop()
		n.stopBulkData()
		if n.agent != nil {
			ctx, cancel := context.WithTimeout(context.Background(), commandGrace)
			if err := n.agent.Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("agent: %w", err))
			}
			cancel()
		}
		if n.notifier != nil {
			n.notifier.Close()
		}
		if err := n.stopApps(); err != nil {
			errs = append(errs, fmt.Errorf("apps: %w", err))
		}
		n.bg.Wait() // the mesh retries end; no mesh starts after this
		if err := n.stopHistory(); err != nil {
			errs = append(errs, fmt.Errorf("history: %w", err))
		}
		if m := n.meshNow(); m != nil {
			m.close()
		}
		if q := n.mqttNow(); q != nil {
			errs = append(errs, q.close())
		}
		if w := n.wsNow(); w != nil {
			errs = append(errs, w.close())
		}
		if n.ep != nil {
			errs = append(errs, n.ep.Close())
		}
		if n.steer != nil {
			n.steer.stop()
		}
		if n.wifi != nil {
			errs = append(errs, n.wifi.Close())
		}
		if n.lock != nil {
			errs = append(errs, n.lock.Close())
		}
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

// NewLogger returns a text slog.Logger at level ("debug", "info", "warn",
// "error").
func NewLogger(w *os.File, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
