package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// TestMQTTBrokerRestartLosesNoNotification: 1,000 ValueChange
// notifications with NotifRetry, sent while the broker restarts, all
// reach the Controller: those that found the MTP down wait and go out
// when the Agent reconnects. QoS 1 and retries allow duplicates; they
// are counted and reported.
func TestMQTTBrokerRestartLosesNoNotification(t *testing.T) {
	if testing.Short() {
		t.Skip("broker restart: not with -short")
	}
	b := mqtttest.Start(t, mqtttest.Options{})
	n := mqttNode(t, b)
	ctl := dialMQTT(t, b.Addr(), testCtl, "usp/ctl/test", "usp/agent/"+string(n.AgentID()))
	ctx := context.Background()
	// Retries start after one second (the minimum), so that the test
	// does not wait out the default back-off for what the restart lost
	// in flight.
	coap := dialNode(t, n, testCtl, testPSK)
	if _, err := coap.client.Set(ctx, n.AgentID(), false, &uspmsg.Set_UpdateObject{
		ObjPath:       `Device.LocalAgent.Controller.[EndpointID=="` + testCtl + `"].`,
		ParamSettings: []*uspmsg.Set_UpdateParamSetting{{Param: "USPNotifRetryMinimumWaitInterval", Value: "1", Required: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ctl.client.Subscribe(ctx, n.AgentID(), usp.Subscription{NotifType: "ValueChange",
		ReferenceList: []string{"Device.DeviceInfo.FriendlyName"}, Retry: true}); err != nil {
		t.Fatal(err)
	}
	const total = 1000
	restarted := make(chan time.Duration, 1)
	go func() {
		for i := range total {
			if i == total/3 {
				go func() {
					start := time.Now()
					b.Restart(t)
					restarted <- time.Since(start)
				}()
			}
			if _, err := coap.client.Set(ctx, n.AgentID(), false, setName(fmt.Sprint("v", i))); err != nil {
				t.Errorf("set %d: %v", i, err)
				return
			}
		}
	}()
	seen := map[string]int{}
	deadline := time.After(90 * time.Second)
	for len(seen) < total {
		select {
		case nt := <-ctl.notes:
			seen[nt.GetValueChange().GetParamValue()]++
		case <-deadline:
			t.Fatalf("%d of %d notifications arrived in 90 s\n%s", len(seen), total, b.Log())
		}
	}
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	select {
	case d := <-restarted:
		t.Logf("broker restart took %v; %d notifications arrived, %d duplicates", d, len(seen), dups)
	case <-time.After(10 * time.Second):
		t.Fatal("the broker restart did not finish")
	}
	waitFor(t, 10*time.Second, "the node's MQTT session after the restart", func() bool {
		return get(t, n, "Device.MQTT.Client.1.Status") == "Connected"
	})
}
