// Package mqtt is the transport half of the USP MQTT MTP (TR-369, "MQTT
// Binding"): it keeps an MQTT 5.0 session with a broker and moves USP Record
// bytes in and out of it, knowing nothing of what the bytes mean.
//
// Data enters through Client.Publish, which sends one Record in one PUBLISH
// with the USP Content Type and the sender's "reply to" topic in the
// Response Topic property, and waits for the broker's PUBACK. Data leaves
// through Config.Handler, called for every PUBLISH that arrives on a
// subscribed topic. Between the two, the Client connects (TCP or TLS),
// subscribes to its topics after every connect, reports TR-181
// Device.MQTT.Client.{i}.Status values, and reconnects with TR-369's
// randomised exponential back-off (Retry) until Close.
//
// Building Records (MQTTConnectRecord included) is the caller's business:
// Config.OnUp is the hook to send them after each connect.
package mqtt
