package node

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/mqtt"
	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMQTTBadInput: garbage, Records from unknown senders or for another
// Agent, and oversized payloads on the Agent's topic are refused and
// logged once per kind; nothing changes and the Agent keeps serving.
func TestMQTTBadInput(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	logs := &syncBuffer{}
	cfg := baseConfig(t)
	cfg.MQTT = &MQTTConfig{Broker: "mqtt://" + b.Addr(), MaxRecord: 4096}
	cfg.Controllers[0].MQTTTopic = "usp/ctl/test"
	n := startNode(t, cfg, Deps{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	waitFor(t, 10*time.Second, "the node's MQTT session", func() bool { return get(t, n, "Device.MQTT.Client.1.Status") == "Connected" })
	agentTopic := "usp/agent/" + string(n.AgentID())
	before := get(t, n, "Device.DeviceInfo.FriendlyName")

	raw, err := mqtt.Dial(context.Background(), mqtt.Config{Broker: b.Addr(), ClientID: "rogue", Topics: []string{"usp/rogue"}})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := raw.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	set := func(from, to usp.EndpointID) []byte {
		rec, err := usp.NewRecord(to, from, usp.NewRequest("x", &uspmsg.Request{ReqType: &uspmsg.Request_Set{Set: &uspmsg.Set{
			UpdateObjs: []*uspmsg.Set_UpdateObject{setName("pwned")}}}}))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := usp.EncodeRecord(rec)
		return b
	}
	for range 20 {
		for _, p := range [][]byte{
			[]byte("garbage"),
			set("proto::stranger", n.AgentID()), // not configured for MQTT
			set(testCtl, "os::someone-else"),    // for another Agent
			bytes.Repeat([]byte{0x0a}, 8192),    // over max_record
		} {
			if err := raw.Publish(ctx, agentTopic, p, "usp/rogue"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Still serving: a configured Controller is answered.
	ctl := dialMQTT(t, b.Addr(), testCtl, "usp/ctl/test", agentTopic)
	if _, err := ctl.client.Get(context.Background(), n.AgentID(), 0, "Device.DeviceInfo.FriendlyName"); err != nil {
		t.Fatalf("the Agent stopped serving: %v", err)
	}
	if got := get(t, n, "Device.DeviceInfo.FriendlyName"); got != before {
		t.Fatalf("FriendlyName changed to %q", got)
	}
	out := logs.String()
	for _, msg := range []string{"not a USP Record", "not a Controller configured for MQTT", "for another Agent"} {
		if c := strings.Count(out, msg); c != 1 {
			t.Errorf("%q logged %d times for 20 refusals, want once\n%s", msg, c, out)
		}
	}
	if st := n.mqttNow().client.Stats(); st.Dropped < 20 {
		t.Errorf("oversized payloads dropped %d, want 20", st.Dropped)
	}
}
