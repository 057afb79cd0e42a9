package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/node"
)

// writeConfig writes a config file and returns its name.
func writeConfig(t *testing.T, json string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "meshd.json")
	if err := os.WriteFile(name, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestLoadConfigFileAndFlags: a flag given on the command line wins over
// the file, even with its zero value; a flag not given keeps the file's
// value; a repeatable flag replaces the file's list.
func TestLoadConfigFileAndFlags(t *testing.T) {
	const file = `{
		"state_dir": "/var/lib/ap1", "listen": ":5700", "insecure": true, "priority": 5,
		"oui": "00a0b1", "gossip_port": 8000, "sim_cac": "3s",
		"seeds": ["192.0.2.1:7946", "192.0.2.2:7946"], "interfaces": ["eth0"],
		"radio_interfaces": ["wlan0"],
		"controllers": [{"endpoint_id": "proto::ops", "role": "full"}]
	}`
	fromFile := node.Config{
		StateDir: "/var/lib/ap1", Listen: ":5700", Insecure: true, Priority: 5,
		OUI: "00a0b1", GossipPort: 8000, SimCAC: node.Duration(3 * time.Second),
		Seeds: []string{"192.0.2.1:7946", "192.0.2.2:7946"}, Interfaces: []string{"eth0"},
		RadioInterfaces: []string{"wlan0"},
		Controllers:     []node.ControllerConfig{{EndpointID: "proto::ops", Role: "full"}},
	}
	with := func(edit func(*node.Config)) node.Config {
		c := fromFile
		edit(&c)
		return c
	}
	cases := []struct {
		name  string
		flags []string
		want  node.Config
	}{
		{"file alone", nil, fromFile},
		{"zero flags win", []string{"-insecure=false", "-priority", "0"},
			with(func(c *node.Config) { c.Insecure, c.Priority = false, 0 })},
		{"empty string and zero duration win", []string{"-state-dir", "", "-listen=", "-gossip-port=0", "-sim-cac=0s"},
			with(func(c *node.Config) { c.StateDir, c.Listen, c.GossipPort, c.SimCAC = "", "", 0, 0 })},
		{"set flags win", []string{"-priority=-1", "-oui", "AABBCC", "-listen", ":5800"},
			with(func(c *node.Config) { c.Priority, c.OUI, c.Listen = -1, "AABBCC", ":5800" })},
		{"unset flags keep the file", []string{"-friendly-name", "Hall"},
			with(func(c *node.Config) { c.FriendlyName = "Hall" })},
		{"repeated flags replace the file's lists",
			[]string{"-seed", "198.51.100.1:7946", "-interface", "br0", "-interface", "br1",
				"-radio-interface", "wlan1", "-controller", "proto::noc=read,coap://192.0.2.9:5683/usp"},
			with(func(c *node.Config) {
				c.Seeds = []string{"198.51.100.1:7946"}
				c.Interfaces = []string{"br0", "br1"}
				c.RadioInterfaces = []string{"wlan1"}
				c.Controllers = []node.ControllerConfig{{EndpointID: "proto::noc", Role: "read", MTP: "coap://192.0.2.9:5683/usp"}}
			})},
	}
	name := writeConfig(t, file)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// -config given first and last: the flags win either way.
			for _, args := range [][]string{
				append([]string{"-config", name}, c.flags...),
				append(append([]string{}, c.flags...), "-config", name),
			} {
				got, err := loadConfig(args)
				if err != nil {
					t.Fatalf("loadConfig(%q): %v", args, err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("loadConfig(%q)\n got %+v\nwant %+v", args, got, c.want)
				}
			}
		})
	}
}

