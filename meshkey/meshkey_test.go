package meshkey

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDerive(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, SecretLen)
	a, err := Derive(secret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Derive(secret)
	if !bytes.Equal(a.Gossip, b.Gossip) || !bytes.Equal(a.PSK, b.PSK) || a.ClusterID != b.ClusterID {
		t.Fatal("derivation is not deterministic")
	}
	if len(a.Gossip) != 32 || len(a.PSK) != 32 || len(a.ClusterID) != 16 {
		t.Fatalf("sizes: gossip %d, psk %d, cluster id %q", len(a.Gossip), len(a.PSK), a.ClusterID)
	}
	if bytes.Equal(a.Gossip, a.PSK) || bytes.Equal(a.Gossip, secret) || bytes.Equal(a.PSK, secret) {
		t.Fatal("keys are not independent of each other and of the secret")
	}
	other := bytes.Repeat([]byte{8}, SecretLen)
	c, _ := Derive(other)
	if c.ClusterID == a.ClusterID || bytes.Equal(c.PSK, a.PSK) {
		t.Fatal("two homes share keys")
	}
	if _, err := Derive(secret[:16]); err == nil {
		t.Fatal("a 16-byte secret was accepted")
	}
}

func TestSecretFile(t *testing.T) {
	s, err := MintSecret()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "mesh.secret")
	if err := os.WriteFile(good, []byte("  "+s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := ReadSecret(good); err != nil || len(k) != SecretLen {
		t.Fatalf("ReadSecret: %x, %v", k, err)
	}
	for name, content := range map[string]string{"short": s[:40], "not hex": strings.Repeat("zz", 32), "empty": ""} {
		f := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(f, []byte(content), 0o600)
		_, err := ReadSecret(f)
		if err == nil || strings.Contains(err.Error(), s[:10]) {
			t.Errorf("%s: err %v (must refuse and never show the content)", name, err)
		}
	}
	if _, err := ReadSecret(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}
