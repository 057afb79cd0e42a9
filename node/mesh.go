package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/discovery"
	"github.com/uspmesh/uspmesh/election"
	"github.com/uspmesh/uspmesh/meshkey"
	"github.com/uspmesh/uspmesh/usp"
)

// mesh is the node's part in the home's cluster: its own Controller
// (with a CoAP endpoint of its own, so its DTLS identity is its Endpoint
// ID), DNS-SD advertising and browsing, the memberlist cluster and its
// leader election, the mesh roles and the leader's sessions to every
// Agent.
type mesh struct {
	n       *Node
	log     *slog.Logger
	keys    meshkey.Keys
	prof    meshProfile
	ctrlID  usp.EndpointID
	ip      netip.Addr
	ctrlEP  *coap.Endpoint
	client  *usp.Client
	adv     *discovery.Advertiser
	browser *discovery.Browser
	cluster *election.Cluster
	fence   *fence

	mu       sync.Mutex
	urls     map[usp.EndpointID]string // Agent Endpoint ID → its USP URI
	seen     map[string]discovery.Peer // Agent Endpoint ID → last DNS-SD sighting
	members  map[string]election.Member
	roles    map[string]string // Controller Endpoint ID → role assigned ("leader", "peer")
	leader   string            // Agent Endpoint ID of the leader followed
	term     uint64
	isLeader bool
	// replan asks the leader's control loop for an early round.
	replan atomic.Bool

	assignMu sync.Mutex // serialises role assignments
	wg       sync.WaitGroup
}

// meshProfile are the timings of one profile name.
type meshProfile struct {
	election        election.Profile
	browse, browse2 time.Duration // first and maximum browse interval
	keepAlive       time.Duration // leader's session keep-alive
	refresh         time.Duration // member table refresh into the model
	plan            time.Duration // leader's measure-plan-apply period
	firstPlan       time.Duration // delay of the first round of a new leader
	measure         time.Duration // bound on measuring one Agent
	switchTimeout   time.Duration // bound on one radio switch, CSA included
}

func profileByName(name string) (meshProfile, error) {
	switch name {
	case "", "default":
		return meshProfile{election: election.DefaultProfile(), browse: discovery.DefaultInterval, browse2: discovery.DefaultMaxInterval,
			keepAlive: 30 * time.Second, refresh: 2 * time.Second,
			plan: 2 * time.Minute, firstPlan: 10 * time.Second, measure: 20 * time.Second, switchTimeout: 90 * time.Second}, nil
	case "fast":
		return meshProfile{election: election.FastProfile(), browse: time.Second, browse2: 5 * time.Second,
			keepAlive: 2 * time.Second, refresh: 250 * time.Millisecond,
			plan: 3 * time.Second, firstPlan: 2 * time.Second, measure: 10 * time.Second, switchTimeout: 30 * time.Second}, nil
	}
	return meshProfile{}, fmt.Errorf("want default or fast")
}

// startMesh brings the node into its mesh. ctx bounds the node's life.
func (n *Node) startMesh(ctx context.Context) error {
	cfg := n.cfg
	secret, err := meshkey.ReadSecret(cfg.MeshSecretFile)
	if err != nil {
		return &ConfigError{"mesh_secret_file", cfg.MeshSecretFile, err.Error()}
	}
	keys, err := meshkey.Derive(secret)
	if err != nil {
		return &ConfigError{"mesh_secret_file", cfg.MeshSecretFile, err.Error()}
	}
	prof, err := profileByName(cfg.Profile)
	if err != nil {
		return &ConfigError{"profile", cfg.Profile, err.Error()}
	}
	ip, err := n.hostIP()
	if err != nil {
		return err
	}
	m := &mesh{n: n, log: n.log.With("sub", "mesh"), keys: keys, prof: prof, ip: ip, fence: n.fence,
		ctrlID: usp.EndpointID("self::ctrl-" + cfg.OUI + "-" + cfg.SerialNumber),
		urls:   map[usp.EndpointID]string{}, seen: map[string]discovery.Peer{},
		members: map[string]election.Member{}, roles: map[string]string{}}
	if err := setParams(ctx, n.model, meshRoot, map[string]string{
		"ClusterID": keys.ClusterID, "ControllerEndpointID": string(m.ctrlID), "Term": strconv.FormatUint(n.fence.Term(), 10),
	}); err != nil {
		return fmt.Errorf("mesh: %w", err)
	}
	if err := m.listenController(ctx); err != nil {
		return err
	}
	if err := m.startCluster(ctx); err != nil {
		m.ctrlEP.Close()
		return err
	}
	if err := m.startDiscovery(ctx); err != nil {
		m.cluster.Close()
		m.ctrlEP.Close()
		return err
	}
	n.meshMu.Lock()
	defer n.meshMu.Unlock()
	if n.closing {
		m.close()
		return errors.New("mesh: node closing")
	}
	m.wg.Add(4)
	go m.discoveryLoop(ctx)
	go m.electionLoop(ctx)
	go m.sessionLoop(ctx)
	go m.optimiseLoop(ctx)
	n.mesh.Store(m)
	return nil
}

