//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// The tenants of a home, each over the MTP it would use: the operator's
// cloud over MQTT (its broker in the cloud namespace), a security
// provider over MQTT too, and the owner's guest Wi-Fi app on a phone in
// the home over WebSocket (TLS, client certificate) to one AP.
const (
	operatorID = "proto::operator"
	securityID = "proto::security"
	appID      = "proto::guest-app"
	wsPort     = 5685
)

// Targets naming the guest network by Alias, which never changes.
const (
	guestSSID = `Device.WiFi.SSID.[Alias=="guest"].`
	guestSec  = `Device.WiFi.AccessPoint.[Alias=="guest"].Security.`
)

// tenantRoles are the Roles the nodes are configured with.
func tenantRoles() map[string]any {
	perm := func(targets []string, param, obj, inst, cmd string) map[string]any {
		return map[string]any{"targets": targets, "param": param, "obj": obj, "instantiated_obj": inst, "command_event": cmd}
	}
	subs := perm([]string{"Device.LocalAgent.Subscription."}, "rw--", "rw--", "rw--", "")
	return map[string]any{"roles": []any{
		map[string]any{"name": "wifi-operator", "permissions": []any{
			perm([]string{"Device.WiFi."}, "rw-n", "rw-n", "rw-n", "--xn"),
			perm([]string{"Device.DeviceInfo."}, "r--n", "r---", "r---", ""), subs}},
		map[string]any{"name": "security", "permissions": []any{
			perm([]string{"Device.WiFi.AccessPoint.*.AssociatedDevice.", "Device.DeviceInfo."}, "r--n", "r--n", "r--n", ""), subs}},
		map[string]any{"name": "guest-app", "secured": true, "permissions": []any{
			perm([]string{guestSSID, guestSec}, "r--n", "r---", "r---", ""),
			perm([]string{guestSSID + "SSID", guestSSID + "Enable", guestSec + "KeyPassphrase"}, "rw-n", "", "", ""), subs}},
	}}
}

