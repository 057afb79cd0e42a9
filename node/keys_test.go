package node

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestPSKKeysFollowIdentity: the DTLS key is chosen by the Endpoint ID a
// session is for, never by the address: a configured Controller gets the
// configured PSK on both sides, every other identity the mesh PSK, at
// any URI (a port that a mesh peer reuses after a Controller does not
// inherit its key).
func TestPSKKeysFollowIdentity(t *testing.T) {
	secret := writeSecret(t, t.TempDir())
	keys, err := readMeshKeys(secret)
	if err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t)
	cfg.MeshSecretFile = secret
	cfg.applyDefaults()
	n := &Node{cfg: cfg, configured: map[string]bool{testCtl: true}}
	key, peerKey, err := n.pskKeys()
	if err != nil {
		t.Fatal(err)
	}
	const uri = "coaps://192.0.2.7:5684/usp"
	for _, c := range []struct {
		id   string
		want []byte
	}{
		{testCtl, testPSK},
		{"os::000000-PEER", keys.PSK},
		{"proto::stranger", keys.PSK},
	} {
		if got, err := key(c.id); err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("server key for %s: %x, %v; want %x", c.id, got, err, c.want)
		}
		if got, err := peerKey(uri, c.id); err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("client key for %s at %s: %x, %v; want %x", c.id, uri, got, err, c.want)
		}
	}

	// Without a mesh secret every identity uses the configured PSK.
	alone := &Node{cfg: baseConfig(t), configured: map[string]bool{}}
	_, peerKey, err = alone.pskKeys()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := peerKey(uri, "proto::other"); !bytes.Equal(got, testPSK) {
		t.Errorf("lone node's client key %x, want the configured PSK", got)
	}

	// An unreadable secret with no PSK to fall back on is a ConfigError
	// naming the secret file; with a PSK the Agent serves on it.
	bad := Config{MeshSecretFile: secret + ".missing"}
	if _, _, err := (&Node{cfg: bad}).pskKeys(); err == nil {
		t.Error("no key at all accepted")
	}
	bad.PSKHex = hex.EncodeToString(testPSK)
	if _, _, err := (&Node{cfg: bad, configured: map[string]bool{}}).pskKeys(); err != nil {
		t.Errorf("PSK with an unreadable mesh secret: %v", err)
	}
	if _, err := readMeshKeys(secret + ".missing"); err == nil {
		t.Error("readMeshKeys of a missing file")
	}
}
