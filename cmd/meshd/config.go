package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/uspmesh/uspmesh/node"
)

// usage is the text -help prints before the flags.
const usage = `meshd: the uspmesh node daemon, a USP Agent over CoAP/DTLS, MQTT
and WebSocket.

Usage: meshd [flags]

Security is on by default: give the home's mesh secret (-mesh-secret-file),
a pre-shared key for outside Controllers (-psk-hex or -psk-file) or
certificate files (-cert, -key, -ca); -insecure serves plain CoAP (labs only).
With a mesh secret the node finds the other nodes of its home by DNS-SD,
joins their encrypted cluster and takes part in the leader election.

SIGHUP reloads the configuration (the -config file with the same flags on
top): a configuration that does not validate is refused and the running
one stays; a valid one restarts the node in place with it.

A flag given on the command line overrides the -config file, even with a
zero value (-insecure=false, -priority 0); a repeatable flag given at least
once replaces the file's whole list.

Controllers outside the home reach the same Agent through the operator's
MQTT broker (-mqtt-broker; each such Controller needs its topic:
-controller proto::ops=full,mqtt:usp/controller/ops) or, for apps and
browsers in the home, the WebSocket server (-ws-listen, with TLS client
certificates: -ws-cert, -ws-key, -ws-client-ca).

-ui also serves a status page on the WebSocket server, at
https://<node>:<port>/ui/ (http:// with -ws-insecure). The page is itself a
USP Controller in the browser and authenticates like one: its Endpoint ID
must be a configured Controller on every node (read is enough), e.g.
-controller proto::ui=read. With TLS the browser presents its installed
client certificate (SAN urn:bbf:usp:id:proto::ui, from the -ws-client-ca);
with -ws-insecure (labs) the page names itself: /ui/?eid=proto::ui (the
default, -ui-controller). It reads the mesh from the node that served it and
opens a session to every node's WebSocket server (same port and path).

Examples:
  meshctl secret -o /etc/uspmesh/mesh.secret    # once per home, copied to every AP
  meshd -state-dir /var/lib/uspmesh -mesh-secret-file /etc/uspmesh/mesh.secret
  meshctl mint-psk -o ops.psk                   # a key for one outside Controller
  meshd -state-dir /tmp/ap1 -listen 127.0.0.1:5684 -psk-file ops.psk \
        -controller proto::ops=full

Flags:
`

// loadConfig builds the node's config from meshd's command line: the
// -config file if given, then every flag given on the command line.
func loadConfig(args []string) (node.Config, error) {
	return newConfigFlags(os.Stderr).load(args)
}

// configFlags are meshd's flags. Each flag but -config sets one field of
// a node.Config; set holds, by flag name, the function that does it with
// the parsed value. Only the flags given on the command line are applied,
// after the file is decoded: a given flag always wins, even with its zero
// value, and a flag not given never erases a file's value. No list of
// fields to merge is kept by hand.
type configFlags struct {
	fs      *flag.FlagSet
	file    string
	version bool
	set     map[string]func(*node.Config)
}

// errVersion: -version was given; the caller prints the version.
var errVersion = errors.New("version requested")

