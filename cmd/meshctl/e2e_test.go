package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/coap"
)

// These tests run the real meshd and meshctl binaries, talking USP over
// CoAP/DTLS on 127.0.0.1.

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "meshctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, cmd := range []string{"meshd", "meshctl"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "github.com/uspmesh/uspmesh/cmd/"+cmd).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", cmd, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testPSK = "00112233445566778899aabbccddeeff"

// daemon is a running meshd.
type daemon struct {
	cmd     *exec.Cmd
	url     string
	agentID string
	logs    *bytes.Buffer
}

var startLine = regexp.MustCompile(`^meshd: agent (\S+) at (\S+)$`)

// startMeshd runs meshd with args (plus a state dir and a loopback
// listen address unless given) and waits, bounded, for its start line.
func startMeshd(t *testing.T, stateDir string, args ...string) *daemon {
	t.Helper()
	all := append([]string{"-state-dir", stateDir}, args...)
	if !strings.Contains(strings.Join(args, " "), "-listen") {
		all = append(all, "-listen", "127.0.0.1:0")
	}
	cmd := exec.Command(filepath.Join(binDir, "meshd"), all...)
	d := &daemon{cmd: cmd, logs: &bytes.Buffer{}}
	cmd.Stderr = d.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l, ok := <-lines:
		m := startLine.FindStringSubmatch(l)
		if !ok || m == nil {
			cmd.Wait()
			t.Fatalf("meshd did not start: %q\n%s", l, d.logs)
		}
		d.agentID, d.url = m[1], m[2]
	case <-time.After(15 * time.Second):
		t.Fatalf("meshd start timed out\n%s", d.logs)
	}
	return d
}

// stop sends SIGTERM and waits (bounded) for a clean exit.
func (d *daemon) stop(t *testing.T) {
	if d.cmd.ProcessState != nil {
		return
	}
	d.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("meshd exit: %v\n%s", err, d.logs)
		}
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-done
		t.Errorf("meshd did not stop within 10 s\n%s", d.logs)
	}
}

// meshctl runs meshctl against d with the given security args and
// command; it returns stdout, stderr and the exit code.
func meshctl(t *testing.T, d *daemon, sec []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]string{"-url", d.url, "-agent", d.agentID, "-listen", "127.0.0.1:0", "-timeout", "5s"}, sec...)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "meshctl"), append(all, args...)...)
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

