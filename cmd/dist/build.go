package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"
)

// versionVar is the variable a release build stamps with -X.
const versionVar = "github.com/uspmesh/uspmesh/buildinfo.Version"

// Commands are the binaries built for every target.
var Commands = []string{"meshd", "meshctl"}

// Build compiles the Commands for t into dir (dir/meshd, dir/meshctl):
// static (cgo off), stripped (-s -w), -trimpath, Version stamped. root
// is the module's directory.
func Build(ctx context.Context, root, dir string, t Target, version string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ldflags := fmt.Sprintf("-s -w -X %s=%s", versionVar, version)
	for _, c := range Commands {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags,
			"-o", filepath.Join(dir, c), "./cmd/"+c)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), t.Env()...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s for %s: %w\n%s", c, t.Name, err, out)
		}
	}
	return nil
}

// GitVersion is `git describe --tags --always --dirty` in root, or def
// when that fails (no git, not a repository).
func GitVersion(ctx context.Context, root, def string) string {
	cmd := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return v
	}
	return def
}

// PackageVersion turns a stamped version (a tag such as v1.2.3, `git
// describe` output such as v1.2.3-4-gabcdef0-dirty, or a bare commit
// hash) into one Debian and opkg accept and order: it starts with a
// digit and has no hyphen (a hyphen would start the Debian revision); a
// version is dotted (a hash may start with a digit too).
// v1.2.3 -> 1.2.3; v1.2.3-4-gabcdef0 -> 1.2.3+4.gabcdef0; abcdef0 ->
// 0.0.0+gabcdef0.
func PackageVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	base, rest, _ := strings.Cut(v, "-")
	if base == "" || !unicode.IsDigit(rune(base[0])) || !strings.Contains(base, ".") {
		base, rest = "0.0.0", "g"+v
	}
	keep := func(r rune) rune {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == '.', r == '+', r == '~':
			return r
		}
		return '.'
	}
	base = strings.Map(keep, base)
	if rest == "" {
		return base
	}
	return base + "+" + strings.Map(keep, rest)
}
