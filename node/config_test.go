package node

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// validConfig is a config that passes Validate, defaults applied.
func validConfig() Config {
	c := Config{PSKHex: "00112233445566778899aabbccddeeff"}
	c.applyDefaults()
	return c
}

// TestValidateFields: each fault is a *ConfigError naming its field and
// the value at fault.
func TestValidateFields(t *testing.T) {
	cases := []struct {
		name         string
		edit         func(*Config)
		field, value string // field "" = valid
	}{
		{"valid", func(*Config) {}, "", ""},
		{"lower-case OUI", func(c *Config) { c.OUI = "00a0b1" }, "", ""},
		{"short OUI", func(c *Config) { c.OUI = "00A0B" }, "oui", "00A0B"},
		{"non-hex OUI", func(c *Config) { c.OUI = "00A0BG" }, "oui", "00A0BG"},
		{"agent id", func(c *Config) { c.AgentID = "no-authority" }, "agent_id", "no-authority"},
		{"log level", func(c *Config) { c.LogLevel = "trace" }, "log_level", "trace"},
		{"PSK and certificates", func(c *Config) { c.CertFile = "c.pem" }, "psk_hex/psk_file", "00112233445566778899aabbccddeeff"},
		{"certificates half given", func(c *Config) { c.PSKHex, c.CertFile, c.KeyFile = "", "c.pem", "k.pem" },
			"cert_file/key_file/ca_file", "c.pem"},
		{"no security", func(c *Config) { c.PSKHex = "" }, "psk_hex", ""},
		{"short PSK", func(c *Config) { c.PSKHex = "0011" }, "psk_hex", "(hidden)"},
		{"PSK not hex", func(c *Config) { c.PSKHex = strings.Repeat("x", 32) }, "psk_hex", "(hidden)"},
		{"insecure needs no key", func(c *Config) { c.PSKHex, c.Insecure = "", true }, "", ""},
		{"mesh secret is security", func(c *Config) { c.PSKHex, c.MeshSecretFile = "", "/etc/uspmesh/mesh.secret" }, "", ""},
		{"radio", func(c *Config) { c.Radio = "wifi7" }, "radio", "wifi7"},
		{"sim without home", func(c *Config) { c.Radio, c.SimNode, c.SimAir = "sim", "ap1", "/air" }, "sim_home", ""},
		{"sim without node", func(c *Config) { c.Radio, c.SimHome, c.SimAir = "sim", "h.json", "/air" }, "sim_node", ""},
		{"sim without air", func(c *Config) { c.Radio, c.SimHome, c.SimNode = "sim", "h.json", "ap1" }, "sim_air", ""},
		{"sim", func(c *Config) { c.Radio, c.SimHome, c.SimNode, c.SimAir = "sim", "h.json", "ap1", "/air" }, "", ""},
		{"profile", func(c *Config) { c.Profile = "turbo" }, "profile", "turbo"},
		{"negative lost node expiry", func(c *Config) { c.LostNodeExpiry = Duration(-time.Second) }, "lost_node_expiry", "-1s"},
		{"gossip port 0", func(c *Config) { c.GossipPort = 0 }, "gossip_port", "0"},
		{"gossip port too high", func(c *Config) { c.GossipPort = 70000 }, "gossip_port", "70000"},
		{"controller port", func(c *Config) { c.ControllerPort = -1 }, "controller_port", "-1"},
		{"seed", func(c *Config) { c.Seeds = []string{"192.0.2.1:7946", "host"} }, "seeds[1]", "host"},
		{"controller endpoint id", func(c *Config) { c.Controllers = []ControllerConfig{{EndpointID: "ops", Role: "full"}} },
			"controllers[0].endpoint_id", "ops"},
		{"controller role", func(c *Config) { c.Controllers = []ControllerConfig{{EndpointID: "proto::ops", Role: "admin"}} },
			"controllers[0].role", "admin"},
		{"controller mtp", func(c *Config) {
			c.Controllers = []ControllerConfig{{EndpointID: "proto::a", Role: "read"}, {EndpointID: "proto::b", Role: "full", MTP: "http://x/usp"}}
		}, "controllers[1].mtp", "http://x/usp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := validConfig()
			c.edit(&cfg)
			err := cfg.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *ConfigError naming %s", err, c.field)
			}
			if ce.Field != c.field || ce.Value != c.value || ce.Reason == "" {
				t.Fatalf("got %+v, want field %q value %q and a reason", *ce, c.field, c.value)
			}
		})
	}
}

