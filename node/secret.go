package node

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// MeshSecretLen is the length in bytes of a mesh secret.
const MeshSecretLen = 32

// MeshKeys are the keys a node derives from the home's mesh secret with
// HKDF-SHA256, each under its own label, so that no key reveals another.
type MeshKeys struct {
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

// DeriveMeshKeys derives the mesh keys from a secret of MeshSecretLen
// bytes.
func DeriveMeshKeys(secret []byte) (MeshKeys, error) {
	if len(secret) != MeshSecretLen {
		return MeshKeys{}, fmt.Errorf("mesh secret is %d bytes, want %d", len(secret), MeshSecretLen)
	}
	key := func(info string, n int) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, nil, info, n)
	}
	g, err := key(infoGossip, 32)
	if err != nil {
		return MeshKeys{}, err
	}
	p, err := key(infoPSK, 32)
	if err != nil {
		return MeshKeys{}, err
	}
	c, err := key(infoCluster, 8)
	if err != nil {
		return MeshKeys{}, err
	}
	return MeshKeys{Gossip: g, PSK: p, ClusterID: hex.EncodeToString(c)}, nil
}

// MintMeshSecret returns a new random mesh secret, hex-encoded as a
// secret file holds it.
func MintMeshSecret() (string, error) {
	var b [MeshSecretLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mint mesh secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// ReadMeshSecret reads a mesh secret file: MeshSecretLen bytes as hex,
// surrounding white space ignored. The error names the file and never
// shows its content.
func ReadMeshSecret(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("mesh secret: %w", err)
	}
	return ParseMeshSecret(string(b))
}

// ParseMeshSecret decodes a hex mesh secret.
func ParseMeshSecret(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != MeshSecretLen {
		return nil, fmt.Errorf("mesh secret: want %d bytes as %d hex digits (meshctl secret mints one)", MeshSecretLen, 2*MeshSecretLen)
	}
	return k, nil
}
