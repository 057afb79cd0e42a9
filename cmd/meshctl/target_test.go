package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/buildinfo"
)

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		name, url string
		want      target
		err       string // a part of the error; "" for none
	}{
		{"coap", "coap://127.0.0.1:5683/usp", target{kind: mtpCoAP, url: "coap://127.0.0.1:5683/usp"}, ""},
		{"coaps", "coaps://[fd00::1]:5684/usp", target{kind: mtpCoAP, url: "coaps://[fd00::1]:5684/usp", tls: true}, ""},
		{"mqtt", "mqtt://127.0.0.1:1883/usp/agent/os::000000-AP1",
			target{kind: mtpMQTT, broker: "127.0.0.1:1883", topic: "usp/agent/os::000000-AP1"}, ""},
		{"mqtt default port", "mqtt://broker.example/a", target{kind: mtpMQTT, broker: "broker.example:1883", topic: "a"}, ""},
		{"mqtts default port", "mqtts://broker.example/usp/agent/x", target{kind: mtpMQTT, tls: true, broker: "broker.example:8883", topic: "usp/agent/x"}, ""},
		{"mqtt escaped topic", "mqtt://h:1/usp%2Fagent%3Fq/%20x", target{kind: mtpMQTT, broker: "h:1", topic: "usp/agent?q/ x"}, ""},
		{"mqtt ipv6", "mqtt://[::1]:1883/t", target{kind: mtpMQTT, broker: "[::1]:1883", topic: "t"}, ""},
		{"mqtt no topic", "mqtt://127.0.0.1:1883", target{}, "no agent topic in the path"},
		{"mqtt slash only", "mqtt://127.0.0.1:1883/", target{}, "no agent topic in the path"},
		{"mqtt wildcard", "mqtt://h/usp/+/x", target{}, "agent topic"},
		{"mqtt fragment", "mqtt://h/usp/#", target{}, "no query or fragment"},
		{"mqtt query", "mqtt://h/usp?x=1", target{}, "no query or fragment"},
		{"mqtt user", "mqtt://u:p@h/usp", target{}, "-mqtt-user"},
		{"mqtt bad port", "mqtt://h:99999/usp", target{}, "99999"},
		{"ws", "ws://127.0.0.1:5685/usp", target{kind: mtpWS, url: "ws://127.0.0.1:5685/usp"}, ""},
		{"wss", "wss://ap.local:5685/usp", target{kind: mtpWS, url: "wss://ap.local:5685/usp", tls: true}, ""},
		{"http", "http://127.0.0.1/usp", target{}, `scheme "http"`},
		{"no host", "coap:///usp", target{}, "want coap[s]://"},
		{"not a URL", "127.0.0.1:5683", target{}, "-url"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseTarget(c.url)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("parseTarget(%q) = %+v, %v; want an error with %q", c.url, got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("parseTarget(%q) = %+v, %v; want %+v", c.url, got, err, c.want)
			}
		})
	}
}

func TestResolveTarget(t *testing.T) {
	o := defaults()
	o.url, o.wsListen = "", "127.0.0.1:0"
	if got, err := resolveTarget(o); err != nil || got != (target{kind: mtpWSListen}) {
		t.Fatalf("-ws-listen: %+v, %v", got, err)
	}
	o.cert = "ctl.crt"
	if got, err := resolveTarget(o); err != nil || got != (target{kind: mtpWSListen, tls: true}) {
		t.Fatalf("-ws-listen -cert: %+v, %v", got, err)
	}
	o.url = "ws://127.0.0.1:1/usp"
	if _, err := resolveTarget(o); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("-url and -ws-listen: %v", err)
	}
	o.url, o.wsPath = "", "usp"
	if _, err := resolveTarget(o); err == nil || !strings.Contains(err.Error(), "-ws-path") {
		t.Fatalf("relative -ws-path: %v", err)
	}
}