func mustRun(t *testing.T, d *daemon, sec []string, args ...string) string {
	t.Helper()
	out, errOut, code := meshctl(t, d, sec, args...)
	if code != 0 {
		t.Fatalf("meshctl %v: exit %d\nstdout: %s\nstderr: %s\nmeshd: %s", args, code, out, errOut, d.logs)
	}
	return out
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w+"\n") {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

// exerciseAll sends every message type through meshctl and checks the
// answers and the Agent's state.
func exerciseAll(t *testing.T, d *daemon, sec []string) {
	wantLines(t, mustRun(t, d, sec, "get", "Device.LocalAgent.EndpointID"), "Device.LocalAgent.EndpointID => "+d.agentID)
	wantLines(t, mustRun(t, d, sec, "set", "Device.DeviceInfo.", "FriendlyName=Hall"), "Device.DeviceInfo.FriendlyName => Hall")
	wantLines(t, mustRun(t, d, sec, "get", "Device.DeviceInfo.FriendlyName"), "Device.DeviceInfo.FriendlyName => Hall")
	out := mustRun(t, d, sec, "add", "Device.LocalAgent.Subscription.", "ID=e2e", "NotifType=ValueChange", "ReferenceList=Device.DeviceInfo.")
	row := strings.SplitN(out, "\n", 2)[0]
	if !strings.HasPrefix(row, "Device.LocalAgent.Subscription.") {
		t.Fatalf("add: %q", out)
	}
	wantLines(t, mustRun(t, d, sec, "instances", "Device.LocalAgent.Subscription."), row+" Alias=cpe-"+strings.TrimSuffix(strings.TrimPrefix(row, "Device.LocalAgent.Subscription."), ".")+" ID=e2e Recipient=Device.LocalAgent.Controller.1")
	wantLines(t, mustRun(t, d, sec, "delete", row), "deleted "+row)
	wantLines(t, mustRun(t, d, sec, "operate", "Device.ScheduleTimer()", "DelaySeconds=1"), "Device.ScheduleTimer() started: Device.LocalAgent.Request.1.")
	wantLines(t, mustRun(t, d, sec, "supported", "-first-level", "Device.LocalAgent.Subscription.{i}."), "  key [Recipient, ID]")
	wantLines(t, mustRun(t, d, sec, "proto"), "1.0,1.1,1.2,1.3,1.4")
	// A USP error: exit 1 and the code printed.
	_, errOut, code := meshctl(t, d, sec, "set", "Device.DeviceInfo.", "Manufacturer=x")
	if code != 1 || !strings.Contains(errOut, "7004") || !strings.Contains(errOut, "7013") {
		t.Fatalf("read-only set: exit %d, stderr %s", code, errOut)
	}
	out, _, code = meshctl(t, d, sec, "get", "Device.Nope.")
	if code != 1 || !strings.Contains(out, "ERROR 7026") {
		t.Fatalf("bad path: exit %d, out %s", code, out)
	}
}

func TestMeshdPSK(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	exerciseAll(t, d, []string{"-psk-hex", testPSK})
	// A wrong key never gets an answer.
	_, errOut, code := meshctl(t, d, []string{"-psk-hex", "ffeeddccbbaa99887766554433221100"}, "get", "Device.DeviceInfo.")
	if code != 1 {
		t.Fatalf("wrong PSK accepted: exit %d %s", code, errOut)
	}
}

func TestMeshdInsecure(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-insecure", "-controller", "proto::meshctl=full")
	if !strings.HasPrefix(d.url, "coap://") {
		t.Fatalf("insecure URL %s", d.url)
	}
	exerciseAll(t, d, nil)
}

func TestMeshdCertificates(t *testing.T) {
	dir := t.TempDir()
	ca, err := coap.NewCA("uspmesh test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	writePEM := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
		return p
	}
	issue := func(id, name string) (string, string) {
		c, err := ca.Issue(id)
		if err != nil {
			t.Fatal(err)
		}
		key, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		return writePEM(name+".crt", "CERTIFICATE", c.Certificate[0]), writePEM(name+".key", "EC PRIVATE KEY", key)
	}
	caFile := writePEM("ca.crt", "CERTIFICATE", ca.Cert.Raw)
	agentCert, agentKey := issue("os::000000-CERT01", "agent")
	ctlCert, ctlKey := issue("proto::meshctl", "ctl")
	d := startMeshd(t, filepath.Join(dir, "state"), "-serial", "CERT01", "-cert", agentCert, "-key", agentKey, "-ca", caFile, "-controller", "proto::meshctl=full")
	exerciseAll(t, d, []string{"-cert", ctlCert, "-key", ctlKey, "-ca", caFile})
	// A certificate from another CA is refused.
	other, _ := coap.NewCA("other CA", 0)
	c, _ := other.Issue("proto::meshctl")
	key, _ := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	badCert := writePEM("bad.crt", "CERTIFICATE", c.Certificate[0])
	badKey := writePEM("bad.key", "EC PRIVATE KEY", key)
	if _, errOut, code := meshctl(t, d, []string{"-cert", badCert, "-key", badKey, "-ca", caFile}, "get", "Device.DeviceInfo."); code != 1 {
		t.Fatalf("untrusted certificate accepted: %s", errOut)
	}
}

func TestMeshdSubscribe(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full", "-controller", "proto::watcher=read")
	sec := []string{"-psk-hex", testPSK}
	// The watcher has its own Endpoint ID: notifications follow the
	// reply-to address each Controller last used.
	sc := startWatcher(t, d, sec, "127.0.0.1:0")
	mustRun(t, d, sec, "set", "Device.DeviceInfo.", "FriendlyName=Attic")
	if !sc.Scan() || !strings.HasSuffix(sc.Text(), "Device.DeviceInfo.FriendlyName => Attic") {
		t.Fatalf("notification: %q\n%s", sc.Text(), d.logs)
	}
}

// startWatcher runs "meshctl subscribe" as Controller proto::watcher
// listening at listen, on ValueChange of FriendlyName for 20 s, and
// returns its output once the subscription is made; the process is
// killed when t ends.
func startWatcher(t *testing.T, d *daemon, sec []string, listen string) *bufio.Scanner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	sub := exec.CommandContext(ctx, filepath.Join(binDir, "meshctl"), append([]string{"-url", d.url, "-agent", d.agentID,
		"-listen", listen, "-id", "proto::watcher"},
		append(sec, "subscribe", "-for", "20s", "ValueChange", "Device.DeviceInfo.FriendlyName")...)...)
	out, _ := sub.StdoutPipe()
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Process.Kill(); _ = sub.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "subscribed Device.LocalAgent.Subscription.") {
		t.Fatalf("subscribe: %q\n%s", sc.Text(), d.logs)
	}
	return sc
}

