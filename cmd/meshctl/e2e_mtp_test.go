package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
)

// These tests run meshd and meshctl over the MQTT (through a real
// mosquitto) and WebSocket MTPs. meshd serves plain CoAP too, which the
// tests use to look at its state and to make changes from another MTP.

// writeConfig writes meshd's JSON config file into dir.
func writeConfig(t *testing.T, dir string, cfg map[string]any) string {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "meshd.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort is a TCP port on 127.0.0.1 nothing listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runMeshctl runs meshctl with exactly args; it returns stdout, stderr
// and the exit code.
func runMeshctl(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "meshctl"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("meshctl: %v", err)
	}
	return stdout.String(), stderr.String(), code
}

// startSubscriber runs "meshctl ARGS subscribe -for 20s ValueChange
// Device.DeviceInfo.FriendlyName" and returns its output once the
// subscription is made; the process is killed when t ends.
func startSubscriber(t *testing.T, d *daemon, args ...string) *bufio.Scanner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	sub := exec.CommandContext(ctx, filepath.Join(binDir, "meshctl"),
		append(args, "subscribe", "-for", "20s", "ValueChange", "Device.DeviceInfo.FriendlyName")...)
	var stderr bytes.Buffer
	sub.Stderr = &stderr
	out, _ := sub.StdoutPipe()
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Process.Kill(); _ = sub.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "subscribed Device.LocalAgent.Subscription.") {
		_ = sub.Wait()
		t.Fatalf("subscribe: %q\nstderr: %s\nmeshd: %s", sc.Text(), &stderr, d.logs)
	}
	return sc
}

// wantNotify reads the next line of a subscriber: a ValueChange of
// FriendlyName to name.
func wantNotify(t *testing.T, d *daemon, sc *bufio.Scanner, name string) {
	t.Helper()
	if !sc.Scan() || !strings.HasSuffix(sc.Text(), "Device.DeviceInfo.FriendlyName => "+name) {
		t.Fatalf("notification: %q, want FriendlyName => %s\nmeshd: %s", sc.Text(), name, d.logs)
	}
}

// waitMTPUp waits (bounded) until meshd reports its MTP row with alias
// Up, asking over CoAP.
func waitMTPUp(t *testing.T, d *daemon, alias string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _, _ := meshctl(t, d, nil, "get", `Device.LocalAgent.MTP.[Alias=="`+alias+`"].Status`)
		if strings.Contains(out, "Status => Up\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("meshd's %s MTP not up within 10 s: %q\n%s", alias, out, d.logs)
		}
	}
}

func TestMeshctlMQTT(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]any{
		"mqtt":        map[string]any{"broker": "mqtt://" + b.Addr()},
		"controllers": []map[string]any{{"endpoint_id": "proto::meshctl", "role": "full", "mqtt_topic": "usp/controller/ops"}},
	})
	d := startMeshd(t, filepath.Join(dir, "state"), "-insecure", "-config", cfg)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mosquitto: %s", b.Log())
		}
	})
	waitMTPUp(t, d, "mqtt")
	// The Agent's topic holds ':' and '/', unescaped in the URL.
	sec := []string{"-url", "mqtt://" + b.Addr() + "/usp/agent/" + d.agentID}
	exerciseAll(t, d, sec)

	// The subscriber gets the notifications even when another process
	// with the same Endpoint ID (and its own response topic) changes the
	// value over MQTT or CoAP. meshd publishes them to the Controller's
	// configured topic (its Controller.{i}.MTP.{i}.MQTT.Topic), which the
	// subscriber listens on.
	sc := startSubscriber(t, d, append([]string{"-agent", d.agentID, "-timeout", "5s", "-mqtt-topic", "usp/controller/ops"}, sec...)...)
	mustRun(t, d, sec, "set", "Device.DeviceInfo.", "FriendlyName=Loft")
	wantNotify(t, d, sc, "Loft")
	mustRun(t, d, nil, "set", "Device.DeviceInfo.", "FriendlyName=Cellar")
	wantNotify(t, d, sc, "Cellar")
}

// TestMeshctlMQTTUnknownController: over MQTT meshd answers only the
// Controllers configured with a topic; meshctl times out, clearly.
func TestMeshctlMQTTUnknownController(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]any{
		"mqtt":        map[string]any{"broker": "mqtt://" + b.Addr()},
		"controllers": []map[string]any{{"endpoint_id": "proto::meshctl", "role": "full", "mqtt_topic": "usp/controller/ops"}},
	})
	d := startMeshd(t, filepath.Join(dir, "state"), "-insecure", "-config", cfg)
	waitMTPUp(t, d, "mqtt")
	_, errOut, code := runMeshctl(t, "-url", "mqtt://"+b.Addr()+"/usp/agent/"+d.agentID, "-agent", d.agentID,
		"-id", "proto::stranger", "-timeout", "2s", "get", "Device.DeviceInfo.")
	if code != 1 || errOut == "" {
		t.Fatalf("unconfigured Controller over MQTT: exit %d, %s", code, errOut)
	}
}

func TestMeshctlMTPBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
		max  time.Duration
	}{
		{"broker down", []string{"-url", "mqtt://127.0.0.1:1/usp/agent/os::000000-AP1", "-timeout", "2s"}, "mqtt broker 127.0.0.1:1: no session within 2s", 10 * time.Second},
		{"no topic", []string{"-url", "mqtt://127.0.0.1:1883"}, "no agent topic in the path", 5 * time.Second},
		{"wss without cert", []string{"-url", "wss://127.0.0.1:1/usp"}, "wss:// needs -cert and -key: the Agent identifies Controllers by their client certificate", 5 * time.Second},
		{"ws refused", []string{"-url", "ws://127.0.0.1:1/usp", "-timeout", "2s"}, "websocket ws://127.0.0.1:1/usp", 10 * time.Second},
		{"bad scheme", []string{"-url", "http://127.0.0.1/usp"}, `scheme "http"`, 5 * time.Second},
		{"url and ws-listen", []string{"-url", "ws://127.0.0.1:1/usp", "-ws-listen", "127.0.0.1:0"}, "not both", 5 * time.Second},
		{"nobody connects", []string{"-ws-listen", "127.0.0.1:0", "-timeout", "1s"}, "did not connect to ws://127.0.0.1:", 10 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, errOut, code := runMeshctl(t, append(append([]string{"-agent", "os::000000-AP1"}, c.args...), "get", "Device.")...)
			if code != 1 || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, errOut, c.want)
			}
			if el := time.Since(start); el > c.max {
				t.Fatalf("took %s, want under %s", el, c.max)
			}
		})
	}
}

func TestMeshctlWebSocket(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := writeConfig(t, dir, map[string]any{
		"websocket":   map[string]any{"listen": fmt.Sprintf("127.0.0.1:%d", port), "path": "/usp", "insecure": true},
		"controllers": []map[string]any{{"endpoint_id": "proto::meshctl", "role": "full"}},
	})
	d := startMeshd(t, filepath.Join(dir, "state"), "-insecure", "-config", cfg)
	sec := []string{"-url", fmt.Sprintf("ws://127.0.0.1:%d/usp", port)}
	exerciseAll(t, d, sec)
	// Notifications come on the subscriber's session.
	sc := startSubscriber(t, d, append([]string{"-agent", d.agentID, "-timeout", "5s"}, sec...)...)
	mustRun(t, d, nil, "set", "Device.DeviceInfo.", "FriendlyName=Den")
	wantNotify(t, d, sc, "Den")
}

// testPKI is a test CA and the PEM files it issued.
type testPKI struct {
	t   *testing.T
	dir string
	ca  *coap.CA
}

func newPKI(t *testing.T, name string) *testPKI {
	ca, err := coap.NewCA(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{t: t, dir: t.TempDir(), ca: ca}
}

func (p *testPKI) write(name, typ string, der []byte) string {
	f := filepath.Join(p.dir, name)
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return f
}

// caFile is the CA certificate's PEM file.
func (p *testPKI) caFile() string { return p.write("ca.crt", "CERTIFICATE", p.ca.Cert.Raw) }

// issue writes a certificate for Endpoint ID id (SAN URI
// urn:bbf:usp:id:<id>), valid for TLS clients and servers, with ips as
// IP SANs; it returns the certificate and key files.
func (p *testPKI) issue(name, id string, ips ...net.IP) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: id},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		URIs:        []*url.URL{{Scheme: "urn", Opaque: "bbf:usp:id:" + id}},
		IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca.Cert, &key.PublicKey, p.ca.Key)
	if err != nil {
		p.t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.write(name+".crt", "CERTIFICATE", der), p.write(name+".key", "EC PRIVATE KEY", kd)
}

