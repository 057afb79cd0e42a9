package node

import (
	"context"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
	"github.com/uspmesh/uspmesh/usp"
)

// TestConfiguredRoleNotified: a Controller with a configured Role that
// grants "n" on a parameter, subscribed over MQTT, is notified of its
// changes.
func TestConfiguredRoleNotified(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	cfg := baseConfig(t)
	cfg.MQTT = &MQTTConfig{Broker: "mqtt://" + b.Addr()}
	cfg.Roles = []RoleConfig{{Name: "wifi-operator", Permissions: []PermissionConfig{
		{Targets: []string{"Device.WiFi."}, Param: "rw-n", Obj: "rw-n", InstantiatedObj: "rw-n", CommandEvent: "--xn"},
		{Targets: []string{"Device.DeviceInfo."}, Param: "r--n", Obj: "r---", InstantiatedObj: "r---"},
		{Targets: []string{"Device.LocalAgent.Subscription."}, Param: "rw--", Obj: "rw--", InstantiatedObj: "rw--"}}},
		{Name: "guest-app", Secured: true, Permissions: []PermissionConfig{
			{Targets: []string{`Device.WiFi.SSID.[Alias=="guest"].`}, Param: "r--n", Obj: "r---", InstantiatedObj: "r---"}}}}
	cfg.Controllers = append(cfg.Controllers, ControllerConfig{EndpointID: "proto::op", Role: "wifi-operator", MQTTTopic: "usp/ctl/op"})
	n := startNode(t, cfg, Deps{})
	op := dialMQTT(t, b.Addr(), "proto::op", "usp/ctl/op", "usp/agent/"+string(n.AgentID()))
	waitFor(t, 10*time.Second, "the node's MQTT session", func() bool { return get(t, n, "Device.MQTT.Client.1.Status") == "Connected" })
	if _, _, err := op.client.Subscribe(context.Background(), n.AgentID(), usp.Subscription{NotifType: "ValueChange",
		ReferenceList: []string{"Device.DeviceInfo.FriendlyName"}}); err != nil {
		t.Fatal(err)
	}
	full := dialNode(t, n, testCtl, testPSK)
	if _, err := full.client.Set(context.Background(), n.AgentID(), false, setName("Den")); err != nil {
		t.Fatal(err)
	}
	select {
	case nt := <-op.notes:
		if nt.GetValueChange().GetParamValue() != "Den" {
			t.Fatalf("notification %v", nt)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification for the configured role")
	}
}