// TestLoadConfigFlags: each flag alone, without a file, sets its field.
func TestLoadConfigFlags(t *testing.T) {
	cases := []struct {
		args []string
		want node.Config
	}{
		{nil, node.Config{}},
		{[]string{"-state-dir", "/s"}, node.Config{StateDir: "/s"}},
		{[]string{"-listen", ":1"}, node.Config{Listen: ":1"}},
		{[]string{"-insecure"}, node.Config{Insecure: true}},
		{[]string{"-psk-hex", "00112233445566778899aabbccddeeff"}, node.Config{PSKHex: "00112233445566778899aabbccddeeff"}},
		{[]string{"-psk-file", "/k"}, node.Config{PSKFile: "/k"}},
		{[]string{"-cert", "/c.pem"}, node.Config{CertFile: "/c.pem"}},
		{[]string{"-key", "/k.pem"}, node.Config{KeyFile: "/k.pem"}},
		{[]string{"-ca", "/ca.pem"}, node.Config{CAFile: "/ca.pem"}},
		{[]string{"-agent-id", "os::X-1"}, node.Config{AgentID: "os::X-1"}},
		{[]string{"-oui", "abcdef"}, node.Config{OUI: "abcdef"}},
		{[]string{"-serial", "S1"}, node.Config{SerialNumber: "S1"}},
		{[]string{"-friendly-name", "Hall"}, node.Config{FriendlyName: "Hall"}},
		{[]string{"-log-level", "debug"}, node.Config{LogLevel: "debug"}},
		{[]string{"-mesh-secret-file", "/m"}, node.Config{MeshSecretFile: "/m"}},
		{[]string{"-priority", "3"}, node.Config{Priority: 3}},
		{[]string{"-interface", "eth0"}, node.Config{Interfaces: []string{"eth0"}}},
		{[]string{"-profile", "fast"}, node.Config{Profile: "fast"}},
		{[]string{"-gossip-port", "7000"}, node.Config{GossipPort: 7000}},
		{[]string{"-controller-port", "7001"}, node.Config{ControllerPort: 7001}},
		{[]string{"-seed", "192.0.2.1:1"}, node.Config{Seeds: []string{"192.0.2.1:1"}}},
		{[]string{"-lost-node-expiry", "1h"}, node.Config{LostNodeExpiry: node.Duration(time.Hour)}},
		{[]string{"-bulkdata-min-interval", "5s"}, node.Config{BulkDataMinInterval: node.Duration(5 * time.Second)}},
		{[]string{"-bulkdata-ca", "/bulk-ca.pem"}, node.Config{BulkDataCAFile: "/bulk-ca.pem"}},
		{[]string{"-history-period", "2s"}, node.Config{HistoryPeriod: node.Duration(2 * time.Second)}},
		{[]string{"-history-flash-every", "5m"}, node.Config{HistoryFlashEvery: node.Duration(5 * time.Minute)}},
		{[]string{"-steering=false"}, node.Config{NoSteering: true}},
		{[]string{"-apps-runtime", "process"}, node.Config{AppsRuntime: "process"}},
		{[]string{"-apps-memory-mb", "32"}, node.Config{AppsMemoryMB: 32}},
		{[]string{"-apps-cpu-milli", "250"}, node.Config{AppsCPUMilli: 250}},
		{[]string{"-apps-pids", "16"}, node.Config{AppsPids: 16}},
		{[]string{"-radio", "sim"}, node.Config{Radio: "sim"}},
		{[]string{"-sim-home", "h.json"}, node.Config{SimHome: "h.json"}},
		{[]string{"-sim-node", "ap1"}, node.Config{SimNode: "ap1"}},
		{[]string{"-sim-air", "/air"}, node.Config{SimAir: "/air"}},
		{[]string{"-sim-cac", "2s"}, node.Config{SimCAC: node.Duration(2 * time.Second)}},
		{[]string{"-radio-interface", "wlan0"}, node.Config{RadioInterfaces: []string{"wlan0"}}},
		{[]string{"-hostapd-ctrl-dir", "/h"}, node.Config{HostapdCtrlDir: "/h"}},
		{[]string{"-controller", "proto::ops=full"}, node.Config{Controllers: []node.ControllerConfig{{EndpointID: "proto::ops", Role: "full"}}}},
		{[]string{"-controller", "proto::app=guest,wss://192.0.2.7:443/usp,mqtt:usp/ctl/app"}, node.Config{Controllers: []node.ControllerConfig{
			{EndpointID: "proto::app", Role: "guest", MTP: "wss://192.0.2.7:443/usp", MQTTTopic: "usp/ctl/app"}}}},
		{[]string{"-mqtt-broker", "mqtts://b:8883"}, node.Config{MQTT: &node.MQTTConfig{Broker: "mqtts://b:8883"}}},
		{[]string{"-mqtt-topic", "usp/agent/a"}, node.Config{MQTT: &node.MQTTConfig{Topic: "usp/agent/a"}}},
		{[]string{"-mqtt-ca", "/ca"}, node.Config{MQTT: &node.MQTTConfig{CAFile: "/ca"}}},
		{[]string{"-mqtt-user", "ap"}, node.Config{MQTT: &node.MQTTConfig{Username: "ap"}}},
		{[]string{"-mqtt-password-file", "/p"}, node.Config{MQTT: &node.MQTTConfig{PasswordFile: "/p"}}},
		{[]string{"-ws-listen", ":5685"}, node.Config{WebSocket: &node.WebSocketConfig{Listen: ":5685"}}},
		{[]string{"-ws-cert", "/c"}, node.Config{WebSocket: &node.WebSocketConfig{CertFile: "/c"}}},
		{[]string{"-ws-key", "/k"}, node.Config{WebSocket: &node.WebSocketConfig{KeyFile: "/k"}}},
		{[]string{"-ws-client-ca", "/ca"}, node.Config{WebSocket: &node.WebSocketConfig{ClientCAFile: "/ca"}}},
		{[]string{"-ws-insecure"}, node.Config{WebSocket: &node.WebSocketConfig{Insecure: true}}},
		{[]string{"-ui"}, node.Config{WebSocket: &node.WebSocketConfig{UI: true}}},
		{[]string{"-ui-controller", "proto::hall"}, node.Config{WebSocket: &node.WebSocketConfig{UIController: "proto::hall"}}},
	}
	// The table names every flag but -config and -version (which set no
	// field: TestVersionFlag).
	named := map[string]bool{"config": true, "version": true}
	for _, c := range cases {
		if len(c.args) > 0 {
			named[strings.TrimPrefix(strings.SplitN(c.args[0], "=", 2)[0], "-")] = true
		}
	}
	newConfigFlags(io.Discard).fs.VisitAll(func(f *flag.Flag) {
		if !named[f.Name] {
			t.Errorf("flag -%s has no case", f.Name)
		}
	})
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			got, err := loadConfig(c.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestLoadConfigErrors: bad files and command lines are errors naming
// what is wrong.
func TestLoadConfigErrors(t *testing.T) {
	unknown := writeConfig(t, `{"priority": 1, "bogus_field": 2}`)
	cases := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"unknown file field", []string{"-config", unknown}, `"bogus_field"`},
		{"missing file", []string{"-config", filepath.Join(t.TempDir(), "none.json")}, "none.json"},
		{"bad controller flag", []string{"-controller", "proto::ops"}, "ENDPOINT_ID=ROLE"},
		{"argument", []string{"-insecure", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"-no-such-flag"}, "no-such-flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := newConfigFlags(io.Discard).load(c.args)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("loadConfig(%q): %v, want an error containing %s", c.args, err, c.want)
			}
		})
	}
	if _, err := newConfigFlags(io.Discard).load([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}
