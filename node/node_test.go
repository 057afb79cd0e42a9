package node

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/meshkey"
)

func TestFence(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f, err := openFence(dir)
	if err != nil || f.Term() != 0 {
		t.Fatalf("new fence: term %d, %v", f.Term(), err)
	}
	if err := f.Admit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := f.Raise(5); err != nil {
		t.Fatal(err)
	}
	var stale *StaleTermError
	if err := f.Admit(ctx, 4); !errors.As(err, &stale) || stale.Term != 4 || stale.Highest != 5 {
		t.Fatalf("Admit(4) after term 5: %v", err)
	}
	if err := f.Admit(ctx, 5); err != nil {
		t.Fatalf("Admit(5): %v", err)
	}
	if err := f.Raise(2); err != nil || f.Term() != 5 {
		t.Fatalf("Raise(2) lowered the fence: %d, %v", f.Term(), err)
	}
	// A restart keeps the highest term.
	g, err := openFence(dir)
	if err != nil || g.Term() != 5 {
		t.Fatalf("reopened fence: term %d, %v", g.Term(), err)
	}
	if err := g.Admit(ctx, 1); err == nil {
		t.Fatal("reopened fence admitted a stale term")
	}
	// A corrupt file is an error naming it, not a silent reset to 0.
	if err := os.WriteFile(filepath.Join(dir, fenceFile), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openFence(dir); err == nil || !strings.Contains(err.Error(), fenceFile) {
		t.Fatalf("corrupt fence file: %v", err)
	}
}

func TestConfigValidateMesh(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "mesh.secret")
	s, _ := meshkey.MintSecret()
	os.WriteFile(secret, []byte(s), 0o600)
	bad := filepath.Join(dir, "bad.secret")
	os.WriteFile(bad, []byte("nope"), 0o600)
	cases := []struct {
		name  string
		cfg   Config
		field string // "" = valid
	}{
		{"mesh secret alone is enough security", Config{MeshSecretFile: secret}, ""},
		{"no key at all", Config{}, "psk_hex"},
		{"bad secret: the node reports it at start, Validate reads no file", Config{MeshSecretFile: bad}, ""},
		{"bad profile", Config{MeshSecretFile: secret, Profile: "turbo"}, "profile"},
		{"fast profile", Config{MeshSecretFile: secret, Profile: "fast"}, ""},
		{"bad seed", Config{MeshSecretFile: secret, Seeds: []string{"host"}}, "seeds[0]"},
		{"bad gossip port", Config{MeshSecretFile: secret, GossipPort: 70000}, "gossip_port"},
		{"bad radio", Config{MeshSecretFile: secret, Radio: "wifi7"}, "radio"},
		{"sim without home", Config{MeshSecretFile: secret, Radio: "sim", SimNode: "ap1", SimAir: dir}, "sim_home"},
		{"sim", Config{MeshSecretFile: secret, Radio: "sim", SimHome: "h.json", SimNode: "ap1", SimAir: dir}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.applyDefaults()
			err := cfg.Validate()
			var ce *ConfigError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.field != "" && (!errors.As(err, &ce) || ce.Field != c.field):
				t.Fatalf("error %v, want one naming %s", err, c.field)
			}
		})
	}
}

func TestLoadFileDuration(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(f, []byte(`{"sim_cac":"3s","seeds":["192.0.2.1:7946"],"priority":2}`), 0o600)
	var c Config
	if err := LoadFile(f, &c); err != nil {
		t.Fatal(err)
	}
	if c.SimCAC != Duration(3e9) || len(c.Seeds) != 1 || c.Priority != 2 {
		t.Fatalf("loaded %+v", c)
	}
	os.WriteFile(f, []byte(`{"sim_cac":"soon"}`), 0o600)
	if err := LoadFile(f, &c); err == nil {
		t.Fatal("a bad duration was accepted")
	}
}

// FuzzConfigFiles feeds arbitrary bytes to the node's file decoders: the
// config file, the mesh secret and the fence. None may panic; a fence
// that opens holds its term.
func FuzzConfigFiles(f *testing.F) {
	f.Add([]byte(`{"state_dir":"/tmp/x","priority":1,"sim_cac":"1s"}`))
	f.Add([]byte(`{"term":12}`))
	f.Add([]byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"))
	f.Add([]byte(`{"insecure":true,"mqtt":{"broker":"mqtts://[::1]:8883"},"websocket":{"listen":":1","insecure":true},` +
		`"roles":[{"name":"r","permissions":[{"targets":["Device."],"param":"r---"}]}],` +
		`"controllers":[{"endpoint_id":"proto::a","role":"r","mtp":"wss://h:1/p","mqtt_topic":"t"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		name := filepath.Join(dir, "f")
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
		var c Config
		if LoadFile(name, &c) == nil {
			c.applyDefaults()
			_ = c.Validate() // the MTP sections' URIs, roles and topics
		}
		_, _ = meshkey.ReadSecret(name)
		if err := os.WriteFile(filepath.Join(dir, fenceFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if fe, err := openFence(dir); err == nil {
			if err := fe.Admit(context.Background(), fe.Term()); err != nil {
				t.Fatalf("fence refuses its own term: %v", err)
			}
		}
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustPath(t testing.TB, s string) *path.Path {
	t.Helper()
	p, err := path.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
