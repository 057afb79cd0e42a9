package node

import (
	"context"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
	"github.com/uspmesh/uspmesh/usp"
)

// BenchmarkGetRoundTrip is one Controller's Get of one parameter, answer
// received, over each MTP of one node on loopback: CoAP/DTLS direct,
// MQTT through a real Mosquitto, WebSocket (plain, on the Agent's
// server). Run with -count 5 for medians: go test -run '^$' -bench
// GetRoundTrip -count 5 ./node/
func BenchmarkGetRoundTrip(b *testing.B) {
	broker := mqtttest.Start(b, mqtttest.Options{})
	cfg := baseConfig(b)
	cfg.MQTT = &MQTTConfig{Broker: "mqtt://" + broker.Addr()}
	cfg.WebSocket = &WebSocketConfig{Listen: "127.0.0.1:0", Insecure: true}
	cfg.Controllers[0].MQTTTopic = "usp/ctl/bench"
	n := startNode(b, cfg, Deps{})
	waitFor(b, 10*time.Second, "the node's MQTT session", func() bool { return get(b, n, "Device.MQTT.Client.1.Status") == "Connected" })
	clients := []struct {
		name string
		c    *usp.Client
	}{
		{"CoAP-DTLS", dialNode(b, n, testCtl, testPSK).client},
		{"MQTT", dialMQTT(b, broker.Addr(), testCtl, "usp/ctl/bench", "usp/agent/"+string(n.AgentID())).client},
		{"WebSocket", wsController(b, n, testCtl).client},
	}
	for _, c := range clients {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if _, err := c.c.Get(ctx, n.AgentID(), 0, "Device.DeviceInfo.SoftwareVersion"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMQTTIdleBytes measures what an idle node's MQTT session costs:
// TCP payload bytes, both ways, per keep-alive interval (PINGREQ and
// PINGRESP), with a one-second keep-alive over five seconds. At the
// default keep-alive (60 s) an idle node spends that much per minute.
func BenchmarkMQTTIdleBytes(b *testing.B) {
	broker := mqtttest.Start(b, mqtttest.Options{})
	cfg := baseConfig(b)
	cfg.MQTT = &MQTTConfig{Broker: "mqtt://" + broker.Addr(), KeepAlive: Duration(time.Second)}
	n := startNode(b, cfg, Deps{})
	waitFor(b, 10*time.Second, "the node's MQTT session", func() bool { return get(b, n, "Device.MQTT.Client.1.Status") == "Connected" })
	const window = 5 * time.Second
	for b.Loop() {
		s0 := n.mqttNow().client.Stats()
		time.Sleep(window) // the measured interval itself: idle time is what is measured
		s1 := n.mqttNow().client.Stats()
		bytes := float64(s1.BytesSent + s1.BytesReceived - s0.BytesSent - s0.BytesReceived)
		b.ReportMetric(bytes/window.Seconds(), "bytes/keepalive")
	}
}

// BenchmarkBrokerRestartReconnect measures, per broker restart, the time
// from the broker accepting again to three nodes' MQTT sessions all being
// up, with TR-369's default back-off (first retry 5–10 s), which it is
// dominated by. Each iteration restarts the broker once.
func BenchmarkBrokerRestartReconnect(b *testing.B) {
	broker := mqtttest.Start(b, mqtttest.Options{})
	var nodes []*Node
	for range 3 {
		cfg := baseConfig(b)
		cfg.MQTT = &MQTTConfig{Broker: "mqtt://" + broker.Addr()}
		nodes = append(nodes, startNode(b, cfg, Deps{}))
	}
	up := func() bool {
		for _, n := range nodes {
			if n.mqttNow().client.Status() != "Connected" {
				return false
			}
		}
		return true
	}
	var total time.Duration
	for b.Loop() {
		waitFor(b, 30*time.Second, "sessions up", up)
		broker.Stop()
		waitFor(b, 10*time.Second, "sessions down", func() bool {
			for _, n := range nodes {
				if n.mqttNow().client.Status() == "Connected" {
					return false
				}
			}
			return true
		})
		broker.Restart(b)
		start := time.Now()
		waitFor(b, 60*time.Second, "every node reconnected", up)
		total += time.Since(start)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/reconnect-all")
}
