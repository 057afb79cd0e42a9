package main

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runInProcess runs meshctl's run with args; it returns stdout, stderr
// and the exit status.
func runInProcess(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestMintPSKFile: mint-psk -o writes a fresh key into a new file of mode
// 0600, refuses to overwrite it without -force, and prints no key.
func TestMintPSKFile(t *testing.T) {
	for _, cmd := range []string{"mint-psk", "secret"} {
		t.Run(cmd, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "ctl.psk")
			out, errOut, code := runInProcess(t, cmd, "-o", f)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			key := strings.TrimSpace(string(b))
			if k, err := hex.DecodeString(key); err != nil || len(k) < 16 {
				t.Fatalf("file holds %q (%v), want a hex key", b, err)
			}
			if strings.Contains(out+errOut, key) {
				t.Fatalf("the key was printed: %q %q", out, errOut)
			}
			if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v (%v), want 0600", st.Mode(), err)
			}
			if _, errOut, code := runInProcess(t, cmd, "-o", f); code != 1 || !strings.Contains(errOut, "-force") {
				t.Fatalf("overwrite without -force: exit %d, %q", code, errOut)
			}
			if b2, _ := os.ReadFile(f); string(b2) != string(b) {
				t.Fatal("the refused overwrite changed the file")
			}
			if _, errOut, code := runInProcess(t, cmd, "-o", f, "-force"); code != 0 {
				t.Fatalf("-force: exit %d, %q", code, errOut)
			}
			if b2, _ := os.ReadFile(f); string(b2) == string(b) {
				t.Fatal("-force kept the old key")
			}
		})
	}
}

// TestUsageHidesSecrets: a PSK from $MESHCTL_PSK or an earlier -psk-hex is
// never printed as a flag's default; the usage names $MESHCTL_PSK as the
// source instead, and explains -id.
func TestUsageHidesSecrets(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	t.Setenv("MESHCTL_PSK", key)
	for _, args := range [][]string{{"-help"}, {"get", "-help"}, {"-psk-hex", "fedcba9876543210fedcba9876543210", "get", "-help"}} {
		_, errOut, code := runInProcess(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		if strings.Contains(errOut, key) || strings.Contains(errOut, "fedcba9876543210") {
			t.Fatalf("%v: the usage shows a key:\n%s", args, errOut)
		}
		if !strings.Contains(errOut, "$MESHCTL_PSK") {
			t.Fatalf("%v: the usage does not name $MESHCTL_PSK", args)
		}
		if !strings.Contains(errOut, "meshd -controller ID=ROLE") {
			t.Fatalf("%v: -id is not explained", args)
		}
	}
	// The environment's key is still used.
	o := parseFlags(t, "get")
	if o.auth() != authPSK || o.pskEnv != key {
		t.Fatalf("$MESHCTL_PSK not used: %+v", o)
	}
	// An explicit -secret-file wins over the environment's PSK.
	o = parseFlags(t, "-secret-file", "mesh.secret", "get")
	if o.auth() != authMeshSecret {
		t.Fatalf("-secret-file with $MESHCTL_PSK set: auth %v", o.auth())
	}
}