// parseFlags parses args as run does: global flags, the command, and
// global flags again after it.
func parseFlags(t *testing.T, args ...string) options {
	t.Helper()
	var o options
	fs := flag.NewFlagSet("meshctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.register(fs, defaults())
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfs := flag.NewFlagSet("cmd", flag.ContinueOnError)
	cfs.SetOutput(io.Discard)
	o.register(cfs, o)
	if err := cfs.Parse(fs.Args()[1:]); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestFlags(t *testing.T) {
	t.Setenv("MESHCTL_URL", "")
	t.Setenv("MESHCTL_ID", "")
	o := parseFlags(t, "get")
	if o.replyPath != "usp-ctl" || o.wsPath != "/usp" || o.mqttTopic != "" || o.id != "proto::meshctl" {
		t.Fatalf("defaults: %+v", o)
	}
	o = parseFlags(t, "-url", "mqtt://h/usp/agent/x", "-mqtt-user", "ops", "get", "-mqtt-topic", "usp/controller/me",
		"-mqtt-password-file", "pw", "-reply-path", "answers", "-ws-path", "/x")
	if o.url != "mqtt://h/usp/agent/x" || o.mqttUser != "ops" || o.mqttTopic != "usp/controller/me" ||
		o.mqttPasswordFile != "pw" || o.replyPath != "answers" || o.wsPath != "/x" {
		t.Fatalf("flags: %+v", o)
	}
	o = parseFlags(t, "-ws-listen", "127.0.0.1:5686", "subscribe")
	if o.wsListen != "127.0.0.1:5686" {
		t.Fatalf("-ws-listen: %+v", o)
	}
}

func TestMQTTConfig(t *testing.T) {
	tg := target{kind: mtpMQTT, broker: "127.0.0.1:1883", topic: "usp/agent/x"}
	o := defaults()
	a, err := mqttConfig(o, tg, "proto::ops")
	if err != nil {
		t.Fatal(err)
	}
	b, err := mqttConfig(o, tg, "proto::ops")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^usp/controller/proto::ops/[0-9a-f]{8}$`)
	if len(a.Topics) != 1 || !re.MatchString(a.Topics[0]) || a.TLS != nil || a.Broker != tg.broker {
		t.Fatalf("config: %+v", a)
	}
	if a.Topics[0] == b.Topics[0] || a.ClientID == b.ClientID {
		t.Fatalf("two processes share a response topic or client ID: %s %s, %s %s", a.Topics[0], a.ClientID, b.Topics[0], b.ClientID)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.mqttTopic, o.mqttUser, o.mqttPasswordFile = "usp/controller/ops", "ops", pw
	c, err := mqttConfig(o, tg, "proto::ops")
	if err != nil || c.Topics[0] != "usp/controller/ops" || c.Username != "ops" || c.Password != "s3cret" {
		t.Fatalf("config: %+v, %v", c, err)
	}
	o.mqttTopic = "usp/+/x"
	if _, err := mqttConfig(o, tg, "proto::ops"); err == nil || !strings.Contains(err.Error(), "-mqtt-topic") {
		t.Fatalf("wildcard response topic: %v", err)
	}
	o.mqttTopic, o.mqttPasswordFile = "", filepath.Join(t.TempDir(), "none")
	if _, err := mqttConfig(o, tg, "proto::ops"); err == nil || !strings.Contains(err.Error(), "-mqtt-password-file") {
		t.Fatalf("missing password file: %v", err)
	}
	o.mqttPasswordFile, o.cert = "", "ctl.crt"
	if _, err := mqttConfig(o, tg, "proto::ops"); err == nil || !strings.Contains(err.Error(), "mqtts://") {
		t.Fatalf("-cert with plain mqtt: %v", err)
	}
	o.cert, tg.tls = "", true
	c, err = mqttConfig(o, tg, "proto::ops")
	if err != nil || c.TLS == nil || c.TLS.ServerName != "127.0.0.1" || c.TLS.RootCAs != nil {
		t.Fatalf("mqtts config: %+v, %v", c.TLS, err)
	}
}

func TestWSSNeedsCert(t *testing.T) {
	o := defaults()
	o.agent = "os::000000-AP1"
	if _, err := openWS(o, target{kind: mtpWS, url: "wss://127.0.0.1:1/usp", tls: true}, "proto::ops"); !errors.Is(err, errNeedCert) {
		t.Fatalf("wss without -cert: %v", err)
	}
	if _, err := openWS(o, target{kind: mtpWS, url: "ws://127.0.0.1:1/usp"}, "proto::ops"); err != nil {
		t.Fatalf("ws: %v", err)
	}
	o.wsListen, o.cert = "127.0.0.1:0", "ctl.crt"
	if _, err := openWSListen(o, "proto::ops", "os::000000-AP1", io.Discard); err == nil || !strings.Contains(err.Error(), "-key and -ca") {
		t.Fatalf("-ws-listen -cert without -key: %v", err)
	}
}

// FuzzParseTarget: any -url gives a target or a clear error, never a
// panic; an MQTT target always names an agent topic.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"coaps://127.0.0.1:5684/usp", "mqtt://b:1883/usp/agent/os::1", "mqtts://[::1]/a%2Fb",
		"ws://h:1/usp", "wss://h/usp?x=1", "mqtt://b", "gopher://x", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tg, err := parseTarget(raw)
		if err == nil && tg.kind == mtpMQTT && tg.topic == "" {
			t.Fatalf("%q: MQTT target without a topic", raw)
		}
	})
}

// TestVersionFlag: -version prints the command and its version on
// stdout and exits 0 without a sub-command or an Agent.
func TestVersionFlag(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(context.Background(), []string{"-version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "meshctl "+buildinfo.Version) {
		t.Fatalf("-version printed %q", out.String())
	}
}
