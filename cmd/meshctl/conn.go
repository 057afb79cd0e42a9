package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// options are the flags every command takes.
type options struct {
	url     string
	agent   string
	id      string
	listen  string
	pskHex  string
	pskFile string
	// pskEnv is $MESHCTL_PSK, used when no flag gives a key.
	pskEnv    string
	cert      string
	key       string
	ca        string
	jsonOut   bool
	timeout   time.Duration
	secret    string
	wait      time.Duration
	replyPath string
	// MQTT
	mqttTopic        string
	mqttUser         string
	mqttPasswordFile string
	// WebSocket listen mode
	wsListen string
	wsPath   string
}

// register binds the flags to o, with def's values as defaults (so that
// flags given before the command stay when the command's own flag set is
// parsed).
func (o *options) register(fs *flag.FlagSet, def options) {
	fs.StringVar(&o.url, "url", def.url, "the Agent's USP URI: "+urlForms+" ($MESHCTL_URL); an MQTT agent topic may hold '/' and ':'; without -url and -ws-listen, -agent is looked up by DNS-SD (CoAP)")
	fs.StringVar(&o.agent, "agent", def.agent, "the Agent's Endpoint ID, the Records' to_id ($MESHCTL_AGENT)")
	fs.StringVar(&o.id, "id", def.id, "this Controller's Endpoint ID ($MESHCTL_ID), which the Agent must know to give it a role: meshd -controller ID=ROLE (e.g. proto::ops=full) and, over coaps, meshd's -psk-file key with -psk-file here; the Agent picks the DTLS key by it")
	fs.StringVar(&o.listen, "listen", def.listen, "CoAP: UDP address for the Agent's answers")
	fs.StringVar(&o.replyPath, "reply-path", def.replyPath, "CoAP: the resource the Agent's answers are sent to")
	o.pskHex, o.pskEnv = def.pskHex, def.pskEnv
	fs.Var(secretValue{&o.pskHex}, "psk-hex", "coaps: DTLS pre-shared key as `hex` (other users see it in ps: prefer -psk-file); default $MESHCTL_PSK when no -psk-file, -secret-file or -cert")
	fs.StringVar(&o.pskFile, "psk-file", def.pskFile, "coaps: file holding the DTLS pre-shared key, hex ('meshctl mint-psk -o FILE' makes one): the key of the Controller -id names")
	fs.StringVar(&o.cert, "cert", def.cert, "certificate (PEM) naming this Controller (SAN URI urn:bbf:usp:id:<-id>): DTLS certificate mode, wss/-ws-listen TLS, mqtts client certificate")
	fs.StringVar(&o.key, "key", def.key, "private key (PEM) of -cert")
	fs.StringVar(&o.ca, "ca", def.ca, "trust store (PEM) for the Agent's certificate (coaps, wss, -ws-listen) or the MQTT broker's (mqtts; default system roots)")
	fs.StringVar(&o.secret, "secret-file", def.secret, "coaps: the home's mesh secret file: DTLS with the mesh PSK derived from it ($MESHCTL_SECRET_FILE)")
	fs.StringVar(&o.mqttTopic, "mqtt-topic", def.mqttTopic, "MQTT: this Controller's response topic, subscribed to (default usp/controller/<-id>/<8 random hex digits>, one per process); for subscribe, give the topic the Agent has configured for this Controller (its Controller.{i}.MTP.{i}.MQTT.Topic, meshd's controllers[].mqtt_topic): notifications go there")
	fs.StringVar(&o.mqttUser, "mqtt-user", def.mqttUser, "MQTT: broker user name")
	fs.StringVar(&o.mqttPasswordFile, "mqtt-password-file", def.mqttPasswordFile, "MQTT: file holding the broker password")
	fs.StringVar(&o.wsListen, "ws-listen", def.wsListen, "WebSocket: serve on host:port and wait (up to -timeout) for the session of -agent, an Agent that connects out to its Controller; TLS with -cert/-key/-ca, plain ws without -cert")
	fs.StringVar(&o.wsPath, "ws-path", def.wsPath, "WebSocket: the resource path of -ws-listen")
	fs.DurationVar(&o.wait, "discover-wait", def.wait, "how long DNS-SD looks for an Agent named by -agent without -url")
	fs.BoolVar(&o.jsonOut, "json", def.jsonOut, "print one JSON object per line: {\"command\", \"results\", \"errors\"} (see above)")
	fs.DurationVar(&o.timeout, "timeout", def.timeout, "how long to wait for each response (and for the MTP to come up)")
}

// defaults are the flags' defaults, from the environment where it says.
func defaults() options {
	return options{url: os.Getenv("MESHCTL_URL"), agent: os.Getenv("MESHCTL_AGENT"), id: envOr("MESHCTL_ID", "proto::meshctl"),
		listen: ":0", replyPath: "usp-ctl", pskEnv: os.Getenv("MESHCTL_PSK"), timeout: 10 * time.Second,
		secret: os.Getenv("MESHCTL_SECRET_FILE"), wait: 3 * time.Second, wsPath: "/usp"}
}

// secretValue is a string flag whose value never shows as a default in
// the usage text.
type secretValue struct{ p *string }

// String is always empty: the usage text prints no secret.
func (v secretValue) String() string { return "" }

// Set sets the value.
func (v secretValue) Set(s string) error {
	*v.p = s
	return nil
}

// authKind is how meshctl authenticates over coaps.
type authKind int

const (
	authNone       authKind = iota
	authCert                // -cert/-key/-ca
	authPSK                 // -psk-hex, -psk-file or $MESHCTL_PSK
	authMeshSecret          // -secret-file: the mesh PSK
)

