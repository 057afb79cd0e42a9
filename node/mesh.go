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
	"github.com/uspmesh/uspmesh/leader"
	"github.com/uspmesh/uspmesh/meshkey"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// mesh is the node's part in the home's cluster: its own Controller
// (with a CoAP endpoint of its own, so its DTLS identity is its Endpoint
// ID), DNS-SD advertising and browsing, the memberlist cluster and its
// leader election, the mesh roles and, while this node leads, the
// leader's control loop.
type mesh struct {
	n       *Node
	log     *slog.Logger
	keys    meshkey.Keys
	prof    meshProfile
	ctrlID  usp.EndpointID
	ip      netip.Addr
	ctrlEP  Endpoint
	client  *usp.Client
	disc    Discovery
	cluster *election.Cluster
	loop    atomic.Pointer[leader.Loop]
	terms   chan leader.Term

	mu      sync.Mutex
	urls    map[usp.EndpointID]string // Agent Endpoint ID → its USP URI
	seen    map[string]discovery.Peer // Agent Endpoint ID → last DNS-SD sighting
	members map[string]election.Member
	roles   map[string]string // Controller Endpoint ID → role assigned ("leader", "peer")
	leader  string            // Agent Endpoint ID of the leader followed
	// lostSince is when each Node row was first written Lost (or found
	// without a member behind it); rows lost for LostNodeExpiry go.
	lostSince map[string]lostNode

	assignMu sync.Mutex // serialises role assignments
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// meshProfile are the timings of one profile name.
type meshProfile struct {
	election        election.Profile
	browse, browse2 time.Duration // first and maximum browse interval
	refresh         time.Duration // member table refresh into the model
	leader          leader.Config // the leader loop's timings
}

func profileByName(name string) (meshProfile, error) {
	switch name {
	case "", "default":
		return meshProfile{election: election.DefaultProfile(), browse: discovery.DefaultInterval, browse2: discovery.DefaultMaxInterval,
			refresh: 2 * time.Second, leader: leader.DefaultConfig()}, nil
	case "fast":
		return meshProfile{election: election.FastProfile(), browse: time.Second, browse2: 5 * time.Second,
			refresh: 250 * time.Millisecond, leader: leader.FastConfig()}, nil
	}
	return meshProfile{}, fmt.Errorf("want default or fast")
}

// Mesh retry: a node whose mesh cannot start serves alone and tries
// again, first after meshRetry, doubling up to meshRetryMax.
const (
	meshRetry    = 5 * time.Second
	meshRetryMax = time.Minute
)

// errNoAddress: the node has no IPv4 address to be reached at yet.
var errNoAddress = errors.New("no IPv4 address to reach this node at: listen on a specific address or name -interface")

// meshNow returns the running mesh, or nil.
func (n *Node) meshNow() *mesh {
	n.meshMu.Lock()
	defer n.meshMu.Unlock()
	return n.mesh
}

// runMesh brings the node into its mesh, and while it cannot, leaves the
// Agent serving alone with the reason in Device.X_USPMESH_Mesh. and the
// log, and tries again with back-off until it can or the node closes.
func (n *Node) runMesh() {
	defer n.bg.Done()
	wait := meshRetry
	for {
		err := n.startMesh(n.base)
		if err == nil {
			return
		}
		level := slog.LevelWarn
		if errors.Is(err, errNoAddress) {
			level = slog.LevelInfo
		}
		n.log.Log(n.base, level, "mesh not started; the Agent serves alone", "err", err, "retry", wait)
		if serr := setParams(n.base, n.model, meshRoot, map[string]string{"Status": "Degraded",
			"StatusMessage": truncate(err.Error(), 256)}); serr != nil {
			n.log.Warn("mesh status", "err", serr)
		}
		select {
		case <-n.stopMesh:
			return
		case <-n.deps.Clock.After(wait):
		}
		wait = min(2*wait, meshRetryMax)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// startMesh builds the mesh and starts its loops; on error whatever was
// built is closed again.
func (n *Node) startMesh(ctx context.Context) (err error) {
	cfg := n.cfg
	keys, err := readMeshKeys(cfg.MeshSecretFile)
	if err != nil {
		return err
	}
	prof, err := profileByName(cfg.Profile)
	if err != nil {
		return &ConfigError{"profile", cfg.Profile, err.Error()}
	}
	ip, err := n.hostIP()
	if err != nil {
		return err
	}
	m := &mesh{n: n, log: n.log.With("sub", "mesh"), keys: keys, prof: prof, ip: ip,
		ctrlID: usp.EndpointID("self::ctrl-" + cfg.OUI + "-" + cfg.SerialNumber),
		urls:   map[usp.EndpointID]string{}, seen: map[string]discovery.Peer{},
		members: map[string]election.Member{}, roles: map[string]string{}, lostSince: map[string]lostNode{}, terms: make(chan leader.Term, 16)}
	defer func() {
		if err != nil {
			m.close()
		}
	}()
	if err := setParams(ctx, n.model, meshRoot, map[string]string{
		"ClusterID": keys.ClusterID, "ControllerEndpointID": string(m.ctrlID), "Term": strconv.FormatUint(n.fence.Term(), 10),
		"Status": "Electing", "StatusMessage": "",
	}); err != nil {
		return fmt.Errorf("mesh: %w", err)
	}
	if err := m.listenController(ctx); err != nil {
		return err
	}
	if err := m.startCluster(ctx); err != nil {
		return err
	}
	if err := m.startDiscovery(ctx); err != nil {
		return err
	}
	lc := prof.leader
	lc.Self, lc.Agents, lc.Members, lc.Report = n.agentID, m.client, m.aliveAgents, report{n: n}
	lc.Clock, lc.Logger = n.deps.Clock, n.log.With("sub", "leader")
	lc.Steering, lc.SteerReport = n.steeringConfig(), steerReport{n: n}
	loop, err := leader.New(lc)
	if err != nil {
		return fmt.Errorf("mesh: leader loop: %w", err)
	}
	m.loop.Store(loop)
	n.meshMu.Lock()
	defer n.meshMu.Unlock()
	if n.closing {
		return errors.New("mesh: node closing")
	}
	loopCtx, cancel := context.WithCancel(n.base)
	m.cancel = cancel
	m.wg.Add(4)
	go m.discoveryLoop(loopCtx)
	go m.electionLoop(loopCtx)
	go m.refreshLoop(loopCtx)
	go func() {
		defer m.wg.Done()
		if err := loop.Run(loopCtx, m.terms); err != nil && loopCtx.Err() == nil {
			m.log.Error("leader loop ended", "err", err)
		}
	}()
	n.mesh = m
	m.log.Info("mesh started", "controller", m.ctrlID, "cluster", keys.ClusterID, "addr", ip)
	return nil
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

// listenController builds the mesh Controller's USP client, then opens
// its CoAP endpoint (DTLS identity: the Controller's Endpoint ID), so
// that a Record arriving at once finds the client there.
func (m *mesh) listenController(ctx context.Context) error {
	cfg := m.n.cfg
	port := cfg.ControllerPort
	if ap := m.n.ep.Addr().Port(); port == 0 && ap != 0 && ap < 65535 {
		port = int(ap) + 1
	}
	route := &meshRoute{m: m}
	client, err := usp.NewClient(usp.ClientConfig{EndpointID: m.ctrlID, Transport: route, Timeout: 5 * time.Second,
		OnNotify: m.onNotify, Logger: m.n.log.With("sub", "controller")})
	if err != nil {
		return err
	}
	m.client = client
	cc := coap.Config{Listen: netip.AddrPortFrom(m.ip, uint16(port)).String(), Path: "usp-ctl", Role: coap.Controller,
		Insecure: cfg.Insecure, Logger: m.n.log.With("sub", "coap-ctl")}
	if !cfg.Insecure {
		key := m.keys.PSK
		cc.PSK = &coap.PSK{Identity: string(m.ctrlID), Key: func(string) ([]byte, error) { return key, nil }}
	}
	ep, err := m.n.deps.Listen(ctx, cc, func(ctx context.Context, in coap.Inbound) error {
		return client.HandleRecord(ctx, usp.EndpointID(in.Peer), in.Record)
	})
	if err != nil {
		return &ConfigError{"controller_port", strconv.Itoa(port), err.Error()}
	}
	m.ctrlEP = ep
	route.ep.Store(&ep)
	return nil
}

// meshRoute sends the mesh Controller's Records to the Agents' URIs
// learnt from the cluster and from discovery.
type meshRoute struct {
	m  *mesh
	ep atomic.Pointer[Endpoint] // set once the endpoint listens
}

// SendRecord implements usp.Transport.
func (r *meshRoute) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	ep := r.ep.Load()
	if ep == nil {
		return errors.New("mesh: controller endpoint not listening yet")
	}
	r.m.mu.Lock()
	u := r.m.urls[to]
	r.m.mu.Unlock()
	if u == "" {
		return fmt.Errorf("mesh: no address known for Agent %s", to)
	}
	return (*ep).Send(coap.WithPeer(ctx, string(to)), u, rec)
}

// agentURL is this node's Agent USP URI as other nodes reach it.
func (m *mesh) agentURL() string {
	scheme := "coaps"
	if m.n.cfg.Insecure {
		scheme = "coap"
	}
	return fmt.Sprintf("%s://%s/usp", scheme, netip.AddrPortFrom(m.ip, m.n.ep.Addr().Port()))
}

// startCluster starts the election from its state file, never below the
// fence's term; a corrupt state file is set aside and the election starts
// again from the fence's term.
func (m *mesh) startCluster(ctx context.Context) error {
	cfg := m.n.cfg
	ec := election.Config{
		Name: string(m.n.agentID), BindAddr: m.ip.String(), BindPort: cfg.GossipPort, AdvertiseAddr: m.ip.String(),
		SecretKey: m.keys.Gossip, Label: "uspmesh/" + m.keys.ClusterID, Priority: cfg.Priority,
		Meta: election.NodeMeta{AgentID: string(m.n.agentID), ControllerID: string(m.ctrlID), CoAP: m.agentURL(),
			Capabilities: []string{"wifi"}},
		Profile: m.prof.election, StateFile: filepath.Join(cfg.StateDir, electionFile), MinTerm: m.n.fence.Term(),
		Logger: m.n.log.With("sub", "election"),
	}
	c, err := election.Start(ctx, ec)
	if setAsideCorruptState(err, m.log) {
		c, err = election.Start(ctx, ec)
	}
	if err != nil {
		return clusterStartError(err, cfg)
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
	services := []discovery.Service{agent, ctrl}
	if w := m.n.wsNow(); w != nil && w.port() != 0 {
		// Apps and browsers in the home find the Agent's WebSocket server.
		services = append(services, discovery.Service{Kind: discovery.AgentWebSocket, EndpointID: string(m.n.agentID),
			Port: w.port(), Path: w.path(), FriendlyName: cfg.FriendlyName, Encrypt: !cfg.WebSocket.Insecure})
	}
	log := m.n.log.With("sub", "mdns")
	d, err := m.n.deps.Discover(ctx,
		discovery.AdvertiseConfig{Services: services, Interfaces: cfg.Interfaces,
			HostName: "uspmesh-" + strings.ToLower(cfg.SerialNumber), Logger: log},
		discovery.BrowseConfig{Kinds: []discovery.Kind{discovery.Agent}, Cluster: m.keys.ClusterID,
			Self: []string{string(m.n.agentID), string(m.ctrlID)}, Interfaces: cfg.Interfaces,
			Interval: m.prof.browse, MaxInterval: m.prof.browse2, Logger: log})
	if err != nil {
		return fmt.Errorf("mesh: discovery: %w", err)
	}
	m.disc = d
	return nil
}

// close stops the mesh: its loops (the leader loop among them), then the
// Controller, the election and discovery. It is safe on a mesh that
// started only in part.
func (m *mesh) close() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.client != nil {
		m.client.Close()
	}
	if m.ctrlEP != nil {
		_ = m.ctrlEP.Close()
	}
	if m.cluster != nil {
		_ = m.cluster.Close()
	}
	if m.disc != nil {
		m.disc.Close()
	}
}

// onNotify hands the mesh Controller's notifications to the leader loop
// (a radio channel that changed asks for a new round) and to a running
// rollout (a node's deployment completed).
func (m *mesh) onNotify(from usp.EndpointID, nt *uspmsg.Notify) {
	if l := m.loop.Load(); l != nil {
		l.Notify(from, nt)
	}
	m.n.rollouts.notify(from, nt) // a rollout's OperationComplete
}