// TestMeshdOnBoardRequest: SendOnBoardRequest() on a Controller's row
// sends it an OnBoardRequest Notify at its configured MTP.
func TestMeshdOnBoardRequest(t *testing.T) {
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	mtp := fmt.Sprintf("coaps://127.0.0.1:%d/usp-ctl", port)
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-oui", "00D09E", "-serial", "SN42", "-controller", "proto::meshctl=full",
		"-controller", "proto::watcher=read,"+mtp)
	sec := []string{"-psk-hex", testPSK}
	// The watcher listens at its MTP; its subscription makes it print
	// every Notify it gets.
	sc := startWatcher(t, d, sec, fmt.Sprintf("127.0.0.1:%d", port))
	mustRun(t, d, sec, "operate", `Device.LocalAgent.Controller.[EndpointID=="proto::watcher"].SendOnBoardRequest()`)
	if !sc.Scan() || !strings.Contains(sc.Text(), "onboard request") || !strings.Contains(sc.Text(), "00D09E") ||
		!strings.Contains(sc.Text(), "SN42") {
		t.Fatalf("notification: %q\n%s", sc.Text(), d.logs)
	}
}

func TestMeshdBadConfig(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "psk_hex"},
		{[]string{"-psk-hex", "zz"}, "psk_hex"},
		{[]string{"-insecure", "-oui", "12"}, `oui "12"`},
		{[]string{"-insecure", "-controller", "proto::x=admin"}, `controllers[0].role "admin"`},
		{[]string{"-insecure", "-agent-id", "nope"}, `agent_id "nope"`},
	} {
		cmd := exec.Command(filepath.Join(binDir, "meshd"), append([]string{"-state-dir", t.TempDir(), "-listen", "127.0.0.1:0"}, c.args...)...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("meshd %v: err %v, output %q, want mention of %s", c.args, err, out, c.want)
		}
	}
}

func TestMeshdRestartKeepsState(t *testing.T) {
	state := t.TempDir()
	d := startMeshd(t, state, "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	sec := []string{"-psk-hex", testPSK}
	mustRun(t, d, sec, "set", "Device.DeviceInfo.", "FriendlyName=Porch")
	d.stop(t)
	d2 := startMeshd(t, state, "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	if d2.agentID != d.agentID {
		t.Fatalf("identity changed across restart: %s → %s", d.agentID, d2.agentID)
	}
	wantLines(t, mustRun(t, d2, sec, "get", "Device.DeviceInfo.FriendlyName"), "Device.DeviceInfo.FriendlyName => Porch")
}

// TestMeshdSIGTERMWithLongCommand: SIGTERM while a one-hour ScheduleTimer
// runs ends meshd within 5 s, cleanly (the command is cancelled, not
// waited for).
func TestMeshdSIGTERMWithLongCommand(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full")
	sec := []string{"-psk-hex", testPSK}
	wantLines(t, mustRun(t, d, sec, "operate", "Device.ScheduleTimer()", "DelaySeconds=3600"),
		"Device.ScheduleTimer() started: Device.LocalAgent.Request.1.")
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("meshd exit after SIGTERM: %v\n%s", err, d.logs)
		}
		t.Logf("meshd exited %v after SIGTERM with a one-hour command running", time.Since(start).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		d.cmd.Process.Kill()
		<-done
		t.Fatalf("meshd still running 5 s after SIGTERM with a one-hour command\n%s", d.logs)
	}
}
