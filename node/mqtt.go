package node

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/mqtt"
	"github.com/uspmesh/uspmesh/usp"
)

// Rows the node provisions for its MTPs (their Alias).
const (
	mqttClientAlias = "uspmesh"
	mtpAliasCoAP    = "coap"
	mtpAliasMQTT    = "mqtt"
	mtpAliasWS      = "websocket"
)

// mqttMTP is the Agent's MQTT MTP: one client of the configured broker,
// subscribed to the Agent's topic. Only Controllers configured with an
// MQTT topic are served over it: the broker authenticates who may
// publish to the Agent's topic, the node which Endpoint IDs it answers.
type mqttMTP struct {
	n      *Node
	client *mqtt.Client
	topic  string
	// topics are the configured Controllers' topics.
	topics map[usp.EndpointID]string
	// clientRow and mtpRow are the Device.MQTT.Client and
	// Device.LocalAgent.MTP rows it reports its state in.
	clientRow, mtpRow string
}

// mqttTopic is the Agent's topic: configured, or usp/agent/<Endpoint ID>.
func (n *Node) mqttTopic() string {
	if t := n.cfg.MQTT.Topic; t != "" {
		return t
	}
	return "usp/agent/" + string(n.agentID)
}

// startMQTT provisions the MQTT rows and starts the client; the broker
// is connected in the background (and reconnected with TR-369's back-off).
func (n *Node) startMQTT(ctx context.Context) error {
	c := n.cfg.MQTT
	bu, err := mqtt.ParseBrokerURL(c.Broker)
	if err != nil {
		return &ConfigError{"mqtt.broker", c.Broker, err.Error()}
	}
	broker, useTLS := bu.Addr(), bu.TLS
	q := &mqttMTP{n: n, topic: n.mqttTopic(), topics: map[usp.EndpointID]string{}}
	for _, ctl := range n.cfg.Controllers {
		if ctl.MQTTTopic != "" {
			q.topics[usp.EndpointID(ctl.EndpointID)] = ctl.MQTTTopic
		}
	}
	mc := mqtt.Config{Broker: broker, ClientID: c.ClientID, EndpointID: string(n.agentID), Username: c.Username,
		KeepAlive: time.Duration(c.KeepAlive), Topics: []string{q.topic}, MaxPayload: c.MaxRecord,
		Retry:  mqtt.Retry{MinWait: time.Duration(c.RetryMin), Multiplier: c.RetryMultiplier, MaxInterval: time.Duration(c.RetryMax)},
		Logger: n.log.With("sub", "mqtt"), Handler: q.accept, OnUp: q.up}
	if mc.ClientID == "" {
		mc.ClientID = string(n.agentID)
	}
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return &ConfigError{"mqtt.password_file", c.PasswordFile, err.Error()}
		}
		mc.Password = strings.TrimSpace(string(b))
	}
	if useTLS {
		if mc.TLS, err = mqttTLS(c); err != nil {
			return err
		}
	}
	if err := q.provision(ctx, broker, useTLS, mc); err != nil {
		return fmt.Errorf("provision MQTT rows: %w", err)
	}
	if q.client, err = mqtt.Dial(n.base, mc); err != nil {
		return &ConfigError{"mqtt", c.Broker, err.Error()}
	}
	n.mqtt.Store(q)
	n.log.Info("mqtt mtp started", "broker", broker, "tls", useTLS, "topic", q.topic)
	return nil
}

// mqttTLS is the TLS of an mqtts:// broker: verified against CAFile (or
// the system roots), with the optional client certificate.
func mqttTLS(c *MQTTConfig) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pool, err := readPool("mqtt.ca_file", c.CAFile)
		if err != nil {
			return nil, err
		}
		t.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, &ConfigError{"mqtt.cert_file", c.CertFile, err.Error()}
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// provision writes Device.MQTT.Client.{i} and the Agent's MQTT MTP row.
func (q *mqttMTP) provision(ctx context.Context, broker string, useTLS bool, mc mqtt.Config) error {
	host, port, _ := net.SplitHostPort(broker)
	transport := "TCP/IP"
	if useTLS {
		transport = "TLS"
	}
	r := mc.Retry
	var err error
	q.clientRow, err = provisionRow(ctx, q.n.model, "Device.MQTT.Client.", "Alias", mqttClientAlias, [][2]string{
		{"Enable", "true"}, {"Name", "uspmesh"}, {"ProtocolVersion", "5.0"}, {"BrokerAddress", host}, {"BrokerPort", port},
		{"TransportProtocol", transport}, {"ClientID", mc.ClientID}, {"Username", mc.Username},
		{"KeepAliveTime", secs(mc.KeepAlive, 60)}, {"ConnectRetryTime", secs(r.MinWait, 5)},
		{"ConnectRetryIntervalMultiplier", strconv.Itoa(cmp.Or(r.Multiplier, 2000))},
		{"ConnectRetryMaxInterval", secs(r.MaxInterval, 30720)},
	})
	if err != nil {
		return err
	}
	q.mtpRow, err = provisionRow(ctx, q.n.model, "Device.LocalAgent.MTP.", "Alias", mtpAliasMQTT, [][2]string{
		{"Enable", "true"}, {"Protocol", mtpMQTT}, {"EnableMDNS", "false"},
		{"MQTT.Reference", strings.TrimSuffix(q.clientRow, ".")}, {"MQTT.ResponseTopicConfigured", q.topic},
	})
	if err != nil {
		return err
	}
	for id := range q.topics {
		if err := q.n.provisionCtrlMTP(ctx, string(id), mtpMQTT, [][2]string{{"Reference", strings.TrimSuffix(q.clientRow, ".")}}); err != nil {
			return err
		}
	}
	return nil
}