// newConfigFlags registers meshd's flags; usage and errors go to out.
func newConfigFlags(out io.Writer) *configFlags {
	f := &configFlags{fs: flag.NewFlagSet("meshd", flag.ContinueOnError), set: map[string]func(*node.Config){}}
	f.fs.SetOutput(out)
	f.fs.Usage = func() {
		fmt.Fprint(f.fs.Output(), usage)
		f.fs.PrintDefaults()
	}
	f.fs.StringVar(&f.file, "config", "", "JSON config file (flags override it); SIGHUP reloads it")
	f.fs.BoolVar(&f.version, "version", false, "print the version and exit")
	type conf = node.Config
	f.str("state-dir", "state directory: identity, keys, persistent data model, the owner's radio settings (default /var/lib/uspmesh)", func(c *conf) *string { return &c.StateDir })
	f.str("listen", `CoAP listen address (default ":5684", ":5683" with -insecure)`, func(c *conf) *string { return &c.Listen })
	f.boolean("insecure", "serve plain CoAP without DTLS (labs only)", func(c *conf) *bool { return &c.Insecure })
	f.str("psk-hex", "DTLS pre-shared key, hex (at least 16 bytes)", func(c *conf) *string { return &c.PSKHex })
	f.str("psk-file", "file holding the DTLS pre-shared key, hex", func(c *conf) *string { return &c.PSKFile })
	f.str("cert", "DTLS certificate (PEM) for certificate mode", func(c *conf) *string { return &c.CertFile })
	f.str("key", "private key (PEM) of -cert", func(c *conf) *string { return &c.KeyFile })
	f.str("ca", "trust store (PEM) for peer certificates", func(c *conf) *string { return &c.CAFile })
	f.str("agent-id", `Agent Endpoint ID (default "os::<OUI>-<serial>")`, func(c *conf) *string { return &c.AgentID })
	f.str("oui", "manufacturer IEEE OUI, six hex digits (default 000000)", func(c *conf) *string { return &c.OUI })
	f.str("serial", "serial number (default: random, kept in the state dir)", func(c *conf) *string { return &c.SerialNumber })
	f.str("friendly-name", "Device.DeviceInfo.FriendlyName at first start", func(c *conf) *string { return &c.FriendlyName })
	f.str("log-level", "debug, info, warn or error (default info)", func(c *conf) *string { return &c.LogLevel })
	f.str("mesh-secret-file", "the home's mesh secret (hex; 'meshctl secret' mints one): join the mesh", func(c *conf) *string { return &c.MeshSecretFile })
	f.integer("priority", "leader priority: higher wins a new election, negative never leads", func(c *conf) *int { return &c.Priority })
	f.list("interface", "interface for DNS-SD and this node's address (repeatable; default all up)", func(c *conf) *[]string { return &c.Interfaces })
	f.str("profile", "mesh timing profile: default (low traffic) or fast (quick failover)", func(c *conf) *string { return &c.Profile })
	f.integer("gossip-port", "memberlist gossip port, UDP and TCP (default 7946)", func(c *conf) *int { return &c.GossipPort })
	f.integer("controller-port", "UDP port of this node's mesh Controller (default: Agent port + 1)", func(c *conf) *int { return &c.ControllerPort })
	f.list("seed", "static gossip seed ip:port (repeatable), besides the peers DNS-SD finds", func(c *conf) *[]string { return &c.Seeds })
	lostExpiry := f.fs.Duration("lost-node-expiry", 0, "how long a lost mesh node's Node row stays before it is removed (default 24h)")
	f.set["lost-node-expiry"] = func(c *conf) { c.LostNodeExpiry = node.Duration(*lostExpiry) }
	bulkMin := f.fs.Duration("bulkdata-min-interval", 0, "Device.BulkData.MinReportingInterval: the shortest ReportingInterval a bulk data profile may have, whole seconds (default 60s)")
	f.set["bulkdata-min-interval"] = func(c *conf) { c.BulkDataMinInterval = node.Duration(*bulkMin) }
	f.str("bulkdata-ca", "trust store (PEM) for HTTPS bulk data collectors, besides the system roots, -ca and -mqtt-ca", func(c *conf) *string { return &c.BulkDataCAFile })
	histPeriod := f.fs.Duration("history-period", 0, "how often the node samples its radios and clients into its history (Device.X_USPMESH_Mesh.History.), whole seconds (default 10s)")
	f.set["history-period"] = func(c *conf) { c.HistoryPeriod = node.Duration(*histPeriod) }
	steering := f.fs.Bool("steering", true, "as leader, steer clients to better APs and bands (802.11v BSS transition; -steering=false turns it off)")
	f.set["steering"] = func(c *conf) { c.NoSteering = !*steering }
	histFlash := f.fs.Duration("history-flash-every", 0, "keep one history sample per this period on flash, in <state-dir>/history/ (default 1m)")
	f.set["history-flash-every"] = func(c *conf) { c.HistoryFlashEvery = node.Duration(*histFlash) }
	f.str("apps-runtime", "runtime of the apps Controllers install (Device.SoftwareModules.): crun (default when crun is on PATH), process or off", func(c *conf) *string { return &c.AppsRuntime })
	appsMem := f.fs.Int64("apps-memory-mb", 0, "memory bound of each app, MiB (default 64 under crun, none for plain processes)")
	f.set["apps-memory-mb"] = func(c *conf) { c.AppsMemoryMB = *appsMem }
	appsCPU := f.fs.Int64("apps-cpu-milli", 0, "CPU bound of each app, thousandths of a core (default 500)")
	f.set["apps-cpu-milli"] = func(c *conf) { c.AppsCPUMilli = *appsCPU }
	appsPids := f.fs.Int64("apps-pids", 0, "process and thread bound of each app (default 64)")
	f.set["apps-pids"] = func(c *conf) { c.AppsPids = *appsPids }
	f.str("radio", "radio backend: none (default), sim or linux", func(c *conf) *string { return &c.Radio })
	f.str("sim-home", "sim backend: home description JSON (see homes/)", func(c *conf) *string { return &c.SimHome })
	f.str("sim-node", "sim backend: this AP's name in the home description", func(c *conf) *string { return &c.SimNode })
	f.str("sim-air", "sim backend: the air directory every node of the home shares", func(c *conf) *string { return &c.SimAir })
	simCAC := f.fs.Duration("sim-cac", 0, "sim backend: DFS channel availability check time (default 60s)")
	f.set["sim-cac"] = func(c *conf) { c.SimCAC = node.Duration(*simCAC) }
	f.list("radio-interface", "linux backend: AP interface to manage (repeatable; default all AP interfaces)", func(c *conf) *[]string { return &c.RadioInterfaces })
	f.str("hostapd-ctrl-dir", "linux backend: hostapd control socket directory (default /var/run/hostapd)", func(c *conf) *string { return &c.HostapdCtrlDir })
	mq := func(c *conf) *node.MQTTConfig {
		if c.MQTT == nil {
			c.MQTT = &node.MQTTConfig{}
		}
		return c.MQTT
	}
	f.str("mqtt-broker", "MQTT MTP: the operator's broker, mqtt://host[:port] or mqtts://host[:port]", func(c *conf) *string { return &mq(c).Broker })
	f.str("mqtt-topic", `MQTT MTP: the Agent's topic (default "usp/agent/<Endpoint ID>")`, func(c *conf) *string { return &mq(c).Topic })
	f.str("mqtt-ca", "MQTT MTP: trust store (PEM) for an mqtts broker (default system roots)", func(c *conf) *string { return &mq(c).CAFile })
	f.str("mqtt-user", "MQTT MTP: broker user name", func(c *conf) *string { return &mq(c).Username })
	f.str("mqtt-password-file", "MQTT MTP: file holding the broker password", func(c *conf) *string { return &mq(c).PasswordFile })
	ws := func(c *conf) *node.WebSocketConfig {
		if c.WebSocket == nil {
			c.WebSocket = &node.WebSocketConfig{}
		}
		return c.WebSocket
	}
	f.str("ws-listen", `WebSocket MTP: serve apps and browsers on this address (e.g. ":5685")`, func(c *conf) *string { return &ws(c).Listen })
	f.str("ws-cert", "WebSocket MTP: server certificate (PEM)", func(c *conf) *string { return &ws(c).CertFile })
	f.str("ws-key", "WebSocket MTP: private key (PEM) of -ws-cert", func(c *conf) *string { return &ws(c).KeyFile })
	f.str("ws-client-ca", "WebSocket MTP: CA (PEM) of the Controllers' client certificates", func(c *conf) *string { return &ws(c).ClientCAFile })
	f.boolean("ws-insecure", "WebSocket MTP: plain ws, Controllers named by their handshake (labs only)", func(c *conf) *bool { return &ws(c).Insecure })
	f.boolean("ui", "WebSocket MTP: also serve the status page at /ui/ (a browser Controller; configure its -controller)", func(c *conf) *bool { return &ws(c).UI })
	f.str("ui-controller", `status page: its Controller Endpoint ID when no client certificate or ?eid= names one (default "proto::ui")`, func(c *conf) *string { return &ws(c).UIController })
	var ctrls controllerFlags
	f.fs.Var(&ctrls, "controller", "trusted Controller ENDPOINT_ID=ROLE[,MTP_URI][,mqtt:TOPIC]; ROLE is full, read, untrusted or a configured role; MTP_URI coap[s]:// or ws[s]://; TOPIC its topic on the -mqtt-broker (repeatable)")
	f.set["controller"] = func(c *conf) { c.Controllers = ctrls }
	return f
}

