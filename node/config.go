package node

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/usp"
)

// Config configures a node. Zero values take the defaults documented on
// each field; Validate reports the first bad field by name.
type Config struct {
	// StateDir holds the node's identity, persistent data model, leader
	// term fence and election state, and its lock (default
	// /var/lib/uspmesh); keys stay in the files the config names.
	StateDir string `json:"state_dir"`
	// Listen is the Agent's CoAP address (default ":5684", or ":5683"
	// with Insecure).
	Listen string `json:"listen"`
	// Insecure serves NoSec CoAP (no DTLS). For labs only.
	Insecure bool `json:"insecure"`
	// PSKHex is the DTLS pre-shared key, hex; PSKFile a file holding it.
	// One of them, or the certificate files, is required unless Insecure.
	PSKHex  string `json:"psk_hex"`
	PSKFile string `json:"psk_file"`
	// CertFile, KeyFile and CAFile select DTLS certificate mode: the
	// node's certificate and key (PEM) and the trust store of peer
	// certificates.
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	CAFile   string `json:"ca_file"`
	// AgentID is the Agent's Endpoint ID (default
	// "os::<OUI>-<SerialNumber>").
	AgentID string `json:"agent_id"`
	// Identity of the device (Device.DeviceInfo). SerialNumber defaults
	// to a random one kept in StateDir; OUI to "000000" (set the maker's
	// IEEE OUI).
	Manufacturer string `json:"manufacturer"`
	OUI          string `json:"oui"`
	ModelName    string `json:"model_name"`
	ProductClass string `json:"product_class"`
	SerialNumber string `json:"serial_number"`
	// FriendlyName is Device.DeviceInfo.FriendlyName at first start.
	FriendlyName string `json:"friendly_name"`
	// Controllers are provisioned at start: their rows, roles and MTP
	// addresses (Controllers can also be added with USP Add).
	Controllers []ControllerConfig `json:"controllers"`
	// MeshSecretFile holds the home's mesh secret (32 bytes, hex; meshctl
	// secret mints one). With it the node joins its mesh: it advertises
	// and browses DNS-SD, gossips (encrypted with a key derived from the
	// secret), elects a leader, and uses a PSK derived from the secret for
	// mesh-internal DTLS. Without it the node runs alone.
	MeshSecretFile string `json:"mesh_secret_file"`
	// Priority ranks this node when a new leader is chosen: higher wins,
	// negative never leads (default 0).
	Priority int `json:"priority"`
	// Interfaces names the interfaces used for DNS-SD and to find this
	// node's address (default every up, multicast-capable interface).
	Interfaces []string `json:"interfaces"`
	// Profile is the mesh timing profile: "default" (low traffic on a
	// home LAN) or "fast" (quicker failover, more traffic; tests).
	Profile string `json:"profile"`
	// GossipPort is the memberlist port, UDP and TCP (default 7946).
	GossipPort int `json:"gossip_port"`
	// ControllerPort is the UDP port of this node's mesh Controller
	// (default: the Agent's port + 1).
	ControllerPort int `json:"controller_port"`
	// Seeds are static gossip addresses (host:port) joined besides the
	// peers DNS-SD finds.
	Seeds []string `json:"seeds"`
	// LostNodeExpiry is how long the Node row of a mesh node that is no
	// longer heard stays, with Status Lost, before it is removed
	// (default 24h): long enough to see that an AP went away, short
	// enough that a node replaced or given a new identity does not
	// leave a row for ever.
	LostNodeExpiry Duration `json:"lost_node_expiry"`

	// Radio is the radio backend: "none" (default: no radios), "sim" (a
	// simulated RF world shared by the nodes of a virtual home) or
	// "linux" (nl80211 and hostapd).
	Radio string `json:"radio"`
	// SimHome is the sim backend's home description (JSON, see homes/),
	// SimNode this AP's name in it, SimAir the directory all nodes of the
	// home share as their air.
	SimHome string `json:"sim_home"`
	SimNode string `json:"sim_node"`
	SimAir  string `json:"sim_air"`
	// SimCAC shortens the sim radios' channel availability check on DFS
	// channels (default 60 s, as regulation requires); virtual homes use
	// a few seconds.
	SimCAC Duration `json:"sim_cac"`
	// RadioInterfaces names the AP interfaces the linux backend manages
	// (default every AP-mode interface); HostapdCtrlDir is hostapd's
	// control socket directory (default /var/run/hostapd).
	RadioInterfaces []string `json:"radio_interfaces"`
	HostapdCtrlDir  string   `json:"hostapd_ctrl_dir"`

	// MQTT connects the Agent to a broker for Controllers outside the
	// home (nil: no MQTT MTP).
	MQTT *MQTTConfig `json:"mqtt"`
	// WebSocket serves the WebSocket MTP for in-home apps and browsers
	// (nil: none).
	WebSocket *WebSocketConfig `json:"websocket"`
	// Roles are provisioned besides full, read and untrusted, for
	// Controllers with narrower rights (an app, a security provider).
	Roles []RoleConfig `json:"roles"`

	// BulkDataMinInterval is Device.BulkData.MinReportingInterval, in
	// whole seconds (default 60 s): a profile's ReportingInterval below
	// it is refused (7012 Invalid value). Labs and tests lower it.
	BulkDataMinInterval Duration `json:"bulkdata_min_interval"`
	// BulkDataCAFile holds CAs (PEM) that HTTPS bulk data collectors may
	// chain to, besides the system roots, ca_file and mqtt.ca_file: a
	// private collector's CA for a node in PSK mode, which has no ca_file.
	BulkDataCAFile string `json:"bulkdata_ca_file"`

	// HistoryPeriod is how often the node samples its radios and clients
	// into its history (Device.X_USPMESH_Mesh.History., default 10s,
	// whole seconds, at least 1s); HistoryFlashEvery how often a sample
	// is also kept on flash, in <state dir>/history/ (default 1m).
	HistoryPeriod     Duration `json:"history_period"`
	HistoryFlashEvery Duration `json:"history_flash_every"`

	// NoSteering turns off client steering: as leader, this node steers
	// no client (its Agent still runs steering commands it is sent).
	NoSteering bool `json:"no_steering"`

	// AppsRuntime runs the applications Controllers install
	// (Device.SoftwareModules.): "crun" (OCI containers; the default when
	// crun is on PATH), "process" (plain processes, the default
	// otherwise) or "off". Their state is kept in <state dir>/swmod.
	AppsRuntime string `json:"apps_runtime"`
	// AppsMemoryMB, AppsCPUMilli (thousandths of a core) and AppsPids
	// bound each application (defaults 64 MiB, 500, 64; the process
	// runtime has no default memory bound, as it can only bound virtual
	// memory); a bundle's manifest may only ask for less.
	AppsMemoryMB int64 `json:"apps_memory_mb"`
	AppsCPUMilli int64 `json:"apps_cpu_milli"`
	AppsPids     int64 `json:"apps_pids"`

	// LogLevel is debug, info (default), warn or error.
	LogLevel string `json:"log_level"`
}

