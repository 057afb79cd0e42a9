//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/meshkey"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// ControllerID is the Endpoint ID of the harness's own Controller, which
// every node trusts with the full role.
const ControllerID usp.EndpointID = "proto::vhome"

// MeshdPort is the UDP port every meshd serves CoAP/DTLS on.
const MeshdPort = 5684

// ErrClosed is returned by the methods of a closed Home.
var ErrClosed = errors.New("vhome: home closed")

// validPrefix is what a run prefix looks like; vhome clean relies on it.
var validPrefix = regexp.MustCompile(`^uh[0-9a-z]{1,8}$`)

// HomeConfig configures StartHome. Zero values take the defaults noted.
type HomeConfig struct {
	// Nodes is the number of nodes (access points), 1 to MaxNodes
	// (default 3).
	Nodes int
	// MeshdPath is the meshd binary (default: "meshd" beside this
	// executable, else on $PATH).
	MeshdPath string
	// ExtraArgs, when set, returns more meshd flags for node i; they
	// follow the harness's own (-state-dir, -listen, -psk-hex,
	// -controller proto::vhome=full, -friendly-name node<i>).
	ExtraArgs func(i int) []string
	// SimHome, when set, runs every meshd on the sim radio backend with
	// this home description (homes/*.json): node i is AP "ap<i+1>", and
	// the run dir's air/ is the shared air.
	SimHome string
	// NodeArgs, when set, returns more meshd flags for a node, knowing
	// its addresses and files (after ExtraArgs's).
	NodeArgs func(n Node) []string
	// NoMesh starts the nodes without a mesh secret: each runs alone.
	NoMesh bool
	// Cloud adds "the operator's cloud": a namespace on the home's LAN
	// running a Mosquitto broker (plain and TLS, BrokerURL), started
	// before the nodes; every node connects to it over TLS.
	Cloud bool
	// Profile is meshd's mesh timing profile, "default" or "fast"
	// (default: meshd's).
	Profile string
	// RunDir holds the nodes' state dirs (n<i>/) and logs (n<i>.log,
	// ctl.log). Empty: a new temporary directory, removed by Close
	// unless Keep. A given RunDir is created if needed and never removed.
	RunDir string
	// Keep keeps the temporary RunDir after Close.
	Keep bool
	// Prefix names the run's namespaces (<prefix>-br, <prefix>-ctl,
	// <prefix>-n<i>): "uh" and 1 to 8 lowercase letters or digits
	// (default "uh" and 6 random hex digits).
	Prefix string
	// StartTimeout bounds each meshd start, until its start line
	// (default 15 s).
	StartTimeout time.Duration
	// RequestTimeout bounds each request of Client whose context has no
	// deadline (default 5 s).
	RequestTimeout time.Duration
	// OnNotify, when set, receives the Notify messages nodes send to the
	// harness's Controller.
	OnNotify func(from usp.EndpointID, n *uspmsg.Notify)
	// Self is the executable that serves the hidden ctl-relay command
	// (default: this process's own; a test binary's TestMain must call
	// maybeRunRelay first).
	Self string
	// Logger receives the harness's progress; nil discards.
	Logger *slog.Logger
}

