package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/uspmesh/uspmesh/mqtt"
)

// mtpKind is the MTP a session speaks to its Agent.
type mtpKind int

const (
	mtpCoAP     mtpKind = iota // coap:// or coaps://: Records to the Agent's CoAP resource
	mtpMQTT                    // mqtt:// or mqtts://: Records to the Agent's topic on a broker
	mtpWS                      // ws:// or wss://: a session to the Agent's WebSocket server
	mtpWSListen                // -ws-listen: the Agent opens a session to our server
)

// target is where a session's Records go, as -url (or -ws-listen) says.
type target struct {
	kind mtpKind
	// url is the coap[s]:// or ws[s]:// URL as given.
	url string
	// tls is whether the MTP is encrypted (coaps, mqtts, wss).
	tls bool
	// broker is the MQTT broker's host:port and topic the Agent's topic.
	broker, topic string
}

// urlForms is the help for -url.
const urlForms = "coap[s]://host:port/path, mqtt[s]://broker[:port]/AGENT-TOPIC or ws[s]://host:port/path"

// parseTarget reads -url.
func parseTarget(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, fmt.Errorf("-url %q: %w", raw, err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return target{}, fmt.Errorf("-url %q: want %s", raw, urlForms)
	}
	switch u.Scheme {
	case "coap", "coaps":
		return target{kind: mtpCoAP, url: raw, tls: u.Scheme == "coaps"}, nil
	case "ws", "wss":
		return target{kind: mtpWS, url: raw, tls: u.Scheme == "wss"}, nil
	case "mqtt", "mqtts":
		return parseMQTTTarget(raw, u)
	}
	return target{}, fmt.Errorf("-url %q: scheme %q: want %s", raw, u.Scheme, urlForms)
}

// parseMQTTTarget reads mqtt[s]://broker[:port]/AGENT-TOPIC: the topic is
// the path without its leading slash, unescaped (it may hold '/' and ':').
func parseMQTTTarget(raw string, u *url.URL) (target, error) {
	if u.User != nil {
		return target{}, fmt.Errorf("-url %q: no user in the URL: use -mqtt-user and -mqtt-password-file", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "#") {
		return target{}, fmt.Errorf("-url %q: no query or fragment: the agent topic is the whole path (escape '?' as %%3F)", raw)
	}
	topic := strings.TrimPrefix(u.Path, "/")
	if topic == "" {
		return target{}, fmt.Errorf("-url %q: no agent topic in the path (mqtt://broker[:port]/usp/agent/AGENT-ID)", raw)
	}
	if err := mqtt.ValidTopicName(topic); err != nil {
		return target{}, fmt.Errorf("-url %q: agent topic %q: %w", raw, topic, err)
	}
	b, err := mqtt.ParseBrokerURL(u.Scheme + "://" + u.Host)
	if err != nil {
		return target{}, fmt.Errorf("-url %q: %w", raw, err)
	}
	return target{kind: mtpMQTT, tls: b.TLS, broker: b.Addr(), topic: topic}, nil
}

// resolveTarget picks the session's MTP from the options: -ws-listen, or
// -url. It fails on both or neither.
func resolveTarget(o options) (target, error) {
	if o.wsListen != "" {
		if o.url != "" {
			return target{}, fmt.Errorf("give -url (meshctl connects to the Agent) or -ws-listen (the Agent connects to meshctl), not both")
		}
		if !strings.HasPrefix(o.wsPath, "/") {
			return target{}, fmt.Errorf("-ws-path %q: want an absolute path such as /usp", o.wsPath)
		}
		return target{kind: mtpWSListen, tls: o.cert != ""}, nil
	}
	if o.url == "" {
		return target{}, fmt.Errorf("-url is required")
	}
	return parseTarget(o.url)
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
