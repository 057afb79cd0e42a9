package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"time"
)

// ContentType is the Content Type property of every USP Record PUBLISH
// (TR-369 R-MQTT.27, USP 1.2 and later).
const ContentType = "usp.msg"

// ContentTypeMIME is the registered USP Record MIME type, which USP 1.0 and
// 1.1 Endpoints put in the Content Type property. Receivers accept it as
// well as ContentType (R-MQTT.27a).
const ContentTypeMIME = "application/vnd.bbf.usp.msg"

// Protocol versions accepted in Config.ProtocolVersion.
const (
	// Version5 is MQTT 5.0, the only version this package speaks (R-MQTT.1).
	Version5 = "5.0"
	// Version311 is MQTT 3.1.1, optional in TR-369 (R-MQTT.2) and refused here.
	Version311 = "3.1.1"
)

// Defaults used for the zero values of Config and Retry.
const (
	DefaultKeepAlive      = 60 * time.Second
	DefaultMaxPayload     = 64 << 10
	DefaultQoS            = 1
	DefaultConnectTimeout = 30 * time.Second
	DefaultRetryMinWait   = 5 * time.Second     // TR-181 ConnectRetryTime
	DefaultRetryMultiple  = 2000                // TR-181 ConnectRetryIntervalMultiplier
	DefaultRetryMax       = 30720 * time.Second // TR-181 ConnectRetryMaxInterval
)

var (
	// ErrInvalidConfig is wrapped by every error Dial returns for a Config
	// it cannot use.
	ErrInvalidConfig = errors.New("mqtt: invalid config")
	// ErrUnsupportedVersion is wrapped by the error Dial returns for a
	// Config asking for MQTT 3.1.1.
	ErrUnsupportedVersion = errors.New("MQTT 3.1.1 is not supported; use 5.0")
	// ErrNotConnected is wrapped by Publish's error while the Client has no
	// subscribed session with the broker.
	ErrNotConnected = errors.New("mqtt: not connected")
	// ErrClosed is returned by WaitUp and Publish after Close.
	ErrClosed = errors.New("mqtt: client closed")
)

// Config describes one MQTT client (one TR-181 Device.MQTT.Client.{i}). Its
// zero value is not usable: Broker is required. A Config is not changed
// after Dial.
type Config struct {
	// Broker is the broker's "host:port" (an IPv6 literal in brackets).
	// ParseBrokerURL turns an mqtt:// or mqtts:// URL into it.
	Broker string
	// TLS, when not nil, makes the connection TLS 1.2 or later; the
	// broker's certificate is verified against TLS.RootCAs (system roots
	// when nil) and TLS.ServerName (the Broker host when empty). Client
	// certificates go in TLS.Certificates. Nil means plain TCP.
	TLS *tls.Config
	// ProtocolVersion is "5.0" (the default when empty). "3.1.1" is
	// refused with ErrUnsupportedVersion.
	ProtocolVersion string
	// ClientID is the MQTT Client Identifier. Empty asks the broker to
	// assign one (R-MQTT.8); the assigned one is then reused on every
	// reconnect (R-MQTT.11) and reported in Session.AssignedClientID so
	// the caller can save it (R-MQTT.9).
	ClientID string
	// EndpointID, when set, is sent in the CONNECT User Property
	// "usp-endpoint-id" (R-MQTT.13).
	EndpointID string
	// Username and Password, when non-empty, go in CONNECT (R-MQTT.7).
	Username, Password string
	// KeepAlive is the CONNECT Keep Alive, whole seconds up to 65535.
	// Zero means DefaultKeepAlive; negative disables keep-alive.
	KeepAlive time.Duration
	// ConnectTimeout bounds one connection attempt: TCP, TLS, CONNACK and
	// SUBACK. It also bounds each wait for a PUBACK. Zero means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// Retry is the reconnection back-off (zero fields take TR-181 defaults).
	Retry Retry
	// Topics are the topic filters subscribed to (QoS 1) after every
	// connect, together with any "subscribe-topic" User Properties of the
	// CONNACK and its Response Information (R-MQTT.15). Empty is allowed
	// only if the broker supplies one of those; otherwise each attempt
	// ends in Error_Misconfigured (R-MQTT.16).
	Topics []string
	// RequestResponseInfo sets the CONNECT Request Response Information
	// property (R-MQTT.12); the broker's answer is in
	// Session.ResponseInformation.
	RequestResponseInfo bool
	// MaxPayload is the largest inbound PUBLISH payload handed to Handler;
	// larger ones are dropped and logged. Zero means DefaultMaxPayload.
	// The CONNECT Maximum Packet Size is set 64 KiB above it, so a broker
	// discards (without telling) packets far beyond it.
	MaxPayload int
	// QoS is the QoS of Publish: 0, 1 or 2. Zero means DefaultQoS (1); use
	// QoSAtMostOnce for QoS 0.
	QoS byte
	// QoSAtMostOnce makes Publish use QoS 0 (no PUBACK to wait for).
	QoSAtMostOnce bool
	// Handler is called for every inbound PUBLISH on a subscribed topic
	// whose Content Type is USP's (or absent). It runs on the connection's
	// receive goroutine: it must not block long (queue the work and
	// return). Calling Publish from it is allowed. Nil drops inbound
	// messages.
	Handler func(ctx context.Context, m Message)
	// OnUp is called after each successful connect and subscribe, before
	// the Client watches the session again; publish from it with
	// Session.Publish (send the MQTTConnectRecords here). It may run
	// before Dial returns. Nil does nothing.
	OnUp func(ctx context.Context, s Session)
	// Logger receives the Client's logs; nil discards them. The caller
	// scopes it (logger.With("sub", "mqtt", "broker", ...)).
	Logger *slog.Logger
}