// TestValidatePure: Validate changes nothing, even in shared slices, and
// reads no file: files that are missing or hold garbage pass, the node
// reports them when it opens them.
func TestValidatePure(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	cases := []struct {
		name  string
		cfg   Config
		valid bool
	}{
		{"missing mesh secret", Config{MeshSecretFile: missing}, true},
		{"garbage mesh secret", Config{MeshSecretFile: garbage}, true},
		{"missing PSK file", Config{PSKFile: missing}, true},
		{"missing certificates", Config{CertFile: missing, KeyFile: missing, CAFile: missing}, true},
		{"lower-case OUI kept", Config{Insecure: true, OUI: "00a0b1", GossipPort: 7946, LogLevel: "info",
			BulkDataMinInterval: Duration(time.Minute), HistoryPeriod: Duration(time.Second), HistoryFlashEvery: Duration(time.Second)}, true},
		{"invalid, with lists", Config{Insecure: true, OUI: "abcdef", GossipPort: 7946, LogLevel: "info", Seeds: []string{"192.0.2.1:1", "x"},
			Controllers: []ControllerConfig{{EndpointID: "proto::ops", Role: "full"}}, Interfaces: []string{"eth0"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if c.valid && cfg.OUI == "" {
				cfg.applyDefaults()
			}
			before := deepCopy(cfg)
			err := cfg.Validate()
			if (err == nil) != c.valid {
				t.Fatalf("Validate: %v, want valid %v", err, c.valid)
			}
			if !reflect.DeepEqual(cfg, before) {
				t.Fatalf("Validate changed its argument:\n got %+v\nwant %+v", cfg, before)
			}
		})
	}
}

// deepCopy copies c and the slices it holds.
func deepCopy(c Config) Config {
	c.Controllers = append([]ControllerConfig(nil), c.Controllers...)
	c.Seeds = append([]string(nil), c.Seeds...)
	c.Interfaces = append([]string(nil), c.Interfaces...)
	c.RadioInterfaces = append([]string(nil), c.RadioInterfaces...)
	return c
}

// TestApplyDefaults: the documented defaults, and a hex OUI in upper
// case; a bad OUI is left as given so that Validate reports it verbatim.
func TestApplyDefaults(t *testing.T) {
	defaults := Config{StateDir: "/var/lib/uspmesh", Listen: ":5684", OUI: "000000", Manufacturer: "uspmesh",
		ModelName: "uspmesh AP", ProductClass: "MeshAP", LogLevel: "info", GossipPort: 7946, Profile: "default",
		LostNodeExpiry: Duration(DefaultLostNodeExpiry), BulkDataMinInterval: Duration(DefaultBulkDataMinInterval),
		HistoryPeriod: Duration(DefaultHistoryPeriod), HistoryFlashEvery: Duration(DefaultHistoryFlashEvery)}
	with := func(edit func(*Config)) Config {
		c := defaults
		edit(&c)
		return c
	}
	cases := []struct {
		name    string
		in, out Config
	}{
		{"zero", Config{}, defaults},
		{"insecure listens on 5683", Config{Insecure: true}, with(func(c *Config) { c.Insecure, c.Listen = true, ":5683" })},
		{"OUI upper-cased", Config{OUI: "00a0b1"}, with(func(c *Config) { c.OUI = "00A0B1" })},
		{"bad OUI kept", Config{OUI: "zz"}, with(func(c *Config) { c.OUI = "zz" })},
		{"set fields kept", Config{StateDir: "/s", Listen: ":1", GossipPort: 2, Profile: "fast", LogLevel: "warn"},
			with(func(c *Config) {
				c.StateDir, c.Listen, c.GossipPort, c.Profile, c.LogLevel = "/s", ":1", 2, "fast", "warn"
			})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.in
			got.applyDefaults()
			if !reflect.DeepEqual(got, c.out) {
				t.Fatalf("got %+v\nwant %+v", got, c.out)
			}
		})
	}
}

// TestLoadFile: the file replaces the whole config; a bad file is an
// error naming what is wrong and leaves the config as it was.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	good := write("good.json", `{"insecure":true,"priority":5,"sim_cac":"3s","seeds":["192.0.2.1:7946"],
		"controllers":[{"endpoint_id":"proto::ops","role":"full","mtp":"coap://192.0.2.9/usp"}]}`)
	cases := []struct {
		name    string
		file    string
		want    Config
		wantErr string // in the error; "" = none
	}{
		{"good", good, Config{Insecure: true, Priority: 5, SimCAC: Duration(3 * time.Second), Seeds: []string{"192.0.2.1:7946"},
			Controllers: []ControllerConfig{{EndpointID: "proto::ops", Role: "full", MTP: "coap://192.0.2.9/usp"}}}, ""},
		{"empty object", write("empty.json", `{}`), Config{}, ""},
		{"unknown field", write("unknown.json", `{"priority":1,"prority":2}`), Config{}, `"prority"`},
		{"unknown controller field", write("ctl.json", `{"controllers":[{"endpoint":"proto::x"}]}`), Config{}, `"endpoint"`},
		{"bad duration", write("dur.json", `{"sim_cac":"soon"}`), Config{}, "soon"},
		{"wrong type", write("type.json", `{"priority":"high"}`), Config{}, "priority"},
		{"missing", filepath.Join(dir, "missing.json"), Config{}, "missing.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := Config{StateDir: "/old", Listen: ":1", Seeds: []string{"198.51.100.1:1"}}
			got := deepCopy(old)
			err := LoadFile(c.file, &got)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("LoadFile: %v, want an error containing %s", err, c.wantErr)
				}
				if !reflect.DeepEqual(got, old) {
					t.Fatalf("a failed LoadFile changed the config to %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
