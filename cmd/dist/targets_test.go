package main

import (
	"testing"
)

func TestPackageVersion(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"v1.2.3-4-gabcdef0", "1.2.3+4.gabcdef0"},
		{"v1.2.3-4-gabcdef0-dirty", "1.2.3+4.gabcdef0.dirty"},
		{"abcdef0", "0.0.0+gabcdef0"},
		{"2f90907-dirty", "0.0.0+g2f90907.dirty"},
		{"0.1.0", "0.1.0"},
		{"v2.0.0-rc1", "2.0.0+rc1"},
	} {
		if got := PackageVersion(c.in); got != c.want {
			t.Errorf("PackageVersion(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSelectTargets(t *testing.T) {
	all, err := SelectTargets("all", "")
	if err != nil || len(all) != len(Targets) {
		t.Fatalf("all: %d targets, %v", len(all), err)
	}
	ts, err := SelectTargets("arm64,mipsle", "arm64=aarch64_generic")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].OpenWrtArch != "aarch64_generic" || ts[1].OpenWrtArch != "mipsel_24kc" {
		t.Fatalf("got %+v", ts)
	}
	for _, bad := range [][2]string{{"sparc", ""}, {"arm64", "mips=mips_24kc"}, {"arm64", "arm64"}} {
		if _, err := SelectTargets(bad[0], bad[1]); err == nil {
			t.Errorf("SelectTargets(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// TestTargetEnv checks the builds are static and the MIPS ones softfloat.
func TestTargetEnv(t *testing.T) {
	want := map[string]string{
		"amd64":  "CGO_ENABLED=0 GOOS=linux GOARCH=amd64",
		"arm64":  "CGO_ENABLED=0 GOOS=linux GOARCH=arm64",
		"armv7":  "CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7",
		"mipsle": "CGO_ENABLED=0 GOOS=linux GOARCH=mipsle GOMIPS=softfloat",
		"mips":   "CGO_ENABLED=0 GOOS=linux GOARCH=mips GOMIPS=softfloat",
	}
	for _, tg := range Targets {
		got := ""
		for i, e := range tg.Env() {
			if i > 0 {
				got += " "
			}
			got += e
		}
		if got != want[tg.Name] {
			t.Errorf("%s: env %q, want %q", tg.Name, got, want[tg.Name])
		}
	}
}
