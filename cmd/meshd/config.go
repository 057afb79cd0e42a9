package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/node"
)

// controllerFlags collects repeated -controller EID=ROLE[,MTP] flags.
type controllerFlags []node.ControllerConfig

func (c *controllerFlags) String() string { return fmt.Sprint(*c) }

func (c *controllerFlags) Set(s string) error {
	id, rest, ok := strings.Cut(s, "=")
	if !ok || id == "" {
		return fmt.Errorf("want ENDPOINT_ID=ROLE[,MTP_URI], e.g. proto::ops=full,coaps://192.0.2.1:5684/usp")
	}
	role, mtp, _ := strings.Cut(rest, ",")
	*c = append(*c, node.ControllerConfig{EndpointID: id, Role: role, MTP: mtp})
	return nil
}

// listFlag collects a repeated string flag.
type listFlag struct{ list *[]string }

func (l *listFlag) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(*l.list, ",")
}

func (l *listFlag) Set(s string) error {
	*l.list = append(*l.list, s)
	return nil
}

// loadConfig parses meshd's command line into a node.Config.
func loadConfig(args []string) (node.Config, error) {
	fs := flag.NewFlagSet("meshd", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `meshd: the uspmesh node daemon, a USP Agent over CoAP/DTLS.

Usage: meshd [flags]

Security is on by default: give the home's mesh secret (-mesh-secret-file),
a pre-shared key for outside Controllers (-psk-hex or -psk-file) or
certificate files (-cert, -key, -ca); -insecure serves plain CoAP (labs only).
With a mesh secret the node finds the other nodes of its home by DNS-SD,
joins their encrypted cluster and takes part in the leader election.

Examples:
  meshctl secret > /etc/uspmesh/mesh.secret     # once per home
  meshd -state-dir /var/lib/uspmesh -mesh-secret-file /etc/uspmesh/mesh.secret
  meshd -state-dir /tmp/ap1 -listen 127.0.0.1:5684 -psk-hex $(openssl rand -hex 16) \
        -controller proto::ops=full

Flags:
`)
		fs.PrintDefaults()
	}
	var cfg node.Config
	var ctrls controllerFlags
	configFile := fs.String("config", "", "JSON config file (flags override it)")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state directory: identity, keys, persistent data model (default /var/lib/uspmesh)")
	fs.StringVar(&cfg.Listen, "listen", "", `CoAP listen address (default ":5684", ":5683" with -insecure)`)
	fs.BoolVar(&cfg.Insecure, "insecure", false, "serve plain CoAP without DTLS (labs only)")
	fs.StringVar(&cfg.PSKHex, "psk-hex", "", "DTLS pre-shared key, hex (at least 16 bytes)")
	fs.StringVar(&cfg.PSKFile, "psk-file", "", "file holding the DTLS pre-shared key, hex")
	fs.StringVar(&cfg.CertFile, "cert", "", "DTLS certificate (PEM) for certificate mode")
	fs.StringVar(&cfg.KeyFile, "key", "", "private key (PEM) of -cert")
	fs.StringVar(&cfg.CAFile, "ca", "", "trust store (PEM) for peer certificates")
	fs.StringVar(&cfg.AgentID, "agent-id", "", `Agent Endpoint ID (default "os::<OUI>-<serial>")`)
	fs.StringVar(&cfg.OUI, "oui", "", "manufacturer IEEE OUI, six hex digits (default 000000)")
	fs.StringVar(&cfg.SerialNumber, "serial", "", "serial number (default: random, kept in the state dir)")
	fs.StringVar(&cfg.FriendlyName, "friendly-name", "", "Device.DeviceInfo.FriendlyName at first start")
	fs.StringVar(&cfg.LogLevel, "log-level", "", "debug, info, warn or error (default info)")
	fs.StringVar(&cfg.MeshSecretFile, "mesh-secret-file", "", "the home's mesh secret (hex; 'meshctl secret' mints one): join the mesh")
	fs.IntVar(&cfg.Priority, "priority", 0, "leader priority: higher wins a new election, negative never leads")
	fs.Var(&listFlag{&cfg.Interfaces}, "interface", "interface for DNS-SD and this node's address (repeatable; default all up)")
	fs.StringVar(&cfg.Profile, "profile", "", "mesh timing profile: default (low traffic) or fast (quick failover)")
	fs.IntVar(&cfg.GossipPort, "gossip-port", 0, "memberlist gossip port, UDP and TCP (default 7946)")
	fs.IntVar(&cfg.ControllerPort, "controller-port", 0, "UDP port of this node's mesh Controller (default: Agent port + 1)")
	fs.Var(&listFlag{&cfg.Seeds}, "seed", "static gossip seed ip:port (repeatable), besides the peers DNS-SD finds")
	fs.StringVar(&cfg.Radio, "radio", "", "radio backend: none (default), sim or linux")
	fs.StringVar(&cfg.SimHome, "sim-home", "", "sim backend: home description JSON (see homes/)")
	fs.StringVar(&cfg.SimNode, "sim-node", "", "sim backend: this AP's name in the home description")
	fs.StringVar(&cfg.SimAir, "sim-air", "", "sim backend: the air directory every node of the home shares")
	simCAC := fs.Duration("sim-cac", 0, "sim backend: DFS channel availability check time (default 60s)")
	fs.Var(&listFlag{&cfg.RadioInterfaces}, "radio-interface", "linux backend: AP interface to manage (repeatable; default all AP interfaces)")
	fs.StringVar(&cfg.HostapdCtrlDir, "hostapd-ctrl-dir", "", "linux backend: hostapd control socket directory (default /var/run/hostapd)")
	fs.Var(&ctrls, "controller", "trusted Controller ENDPOINT_ID=ROLE[,MTP_URI]; ROLE is full, read or untrusted (repeatable)")
	if err := fs.Parse(args); err != nil {
		return node.Config{}, err
	}
	if fs.NArg() > 0 {
		return node.Config{}, fmt.Errorf("unexpected argument %q (see -help)", fs.Arg(0))
	}
	cfg.Controllers = ctrls
	cfg.SimCAC = node.Duration(*simCAC)
	if *configFile != "" {
		if err := node.LoadFile(*configFile, &cfg); err != nil {
			return node.Config{}, err
		}
	}
	return cfg, nil
}