func (c HomeConfig) withDefaults() (HomeConfig, error) {
	if c.Nodes == 0 {
		c.Nodes = 3
	}
	if c.Nodes < 1 || c.Nodes > MaxNodes {
		return c, fmt.Errorf("vhome: %d nodes: want 1 to %d", c.Nodes, MaxNodes)
	}
	if c.Prefix != "" && !validPrefix.MatchString(c.Prefix) {
		return c, fmt.Errorf("vhome: prefix %q: want %s", c.Prefix, validPrefix)
	}
	var err error
	if c.MeshdPath, err = findMeshd(c.MeshdPath); err != nil {
		return c, err
	}
	if c.SimHome != "" {
		abs, err := filepath.Abs(c.SimHome)
		if err != nil {
			return c, fmt.Errorf("vhome: sim home: %w", err)
		}
		c.SimHome = abs
		if _, err := os.Stat(abs); err != nil {
			return c, fmt.Errorf("vhome: sim home: %w", err)
		}
	}
	if c.Self == "" {
		if c.Self, err = os.Executable(); err != nil {
			return c, fmt.Errorf("vhome: own executable: %w", err)
		}
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 15 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Node is a snapshot of one node of a Home.
type Node struct {
	// Index is the node's number, 0 to Nodes-1.
	Index int
	// Namespace is the node's network namespace, <prefix>-n<Index>.
	Namespace string
	// Addr is the node's IPv4 address on eth0 (198.18.0.0/16); meshd
	// listens on Addr:MeshdPort. Addr6 is its ULA (fd75:736d:6800::/48).
	Addr, Addr6 netip.Addr
	// AgentID and URL are what meshd printed at its last start.
	AgentID usp.EndpointID
	URL     string
	// StateDir and LogPath are the node's meshd state dir and log.
	StateDir, LogPath string
	// Running tells whether its meshd is running.
	Running bool
	// LinkDown tells whether LinkDown took its link down; Far whether a
	// Partition put it on the second bridge.
	LinkDown, Far bool
}

// member is the harness's record of one node.
type member struct {
	op   sync.Mutex // serializes process operations on the node
	node Node       // guarded by Home.mu, like the fields below
	gen  int
	proc *proc
}

// Home is a running virtual home: namespaces joined by bridges, one meshd
// per node namespace, and the harness's Controller in a namespace of its
// own. Its methods are safe for concurrent use. Close tears it down.
type Home struct {
	cfg    HomeConfig
	log    *slog.Logger
	net    *network
	psk    string
	runDir string
	ownDir bool
	marker string

	mu      sync.RWMutex
	closed  bool
	members []*member
	topo    sync.Mutex // serializes network changes

	cloud *cloud // nil without HomeConfig.Cloud

	relayMu sync.Mutex
	relay   *relay
	client  atomic.Pointer[usp.Client]

	stopAfter func() bool
	closeOnce sync.Once
	closeErr  error
}

// StartHome builds a home of cfg.Nodes nodes and starts a meshd in each,
// waiting for every start line. The home lives until Close or until ctx
// is done. It fails with ErrNeedRoot without root privileges; on any
// failure, what was built is torn down.
func StartHome(ctx context.Context, cfg HomeConfig) (*Home, error) {
	if err := checkPrivileges(); err != nil {
		return nil, err
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var rnd [20]byte
	_, _ = rand.Read(rnd[:])
	if cfg.Prefix == "" {
		cfg.Prefix = "uh" + hex.EncodeToString(rnd[:3])
	}
	h := &Home{cfg: cfg, psk: hex.EncodeToString(rnd[4:20])}
	h.log = cfg.Logger.With("sub", "vhome", "run", cfg.Prefix)
	h.net = &network{prefix: cfg.Prefix, plan: addrPlan{run: rnd[3]}, log: h.log}
	if err := h.start(ctx); err != nil {
		return nil, errors.Join(err, h.Close())
	}
	h.stopAfter = context.AfterFunc(ctx, func() { _ = h.Close() })
	return h, nil
}

// start reserves the prefix, builds the network and starts the nodes.
func (h *Home) start(ctx context.Context) error {
	t0 := time.Now()
	n := h.cfg.Nodes
	h.runDir = h.cfg.RunDir
	if h.runDir == "" {
		dir, err := os.MkdirTemp("", "vhome-"+h.cfg.Prefix+"-")
		if err != nil {
			return fmt.Errorf("vhome: run dir: %w", err)
		}
		h.runDir, h.ownDir = dir, true
	} else if err := os.MkdirAll(h.runDir, 0o755); err != nil {
		return fmt.Errorf("vhome: run dir: %w", err)
	}
	if !h.cfg.NoMesh {
		secret, err := meshkey.MintSecret()
		if err == nil {
			err = os.WriteFile(h.SecretFile(), []byte(secret+"\n"), 0o600)
		}
		if err != nil {
			return fmt.Errorf("vhome: mesh secret: %w", err)
		}
	}
	planned := h.net.namespaces(n)
	if h.cfg.Cloud {
		planned = append(planned, h.net.cloudNS())
	}
	marker, err := writeMarker(markerDir, newMarker(h.cfg.Prefix, planned, h.runDir, h.ownDir && !h.cfg.Keep))
	if err != nil {
		return err
	}
	h.marker = marker
	if err := h.net.build(ctx, n); err != nil {
		return err
	}
	if h.cfg.Cloud {
		if err := h.startCloud(ctx); err != nil {
			return err
		}
	}
	for i := range n {
		h.members = append(h.members, &member{node: Node{
			Index: i, Namespace: h.net.nodeNS(i), Addr: h.net.plan.node(i, 0), Addr6: h.net.plan.node6(i, 0),
			StateDir: filepath.Join(h.runDir, fmt.Sprintf("n%d", i)), LogPath: filepath.Join(h.runDir, fmt.Sprintf("n%d.log", i)),
		}})
	}
	h.log.Info("network up", "nodes", n, "controller", h.net.plan.ctl(), "took", time.Since(t0).Round(time.Millisecond))
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, m := range h.members {
		wg.Go(func() { errs[i] = h.startNode(ctx, m) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	h.log.Info("home up", "nodes", n, "run_dir", h.runDir, "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// startNode starts m's meshd; the caller holds m.op or owns m alone.
func (h *Home) startNode(ctx context.Context, m *member) error {
	h.mu.RLock()
	n, closed := m.node, h.closed
	h.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	argv := []string{h.cfg.MeshdPath, "-state-dir", n.StateDir, "-listen", netip.AddrPortFrom(n.Addr, MeshdPort).String(),
		"-psk-hex", h.psk, "-controller", string(ControllerID) + "=full", "-friendly-name", fmt.Sprintf("node%d", n.Index),
		"-interface", "eth0"}
	if !h.cfg.NoMesh {
		argv = append(argv, "-mesh-secret-file", h.SecretFile())
	}
	if h.cfg.Profile != "" {
		argv = append(argv, "-profile", h.cfg.Profile)
	}
	if h.cfg.SimHome != "" {
		argv = append(argv, "-radio", "sim", "-sim-home", h.cfg.SimHome, "-sim-node", SimNodeName(n.Index), "-sim-air", h.AirDir(),
			"-sim-cac", SimCAC.String())
	}
	if h.cloud != nil {
		// The home's APs are managed by the operator through its broker.
		argv = append(argv, "-mqtt-broker", h.BrokerURL(true), "-mqtt-ca", h.BrokerCA())
	}
	if h.cfg.ExtraArgs != nil {
		argv = append(argv, h.cfg.ExtraArgs(n.Index)...)
	}
	if h.cfg.NodeArgs != nil {
		argv = append(argv, h.cfg.NodeArgs(n)...)
	}
	st, err := startMeshd(ctx, n.Namespace, argv, n.LogPath, h.cfg.StartTimeout)
	if err != nil {
		return fmt.Errorf("node %d: %w", n.Index, err)
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return errors.Join(ErrClosed, st.proc.kill())
	}
	m.proc, m.node.AgentID, m.node.URL = st.proc, usp.EndpointID(st.agentID), st.url
	h.mu.Unlock()
	h.log.Info("meshd up", "node", n.Index, "agent", st.agentID, "url", st.url)
	return nil
}

// SimCAC is the DFS channel availability check of the virtual home's sim
// radios: regulation says 60 s, which would leave a demo's radios silent
// for a minute.
const SimCAC = 3 * time.Second

// SimNodeName is node i's AP name in a sim home description.
func SimNodeName(i int) string { return fmt.Sprintf("ap%d", i+1) }

// AirDir is the sim radios' shared air, in the run dir.
func (h *Home) AirDir() string { return filepath.Join(h.runDir, "air") }

// SecretFile is the home's mesh secret file, in the run dir.
func (h *Home) SecretFile() string { return filepath.Join(h.runDir, "mesh.secret") }

// Prefix returns the run's prefix, the start of its namespaces' names.
func (h *Home) Prefix() string { return h.cfg.Prefix }

// RunDir returns the directory of the nodes' state dirs and logs.
func (h *Home) RunDir() string { return h.runDir }

// PSKHex returns the run's DTLS pre-shared key, hex, that every node and
// the harness's Controller use.
func (h *Home) PSKHex() string { return h.psk }

// ControllerAddr returns the address of the harness's Controller.
func (h *Home) ControllerAddr() netip.Addr { return h.net.plan.ctl() }

// Nodes returns a snapshot of every node, by index.
func (h *Home) Nodes() []*Node {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*Node, len(h.members))
	for i, m := range h.members {
		out[i] = m.snapshot()
	}
	return out
}

// Node returns a snapshot of node i.
func (h *Home) Node(i int) (*Node, error) {
	m, err := h.member(i)
	if err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return m.snapshot(), nil
}

// snapshot copies m's node; the caller holds Home.mu.
func (m *member) snapshot() *Node {
	n := m.node
	n.Running = m.proc != nil && m.proc.running()
	return &n
}

func (h *Home) member(i int) (*member, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return nil, ErrClosed
	}
	if i < 0 || i >= len(h.members) {
		return nil, fmt.Errorf("vhome: no node %d (home of %d)", i, len(h.members))
	}
	return h.members[i], nil
}

// Close tears the home down: it stops every meshd (SIGTERM, then SIGKILL
// after 3 s) and the harness's Controller, kills whatever else runs in
// the run's namespaces, deletes them, and removes the run's marker and
// its temporary RunDir unless Keep. It is idempotent; later calls return
// the first call's result.
func (h *Home) Close() error {
	h.closeOnce.Do(func() { h.closeErr = h.teardown() })
	return h.closeErr
}

func (h *Home) teardown() error {
	t0 := time.Now()
	if h.stopAfter != nil {
		h.stopAfter()
	}
	h.mu.Lock()
	h.closed = true
	var procs []*proc
	for _, m := range h.members {
		if m.proc != nil {
			procs = append(procs, m.proc)
		}
	}
	h.mu.Unlock()
	h.relayMu.Lock()
	if c := h.client.Load(); c != nil {
		c.Close()
	}
	if h.relay != nil {
		h.relay.close()
	}
	h.relayMu.Unlock()
	if h.cloud != nil && h.cloud.proc != nil {
		procs = append(procs, h.cloud.proc)
	}
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { _ = p.stop(3 * time.Second) })
	}
	wg.Wait()
	errs := []error{destroyNamespaces(context.Background(), h.net.created)}
	if errs[0] == nil && h.marker != "" {
		errs = append(errs, removeMarker(h.marker))
	}
	if h.ownDir && !h.cfg.Keep {
		errs = append(errs, os.RemoveAll(h.runDir))
	}
	err := errors.Join(errs...)
	h.log.Info("home down", "took", time.Since(t0).Round(time.Millisecond), "err", err)
	if err != nil {
		return fmt.Errorf("vhome: teardown of %s: %w", h.cfg.Prefix, err)
	}
	return nil
}
