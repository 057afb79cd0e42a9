package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/dtls/v3"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/meshkey"
	"github.com/uspmesh/uspmesh/usp"
)

// routes is the CoAP MTP: it sends each Record to its Agent's URI, or to
// the default one, through the Controller's own endpoint, where the
// Agents' answers arrive (at -reply-path).
type routes struct {
	def string
	// self, auth and timeout describe a failed handshake.
	self    usp.EndpointID
	auth    authKind
	timeout time.Duration
	ep      *coap.Endpoint
	mu      sync.Mutex
	urls    map[usp.EndpointID]string
}

// SendRecord sends rec to the URI of Agent to.
func (r *routes) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	r.mu.Lock()
	u, ok := r.urls[to]
	r.mu.Unlock()
	if !ok {
		u = r.def
	}
	err := r.ep.Send(ctx, u, rec)
	if isHandshakeFailure(err) {
		return &handshakeError{url: u, self: r.self, auth: r.auth, timeout: r.timeout, err: err}
	}
	return err
}

// isHandshakeFailure says whether err is a DTLS handshake that failed
// (an alert, or no answer within the handshake timeout) with a peer that
// is there (not a refused port).
func isHandshakeFailure(err error) bool {
	var he *dtls.HandshakeError
	return (errors.Is(err, coap.ErrHandshake) || errors.As(err, &he)) && !errors.Is(err, syscall.ECONNREFUSED)
}

// handshakeError is a DTLS handshake with an Agent that failed: most
// likely the key (or certificate) is not the one the Agent expects for
// this Controller.
type handshakeError struct {
	url     string
	self    usp.EndpointID
	auth    authKind
	timeout time.Duration
	err     error
}

func (e *handshakeError) Error() string {
	why := fmt.Sprintf("handshake failed: wrong key? %s refused or ignored the DTLS handshake of %s (-timeout %s). ", e.url, e.self, e.timeout)
	switch e.auth {
	case authCert:
		why += "Check that -ca vouches for the Agent and the Agent's CA for -cert"
	default:
		why += "The Agent picks the key by -id: a Controller configured on it (meshd -controller " + string(e.self) +
			"=ROLE) needs meshd's -psk-file key (-psk-file here), any other -id the mesh secret's (-secret-file)"
	}
	return why + " (" + e.err.Error() + ")"
}

func (e *handshakeError) Unwrap() error { return e.err }

// Close closes the endpoint.
func (r *routes) Close() error { return r.ep.Close() }

// add routes Records for Agent id to url.
func (r *routes) add(id usp.EndpointID, url string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.urls == nil {
		r.urls = map[usp.EndpointID]string{}
	}
	r.urls[id] = url
}

// listenFunc opens a CoAP endpoint: coap.Listen, or a test's stand-in.
type listenFunc func(ctx context.Context, cfg coap.Config, h coap.Handler) (*coap.Endpoint, error)

// openCoAP opens the Controller's CoAP endpoint (cc) with listen; rt
// sends through it.
func openCoAP(cc coap.Config, rt *routes, listen listenFunc) openFunc {
	return func(ctx context.Context, deliver deliverFunc) (link, error) {
		ep, err := listen(ctx, cc, func(ctx context.Context, in coap.Inbound) error {
			return deliver(ctx, usp.EndpointID(in.Peer), in.Record)
		})
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", cc.Listen, err)
		}
		rt.ep = ep
		return rt, nil
	}
}

// security fills the DTLS part of cc from the options.
func security(cc *coap.Config, o options, self string) error {
	switch {
	case o.cert != "":
		cert, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return fmt.Errorf("-cert/-key: %w", err)
		}
		pool, err := readPool(o.ca)
		if err != nil {
			return err
		}
		cc.Cert = &coap.CertConfig{Certificate: cert, Roots: pool}
	case o.auth() == authMeshSecret:
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
		h := cmp.Or(o.pskHex, o.pskEnv)
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

// readPool reads the trust store -ca names.
func readPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	pool := x509.NewCertPool()
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-ca %q: no PEM certificates (%v)", file, err)
	}
	return pool, nil
}
