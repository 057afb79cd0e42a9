package node

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/mqtt"
)

// MQTTConfig connects the Agent to an MQTT broker, the MTP of Controllers
// outside the home (an operator's cloud, a security provider). It is
// Device.MQTT.Client.1 and a Device.LocalAgent.MTP row with Alias "mqtt".
type MQTTConfig struct {
	// Broker is the broker's address: mqtt://host[:port] (TCP, port 1883)
	// or mqtts://host[:port] (TLS, port 8883).
	Broker string `json:"broker"`
	// CAFile is the trust store (PEM) the broker's certificate is
	// verified with (mqtts; default the system's roots).
	CAFile string `json:"ca_file"`
	// CertFile and KeyFile are an optional client certificate (mqtts).
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	// Username and PasswordFile authenticate to the broker (optional).
	Username     string `json:"username"`
	PasswordFile string `json:"password_file"`
	// ClientID is the MQTT client identifier (default the Agent's
	// Endpoint ID).
	ClientID string `json:"client_id"`
	// Topic is the Agent's own topic, where Controllers publish their
	// Records (default "usp/agent/<Endpoint ID>").
	Topic string `json:"topic"`
	// KeepAlive is the MQTT keep-alive (default 60s).
	KeepAlive Duration `json:"keep_alive"`
	// RetryMin, RetryMultiplier (per mille) and RetryMax are TR-369's
	// reconnection back-off (defaults 5s, 2000, 8h32m).
	RetryMin        Duration `json:"retry_min"`
	RetryMultiplier int      `json:"retry_multiplier"`
	RetryMax        Duration `json:"retry_max"`
	// MaxRecord refuses inbound Records larger than this many bytes
	// (default 65536).
	MaxRecord int `json:"max_record"`
}

// WebSocketConfig serves the Agent's WebSocket MTP for in-home apps and
// browsers (Device.LocalAgent.MTP row with Alias "websocket"; DNS-SD
// _usp-agt-ws._tcp while it runs).
type WebSocketConfig struct {
	// Listen is the server's TCP address (default ":5685").
	Listen string `json:"listen"`
	// Path is the HTTP path of the upgrade (default "/usp").
	Path string `json:"path"`
	// CertFile and KeyFile are the server's TLS certificate; ClientCAFile
	// verifies the Controllers' client certificates, whose SAN URI
	// urn:bbf:usp:id:<Endpoint ID> names them. All three are required
	// unless Insecure.
	CertFile     string `json:"cert_file"`
	KeyFile      string `json:"key_file"`
	ClientCAFile string `json:"client_ca_file"`
	// Insecure serves plain ws:// and believes the Endpoint ID a client
	// states in its handshake. For labs only.
	Insecure bool `json:"insecure"`
	// UI also serves the status page (package webui) at /ui/ on the same
	// listener: a USP Controller in the browser. It authenticates as any
	// Controller: its Endpoint ID (UIController) must be a configured
	// Controller of every node, named by the browser's client certificate
	// (or, when Insecure, by ?eid= in the page's URL).
	UI bool `json:"ui"`
	// UIController is the Endpoint ID the page uses when neither a client
	// certificate nor its URL names one (default "proto::ui").
	UIController string `json:"ui_controller"`
	// KeepAlive is the ping interval (default 30s).
	KeepAlive Duration `json:"keep_alive"`
	// MaxRecord refuses Records larger than this many bytes (default
	// 65536).
	MaxRecord int `json:"max_record"`
}

// RoleConfig is a Role provisioned at start
// (Device.LocalAgent.ControllerTrust.Role.{i}), which configured
// Controllers can name besides full, read and untrusted.
type RoleConfig struct {
	// Name is the Role's unique name.
	Name string `json:"name"`
	// Permissions are its Permission rows, in increasing precedence.
	Permissions []PermissionConfig `json:"permissions"`
	// Secured puts the Role in ControllerTrust.SecuredRoles: its
	// Controllers read secured parameters (passphrases) in clear.
	Secured bool `json:"secured"`
}

// PermissionConfig is one Permission row of a configured Role: the
// paths it covers and four "rwxn" strings ('-' for a denied right).
type PermissionConfig struct {
	Targets         []string `json:"targets"`
	Param           string   `json:"param"`
	Obj             string   `json:"obj"`
	InstantiatedObj string   `json:"instantiated_obj"`
	CommandEvent    string   `json:"command_event"`
}

