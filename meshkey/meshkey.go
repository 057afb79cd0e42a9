// Package meshkey derives a home's mesh keys from its mesh secret: the
// memberlist gossip key, the DTLS pre-shared key of mesh-internal CoAP and
// the cluster id advertised in DNS-SD. It also mints, reads and parses
// secret files. meshd, meshctl and the virtual-home harness share it, so
// that the tools need not link the daemon.
//
// Data enters as a secret file or its hex text (ReadSecret, ParseSecret)
// and leaves as Keys (Derive). The package keeps no state and logs
// nothing.
package meshkey

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// SecretLen is the length in bytes of a mesh secret.
const SecretLen = 32

// Keys are the keys a node derives from the home's mesh secret with
// HKDF-SHA256, each under its own label, so that no key reveals another.
type Keys struct {
	// Gossip is the AES-256-GCM key of the memberlist gossip.
	Gossip []byte
	// PSK is the DTLS pre-shared key of mesh-internal CoAP.
	PSK []byte
	// ClusterID identifies the home in DNS-SD TXT records (cluster=…) and
	// the gossip label; it reveals nothing of the secret.
	ClusterID string
}

// HKDF info labels of the derived keys. Changing one splits every home.
const (
	infoGossip  = "uspmesh/v1 gossip key"
	infoPSK     = "uspmesh/v1 dtls psk"
	infoCluster = "uspmesh/v1 cluster id"
)

// Derive derives the mesh keys from a secret of SecretLen
// bytes.
func Derive(secret []byte) (Keys, error) {
	if len(secret) != SecretLen {
		return Keys{}, fmt.Errorf("mesh secret is %d bytes, want %d", len(secret), SecretLen)
	}
	key := func(info string, n int) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, nil, info, n)
	}
	g, err := key(infoGossip, 32)
	if err != nil {
		return Keys{}, err
	}
	p, err := key(infoPSK, 32)
	if err != nil {
		return Keys{}, err
	}
	c, err := key(infoCluster, 8)
	if err != nil {
		return Keys{}, err
	}
	return Keys{Gossip: g, PSK: p, ClusterID: hex.EncodeToString(c)}, nil
}

// MintSecret returns a new random mesh secret, hex-encoded as a
// secret file holds it.
func MintSecret() (string, error) {
	var b [SecretLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mint mesh secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// ReadSecret reads a mesh secret file: SecretLen bytes as hex,
// surrounding white space ignored. The error names the file and never
// shows its content.
func ReadSecret(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("mesh secret: %w", err)
	}
	return ParseSecret(string(b))
}

// ParseSecret decodes a hex mesh secret.
func ParseSecret(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != SecretLen {
		return nil, fmt.Errorf("mesh secret: want %d bytes as %d hex digits (meshctl secret mints one)", SecretLen, 2*SecretLen)
	}
	return k, nil
}
