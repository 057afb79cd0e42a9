//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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

// refused reports whether meshctl failed with USP error 7006.
func refused(err error) bool { return err != nil && strings.Contains(err.Error(), "7006") }

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