// spec is the Role as the access package provisions it; Orders follow
// the list.
func (r RoleConfig) spec() access.RoleSpec {
	s := access.RoleSpec{Name: r.Name}
	for i, p := range r.Permissions {
		s.Permissions = append(s.Permissions, access.PermSpec{Order: uint(i + 1), Targets: p.Targets,
			Param: p.Param, Obj: p.Obj, InstantiatedObj: p.InstantiatedObj, CommandEvent: p.CommandEvent})
	}
	return s
}

// applyMTPDefaults fills the MQTT and WebSocket defaults that do not
// depend on the Agent's Endpoint ID.
func (c *Config) applyMTPDefaults() {
	if m := c.MQTT; m != nil {
		if m.KeepAlive == 0 {
			m.KeepAlive = Duration(60e9)
		}
		if m.MaxRecord == 0 {
			m.MaxRecord = 64 << 10
		}
	}
	if w := c.WebSocket; w != nil {
		if w.Listen == "" {
			w.Listen = ":5685"
		}
		if w.Path == "" {
			w.Path = "/usp"
		}
		if !strings.HasPrefix(w.Path, "/") {
			w.Path = "/" + w.Path
		}
		if w.KeepAlive == 0 {
			w.KeepAlive = Duration(30e9)
		}
		if w.MaxRecord == 0 {
			w.MaxRecord = 64 << 10
		}
	}
}

// validateMTPs checks the MQTT, WebSocket and Role sections and the
// Controllers' MTPs.
func (c Config) validateMTPs() error {
	if m := c.MQTT; m != nil {
		if _, err := mqtt.ParseBrokerURL(m.Broker); err != nil {
			return &ConfigError{"mqtt.broker", m.Broker, err.Error()}
		}
		if (m.CertFile == "") != (m.KeyFile == "") {
			return &ConfigError{"mqtt.cert_file/key_file", m.CertFile, "a client certificate needs both files"}
		}
		if m.RetryMultiplier != 0 && (m.RetryMultiplier < 1000 || m.RetryMultiplier > 65535) {
			return &ConfigError{"mqtt.retry_multiplier", strconv.Itoa(m.RetryMultiplier), "want 1000..65535 (per mille)"}
		}
		if m.MaxRecord < 0 {
			return &ConfigError{"mqtt.max_record", strconv.Itoa(m.MaxRecord), "want a positive size"}
		}
	}
	if w := c.WebSocket; w != nil {
		if _, _, err := net.SplitHostPort(w.Listen); err != nil {
			return &ConfigError{"websocket.listen", w.Listen, "want host:port or :port"}
		}
		if !w.Insecure && (w.CertFile == "" || w.KeyFile == "" || w.ClientCAFile == "") {
			return &ConfigError{"websocket.cert_file", w.CertFile, "wss needs cert_file, key_file and client_ca_file (the Controllers' CA); websocket.insecure serves plain ws for labs"}
		}
	}
	names := map[string]bool{}
	for _, n := range roleNames {
		names[n] = true
	}
	for i, r := range c.Roles {
		field := fmt.Sprintf("roles[%d]", i)
		if r.Name == "" || len(r.Name) > 64 || names[r.Name] {
			return &ConfigError{field + ".name", r.Name, "want a unique name of 1..64 characters, not full, read or untrusted"}
		}
		names[r.Name] = true
		for j, p := range r.Permissions {
			pf := fmt.Sprintf("%s.permissions[%d]", field, j)
			if len(p.Targets) == 0 {
				return &ConfigError{pf + ".targets", "", "want at least one path"}
			}
			for _, s := range []string{p.Param, p.Obj, p.InstantiatedObj, p.CommandEvent} {
				if s != "" && !tr181.ValidPermission(s) {
					return &ConfigError{pf, s, `want four characters in "rwxn" order, '-' for a denied right`}
				}
			}
		}
	}
	for i, ctl := range c.Controllers {
		field := fmt.Sprintf("controllers[%d]", i)
		if !names[ctl.Role] {
			return &ConfigError{field + ".role", ctl.Role, "want full, read, untrusted or a name from roles"}
		}
		if ctl.MTP != "" {
			if _, err := parseMTP(ctl.MTP); err != nil {
				return &ConfigError{field + ".mtp", ctl.MTP, err.Error()}
			}
		}
		if ctl.MQTTTopic != "" && c.MQTT == nil {
			return &ConfigError{field + ".mqtt_topic", ctl.MQTTTopic, "needs the mqtt section (the broker)"}
		}
		if strings.ContainsAny(ctl.MQTTTopic, "+#") {
			return &ConfigError{field + ".mqtt_topic", ctl.MQTTTopic, "a topic to publish to has no wildcards"}
		}
	}
	return nil
}
