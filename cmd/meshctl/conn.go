package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/meshkey"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// options are the flags every command takes.
type options struct {
	url      string
	agent    string
	id       string
	listen   string
	pskHex   string
	pskFile  string
	cert     string
	key      string
	ca       string
	jsonOut  bool
	timeout  time.Duration
	insecure bool
	secret   string
	wait     time.Duration
}

// register binds the flags to o, with def's values as defaults (so that
// flags given before the command stay when the command's own flag set is
// parsed).
func (o *options) register(fs *flag.FlagSet, def options) {
	fs.StringVar(&o.url, "url", def.url, "the Agent's USP URI, coaps://host:port/usp or coap://… ($MESHCTL_URL); without it, -agent is looked up by DNS-SD")
	fs.StringVar(&o.agent, "agent", def.agent, "the Agent's Endpoint ID, the Records' to_id ($MESHCTL_AGENT)")
	fs.StringVar(&o.id, "id", def.id, "this Controller's Endpoint ID ($MESHCTL_ID)")
	fs.StringVar(&o.listen, "listen", def.listen, "UDP address for the Agent's answers")
	fs.StringVar(&o.pskHex, "psk-hex", def.pskHex, "DTLS pre-shared key, hex ($MESHCTL_PSK)")
	fs.StringVar(&o.pskFile, "psk-file", def.pskFile, "file holding the DTLS pre-shared key, hex")
	fs.StringVar(&o.cert, "cert", def.cert, "DTLS certificate (PEM) for certificate mode")
	fs.StringVar(&o.key, "key", def.key, "private key (PEM) of -cert")
	fs.StringVar(&o.ca, "ca", def.ca, "trust store (PEM) for the Agent's certificate")
	fs.StringVar(&o.secret, "secret-file", def.secret, "the home's mesh secret file: DTLS with the mesh PSK derived from it ($MESHCTL_SECRET_FILE)")
	fs.DurationVar(&o.wait, "discover-wait", def.wait, "how long DNS-SD looks for an Agent named by -agent without -url")
	fs.BoolVar(&o.jsonOut, "json", def.jsonOut, "print responses as JSON")
	fs.DurationVar(&o.timeout, "timeout", def.timeout, "how long to wait for each response")
}

// defaults are the flags' defaults, from the environment where it says.
func defaults() options {
	return options{url: os.Getenv("MESHCTL_URL"), agent: os.Getenv("MESHCTL_AGENT"), id: envOr("MESHCTL_ID", "proto::meshctl"),
		listen: ":0", pskHex: os.Getenv("MESHCTL_PSK"), timeout: 10 * time.Second,
		secret: os.Getenv("MESHCTL_SECRET_FILE"), wait: 3 * time.Second}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// session is a Controller endpoint talking to one Agent.
type session struct {
	opts   options
	to     usp.EndpointID
	ep     *coap.Endpoint
	client *usp.Client
	routes *routes
	notify chan notification
	done   chan struct{} // closed by Close: OnNotify stops waiting for a reader
	once   sync.Once
}

type notification struct {
	from usp.EndpointID
	n    *uspmsg.Notify
}

// errNotListening is a send before the session's endpoint exists.
var errNotListening = errors.New("the controller endpoint is not listening yet")

// routes sends each Record to its Agent's URI, or to the default one,
// through the session's endpoint once it is set (setEndpoint).
type routes struct {
	def  string
	mu   sync.Mutex
	ep   *coap.Endpoint
	urls map[usp.EndpointID]string
}

func (r *routes) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	r.mu.Lock()
	ep := r.ep
	u, ok := r.urls[to]
	r.mu.Unlock()
	if ep == nil {
		return errNotListening
	}
	if !ok {
		u = r.def
	}
	return ep.Send(ctx, u, rec)
}

// setEndpoint gives the routes the endpoint to send through.
func (r *routes) setEndpoint(ep *coap.Endpoint) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ep = ep
}

// add routes Records for Agent id to url.
func (r *routes) add(id usp.EndpointID, url string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.urls == nil {
		r.urls = map[usp.EndpointID]string{}
	}
	r.urls[id] = url
}