// errNoAddress: the node has no IPv4 address to be reached at yet.
var errNoAddress = errors.New("no IPv4 address to reach this node at: listen on a specific address or name -interface")

// meshRetry is how often a node without an address tries to join its
// mesh again.
const meshRetry = 5 * time.Second

// retryMesh joins the mesh once the node has an address (an AP that
// booted before its DHCP lease): the Agent serves meanwhile, alone.
func (n *Node) retryMesh(ctx context.Context) {
	defer n.wg.Done()
	tick := time.NewTicker(meshRetry)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := n.startMesh(ctx)
		switch {
		case err == nil:
			n.log.Info("mesh joined once an address came up")
			return
		case errors.Is(err, errNoAddress):
		default:
			n.log.Error("mesh not started; this node serves alone", "err", err)
			return
		}
	}
}

// hostIP is the address this node is reached at: the host of Listen, or
// the first IPv4 address of the configured (or any up, non-loopback)
// interface.
func (n *Node) hostIP() (netip.Addr, error) {
	host, _, err := net.SplitHostPort(n.cfg.Listen)
	if err != nil {
		return netip.Addr{}, err
	}
	if a, err := netip.ParseAddr(host); err == nil && !a.IsUnspecified() {
		return a.Unmap(), nil
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		if len(n.cfg.Interfaces) > 0 && !slices.Contains(n.cfg.Interfaces, ifi.Name) {
			continue
		}
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Unmap().Is4() {
					return ip.Unmap(), nil
				}
			}
		}
	}
	return netip.Addr{}, errNoAddress
}

// listenController opens the mesh Controller's CoAP endpoint (DTLS
// identity: the Controller's Endpoint ID) and its USP client.
func (m *mesh) listenController(ctx context.Context) error {
	cfg := m.n.cfg
	port := cfg.ControllerPort
	if port == 0 && m.n.ep.Addr().Port() != 0 && m.n.ep.Addr().Port() < 65535 {
		port = int(m.n.ep.Addr().Port()) + 1
	}
	addr := netip.AddrPortFrom(m.ip, uint16(port)).String()
	cc := coap.Config{Listen: addr, Path: "usp-ctl", Role: coap.Controller, Insecure: cfg.Insecure,
		Logger: m.log.With("sub", "coap-ctl")}
	if !cfg.Insecure {
		key := m.keys.PSK
		cc.PSK = &coap.PSK{Identity: string(m.ctrlID), Key: func(string) ([]byte, error) { return key, nil }}
	}
	var client *usp.Client
	ep, err := coap.Listen(ctx, cc, func(ctx context.Context, in coap.Inbound) error {
		return client.HandleRecord(ctx, usp.EndpointID(in.Peer), in.Record)
	})
	if err != nil {
		return &ConfigError{"controller_port", strconv.Itoa(cfg.ControllerPort), err.Error()}
	}
	client, err = usp.NewClient(usp.ClientConfig{EndpointID: m.ctrlID, Transport: meshRoute{m}, Timeout: 5 * time.Second,
		OnNotify: m.onNotify, Logger: m.log.With("sub", "controller")})
	if err != nil {
		ep.Close()
		return err
	}
	m.ctrlEP, m.client = ep, client
	return nil
}