func secs(d time.Duration, def int) string {
	if d <= 0 {
		return strconv.Itoa(def)
	}
	return strconv.Itoa(max(1, int(d/time.Second)))
}

// accept takes one PUBLISH on the Agent's topic: the Record must come
// from a Controller configured for MQTT; the answer goes to the
// PUBLISH's Response Topic (or the Controller's configured topic).
func (q *mqttMTP) accept(_ context.Context, m mqtt.Message) {
	rec, err := usp.DecodeRecord(m.Payload)
	if err != nil {
		q.n.refusals.Info("mqtt-undecodable", "mqtt record refused: not a USP Record", "topic", m.Topic, "err", err)
		return
	}
	from := usp.EndpointID(rec.GetFromId())
	ctlTopic, known := q.topics[from]
	if !known {
		q.n.refusals.Info("mqtt-unknown-sender", "mqtt record refused: sender is not a Controller configured for MQTT", "from", from)
		return
	}
	if usp.EndpointID(rec.GetToId()) != q.n.agentID {
		q.n.refusals.Info("mqtt-other-agent", "mqtt record refused: for another Agent", "to", rec.GetToId(), "from", from)
		return
	}
	replyTo := m.ResponseTopic
	if replyTo == "" {
		replyTo = ctlTopic
	}
	in := inbound{rec: rec, peer: string(from), mtp: mtpMQTT, source: replyTo,
		reply: func(ctx context.Context, _ string, b []byte) error { return q.publish(ctx, replyTo, b) }}
	if err := q.n.intake.push(in); err != nil {
		q.n.refusals.Info("mqtt-busy", "mqtt record refused", "from", from, "err", err)
	}
}

// publish sends a Record to topic, naming the Agent's topic as its
// Response Topic.
func (q *mqttMTP) publish(ctx context.Context, topic string, rec []byte) error {
	return q.client.Publish(ctx, topic, rec, q.topic)
}

// up runs after every (re)connect: each MQTT Controller gets an
// MQTTConnectRecord, and its notifications that waited are resent.
func (q *mqttMTP) up(ctx context.Context, s mqtt.Session) {
	q.n.log.Info("mqtt connected", "client_id", s.ClientID)
	for id, topic := range q.topics {
		b, err := usp.EncodeRecord(usp.NewMQTTConnect(id, q.n.agentID, q.topic))
		if err == nil {
			err = q.client.Publish(ctx, topic, b, q.topic)
		}
		if err != nil {
			q.n.log.Info("mqtt connect record not sent", "to", id, "err", err)
		}
		if nt := q.n.notifier; nt != nil {
			nt.Resume(id)
		}
	}
}

// state answers MTPState for the MQTT rows.
func (q *mqttMTP) state(row, param string) (string, bool) {
	st := q.client.Status()
	switch {
	case row == q.clientRow && param == "Status":
		return string(st), true
	case row == q.clientRow && param == "ResponseInformation":
		s, _ := q.client.Session()
		return s.ResponseInformation, true
	case row == q.clientRow+"Stats.":
		s := q.client.Stats()
		switch param {
		case "PublishSent":
			return strconv.FormatUint(s.MessagesSent, 10), true
		case "PublishReceived":
			return strconv.FormatUint(s.MessagesReceived, 10), true
		}
	case row == q.mtpRow && param == "Status":
		if st == mqtt.StatusConnected {
			return "Up", true
		}
		if strings.HasPrefix(string(st), "Error") {
			return "Error", true
		}
		return "Down", true
	case row == q.mtpRow+"MQTT." && param == "ResponseTopicDiscovered":
		s, _ := q.client.Session()
		return s.ResponseInformation, true
	}
	return "", false
}

// close stops the client (DISCONNECT, no more retries).
func (q *mqttMTP) close() error {
	if err := q.client.Close(); err != nil && !errors.Is(err, mqtt.ErrClosed) {
		return fmt.Errorf("mqtt: %w", err)
	}
	return nil
}
