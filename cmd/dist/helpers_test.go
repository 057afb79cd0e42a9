package main

import (
	"os"
	"os/exec"
	"testing"
)

// root is the module's directory, seen from this package's tests.
const root = "../.."

// requireEnv turns a missing prerequisite (root, a tool) into a failure
// instead of a skip; CI sets it (.ci/run).
const requireEnv = "USPMESH_REQUIRE_ROOT_TESTS"

// missing skips t for a missing prerequisite, or fails it under
// USPMESH_REQUIRE_ROOT_TESTS=1.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf(format+" (scripts/deps-dist.sh installs the tools)", args...)
	}
	t.Skipf(format, args...)
}

// needTools checks that every tool is on PATH.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, "%s is needed and not on PATH", tool)
		}
	}
}

// needRoot checks the test runs as root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "this test needs root")
	}
}

// fakeBinaries writes small stand-ins for the Commands into a new
// directory, for tests of the packages' layout only.
func fakeBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range Commands {
		if err := os.WriteFile(dir+"/"+c, []byte("#!/bin/sh\necho "+c+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
