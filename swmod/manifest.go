package swmod

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Manifest is a bundle's manifest.json: what the DU is and how its one
// EU runs. Example:
//
//	{"name": "counter", "vendor": "example.org", "version": "1.0",
//	 "args": ["/app"], "env": ["PORT=8080"],
//	 "limits": {"memory_bytes": 33554432, "pids": 64}}
type Manifest struct {
	Name    string   `json:"name"`
	Vendor  string   `json:"vendor"`
	Version string   `json:"version"`
	Args    []string `json:"args"`   // the entry point: an absolute path inside rootfs/, then its arguments
	Env     []string `json:"env"`    // KEY=value
	Cwd     string   `json:"cwd"`    // absolute, inside rootfs/; "/" when empty
	Limits  Limits   `json:"limits"` // what the DU asks; the ExecEnv's limits still bound it
}

// maxManifest bounds manifest.json.
const maxManifest = 64 << 10

// ParseManifest decodes and checks a manifest.json.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if len(b) > maxManifest {
		return m, fmt.Errorf("manifest: %d bytes, more than %d", len(b), maxManifest)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return m, errors.New("manifest: trailing data after the object")
	}
	return m, m.check()
}

func (m Manifest) check() error {
	for _, f := range []struct{ name, v string }{{"name", m.Name}, {"version", m.Version}} {
		if f.v == "" || len(f.v) > 64 || strings.ContainsAny(f.v, "/\x00\n") {
			return fmt.Errorf("manifest: %s %q: want 1 to 64 characters without /, NUL or newline", f.name, f.v)
		}
	}
	if len(m.Vendor) > 128 {
		return errors.New("manifest: vendor longer than 128")
	}
	if len(m.Args) == 0 || !path.IsAbs(m.Args[0]) {
		return fmt.Errorf("manifest: args %q: want an absolute entry point first", m.Args)
	}
	if m.Cwd != "" && !path.IsAbs(m.Cwd) {
		return fmt.Errorf("manifest: cwd %q is not absolute", m.Cwd)
	}
	for _, e := range m.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" || strings.ContainsRune(e, 0) {
			return fmt.Errorf("manifest: env %q: want KEY=value", e)
		}
	}
	for _, a := range m.Args {
		if strings.ContainsRune(a, 0) {
			return errors.New("manifest: NUL in args")
		}
	}
	if m.Limits.MemoryBytes < 0 || m.Limits.CPUMilli < 0 || m.Limits.Pids < 0 {
		return fmt.Errorf("manifest: negative limit %+v", m.Limits)
	}
	return nil
}