func TestMeshctlWebSocketTLS(t *testing.T) {
	pki := newPKI(t, "uspmesh test CA")
	const agent = "os::000000-WSS01"
	loop := net.ParseIP("127.0.0.1")
	agentCert, agentKey := pki.issue("agent", agent, loop)
	ctlCert, ctlKey := pki.issue("ctl", "proto::meshctl")
	caFile := pki.caFile()
	port := freePort(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]any{
		"websocket": map[string]any{"listen": fmt.Sprintf("127.0.0.1:%d", port), "path": "/usp",
			"cert_file": agentCert, "key_file": agentKey, "client_ca_file": caFile},
		"controllers": []map[string]any{{"endpoint_id": "proto::meshctl", "role": "full"}},
	})
	d := startMeshd(t, filepath.Join(dir, "state"), "-insecure", "-serial", "WSS01", "-config", cfg)
	if d.agentID != agent {
		t.Fatalf("agent %s, want %s", d.agentID, agent)
	}
	wss := fmt.Sprintf("wss://127.0.0.1:%d/usp", port)
	sec := []string{"-url", wss, "-cert", ctlCert, "-key", ctlKey, "-ca", caFile}
	wantLines(t, mustRun(t, d, sec, "get", "Device.LocalAgent.EndpointID"), "Device.LocalAgent.EndpointID => "+agent)
	wantLines(t, mustRun(t, d, sec, "set", "Device.DeviceInfo.", "FriendlyName=Study"), "Device.DeviceInfo.FriendlyName => Study")

	// A client certificate from another CA is refused, and so is a
	// server meshctl's -ca does not vouch for.
	other := newPKI(t, "other CA")
	badCert, badKey := other.issue("bad", "proto::meshctl")
	if _, errOut, code := meshctl(t, d, []string{"-url", wss, "-cert", badCert, "-key", badKey, "-ca", caFile}, "get", "Device.DeviceInfo."); code != 1 {
		t.Fatalf("untrusted client certificate accepted: %s", errOut)
	}
	if _, errOut, code := meshctl(t, d, []string{"-url", wss, "-cert", ctlCert, "-key", ctlKey, "-ca", other.caFile()}, "get", "Device.DeviceInfo."); code != 1 ||
		!strings.Contains(errOut, "certificate") {
		t.Fatalf("untrusted server accepted: exit %d %s", code, errOut)
	}
	// The Agent is the one -agent names.
	if _, errOut, code := runMeshctl(t, append(sec, "-agent", "os::000000-OTHER", "-timeout", "5s", "get", "Device.DeviceInfo.")...); code != 1 {
		t.Fatalf("wrong -agent accepted: %s", errOut)
	}
}

// startListener runs "meshctl -ws-listen ADDR ARGS" and waits until it
// says it is waiting for the Agent; it returns a channel with its
// output once it has exited.
func startListener(t *testing.T, addr, agent string, args ...string) <-chan [3]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "meshctl"),
		append([]string{"-ws-listen", addr, "-agent", agent, "-timeout", "15s"}, args...)...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(errPipe)
	if !sc.Scan() || !strings.Contains(sc.Text(), "waiting up to 15s for "+agent) {
		t.Fatalf("meshctl -ws-listen: %q", sc.Text())
	}
	done := make(chan [3]string, 1)
	go func() {
		var rest strings.Builder
		for sc.Scan() {
			rest.WriteString(sc.Text() + "\n")
		}
		err := cmd.Wait()
		done <- [3]string{stdout.String(), rest.String(), fmt.Sprint(err)}
	}()
	return done
}

func waitListener(t *testing.T, d *daemon, done <-chan [3]string) string {
	t.Helper()
	select {
	case r := <-done:
		if r[2] != "<nil>" {
			t.Fatalf("meshctl -ws-listen: %s\nstdout: %s\nstderr: %s\nmeshd: %s", r[2], r[0], r[1], d.logs)
		}
		return r[0]
	case <-time.After(25 * time.Second):
		t.Fatalf("meshctl -ws-listen did not finish\nmeshd: %s", d.logs)
	}
	return ""
}

// TestMeshctlWebSocketListen: meshd connects out to the Controller's
// WebSocket server (its configured MTP); meshctl serves it and runs its
// command over the Agent's session.
func TestMeshctlWebSocketListen(t *testing.T) {
	const agent = "os::000000-WSL01"
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	done := startListener(t, addr, agent, "get", "Device.LocalAgent.EndpointID")
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]any{
		"controllers": []map[string]any{{"endpoint_id": "proto::meshctl", "role": "full", "mtp": "ws://" + addr + "/usp"}},
	})
	d := startMeshd(t, filepath.Join(dir, "state"), "-insecure", "-serial", "WSL01", "-config", cfg)
	wantLines(t, waitListener(t, d, done), "Device.LocalAgent.EndpointID => "+agent)
	// The Agent reconnects to the next meshctl (TR-369 retry: 5 to 10 s),
	// which subscribes and prints the notifications of a change made by
	// another process over CoAP.
	sc := startSubscriber(t, d, "-ws-listen", addr, "-agent", agent, "-timeout", "15s")
	mustRun(t, d, nil, "set", "Device.DeviceInfo.", "FriendlyName=Garage")
	wantNotify(t, d, sc, "Garage")
}