func (f *configFlags) str(name, usage string, field func(*node.Config) *string) {
	v := f.fs.String(name, "", usage)
	f.set[name] = func(c *node.Config) { *field(c) = *v }
}

func (f *configFlags) boolean(name, usage string, field func(*node.Config) *bool) {
	v := f.fs.Bool(name, false, usage)
	f.set[name] = func(c *node.Config) { *field(c) = *v }
}

func (f *configFlags) integer(name, usage string, field func(*node.Config) *int) {
	v := f.fs.Int(name, 0, usage)
	f.set[name] = func(c *node.Config) { *field(c) = *v }
}

// list registers a repeatable flag whose values replace the file's list.
func (f *configFlags) list(name, usage string, field func(*node.Config) *[]string) {
	var v listFlag
	f.fs.Var(&v, name, usage)
	f.set[name] = func(c *node.Config) { *field(c) = v }
}

// load parses args, decodes the -config file if one is given and applies
// the flags given on top of it.
func (f *configFlags) load(args []string) (node.Config, error) {
	if err := f.fs.Parse(args); err != nil {
		return node.Config{}, err
	}
	if f.version {
		return node.Config{}, errVersion
	}
	if f.fs.NArg() > 0 {
		return node.Config{}, fmt.Errorf("unexpected argument %q (see -help)", f.fs.Arg(0))
	}
	var cfg node.Config
	if f.file != "" {
		if err := node.LoadFile(f.file, &cfg); err != nil {
			return node.Config{}, err
		}
	}
	f.fs.Visit(func(fl *flag.Flag) {
		if set := f.set[fl.Name]; set != nil {
			set(&cfg)
		}
	})
	return cfg, nil
}

// controllerFlags collects repeated -controller EID=ROLE[,MTP] flags.
type controllerFlags []node.ControllerConfig

func (c *controllerFlags) String() string { return fmt.Sprint(*c) }

func (c *controllerFlags) Set(s string) error {
	id, rest, ok := strings.Cut(s, "=")
	if !ok || id == "" {
		return fmt.Errorf("want ENDPOINT_ID=ROLE[,MTP_URI][,mqtt:TOPIC], e.g. proto::ops=full,coaps://192.0.2.1:5684/usp")
	}
	parts := strings.Split(rest, ",")
	cc := node.ControllerConfig{EndpointID: id, Role: parts[0]}
	for _, p := range parts[1:] {
		switch {
		case strings.HasPrefix(p, "mqtt:"):
			cc.MQTTTopic = strings.TrimPrefix(p, "mqtt:")
		case cc.MTP == "":
			cc.MTP = p
		default:
			return fmt.Errorf("%q: one MTP URI at most, besides mqtt:TOPIC", s)
		}
	}
	*c = append(*c, cc)
	return nil
}

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}