// ControllerConfig provisions one trusted Controller.
type ControllerConfig struct {
	// EndpointID of the Controller, e.g. "proto::ops".
	EndpointID string `json:"endpoint_id"`
	// Role is "full" (read, write, operate, notify everything),
	// "read" (read and notify everything), "untrusted", or the name of
	// one of Config.Roles.
	Role string `json:"role"`
	// MTP is where the Controller receives Notify: coap[s]://host:port/path,
	// or ws[s]://host:port/path, the Controller's WebSocket server, which
	// the Agent keeps a session to. Optional: requests are always
	// answered on the MTP and session they came in on, and a Controller
	// without MTP gets its notifications where it subscribed from.
	MTP string `json:"mtp"`
	// MQTTTopic is the Controller's topic on the Agent's broker (the
	// mqtt section): its notifications and the MQTTConnectRecord go
	// there, and only Controllers with a topic are served over MQTT.
	MQTTTopic string `json:"mqtt_topic"`
}

// DefaultLostNodeExpiry is Config.LostNodeExpiry's default.
const DefaultLostNodeExpiry = 24 * time.Hour

// DefaultBulkDataMinInterval is Config.BulkDataMinInterval's default,
// TR-181's usual MinReportingInterval.
const DefaultBulkDataMinInterval = time.Minute

