package coap

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"
)

// CA is a small certificate authority for USP endpoints: an ECDSA P-256
// key and a self-signed certificate, issuing leaf certificates that carry
// the Endpoint ID as URI SAN urn:bbf:usp:id:<EndpointID> (TR-369 R-COAP.15)
// and are valid for both DTLS client and server authentication.
type CA struct {
	// Cert is the CA certificate; add it to the peers' trust store.
	Cert *x509.Certificate
	// Key signs the issued certificates.
	Key *ecdsa.PrivateKey
	// Validity is the lifetime of issued certificates (default one year).
	Validity time.Duration
}

// NewCA creates a CA named name, valid for validity (default ten years).
func NewCA(name string, validity time.Duration) (*CA, error) {
	if validity <= 0 {
		validity = 10 * 365 * 24 * time.Hour
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("coap: CA key: %w", err)
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("coap: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("coap: CA certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Pool returns a trust store holding the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue creates a fresh P-256 key and a certificate for endpointID.
func (ca *CA) Issue(endpointID string) (tls.Certificate, error) {
	if endpointID == "" {
		return tls.Certificate{}, errors.New("coap: issue: empty Endpoint ID")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("coap: issue %s: %w", endpointID, err)
	}
	serial, err := serialNumber()
	if err != nil {
		return tls.Certificate{}, err
	}
	for _, c := range endpointID {
		if !validIDChar(c) {
			return tls.Certificate{}, fmt.Errorf("coap: issue %q: character %q not allowed in an Endpoint ID", endpointID, c)
		}
	}
	id := &url.URL{Scheme: "urn", Opaque: strings.TrimPrefix(uspIDPrefix, "urn:") + endpointID}
	validity := ca.Validity
	if validity <= 0 {
		validity = 365 * 24 * time.Hour
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: endpointID},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		URIs:         []*url.URL{id},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("coap: issue %s: %w", endpointID, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("coap: issue %s: %w", endpointID, err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// EncodePEM returns the certificate chain and the PKCS #8 private key of
// cert in PEM, ready for tls.X509KeyPair.
func EncodePEM(cert tls.Certificate) (certPEM, keyPEM []byte, err error) {
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("coap: encode key: %w", err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("coap: serial number: %w", err)
	}
	return n, nil
}

// validIDChar reports whether c may appear in an Endpoint ID (TR-369
// R-ARC.5: unreserved characters and %HH, plus the ":" separators).
func validIDChar(c rune) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	return strings.ContainsRune("-._:%", c)
}
