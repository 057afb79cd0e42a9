package coap

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/elliptic"
	"github.com/pion/logging"
)

// uspIDPrefix prefixes the Endpoint ID in a certificate's URI SAN
// (TR-369 R-COAP.15 and the Endpoint ID section).
const uspIDPrefix = "urn:bbf:usp:id:"

// pskSuites are the RFC 7925 PSK suites we offer, CCM_8 first.
func pskSuites() dtls.Option {
	return dtls.WithCipherSuites(dtls.TLS_PSK_WITH_AES_128_CCM_8, dtls.TLS_PSK_WITH_AES_128_GCM_SHA256)
}

// certSuites are the RFC 7925 certificate suites (ECDSA P-256).
func certSuites() dtls.Option {
	return dtls.WithCipherSuites(dtls.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
}

// EndpointIDFromCertificate returns the USP Endpoint ID carried in cert's
// URI SAN "urn:bbf:usp:id:<EndpointID>" (TR-369 §10).
func EndpointIDFromCertificate(cert *x509.Certificate) (string, error) {
	for _, u := range cert.URIs {
		if s := u.String(); strings.HasPrefix(s, uspIDPrefix) && len(s) > len(uspIDPrefix) {
			return s[len(uspIDPrefix):], nil
		}
	}
	return "", errors.New("coap: certificate has no urn:bbf:usp:id URI SAN")
}

// dtlsSetup turns the Config's security mode into pion options.
type dtlsSetup struct {
	cfg     *Config
	loggers logging.LoggerFactory
}

func (d *dtlsSetup) common() []dtls.Option {
	return []dtls.Option{
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret),
		dtls.WithLoggerFactory(d.loggers),
		dtls.WithEllipticCurves(elliptic.P256, elliptic.X25519),
	}
}

// serverOptions configures one inbound session; *peerID receives the
// client's authenticated identity.
func (d *dtlsSetup) serverOptions(peerID *string) []dtls.ServerOption {
	var opts []dtls.ServerOption
	for _, o := range d.common() {
		opts = append(opts, o)
	}
	if psk := d.cfg.PSK; psk != nil {
		return append(opts,
			pskSuites(),
			dtls.WithPSK(func(identity []byte) ([]byte, error) {
				if len(identity) == 0 {
					return nil, errors.New("coap: empty PSK identity")
				}
				key, err := psk.Key(string(identity))
				if err != nil {
					return nil, fmt.Errorf("coap: PSK identity %q: %w", identity, err)
				}
				*peerID = string(identity)
				return key, nil
			}))
	}
	c := d.cfg.Cert
	return append(opts,
		certSuites(),
		dtls.WithCertificates(c.Certificate),
		dtls.WithClientAuth(dtls.RequireAndVerifyClientCert),
		dtls.WithClientCAs(c.Roots),
		dtls.WithVerifyPeerCertificate(func(_ [][]byte, chains [][]*x509.Certificate) error {
			if len(chains) == 0 || len(chains[0]) == 0 {
				return errors.New("coap: client certificate not verified")
			}
			id, err := EndpointIDFromCertificate(chains[0][0])
			*peerID = id
			return err
		}))
}

// clientOptions configures one outbound session to the USP URI to, meant
// for the Endpoint ID peer ("" when the sender did not say); *peerID
// receives the server's Endpoint ID when its certificate has one.
func (d *dtlsSetup) clientOptions(to, peer string, peerID *string) []dtls.ClientOption {
	var opts []dtls.ClientOption
	for _, o := range d.common() {
		opts = append(opts, o)
	}
	if psk := d.cfg.PSK; psk != nil {
		return append(opts,
			pskSuites(),
			dtls.WithPSKIdentityHint([]byte(psk.Identity)),
			dtls.WithPSK(func([]byte) ([]byte, error) {
				if psk.PeerKey != nil {
					return psk.PeerKey(to, peer)
				}
				return psk.Key(psk.Identity)
			}))
	}
	c := d.cfg.Cert
	return append(opts,
		certSuites(),
		dtls.WithCertificates(c.Certificate),
		dtls.WithRootCAs(c.Roots),
		dtls.WithVerifyPeerCertificate(func(_ [][]byte, chains [][]*x509.Certificate) error {
			if len(chains) == 0 || len(chains[0]) == 0 {
				return errors.New("coap: server certificate not verified")
			}
			id, _ := EndpointIDFromCertificate(chains[0][0])
			*peerID = id
			if c.VerifyServer != nil {
				return c.VerifyServer(to, id)
			}
			return nil
		}))
}

// connectedPacketConn lets pion use a connected UDP socket: the kernel
// filters other sources, and an ICMP port unreachable surfaces as
// ECONNREFUSED, which fails a handshake at once instead of after its
// timeout.
type connectedPacketConn struct {
	*net.UDPConn
}

func (c connectedPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := c.Read(b)
	return n, c.RemoteAddr(), err
}

func (c connectedPacketConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	return c.Write(b)
}

// pionLogger routes pion's logs to slog at debug level: what pion reports
// are peer mistakes and retransmissions, not our errors.
type pionLogger struct {
	log *slog.Logger
}

func (f pionLogger) NewLogger(scope string) logging.LeveledLogger {
	return pionScope{log: f.log.With("pion", scope)}
}

type pionScope struct {
	log *slog.Logger
}

func (s pionScope) logf(level, format string, args ...any) {
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug(fmt.Sprintf(format, args...), "level", level)
	}
}

func (s pionScope) Trace(string)              {}
func (s pionScope) Tracef(string, ...any)     {}
func (s pionScope) Debug(m string)            { s.logf("debug", "%s", m) }
func (s pionScope) Debugf(f string, a ...any) { s.logf("debug", f, a...) }
func (s pionScope) Info(m string)             { s.logf("info", "%s", m) }
func (s pionScope) Infof(f string, a ...any)  { s.logf("info", f, a...) }
func (s pionScope) Warn(m string)             { s.logf("warn", "%s", m) }
func (s pionScope) Warnf(f string, a ...any)  { s.logf("warn", f, a...) }
func (s pionScope) Error(m string)            { s.logf("error", "%s", m) }
func (s pionScope) Errorf(f string, a ...any) { s.logf("error", f, a...) }
