package tr181

import (
	"context"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// supportedMTPs are the MTPs this Agent speaks: CoAP for the mesh's own
// traffic and in-home Controllers, MQTT and WebSocket for Controllers
// outside the home, apps and browsers.
var supportedMTPs = []string{"CoAP", "MQTT", "WebSocket"}

// mqttStatuses are the values of Device.MQTT.Client.{i}.Status.
var mqttStatuses = []string{"Connecting", "Connected", "Disabled", "Error_Misconfigured", "Error_BrokerUnreachable", "Error"}

// live returns a Provider that asks Config.MTPState for param of the row,
// or def when the hook is unset or knows nothing of the row.
func (b *builder) live(param, def string) datamodel.Provider {
	return func(ctx context.Context, row datamodel.Row) (string, error) {
		if b.cfg.MTPState == nil {
			return def, nil
		}
		if v, ok := b.cfg.MTPState(ctx, row.Path, param); ok {
			return v, nil
		}
		return def, nil
	}
}

// mqtt lays out Device.MQTT.: the MQTT clients the USP MQTT MTP (and bulk
// data) connect to brokers with (TR-181 MQTT:2). The rows are provisioned
// from the node's configuration at start.
func (b *builder) mqtt(m *datamodel.ObjectDef) {
	caps := m.Object("Capabilities")
	str(caps, "ProtocolVersionsSupported", 0).List().Enum("3.1", "3.1.1", "5.0").Def("5.0")
	str(caps, "TransportProtocolSupported", 0).List().Enum("TCP/IP", "TLS", "WebSocket").Def("TCP/IP,TLS")

	c := table(m.Table("Client", []string{"Alias"}), datamodel.ObjAddDelete, true)
	alias(c)
	str(c, "Name", 64).RW()
	c.Param("Enable", value.Boolean).RW()
	str(c, "Status", 0).Enum(mqttStatuses...).Live(b.live("Status", "Disabled"))
	str(c, "ProtocolVersion", 0).RW().Enum("3.1", "3.1.1", "5.0").Def("5.0")
	str(c, "BrokerAddress", 256).RW()
	c.Param("BrokerPort", value.UnsignedInt).RW().Def("1883").Range(1, 65535)
	str(c, "TransportProtocol", 0).RW().Enum("TCP/IP", "TLS", "WebSocket").Def("TCP/IP")
	str(c, "ClientID", 65535).RW()
	str(c, "Username", 256).RW()
	str(c, "Password", 256).RW().Secret()
	c.Param("KeepAliveTime", value.UnsignedInt).RW().Def("60").Range(0, 65535)
	c.Param("ConnectRetryTime", value.UnsignedInt).RW().Def("5").Range(1, 65535)
	c.Param("ConnectRetryIntervalMultiplier", value.UnsignedInt).RW().Def("2000").Range(1000, 65535)
	c.Param("ConnectRetryMaxInterval", value.UnsignedInt).RW().Def("30720").Range(1, 4294967295)
	c.Param("CleanStart", value.Boolean).RW().Def("true")
	str(c, "ResponseInformation", 65535).Live(b.live("ResponseInformation", ""))
	st := c.Object("Stats")
	st.Param("BrokerConnectionEstablished", value.DateTime).Live(b.live("BrokerConnectionEstablished", "0001-01-01T00:00:00Z"))
	st.Param("LastPublishMessageSent", value.DateTime).Live(b.live("LastPublishMessageSent", "0001-01-01T00:00:00Z"))
	st.Param("PublishSent", value.UnsignedLong).Live(b.live("PublishSent", "0")).Counter()
	st.Param("PublishReceived", value.UnsignedLong).Live(b.live("PublishReceived", "0")).Counter()
	st.Param("ConnectionErrors", value.UnsignedInt).Live(b.live("ConnectionErrors", "0")).Counter()
}

// agentMTPKinds adds the MQTT and WebSocket sub-objects of
// Device.LocalAgent.MTP.{i}.
func (b *builder) agentMTPKinds(m *datamodel.ObjectDef) {
	mq := m.Object("MQTT")
	str(mq, "Reference", 256).Ref().RW()
	str(mq, "ResponseTopicConfigured", 65535).RW()
	str(mq, "ResponseTopicDiscovered", 65535).Live(b.live("ResponseTopicDiscovered", ""))
	mq.Param("PublishQoS", value.UnsignedInt).RW().Def("1").Range(0, 2)

	ws := m.Object("WebSocket")
	str(ws, "Interfaces", 256).List().Ref().RW()
	ws.Param("Port", value.UnsignedInt).RW().Def("5684").Range(1, 65535)
	str(ws, "Path", 1024).RW().Def("/usp")
	ws.Param("EnableEncryption", value.Boolean).RW().Def("true")
	ws.Param("KeepAliveInterval", value.UnsignedInt).RW().Def("30").Range(1, 4294967295)
}

// controllerMTPKinds adds the MQTT and WebSocket sub-objects of
// Device.LocalAgent.Controller.{i}.MTP.{i}.
func (b *builder) controllerMTPKinds(mtp *datamodel.ObjectDef) {
	mq := mtp.Object("MQTT")
	str(mq, "Reference", 256).Ref().RW()
	str(mq, "Topic", 65535).RW()

	ws := mtp.Object("WebSocket")
	str(ws, "Host", 256).RW()
	ws.Param("Port", value.UnsignedInt).RW().Def("443").Range(1, 65535)
	str(ws, "Path", 1024).RW()
	ws.Param("EnableEncryption", value.Boolean).RW().Def("true")
	ws.Param("IsEncrypted", value.Boolean).Live(b.live("IsEncrypted", "false"))
	ws.Param("KeepAliveInterval", value.UnsignedInt).RW().Def("30").Range(1, 4294967295)
	ws.Param("CurrentRetryCount", value.UnsignedInt).Live(b.live("CurrentRetryCount", "0")).Counter()
	ws.Param("SessionRetryMinimumWaitInterval", value.UnsignedInt).RW().Def("5").Range(1, 65535)
	ws.Param("SessionRetryIntervalMultiplier", value.UnsignedInt).RW().Def("2000").Range(1000, 65535)
}