// dial opens the Controller's own CoAP endpoint (it receives the Agent's
// answers there) and a USP Client on it.
func dial(ctx context.Context, o options) (*session, error) {
	if o.agent == "" {
		return nil, fmt.Errorf("-agent is required (or $MESHCTL_AGENT); -url too unless DNS-SD can find the Agent")
	}
	if o.url == "" {
		u, err := lookupAgent(ctx, o.agent, o.wait)
		if err != nil {
			return nil, err
		}
		o.url = u
	}
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "coap" && u.Scheme != "coaps") {
		return nil, fmt.Errorf("-url %q: want coap://host:port/path or coaps://host:port/path", o.url)
	}
	to, err := usp.ParseEndpointID(o.agent)
	if err != nil {
		return nil, fmt.Errorf("-agent: %w", err)
	}
	self, err := usp.ParseEndpointID(o.id)
	if err != nil {
		return nil, fmt.Errorf("-id: %w", err)
	}
	cc := coap.Config{Listen: o.listen, Path: "usp-ctl", Role: coap.Controller, Insecure: u.Scheme == "coap"}
	if !cc.Insecure {
		if err := security(&cc, o, string(self)); err != nil {
			return nil, err
		}
	}
	return openSession(ctx, o, to, self, cc, coap.Listen)
}

// listenFunc opens a CoAP endpoint: coap.Listen, or a test's stand-in.
type listenFunc func(ctx context.Context, cfg coap.Config, h coap.Handler) (*coap.Endpoint, error)

// openSession builds the session's USP Client first and only then opens
// the endpoint whose handler feeds it, so that a Record arriving as soon
// as the endpoint listens (even before listen returns) finds the Client
// ready. Until the endpoint exists the Client's sends fail
// (errNotListening); receiving works from the start.
func openSession(ctx context.Context, o options, to, self usp.EndpointID, cc coap.Config, listen listenFunc) (*session, error) {
	s := &session{opts: o, to: to, notify: make(chan notification, 64), done: make(chan struct{}), routes: &routes{def: o.url}}
	c, err := usp.NewClient(usp.ClientConfig{EndpointID: self, Transport: s.routes, Timeout: o.timeout,
		OnNotify: func(from usp.EndpointID, n *uspmsg.Notify) {
			select {
			case s.notify <- notification{from, n}:
			case <-s.done:
			}
		}})
	if err != nil {
		return nil, err
	}
	ep, err := listen(ctx, cc, func(ctx context.Context, in coap.Inbound) error {
		return c.HandleRecord(ctx, usp.EndpointID(in.Peer), in.Record)
	})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("listen %s: %w", o.listen, err)
	}
	s.routes.setEndpoint(ep)
	s.ep, s.client = ep, c
	return s, nil
}

// Close stops the session's Client and closes its endpoint. It is
// idempotent.
func (s *session) Close() {
	s.once.Do(func() {
		close(s.done)
		s.client.Close()
		s.ep.Close()
	})
}

// security fills the DTLS part of cc from the options.
func security(cc *coap.Config, o options, self string) error {
	switch {
	case o.cert != "":
		cert, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return fmt.Errorf("-cert/-key: %w", err)
		}
		pem, err := os.ReadFile(o.ca)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("-ca %q: no PEM certificates (%v)", o.ca, err)
		}
		cc.Cert = &coap.CertConfig{Certificate: cert, Roots: pool}
	case o.secret != "" && o.pskHex == "" && o.pskFile == "":
		secret, err := meshkey.ReadSecret(o.secret)
		if err != nil {
			return fmt.Errorf("-secret-file: %w", err)
		}
		keys, err := meshkey.Derive(secret)
		if err != nil {
			return err
		}
		cc.PSK = &coap.PSK{Identity: self, Key: func(string) ([]byte, error) { return keys.PSK, nil }}
	default:
		h := o.pskHex
		if o.pskFile != "" {
			b, err := os.ReadFile(o.pskFile)
			if err != nil {
				return fmt.Errorf("-psk-file: %w", err)
			}
			h = strings.TrimSpace(string(b))
		}
		key, err := hex.DecodeString(h)
		if err != nil || len(key) < 16 {
			return fmt.Errorf("coaps:// needs -secret-file, -psk-hex/-psk-file (at least 16 bytes, hex) or -cert/-key/-ca; use a coap:// URL for an -insecure Agent")
		}
		cc.PSK = &coap.PSK{Identity: self, Key: func(string) ([]byte, error) { return key, nil }}
	}
	return nil
}
