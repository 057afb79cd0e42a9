// Package node is the composition root of meshd: it turns a Config into a
// running mesh node. It opens the state dir (identity, persistent data
// model, the leader term fence), the radio backend (none, sim or linux)
// and builds the TR-181 model with the radios bound to Device.WiFi.,
// access control, the USP Agent and its Notifier, and serves them over
// the CoAP/DTLS MTP. With a mesh secret it also joins the home's mesh
// (mesh.go): its own USP Controller on a second CoAP endpoint, DNS-SD
// advertising and browsing, the memberlist cluster and leader election,
// the mesh Roles, and, on the leader, sessions to every Agent and the
// measure-plan-apply loop of the home's channels (measure.go,
// optimise.go).
//
// Data enters as CoAP POSTs carrying USP Records, DNS-SD answers, gossip
// and radio events; the Agent's answers leave as new POSTs to each
// request's reply-to URI, notifications to the Controller's configured
// MTP (or the reply-to it last used), and the leader's requests from its
// Controller endpoint to the Agents' URIs.
package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/meshkey"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/bind"
	"github.com/uspmesh/uspmesh/usp"
)

// workers is how many Records the Agent handles at once.
const workers = 32

// Node is one running mesh node.
type Node struct {
	cfg      Config
	log      *slog.Logger
	agentID  usp.EndpointID
	model    *datamodel.Model
	access   *access.Evaluator
	agent    *usp.Agent
	notifier *usp.Notifier
	ep       *coap.Endpoint
	book     addressBook
	work     chan coap.Inbound
	fence    *fence
	mesh     atomic.Pointer[mesh] // nil while the node runs alone
	meshMu   sync.Mutex           // orders a (late) mesh start against Close
	closing  bool                 // guarded by meshMu
	radios   radio.Backend
	wifi     *bind.Binding
	// rolePaths are the provisioned Roles' paths by name.
	rolePaths map[string]string
	// configured are the Endpoint IDs of the configured Controllers.
	configured map[string]bool
	cancel       context.CancelFunc
	runCtx       context.Context
	wg           sync.WaitGroup
	once         sync.Once
}

// New builds a node from cfg and starts serving. Close stops it.
func New(ctx context.Context, cfg Config) (*Node, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = NewLogger(os.Stderr, cfg.LogLevel)
	}
	id, firstStart, err := loadIdentity(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	if cfg.SerialNumber == "" {
		cfg.SerialNumber = id.SerialNumber
	}
	agentID := usp.EndpointID(cfg.AgentID)
	if agentID == "" {
		agentID = usp.EndpointID("os::" + cfg.OUI + "-" + cfg.SerialNumber)
		if _, err := usp.ParseEndpointID(string(agentID)); err != nil {
			return nil, &ConfigError{"serial_number", cfg.SerialNumber, "makes an invalid Endpoint ID: " + err.Error()}
		}
	}
	n := &Node{cfg: cfg, log: log, agentID: agentID, work: make(chan coap.Inbound, 1024), configured: map[string]bool{}}
	for _, c := range cfg.Controllers {
		n.configured[c.EndpointID] = true
	}
	if n.fence, err = openFence(cfg.StateDir); err != nil {
		return nil, err
	}
	backend, radios, err := n.openRadios(ctx)
	if err != nil {
		return nil, err
	}
	n.radios, n.wifi = backend, n.newBinding()
	if err := n.buildModel(ctx, firstStart); err != nil {
		n.closeRadios()
		return nil, err
	}
	if err := n.buildUSP(ctx); err != nil {
		n.closeRadios()
		return nil, err
	}
	if err := n.listen(ctx); err != nil {
		n.notifier.Close()
		n.closeRadios()
		return nil, err
	}
	if err := n.wifi.Start(n.runCtx, n.model, radios); err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("wifi: %w", err)
	}
	if cfg.MeshSecretFile != "" {
		err := n.startMesh(n.runCtx)
		switch {
		case errors.Is(err, errNoAddress):
			log.Warn("mesh waiting for an IPv4 address; the Agent serves alone meanwhile", "retry", meshRetry)
			n.wg.Add(1)
			go n.retryMesh(n.runCtx)
		case err != nil:
			_ = n.Close()
			return nil, err
		}
	}
	return n, nil
}

func (n *Node) buildModel(ctx context.Context, firstStart bool) error {
	cfg := n.cfg
	s := tr181.NewSchema(tr181.Config{
		Manufacturer: cfg.Manufacturer, ManufacturerOUI: cfg.OUI, ModelName: cfg.ModelName,
		ProductClass: cfg.ProductClass, SerialNumber: cfg.SerialNumber, SoftwareVersion: Version,
		EndpointID: string(n.agentID), Recipient: usp.ControllerPathFrom, WiFi: n.wifi.Hooks(),
		SendOnBoardRequest: func(ctx context.Context, controller string) error {
			return n.notifier.SendOnBoardRequest(ctx, controller, usp.OnBoardInfo{
				OUI: cfg.OUI, ProductClass: cfg.ProductClass, SerialNumber: cfg.SerialNumber})
		},
	})
	store := datamodel.FileStore{Path: filepath.Join(cfg.StateDir, "datamodel.json")}
	m, err := datamodel.NewModel(ctx, s, datamodel.Config{Store: store, Logger: n.log.With("sub", "datamodel")})
	if err != nil {
		return err
	}
	n.model = m
	if cfg.FriendlyName != "" && firstStart {
		if err := setParams(ctx, m, "Device.DeviceInfo.", map[string]string{"FriendlyName": cfg.FriendlyName}); err != nil {
			return &ConfigError{"friendly_name", cfg.FriendlyName, err.Error()}
		}
	}
	return n.provision(ctx)
}