// Message is one inbound PUBLISH.
type Message struct {
	// Topic is the topic the PUBLISH was sent to.
	Topic string
	// ResponseTopic is the sender's "reply to" topic (R-MQTT.23, .26).
	ResponseTopic string
	// ContentType is the Content Type property as received.
	ContentType string
	// Payload is the USP Record bytes; the Handler may keep it.
	Payload []byte
}

// Session is what the broker said about one MQTT session in its CONNACK.
type Session struct {
	// ClientID is the Client Identifier in use for this session.
	ClientID string
	// AssignedClientID is the broker-assigned Client Identifier, when the
	// Config had none (R-MQTT.9).
	AssignedClientID string
	// ResponseInformation is the CONNACK Response Information: the "reply
	// to" topic to use (R-MQTT.21). Empty when not requested or not given.
	ResponseInformation string
	// SubscribeTopics are the CONNACK "subscribe-topic" User Properties.
	SubscribeTopics []string
	// Subscribed are the topic filters the broker accepted.
	Subscribed []string

	c *Client
}

// Publish publishes through the Client this Session belongs to (see
// Client.Publish). It lets OnUp publish without holding the *Client,
// which Dial may not have returned yet.
func (s Session) Publish(ctx context.Context, topic string, payload []byte, responseTopic string) error {
	if s.c == nil {
		return fmt.Errorf("mqtt: publish to %q: %w", topic, ErrNotConnected)
	}
	return s.c.Publish(ctx, topic, payload, responseTopic)
}

func (c Config) withDefaults() Config {
	if c.ProtocolVersion == "" {
		c.ProtocolVersion = Version5
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.QoS == 0 {
		c.QoS = DefaultQoS
	}
	if c.QoSAtMostOnce {
		c.QoS = 0
	}
	c.Retry = c.Retry.withDefaults()
	c.Topics = append([]string(nil), c.Topics...)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validate checks a Config after withDefaults.
func (c Config) validate() error {
	switch c.ProtocolVersion {
	case Version5, "5":
	case Version311, "3.1", "4":
		return fmt.Errorf("mqtt: config ProtocolVersion %q: %w", c.ProtocolVersion, ErrUnsupportedVersion)
	default:
		return invalid("ProtocolVersion %q: only %q is supported", c.ProtocolVersion, Version5)
	}
	if c.Broker == "" {
		return invalid("Broker is empty; want host:port")
	}
	host, port, err := net.SplitHostPort(c.Broker)
	if err != nil {
		return invalid("Broker %q: want host:port: %v", c.Broker, err)
	}
	if host == "" || port == "" {
		return invalid("Broker %q: want host:port with both parts", c.Broker)
	}
	if c.KeepAlive > math.MaxUint16*time.Second {
		return invalid("KeepAlive %v is above 65535 s", c.KeepAlive)
	}
	if c.ConnectTimeout < 0 {
		return invalid("ConnectTimeout %v is negative", c.ConnectTimeout)
	}
	if c.MaxPayload < 0 {
		return invalid("MaxPayload %d is negative", c.MaxPayload)
	}
	if c.QoS > 2 {
		return invalid("QoS %d: want 0, 1 or 2", c.QoS)
	}
	if err := c.Retry.validate(); err != nil {
		return err
	}
	for _, t := range c.Topics {
		if err := ValidTopicFilter(t); err != nil {
			return invalid("Topics: %v", err)
		}
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}