// meshRoute sends the mesh Controller's Records to the Agents' URIs
// learnt from the cluster and from discovery.
type meshRoute struct{ m *mesh }

// SendRecord implements usp.Transport.
func (r meshRoute) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	r.m.mu.Lock()
	u := r.m.urls[to]
	r.m.mu.Unlock()
	if u == "" {
		return fmt.Errorf("mesh: no address known for Agent %s", to)
	}
	return r.m.ctrlEP.Send(ctx, u, rec)
}

// agentURL is this node's Agent USP URI as other nodes reach it.
func (m *mesh) agentURL() string {
	scheme := "coaps"
	if m.n.cfg.Insecure {
		scheme = "coap"
	}
	port := m.n.ep.Addr().Port()
	return fmt.Sprintf("%s://%s/usp", scheme, netip.AddrPortFrom(m.ip, port))
}

func (m *mesh) startCluster(ctx context.Context) error {
	cfg := m.n.cfg
	c, err := election.Start(ctx, election.Config{
		Name: string(m.n.agentID), BindAddr: m.ip.String(), BindPort: cfg.GossipPort, AdvertiseAddr: m.ip.String(),
		SecretKey: m.keys.Gossip, Label: "uspmesh/" + m.keys.ClusterID, Priority: cfg.Priority,
		Meta: election.NodeMeta{AgentID: string(m.n.agentID), ControllerID: string(m.ctrlID), CoAP: m.agentURL(),
			Capabilities: []string{"wifi"}},
		Profile: m.prof.election, StateFile: filepath.Join(cfg.StateDir, "election.json"),
		Logger: m.log,
	})
	if err != nil {
		return &ConfigError{"gossip_port", strconv.Itoa(cfg.GossipPort), err.Error()}
	}
	m.cluster = c
	if len(cfg.Seeds) > 0 {
		c.SetSeeds(cfg.Seeds)
	}
	return nil
}

func (m *mesh) startDiscovery(ctx context.Context) error {
	cfg := m.n.cfg
	common := discovery.Service{Encrypt: !cfg.Insecure, Cluster: m.keys.ClusterID, Gossip: int(m.cluster.Addr().Port())}
	agent, ctrl := common, common
	agent.Kind, agent.EndpointID, agent.Port, agent.Path = discovery.Agent, string(m.n.agentID), int(m.n.ep.Addr().Port()), "usp"
	agent.FriendlyName = cfg.FriendlyName
	agent.Extra = map[string]string{"ctrl": string(m.ctrlID)}
	ctrl.Kind, ctrl.EndpointID, ctrl.Port, ctrl.Path = discovery.Controller, string(m.ctrlID), int(m.ctrlEP.Addr().Port()), "usp-ctl"
	adv, err := discovery.Advertise(ctx, discovery.AdvertiseConfig{Services: []discovery.Service{agent, ctrl},
		Interfaces: cfg.Interfaces, HostName: "uspmesh-" + strings.ToLower(cfg.SerialNumber), Logger: m.log.With("sub", "mdns")})
	if err != nil {
		return fmt.Errorf("mesh: advertise: %w", err)
	}
	b, err := discovery.Browse(ctx, discovery.BrowseConfig{Kinds: []discovery.Kind{discovery.Agent}, Cluster: m.keys.ClusterID,
		Self: []string{string(m.n.agentID), string(m.ctrlID)}, Interfaces: cfg.Interfaces,
		Interval: m.prof.browse, MaxInterval: m.prof.browse2, Logger: m.log.With("sub", "mdns")})
	if err != nil {
		adv.Close()
		return fmt.Errorf("mesh: browse: %w", err)
	}
	m.adv, m.browser = adv, b
	return nil
}

// close stops the mesh parts (the loops end with ctx).
func (m *mesh) close() {
	m.browser.Close()
	m.adv.Close()
	_ = m.cluster.Close()
	m.wg.Wait()
	m.ctrlEP.Close()
}