// auth says which key coaps uses: -cert, then -psk-hex/-psk-file, then
// the mesh secret, then $MESHCTL_PSK.
func (o options) auth() authKind {
	switch {
	case o.cert != "":
		return authCert
	case o.pskHex != "" || o.pskFile != "":
		return authPSK
	case o.secret != "":
		return authMeshSecret
	case o.pskEnv != "":
		return authPSK
	}
	return authNone
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// session is a Controller endpoint talking to one Agent over one MTP.
type session struct {
	opts   options
	to     usp.EndpointID
	client *usp.Client
	gate   *gate
	// routes is the CoAP MTP (nil over the other MTPs): status adds the
	// other nodes' URIs to it.
	routes *routes
	notify chan notification
	done   chan struct{} // closed by Close: OnNotify stops waiting for a reader
	once   sync.Once
}

type notification struct {
	from usp.EndpointID
	n    *uspmsg.Notify
}

// link is a session's MTP: it carries Records to the Agent and hands
// those it receives to the deliverFunc it was opened with.
type link interface {
	SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error
	Close() error
}

// deliverFunc takes a Record the MTP received; peer is the sender the MTP
// vouches for, or "" when it authenticates none.
type deliverFunc func(ctx context.Context, peer usp.EndpointID, rec []byte) error

// openFunc opens a session's MTP; received Records go to deliver, which
// works from the start (even before openFunc returns).
type openFunc func(ctx context.Context, deliver deliverFunc) (link, error)

// errNotListening is a send before the session's MTP is open.
var errNotListening = errors.New("the controller's MTP is not open yet")

// gate is the Client's Transport: it forwards to the session's link once
// that is open (set).
type gate struct {
	mu   sync.Mutex
	link link
}

// SendRecord sends rec through the link, or fails with errNotListening
// before the link is set.
func (g *gate) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	g.mu.Lock()
	l := g.link
	g.mu.Unlock()
	if l == nil {
		return errNotListening
	}
	return l.SendRecord(ctx, to, rec)
}

// set gives the gate the session's open link.
func (g *gate) set(l link) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.link = l
}

// dial opens the Controller's side of the MTP -url (or -ws-listen) names
// and a USP Client on it. Notes for the user (where meshctl waits) go to
// notes.
func dial(ctx context.Context, o options, notes io.Writer) (*session, error) {
	if o.agent == "" {
		return nil, fmt.Errorf("-agent is required (or $MESHCTL_AGENT); -url too unless DNS-SD can find the Agent")
	}
	if o.url == "" && o.wsListen == "" {
		u, err := lookupAgent(ctx, o.agent, o.wait)
		if err != nil {
			return nil, err
		}
		o.url = u
	}
	t, err := resolveTarget(o)
	if err != nil {
		return nil, err
	}
	to, err := usp.ParseEndpointID(o.agent)
	if err != nil {
		return nil, fmt.Errorf("-agent: %w", err)
	}
	self, err := usp.ParseEndpointID(o.id)
	if err != nil {
		return nil, fmt.Errorf("-id: %w", err)
	}
	var open openFunc
	var rt *routes
	switch t.kind {
	case mtpCoAP:
		// A DTLS handshake gets -timeout too (a wrong key shows as one
		// that never completes).
		cc := coap.Config{Listen: o.listen, Path: o.replyPath, Role: coap.Controller, Insecure: !t.tls, HandshakeTimeout: o.timeout}
		if t.tls {
			if err := security(&cc, o, string(self)); err != nil {
				return nil, err
			}
		}
		rt = &routes{def: o.url, self: self, auth: o.auth(), timeout: o.timeout}
		open = openCoAP(cc, rt, coap.Listen)
	case mtpMQTT:
		open, err = openMQTT(o, t, self)
	case mtpWS:
		open, err = openWS(o, t, self)
	case mtpWSListen:
		open, err = openWSListen(o, self, to, notes)
	}
	if err != nil {
		return nil, err
	}
	s, err := openSession(ctx, o, to, self, open)
	if err != nil {
		return nil, err
	}
	s.routes = rt
	return s, nil
}

// openSession builds the session's USP Client first and only then opens
// the MTP whose received Records feed it, so that a Record arriving as
// soon as the MTP is up (even before open returns) finds the Client
// ready. Until the MTP is open the Client's sends fail (errNotListening);
// receiving works from the start.
func openSession(ctx context.Context, o options, to, self usp.EndpointID, open openFunc) (*session, error) {
	s := &session{opts: o, to: to, notify: make(chan notification, 64), done: make(chan struct{}), gate: &gate{}}
	c, err := usp.NewClient(usp.ClientConfig{EndpointID: self, Transport: s.gate, Timeout: o.timeout,
		OnNotify: func(from usp.EndpointID, n *uspmsg.Notify) {
			select {
			case s.notify <- notification{from, n}:
			case <-s.done:
			}
		}})
	if err != nil {
		return nil, err
	}
	l, err := open(ctx, func(ctx context.Context, peer usp.EndpointID, rec []byte) error {
		return c.HandleRecord(ctx, peer, rec)
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	s.gate.set(l)
	s.client = c
	return s, nil
}

// Close stops the session's Client and closes its MTP. It is idempotent.
func (s *session) Close() {
	s.once.Do(func() {
		close(s.done)
		s.client.Close()
		s.gate.mu.Lock()
		l := s.gate.link
		s.gate.mu.Unlock()
		if l != nil {
			_ = l.Close()
		}
	})
}
