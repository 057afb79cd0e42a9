package usp

import "github.com/uspmesh/uspmesh/proto/usprecord"

// NewMQTTConnect returns the MQTTConnectRecord an Agent sends a
// Controller once its MQTT session is up: subscribed is the Agent's own
// topic, where the Controller publishes its requests.
func NewMQTTConnect(to, from EndpointID, subscribed string) *usprecord.Record {
	return &usprecord.Record{Version: Version, ToId: string(to), FromId: string(from),
		RecordType: &usprecord.Record_MqttConnect{MqttConnect: &usprecord.MQTTConnectRecord{
			Version: usprecord.MQTTConnectRecord_V5, SubscribedTopic: subscribed}}}
}

// NewWebSocketConnect returns the WebSocketConnectRecord an Agent sends a
// Controller once a WebSocket session with it is up.
func NewWebSocketConnect(to, from EndpointID) *usprecord.Record {
	return &usprecord.Record{Version: Version, ToId: string(to), FromId: string(from),
		RecordType: &usprecord.Record_WebsocketConnect{WebsocketConnect: &usprecord.WebSocketConnectRecord{}}}
}

// IsConnect reports whether r is an MTP connect record (WebSocket, MQTT,
// STOMP or UDS): it announces a session and carries no Message.
func IsConnect(r *usprecord.Record) bool {
	switch r.GetRecordType().(type) {
	case *usprecord.Record_WebsocketConnect, *usprecord.Record_MqttConnect, *usprecord.Record_StompConnect, *usprecord.Record_UdsConnect:
		return true
	}
	return false
}
