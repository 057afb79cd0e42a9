package node

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/mqtt"
	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/websocket"
)

// mqttCtl is a USP Controller reaching an Agent through a real broker.
type mqttCtl struct {
	client   *usp.Client
	mq       *mqtt.Client
	notes    chan *uspmsg.Notify
	connects chan string // the Agents' MQTTConnectRecord topics
}

// dialMQTT connects Controller id, listening on topic, to the broker at
// addr; its Records go to agentTopic.
func dialMQTT(t testing.TB, addr, id, topic, agentTopic string) *mqttCtl {
	t.Helper()
	c := &mqttCtl{notes: make(chan *uspmsg.Notify, 2048), connects: make(chan string, 16)}
	tr := transportFunc(func(ctx context.Context, _ usp.EndpointID, rec []byte) error {
		return c.mq.Publish(ctx, agentTopic, rec, topic)
	})
	var err error
	c.client, err = usp.NewClient(usp.ClientConfig{EndpointID: usp.EndpointID(id), Transport: tr, Timeout: 5 * time.Second,
		QueueLen: 2048,
		OnNotify: func(_ usp.EndpointID, nt *uspmsg.Notify) { c.notes <- nt },
		OnConnect: func(_ usp.EndpointID, rec *usprecord.Record) {
			if mc := rec.GetMqttConnect(); mc != nil {
				c.connects <- mc.GetSubscribedTopic()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	c.mq, err = mqtt.Dial(context.Background(), mqtt.Config{Broker: addr, ClientID: id + "-" + topic, Topics: []string{topic},
		Retry:   mqtt.Retry{MinWait: 100 * time.Millisecond, MaxInterval: 500 * time.Millisecond},
		Handler: func(ctx context.Context, m mqtt.Message) { _ = c.client.HandleRecord(ctx, "", m.Payload) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.client.Close(); _ = c.mq.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.mq.WaitUp(ctx); err != nil {
		t.Fatalf("controller's MQTT session: %v", err)
	}
	return c
}

// mqttNode starts a node on broker b serving testCtl over MQTT at
// usp/ctl/test, with fast reconnects.
func mqttNode(t testing.TB, b *mqtttest.Broker) *Node {
	cfg := baseConfig(t)
	cfg.MQTT = &MQTTConfig{Broker: "mqtt://" + b.Addr(), RetryMin: Duration(100 * time.Millisecond), RetryMax: Duration(time.Second)}
	cfg.Controllers[0].MQTTTopic = "usp/ctl/test"
	n := startNode(t, cfg, Deps{})
	waitFor(t, 10*time.Second, "the node's MQTT session", func() bool { return get(t, n, "Device.MQTT.Client.1.Status") == "Connected" })
	return n
}

// TestMQTTAgent: a Controller reaches the Agent through a real
// Mosquitto: the Agent announces itself with an MQTTConnectRecord,
// answers on the request's Response Topic, reports its MTP state, and
// ignores Controllers not configured for MQTT.
func TestMQTTAgent(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	ctl := dialMQTT(t, b.Addr(), testCtl, "usp/ctl/test", "")
	n := mqttNode(t, b)
	agentTopic := "usp/agent/" + string(n.AgentID())
	select {
	case topic := <-ctl.connects:
		if topic != agentTopic {
			t.Fatalf("MQTTConnectRecord topic %q, want %q", topic, agentTopic)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no MQTTConnectRecord")
	}
	// A Controller listening on a topic of its own choosing: answered there.
	other := dialMQTT(t, b.Addr(), testCtl, "usp/ctl/test/reply-7", agentTopic)
	resp, err := other.client.Get(context.Background(), n.AgentID(), 0, "Device.DeviceInfo.SerialNumber", `Device.LocalAgent.MTP.[Alias=="mqtt"].Status`)
	if err != nil {
		t.Fatalf("get over MQTT: %v", err)
	}
	if s := fmt.Sprint(resp); !strings.Contains(s, n.cfg.SerialNumber) || !strings.Contains(s, `"Up"`) {
		t.Fatalf("get over MQTT: %v", resp)
	}
	if got := get(t, n, `Device.LocalAgent.MTP.[Alias=="mqtt"].MQTT.ResponseTopicConfigured`); got != agentTopic {
		t.Fatalf("ResponseTopicConfigured %q", got)
	}
	// A Controller the node has no MQTT topic for gets nothing.
	stranger := dialMQTT(t, b.Addr(), "proto::stranger", "usp/ctl/stranger", agentTopic)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := stranger.client.Get(ctx, n.AgentID(), 0, "Device.DeviceInfo."); err == nil {
		t.Fatal("an unconfigured Controller was answered over MQTT")
	}
}

// TestNotifyGoesWhereSubscribed: two processes share one Controller
// identity over CoAP; the one that subscribed keeps its notifications
// when the other sends a request (the reply-to of the latest request
// used to take them).
func TestNotifyGoesWhereSubscribed(t *testing.T) {
	n := startNode(t, baseConfig(t), Deps{})
	sub := dialNode(t, n, testCtl, testPSK)
	if _, _, err := sub.client.Subscribe(context.Background(), n.AgentID(), usp.Subscription{NotifType: "ValueChange",
		ReferenceList: []string{"Device.DeviceInfo.FriendlyName"}}); err != nil {
		t.Fatal(err)
	}
	setter := dialNode(t, n, testCtl, testPSK)
	for i := range 3 {
		if _, err := setter.client.Set(context.Background(), n.AgentID(), false, setName(fmt.Sprint("room-", i))); err != nil {
			t.Fatal(err)
		}
		select {
		case nt := <-sub.notes:
			if v := nt.GetValueChange().GetParamValue(); v != fmt.Sprint("room-", i) {
				t.Fatalf("notification %q", v)
			}
		case nt := <-setter.notes:
			t.Fatalf("the setter got the subscriber's notification %v", nt)
		case <-time.After(5 * time.Second):
			t.Fatalf("set %d: the subscriber got no notification", i)
		}
	}
}

// TestWebSocketAgent: an app on the Agent's WebSocket server is answered
// on its session and gets its notifications there; the server's MTP row
// and its DNS-SD service are up.
func TestWebSocketAgent(t *testing.T) {
	cfg := baseConfig(t)
	cfg.WebSocket = &WebSocketConfig{Listen: "127.0.0.1:0", Insecure: true}
	n := startNode(t, cfg, Deps{})
	w := n.wsNow()
	notes := make(chan *uspmsg.Notify, 8)
	var conn *websocket.Conn
	var mu sync.Mutex
	tr := transportFunc(func(ctx context.Context, _ usp.EndpointID, rec []byte) error {
		mu.Lock()
		c := conn
		mu.Unlock()
		return c.Send(ctx, rec)
	})
	client, err := usp.NewClient(usp.ClientConfig{EndpointID: "proto::app", Transport: tr, Timeout: 5 * time.Second,
		OnNotify: func(_ usp.EndpointID, nt *uspmsg.Notify) { notes <- nt }})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := websocket.DialOnce(context.Background(), websocket.DialConfig{URL: w.server.URL(), EndpointID: "proto::app",
		PeerID: string(n.AgentID()), Handler: func(ctx context.Context, _ *websocket.Conn, b []byte) { _ = client.HandleRecord(ctx, "", b) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close("done")
	mu.Lock()
	conn = c
	mu.Unlock()
	// proto::app is not configured: it holds the untrusted role, which
	// still lets it ask for the supported protocol versions.
	if _, err := client.GetSupportedProtocol(context.Background(), n.AgentID()); err != nil {
		t.Fatalf("request over WebSocket: %v", err)
	}
	if got := get(t, n, `Device.LocalAgent.MTP.[Alias=="websocket"].Status`); got != "Up" {
		t.Fatalf("WebSocket MTP Status %q", got)
	}
	// A full-access Controller (testCtl) subscribed over WebSocket.
	full := wsController(t, n, testCtl)
	if _, _, err := full.client.Subscribe(context.Background(), n.AgentID(), usp.Subscription{NotifType: "ValueChange",
		ReferenceList: []string{"Device.DeviceInfo.FriendlyName"}}); err != nil {
		t.Fatal(err)
	}
	coapCtl := dialNode(t, n, testCtl, testPSK)
	if _, err := coapCtl.client.Set(context.Background(), n.AgentID(), false, setName("Attic")); err != nil {
		t.Fatal(err)
	}
	select {
	case nt := <-full.notes:
		if nt.GetValueChange().GetParamValue() != "Attic" {
			t.Fatalf("notification %v", nt)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification over the WebSocket session")
	}
}

// wsCtl is a Controller on one WebSocket session to a node's server.
type wsCtl struct {
	client *usp.Client
	conn   *websocket.Conn
	notes  chan *uspmsg.Notify
}

func wsController(t testing.TB, n *Node, id string) *wsCtl {
	t.Helper()
	c := &wsCtl{notes: make(chan *uspmsg.Notify, 64)}
	ready := make(chan struct{})
	tr := transportFunc(func(ctx context.Context, _ usp.EndpointID, rec []byte) error {
		<-ready
		return c.conn.Send(ctx, rec)
	})
	var err error
	c.client, err = usp.NewClient(usp.ClientConfig{EndpointID: usp.EndpointID(id), Transport: tr, Timeout: 5 * time.Second,
		OnNotify: func(_ usp.EndpointID, nt *uspmsg.Notify) { c.notes <- nt }})
	if err != nil {
		t.Fatal(err)
	}
	c.conn, err = websocket.DialOnce(context.Background(), websocket.DialConfig{URL: n.wsNow().server.URL(), EndpointID: id,
		PeerID: string(n.AgentID()), Handler: func(ctx context.Context, _ *websocket.Conn, b []byte) { _ = c.client.HandleRecord(ctx, "", b) }})
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	t.Cleanup(func() { c.client.Close(); _ = c.conn.Close("done") })
	return c
}

// setName is the Set of Device.DeviceInfo.FriendlyName to v.
func setName(v string) *uspmsg.Set_UpdateObject {
	return &uspmsg.Set_UpdateObject{ObjPath: "Device.DeviceInfo.", ParamSettings: []*uspmsg.Set_UpdateParamSetting{
		{Param: "FriendlyName", Value: v, Required: true}}}
}
