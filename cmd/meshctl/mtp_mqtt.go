package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/uspmesh/uspmesh/mqtt"
	"github.com/uspmesh/uspmesh/usp"
)

// mqttLink is the MQTT MTP: Records are published to the Agent's topic
// with this Controller's response topic, to which it is subscribed.
type mqttLink struct {
	client       *mqtt.Client
	agentTopic   string
	replyTopic   string
	brokerString string
}

// SendRecord publishes rec to the Agent's topic.
func (m *mqttLink) SendRecord(ctx context.Context, _ usp.EndpointID, rec []byte) error {
	if err := m.client.Publish(ctx, m.agentTopic, rec, m.replyTopic); err != nil {
		return fmt.Errorf("mqtt publish to %s at %s: %w", m.agentTopic, m.brokerString, err)
	}
	return nil
}

// Close disconnects from the broker.
func (m *mqttLink) Close() error {
	if err := m.client.Close(); err != nil && !errors.Is(err, mqtt.ErrClosed) {
		return err
	}
	return nil
}

// mqttConfig is the broker client's Config for target t, without its
// Handler: the response topic subscribed to, a client identifier of its
// own, the credentials and TLS.
func mqttConfig(o options, t target, self usp.EndpointID) (mqtt.Config, error) {
	reply := o.mqttTopic
	if reply == "" {
		reply = "usp/controller/" + string(self) + "/" + randomHex(4)
	}
	if err := mqtt.ValidTopicName(reply); err != nil {
		return mqtt.Config{}, fmt.Errorf("-mqtt-topic %q: %w", reply, err)
	}
	cfg := mqtt.Config{Broker: t.broker, ClientID: "meshctl-" + randomHex(6), EndpointID: string(self),
		Username: o.mqttUser, Topics: []string{reply}, ConnectTimeout: o.timeout}
	if o.mqttPasswordFile != "" {
		b, err := os.ReadFile(o.mqttPasswordFile)
		if err != nil {
			return mqtt.Config{}, fmt.Errorf("-mqtt-password-file: %w", err)
		}
		cfg.Password = strings.TrimRight(string(b), "\r\n")
	}
	if t.tls {
		tc, err := clientTLS(o, false)
		if err != nil {
			return mqtt.Config{}, fmt.Errorf("mqtts: %w", err)
		}
		tc.ServerName, _, _ = net.SplitHostPort(t.broker)
		cfg.TLS = tc
	} else if o.cert != "" {
		return mqtt.Config{}, fmt.Errorf("-cert is for mqtts:// (TLS); the broker at mqtt://%s is plain TCP", t.broker)
	}
	return cfg, nil
}

// openMQTT connects to the broker of t, subscribed to this Controller's
// response topic; it waits up to -timeout for the session.
func openMQTT(o options, t target, self usp.EndpointID) (openFunc, error) {
	cfg, err := mqttConfig(o, t, self)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, deliver deliverFunc) (link, error) {
		// The broker authenticates nobody's from_id: the peer is "".
		cfg.Handler = func(ctx context.Context, m mqtt.Message) { _ = deliver(ctx, "", m.Payload) }
		c, err := mqtt.Dial(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("mqtt: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, o.timeout)
		defer cancel()
		if err := c.WaitUp(wctx); err != nil {
			st := c.Status()
			c.Close()
			return nil, fmt.Errorf("mqtt broker %s: no session within %s (status %s): %w", t.broker, o.timeout, st, err)
		}
		return &mqttLink{client: c, agentTopic: t.topic, replyTopic: cfg.Topics[0], brokerString: t.broker}, nil
	}, nil
}

// clientTLS is the TLS of a client of a broker or an Agent's server:
// roots from -ca (system roots without it), the client certificate from
// -cert/-key; needCert makes it required.
func clientTLS(o options, needCert bool) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.ca != "" {
		pool, err := readPool(o.ca)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if needCert && (o.cert == "" || o.key == "") {
		return nil, errNeedCert
	}
	if o.cert != "" {
		cert, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return nil, fmt.Errorf("-cert/-key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
