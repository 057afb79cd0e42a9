package node

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
)

// qosReport is a report as a QoS 2 subscriber receives it.
type qosReport struct {
	topic string
	qos   byte
	body  string
}

// subscribeQoS2 subscribes to filter at QoS 2 on the broker at addr, so
// that each message arrives at the QoS it was published with.
func subscribeQoS2(t *testing.T, addr, filter string) <-chan qosReport {
	t.Helper()
	got := make(chan qosReport, 16)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := paho.NewClient(paho.ClientConfig{Conn: conn, OnPublishReceived: []func(paho.PublishReceived) (bool, error){
		func(pr paho.PublishReceived) (bool, error) {
			got <- qosReport{pr.Packet.Topic, pr.Packet.QoS, string(pr.Packet.Payload)}
			return true, nil
		}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: "qos-collector", KeepAlive: 30, CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(&paho.Disconnect{}) })
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: 2}}}); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestBulkDataMQTTPublishQoS: MQTT reports go through Mosquitto at
// their profile's MQTT.PublishQoS (a QoS 2 subscriber receives each at
// the QoS it was published with), not at the MQTT client's own QoS.
func TestBulkDataMQTTPublishQoS(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	cfg := baseConfig(t)
	cfg.MQTT = &MQTTConfig{Broker: "mqtt://" + b.Addr(), RetryMin: Duration(100 * time.Millisecond), RetryMax: Duration(time.Second)}
	n := startNode(t, cfg, Deps{})
	waitFor(t, 10*time.Second, "the node's MQTT session", func() bool { return get(t, n, "Device.MQTT.Client.1.Status") == "Connected" })
	reports := subscribeQoS2(t, b.Addr(), "bulk/#")
	ctl := dialNode(t, n, testCtl, testPSK)
	for _, qos := range []string{"0", "2", "1"} {
		topic := "bulk/qos" + qos
		row := addProfile(t, ctl, map[string]string{"Protocol": "MQTT", "ReportingInterval": "86400", "MQTT.Reference": "Device.MQTT.Client.1",
			"MQTT.PublishTopic": topic, "MQTT.PublishQoS": qos}, "Device.DeviceInfo.SerialNumber")
		waitFor(t, 10*time.Second, row+" enabled", func() bool { return get(t, n, row+"X_USPMESH_Status") == "Enabled" })
		force(t, ctl, row)
		select {
		case r := <-reports:
			if r.topic != topic || string('0'+r.qos) != qos || !strings.Contains(r.body, n.cfg.SerialNumber) {
				t.Fatalf("received %s at QoS %d (%s), want %s at QoS %s", r.topic, r.qos, r.body, topic, qos)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("no report on %s", topic)
		}
	}
}