func (n *Node) buildUSP(ctx context.Context) error {
	var err error
	if n.access, err = access.New(n.model); err != nil {
		return err
	}
	ac := accessControl{n.access}
	n.notifier, err = usp.NewNotifier(ctx, usp.NotifierConfig{Agent: n.agentID, Model: n.model, Transport: transport{n},
		Access: ac, Logger: n.log.With("sub", "notify")})
	if err != nil {
		return err
	}
	n.agent, err = usp.NewAgent(usp.AgentConfig{EndpointID: n.agentID, Model: n.model, Access: ac,
		Controllers: usp.ControllerTable(n.model), Responses: n.notifier.HandleResponse, Logger: n.log.With("sub", "agent")})
	if err != nil {
		n.notifier.Close()
		return err
	}
	n.agent.OnOperationComplete(n.notifier.OperationComplete)
	return nil
}

func (n *Node) listen(ctx context.Context) error {
	cc := coap.Config{Listen: n.cfg.Listen, Path: "usp", Role: coap.Agent, Insecure: n.cfg.Insecure, Logger: n.log.With("sub", "coap")}
	switch {
	case n.cfg.Insecure:
	case n.cfg.CertFile != "":
		cert, err := tls.LoadX509KeyPair(n.cfg.CertFile, n.cfg.KeyFile)
		if err != nil {
			return &ConfigError{"cert_file", n.cfg.CertFile, err.Error()}
		}
		pem, err := os.ReadFile(n.cfg.CAFile)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			return &ConfigError{"ca_file", n.cfg.CAFile, fmt.Sprintf("no PEM certificates (%v)", err)}
		}
		cc.Cert = &coap.CertConfig{Certificate: cert, Roots: pool}
	default:
		keyFor, peerKey, err := n.pskKeys()
		if err != nil {
			return err
		}
		cc.PSK = &coap.PSK{Identity: string(n.agentID), Key: keyFor, PeerKey: peerKey}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.runCtx = runCtx
	ep, err := coap.Listen(runCtx, cc, n.inbound)
	if err != nil {
		cancel()
		return &ConfigError{"listen", n.cfg.Listen, err.Error()}
	}
	n.ep, n.cancel = ep, cancel
	for range workers {
		n.wg.Add(1)
		go n.serve(runCtx)
	}
	n.log.Info("agent serving", "endpoint_id", n.agentID, "url", ep.URL(), "dtls", !n.cfg.Insecure)
	return nil
}

// pskKeys returns the DTLS PSK lookup: configured Controllers use the
// configured PSK; every other identity (mesh nodes, tools holding the
// mesh secret) the PSK derived from the mesh secret.
//
// The client side picks by the identity it sends to (coap.WithPeer): a
// configured Controller gets the configured PSK, any other the mesh PSK.
func (n *Node) pskKeys() (key func(string) ([]byte, error), peerKey func(to, peer string) ([]byte, error), err error) {
	var configured, meshKey []byte
	if n.cfg.PSKHex != "" || n.cfg.PSKFile != "" {
		k, err := n.cfg.pskKey()
		if err != nil {
			return nil, nil, err
		}
		configured = k
	}
	if n.cfg.MeshSecretFile != "" {
		secret, err := meshkey.ReadSecret(n.cfg.MeshSecretFile)
		if err != nil {
			return nil, nil, &ConfigError{"mesh_secret_file", n.cfg.MeshSecretFile, err.Error()}
		}
		keys, err := meshkey.Derive(secret)
		if err != nil {
			return nil, nil, err
		}
		meshKey = keys.PSK
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

// closeRadios stops the Wi-Fi binding and closes the radio backend.
func (n *Node) closeRadios() {
	if n.wifi != nil {
		_ = n.wifi.Close()
	}
	if n.radios != nil {
		_ = n.radios.Close()
	}
}

// AgentID returns the Agent's Endpoint ID.
func (n *Node) AgentID() usp.EndpointID { return n.agentID }

// URL returns the Agent's USP URI.
func (n *Node) URL() string { return n.ep.URL() }

// Model returns the node's data model.
func (n *Node) Model() *datamodel.Model { return n.model }

// Close stops serving, waits for work in progress and closes the MTP.
// It is idempotent.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		n.cancel()
		n.meshMu.Lock()
		n.closing = true
		n.meshMu.Unlock()
		if m := n.mesh.Load(); m != nil {
			m.close()
		}
		n.closeRadios()
		n.wg.Wait()
		n.notifier.Close()
		n.agent.Wait()
		err = n.ep.Close()
	})
	return err
}

// Version is the software version reported in DeviceInfo.
var Version = "0.1.0"

// NewLogger returns a text slog.Logger at level ("debug", "info", "warn",
// "error").
func NewLogger(w *os.File, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