// Duration is a time.Duration that JSON spells as Go does ("5s").
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Roles a ControllerConfig may name.
var roleNames = []string{"full", "read", "untrusted"}

// LoadFile reads the JSON config file name into c, replacing all of c
// (a field the file leaves out is zero); c is unchanged on error. Unknown
// fields are an error naming them. Command-line flags are applied to the
// result by cmd/meshd, not here.
func LoadFile(name string, c *Config) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var f Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("config %s: %w", name, err)
	}
	*c = f
	return nil
}

// ConfigError names the configuration field at fault and why.
type ConfigError struct {
	Field, Value, Reason string
}

// Error implements error.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("config: %s %q: %s", e.Field, e.Value, e.Reason)
}

// applyDefaults fills defaults that do not depend on the state dir and
// writes a hex OUI in upper case, as the Endpoint ID and
// Device.DeviceInfo.ManufacturerOUI spell it.
func (c *Config) applyDefaults() {
	if c.StateDir == "" {
		c.StateDir = "/var/lib/uspmesh"
	}
	if c.Listen == "" {
		c.Listen = ":5684"
		if c.Insecure {
			c.Listen = ":5683"
		}
	}
	if c.OUI == "" {
		c.OUI = "000000"
	}
	if isHex(c.OUI) {
		c.OUI = strings.ToUpper(c.OUI)
	}
	if c.Manufacturer == "" {
		c.Manufacturer = "uspmesh"
	}
	if c.ModelName == "" {
		c.ModelName = "uspmesh AP"
	}
	if c.ProductClass == "" {
		c.ProductClass = "MeshAP"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.GossipPort == 0 {
		c.GossipPort = 7946
	}
	if c.LostNodeExpiry == 0 {
		c.LostNodeExpiry = Duration(DefaultLostNodeExpiry)
	}
	if c.BulkDataMinInterval == 0 {
		c.BulkDataMinInterval = Duration(DefaultBulkDataMinInterval)
	}
	if c.Profile == "" {
		c.Profile = "default"
	}
	if c.HistoryPeriod == 0 {
		c.HistoryPeriod = Duration(DefaultHistoryPeriod)
	}
	if c.HistoryFlashEvery == 0 {
		c.HistoryFlashEvery = Duration(DefaultHistoryFlashEvery)
	}
	c.applyMTPDefaults()
}

// Validate checks c after defaults; the error, a *ConfigError, names the
// first field at fault. Validate changes nothing and reads no file: that
// the files it names (PSK, certificates, mesh secret) can be read and
// parsed is checked by the node when it opens them, at start.
func (c Config) Validate() error {
	if len(c.OUI) != 6 || !isHex(c.OUI) {
		return &ConfigError{"oui", c.OUI, "want six hex digits (an IEEE OUI)"}
	}
	if c.AgentID != "" {
		if _, err := usp.ParseEndpointID(c.AgentID); err != nil {
			return &ConfigError{"agent_id", c.AgentID, err.Error()}
		}
	}
	switch c.AppsRuntime {
	case "", "crun", "process", "off":
	default:
		return &ConfigError{"apps_runtime", c.AppsRuntime, "want crun, process or off"}
	}
	for _, l := range []struct {
		field string
		v     int64
	}{{"apps_memory_mb", c.AppsMemoryMB}, {"apps_cpu_milli", c.AppsCPUMilli}, {"apps_pids", c.AppsPids}} {
		if l.v < 0 {
			return &ConfigError{l.field, fmt.Sprint(l.v), "must not be negative (0 is the default)"}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{"log_level", c.LogLevel, "want debug, info, warn or error"}
	}
	if !c.Insecure {
		certs := c.CertFile != "" || c.KeyFile != "" || c.CAFile != ""
		psk := c.PSKHex != "" || c.PSKFile != ""
		switch {
		case certs && psk:
			return &ConfigError{"psk_hex/psk_file", c.PSKHex + c.PSKFile, "give either a PSK or certificate files, not both"}
		case certs && (c.CertFile == "" || c.KeyFile == "" || c.CAFile == ""):
			return &ConfigError{"cert_file/key_file/ca_file", c.CertFile, "certificate mode needs all three files"}
		case !certs && !psk && c.MeshSecretFile == "":
			return &ConfigError{"psk_hex", "", "DTLS needs a mesh secret (mesh_secret_file), a PSK (psk_hex or psk_file) or certificate files; --insecure disables DTLS"}
		}
		if c.PSKHex != "" {
			if b, err := hex.DecodeString(c.PSKHex); err != nil || len(b) < 16 {
				return &ConfigError{"psk_hex", "(hidden)", "want at least 16 bytes as hex"}
			}
		}
	}
	switch c.Radio {
	case "", "none", "linux":
	case "sim":
		for _, f := range [][2]string{{"sim_home", c.SimHome}, {"sim_node", c.SimNode}, {"sim_air", c.SimAir}} {
			if f[1] == "" {
				return &ConfigError{f[0], "", "the sim radio backend needs sim_home, sim_node and sim_air"}
			}
		}
	default:
		return &ConfigError{"radio", c.Radio, "want " + strings.Join(radioBackends, ", ")}
	}
	if c.LostNodeExpiry < 0 {
		return &ConfigError{"lost_node_expiry", time.Duration(c.LostNodeExpiry).String(), "must not be negative"}
	}
	if d := time.Duration(c.BulkDataMinInterval); d != 0 && (d < time.Second || d%time.Second != 0) {
		return &ConfigError{"bulkdata_min_interval", d.String(), "want whole seconds, at least 1s"}
	}
	if d := time.Duration(c.HistoryPeriod); d < time.Second || d%time.Second != 0 {
		return &ConfigError{"history_period", d.String(), "want whole seconds, at least 1s"}
	}
	if d := time.Duration(c.HistoryFlashEvery); d < time.Duration(c.HistoryPeriod) {
		return &ConfigError{"history_flash_every", d.String(), "want at least history_period"}
	}
	if _, err := profileByName(c.Profile); err != nil {
		return &ConfigError{"profile", c.Profile, err.Error()}
	}
	if c.GossipPort < 1 || c.GossipPort > 65535 {
		return &ConfigError{"gossip_port", fmt.Sprint(c.GossipPort), "want 1..65535"}
	}
	if c.ControllerPort < 0 || c.ControllerPort > 65535 {
		return &ConfigError{"controller_port", fmt.Sprint(c.ControllerPort), "want 0..65535 (0: the Agent's port + 1)"}
	}
	for i, s := range c.Seeds {
		if _, err := netip.ParseAddrPort(s); err != nil {
			return &ConfigError{fmt.Sprintf("seeds[%d]", i), s, "want ip:port"}
		}
	}
	for i, ctl := range c.Controllers {
		if _, err := usp.ParseEndpointID(ctl.EndpointID); err != nil {
			return &ConfigError{fmt.Sprintf("controllers[%d].endpoint_id", i), ctl.EndpointID, err.Error()}
		}
	}
	return c.validateMTPs()
}

// pskKey returns the configured PSK bytes.
func (c *Config) pskKey() ([]byte, error) {
	s := c.PSKHex
	if c.PSKFile != "" {
		b, err := os.ReadFile(c.PSKFile)
		if err != nil {
			return nil, &ConfigError{"psk_file", c.PSKFile, err.Error()}
		}
		s = strings.TrimSpace(string(b))
	}
	k, err := hex.DecodeString(s)
	if err != nil || len(k) < 16 {
		return nil, &ConfigError{"psk_file", c.PSKFile, "want at least 16 bytes as hex"}
	}
	return k, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var errNoURL = errors.New("want coap[s]://host:port/path or ws[s]://host:port/path")