// TestTenants: the operator (MQTT, Wi-Fi read-write) lists every AP of
// the home by its topic and renames the guest network on all of them;
// the app (WebSocket to one AP, guest network only) sees and changes
// exactly that; the security provider (MQTT, read-only on associated
// stations) sees exactly that. Each is refused the rest.
func TestTenants(t *testing.T) {
	pki := newPKI(t)
	appCert, appKey := pki.issue(t, "app", nil, appID)
	roles, _ := json.Marshal(tenantRoles())
	rolesFile := filepath.Join(t.TempDir(), "roles.json")
	if err := os.WriteFile(rolesFile, roles, 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	h := startHome(t, HomeConfig{Nodes: 3, SimHome: "../../homes/house.json", Cloud: true, Profile: "fast",
		NodeArgs: func(n Node) []string {
			mu.Lock()
			defer mu.Unlock()
			cert, key := pki.issue(t, fmt.Sprintf("n%d", n.Index), []net.IP{n.Addr.AsSlice()}, "")
			return []string{"-config", rolesFile,
				"-controller", operatorID + "=wifi-operator,mqtt:usp/controller/operator",
				"-controller", securityID + "=security,mqtt:usp/controller/security",
				"-controller", appID + "=guest-app",
				"-ws-listen", fmt.Sprintf(":%d", wsPort), "-ws-cert", cert, "-ws-key", key, "-ws-client-ca", pki.CAFile}
		}})
	ctx := t.Context()
	meshctl := filepath.Join(binDir, "meshctl")
	nodes := h.Nodes()
	// The harness (full access) gives every AP a guest network.
	c, err := h.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := waitFor(20*time.Second, func() error {
			v, err := h.Get(ctx, n.Index, `Device.MQTT.Client.1.Status`)
			if err == nil && v["Device.MQTT.Client.1.Status"] != "Connected" {
				err = fmt.Errorf("MQTT client %v", v)
			}
			return err
		}); err != nil {
			t.Fatalf("node %d: %v", n.Index, err)
		}
		r, err := c.Add(ctx, n.AgentID, false, &uspmsg.Add_CreateObject{ObjPath: "Device.WiFi.SSID.", ParamSettings: []*uspmsg.Add_CreateParamSetting{
			{Param: "Alias", Value: "guest", Required: true}, {Param: "SSID", Value: "home-guest", Required: true}}})
		if err != nil {
			t.Fatalf("node %d: add guest SSID: %v", n.Index, err)
		}
		ssid := r.GetCreatedObjResults()[0].GetOperStatus().GetOperSuccess().GetInstantiatedPath()
		if _, err := c.Add(ctx, n.AgentID, false, &uspmsg.Add_CreateObject{ObjPath: "Device.WiFi.AccessPoint.", ParamSettings: []*uspmsg.Add_CreateParamSetting{
			{Param: "Alias", Value: "guest", Required: true}, {Param: "SSIDReference", Value: strings.TrimSuffix(ssid, "."), Required: true}}}); err != nil {
			t.Fatalf("node %d: add guest AP: %v", n.Index, err)
		}
		if _, err := c.Set(ctx, n.AgentID, false, setObj(guestSec, "KeyPassphrase", "guest-pass-1")); err != nil {
			t.Fatalf("node %d: guest passphrase: %v", n.Index, err)
		}
	}
	overMQTT := func(id string, n *Node, args ...string) (string, error) {
		base := []string{meshctl, "-url", "mqtts://" + strings.TrimPrefix(h.BrokerURL(true), "mqtts://") + "/usp/agent/" + string(n.AgentID),
			"-agent", string(n.AgentID), "-id", id, "-ca", h.BrokerCA(), "-timeout", "10s"}
		out, err := h.ExecCloud(ctx, append(base, args...)...)
		return string(out), err
	}

	t.Run("operator", func(t *testing.T) {
		for _, n := range nodes {
			out, err := overMQTT(operatorID, n, "get", "Device.DeviceInfo.SerialNumber")
			if err != nil || !strings.Contains(out, "Device.DeviceInfo.SerialNumber => ") {
				t.Fatalf("node %d by its topic: %v\n%s", n.Index, err, out)
			}
			if out, err := overMQTT(operatorID, n, "set", guestSSID, "SSID=ISP-Guest"); err != nil {
				t.Fatalf("node %d: rename guest: %v\n%s", n.Index, err, out)
			}
			v, err := h.Get(ctx, n.Index, guestSSID+"SSID")
			if err != nil || !slices.Contains(mapValues(v), "ISP-Guest") {
				t.Fatalf("node %d: guest SSID after the operator's set: %v %v", n.Index, v, err)
			}
			// Refused: what is not Wi-Fi, and the passphrase's value.
			if out, err := overMQTT(operatorID, n, "set", "Device.DeviceInfo.", "FriendlyName=isp"); !refused(err) {
				t.Errorf("node %d: operator set FriendlyName: %v\n%s", n.Index, err, out)
			}
			if out, _ := overMQTT(operatorID, n, "get", guestSec+"KeyPassphrase"); strings.Contains(out, "guest-pass") {
				t.Errorf("node %d: the operator read the guest passphrase:\n%s", n.Index, out)
			}
			if out, _ := overMQTT(operatorID, n, "get", "Device.LocalAgent."); strings.Contains(out, "=>") {
				t.Errorf("node %d: the operator read LocalAgent:\n%s", n.Index, out)
			}
		}
	})

	t.Run("app", func(t *testing.T) {
		n := nodes[0]
		overWS := func(args ...string) (string, error) {
			base := []string{meshctl, "-url", fmt.Sprintf("wss://%s:%d/usp", n.Addr, wsPort), "-agent", string(n.AgentID), "-id", appID,
				"-cert", appCert, "-key", appKey, "-ca", pki.CAFile, "-timeout", "10s"}
			out, err := h.ExecController(ctx, append(base, args...)...)
			return string(out), err
		}
		out, err := overWS("get", "Device.WiFi.")
		if err != nil {
			t.Fatalf("app get: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var sawPass, sawSSID bool
		for _, l := range lines {
			p, v, _ := strings.Cut(l, " => ")
			switch {
			case strings.HasSuffix(p, ".Security.KeyPassphrase"):
				sawPass = v == "guest-pass-1"
			case strings.HasSuffix(p, ".SSID") && strings.Contains(p, "Device.WiFi.SSID."):
				sawSSID = v == "ISP-Guest" || v == "home-guest"
				if !sawSSID {
					t.Errorf("the app sees an SSID that is not the guest one: %s", l)
				}
			}
			if strings.Contains(p, ".AssociatedDevice.") || strings.HasPrefix(p, "Device.WiFi.Radio.") {
				t.Errorf("the app sees %s", l)
			}
		}
		if !sawPass || !sawSSID {
			t.Fatalf("the app's view lacks the guest SSID or passphrase:\n%s", out)
		}
		if out, err := overWS("set", guestSSID, "SSID=Party"); err != nil {
			t.Fatalf("app renames guest: %v\n%s", err, out)
		}
		if out, err := overWS("set", "Device.WiFi.SSID.1.", "SSID=mine"); !refused(err) {
			t.Errorf("app set the main SSID: %v\n%s", err, out)
		}
	})

	t.Run("broker restart", func(t *testing.T) { brokerRestart(t, h, meshctl) })

	t.Run("security", func(t *testing.T) {
		seen := 0
		for _, n := range nodes {
			out, err := overMQTT(securityID, n, "get", "Device.WiFi.")
			if err != nil {
				t.Fatalf("node %d: %v\n%s", n.Index, err, out)
			}
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if l == "" {
					continue
				}
				if !strings.Contains(l, ".AssociatedDevice.") {
					t.Errorf("node %d: the security provider sees %s", n.Index, l)
				}
				seen++
			}
			if out, err := overMQTT(securityID, n, "set", guestSSID, "SSID=x"); !refused(err) {
				t.Errorf("node %d: security provider set: %v\n%s", n.Index, err, out)
			}
		}
		if seen == 0 {
			t.Fatal("the security provider saw no associated station in the whole home")
		}
	})
}

// brokerRestart: the cloud's broker restarts while the operator is
// subscribed (NotifRetry) and 1,000 ValueChanges happen across the
// restart: every Agent reconnects, and every notification arrives
// (duplicates, which QoS 1 and retries allow, are counted).
func brokerRestart(t *testing.T, h *Home, meshctl string) {
	ctx := t.Context()
	n := h.Nodes()[0]
	c, err := h.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Retries one second after a failed attempt (the minimum).
	if _, err := c.Set(ctx, n.AgentID, false, setObj(`Device.LocalAgent.Controller.[EndpointID=="`+operatorID+`"].`,
		"USPNotifRetryMinimumWaitInterval", "1")); err != nil {
		t.Fatal(err)
	}
	sub := exec.CommandContext(ctx, "ip", "netns", "exec", h.CloudNamespace(), meshctl,
		"-url", h.BrokerURL(true)+"/usp/agent/"+string(n.AgentID), "-agent", string(n.AgentID), "-id", operatorID,
		"-ca", h.BrokerCA(), "-mqtt-topic", "usp/controller/operator", "-timeout", "10s",
		"subscribe", "-retry", "-for", "120s", "ValueChange", "Device.DeviceInfo.FriendlyName")
	sub.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := sub.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	sub.Stderr = &stderr
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(-sub.Process.Pid, syscall.SIGKILL); _ = sub.Wait() }()
	values := make(chan string, 4096)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, v, ok := strings.Cut(sc.Text(), " => "); ok {
				values <- v
			}
		}
		close(values)
	}()
	// The subscription is up once a warm-up change arrives (the Agent
	// may take up to MaxSubscriptionChangeAdoptionTime to adopt it).
	warm := time.After(20 * time.Second)
	for k, up := 0, false; !up; k++ {
		if _, err := c.Set(ctx, n.AgentID, false, setObj("Device.DeviceInfo.", "FriendlyName", fmt.Sprint("warm-", k))); err != nil {
			t.Fatal(err)
		}
		select {
		case v, ok := <-values:
			if !ok {
				t.Fatalf("subscriber ended: %s", stderr.String())
			}
			up = strings.HasPrefix(v, "warm-")
		case <-time.After(500 * time.Millisecond):
		case <-warm:
			t.Fatalf("the subscriber got nothing in 20 s: %s", stderr.String())
		}
	}
	const total = 1000
	var reconnected time.Duration
	errs := make(chan error, 1)
	go func() {
		for i := range total {
			switch i {
			case total / 3:
				if err := h.StopBroker(); err != nil {
					errs <- err
					return
				}
			case 2 * total / 3:
				start := time.Now()
				if err := h.StartBroker(ctx); err != nil {
					errs <- err
					return
				}
				if err := waitFor(30*time.Second, func() error {
					for _, m := range h.Nodes() {
						v, err := h.Get(ctx, m.Index, "Device.MQTT.Client.1.Status")
						if err != nil || v["Device.MQTT.Client.1.Status"] != "Connected" {
							return fmt.Errorf("node %d: %v %v", m.Index, v, err)
						}
					}
					return nil
				}); err != nil {
					errs <- err
					return
				}
				reconnected = time.Since(start)
			}
			if _, err := c.Set(ctx, n.AgentID, false, setObj("Device.DeviceInfo.", "FriendlyName", fmt.Sprint("v", i))); err != nil {
				errs <- fmt.Errorf("set %d: %w", i, err)
				return
			}
		}
		errs <- nil
	}()
	seen := map[string]int{}
	deadline := time.After(120 * time.Second)
	for len(seen) < total {
		select {
		case v, ok := <-values:
			if !ok {
				t.Fatalf("subscriber ended after %d: %s", len(seen), stderr.String())
			}
			if strings.HasPrefix(v, "v") {
				seen[v]++
			}
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
			errs = nil
		case <-deadline:
			t.Fatalf("%d of %d notifications arrived in 120 s", len(seen), total)
		}
	}
	dups := 0
	for _, k := range seen {
		dups += k - 1
	}
	t.Logf("broker restart: all %d Agents reconnected %v after the broker was back; %d of %d notifications, %d duplicates",
		len(h.Nodes()), reconnected.Round(time.Millisecond), len(seen), total, dups)
}

// refused reports whether meshctl failed with USP error 7006.
func refused(err error) bool { return err != nil && strings.Contains(err.Error(), "7006") }

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
