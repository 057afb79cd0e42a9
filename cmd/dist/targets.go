package main

import (
	"fmt"
	"strings"
)

// Target is one platform meshd is built and packaged for. meshd is a
// static Go binary (no libc), so one build runs on every CPU of its
// family; the package architecture names only say where a package
// manager lets it install.
type Target struct {
	// Name is how -targets names it: amd64, arm64, armv7, mipsle, mips.
	Name string
	// GOARCH, GOARM and GOMIPS select the Go build.
	GOARCH, GOARM, GOMIPS string
	// DebArch is the Debian architecture of the .deb.
	DebArch string
	// OpenWrtArch is the opkg architecture of the .ipk: OpenWrt's name
	// for the most common access-point subtarget of the family. opkg
	// installs only packages of an architecture /etc/opkg.conf lists;
	// -openwrt-arch renames it for another subtarget.
	OpenWrtArch string
	// QEMU is the qemu-user emulator that runs the binary on another
	// host ("" on amd64).
	QEMU string
}

// Targets are the platforms `make dist` builds, in order.
var Targets = []Target{
	{Name: "amd64", GOARCH: "amd64", DebArch: "amd64", OpenWrtArch: "x86_64"},
	// MediaTek Filogic (MT7981/MT7986), Qualcomm IPQ807x/IPQ60xx.
	{Name: "arm64", GOARCH: "arm64", DebArch: "arm64", OpenWrtArch: "aarch64_cortex-a53", QEMU: "qemu-aarch64-static"},
	// Qualcomm IPQ40xx, the classic dual-band mesh AP.
	{Name: "armv7", GOARCH: "arm", GOARM: "7", DebArch: "armhf", OpenWrtArch: "arm_cortex-a7_neon-vfpv4", QEMU: "qemu-arm-static"},
	// MediaTek MT7621 (ramips): 24KEc cores without an FPU, hence softfloat.
	{Name: "mipsle", GOARCH: "mipsle", GOMIPS: "softfloat", DebArch: "mipsel", OpenWrtArch: "mipsel_24kc", QEMU: "qemu-mipsel-static"},
	// Qualcomm Atheros ath79 (QCA95xx, QCA956x): 24Kc/74Kc, no FPU.
	{Name: "mips", GOARCH: "mips", GOMIPS: "softfloat", DebArch: "mips", OpenWrtArch: "mips_24kc", QEMU: "qemu-mips-static"},
}

// Env is the Go build environment of t: static (cgo off), for Linux.
func (t Target) Env() []string {
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + t.GOARCH}
	if t.GOARM != "" {
		env = append(env, "GOARM="+t.GOARM)
	}
	if t.GOMIPS != "" {
		env = append(env, "GOMIPS="+t.GOMIPS)
	}
	return env
}

// SelectTargets returns the Targets a comma-separated list names ("all"
// or "" for every one), with OpenWrt architectures renamed by renames
// (NAME=OPENWRT_ARCH,...).
func SelectTargets(list, renames string) ([]Target, error) {
	arch := map[string]string{}
	for _, kv := range splitList(renames) {
		name, a, ok := strings.Cut(kv, "=")
		if !ok || a == "" {
			return nil, fmt.Errorf("-openwrt-arch %q: want TARGET=OPENWRT_ARCH", kv)
		}
		arch[name] = a
	}
	var out []Target
	want := splitList(list)
	if len(want) == 0 || (len(want) == 1 && want[0] == "all") {
		want = nil
		for _, t := range Targets {
			want = append(want, t.Name)
		}
	}
	for _, name := range want {
		t, ok := targetByName(name)
		if !ok {
			return nil, fmt.Errorf("unknown target %q: want %s or all", name, targetNames())
		}
		if a, ok := arch[name]; ok {
			t.OpenWrtArch = a
			delete(arch, name)
		}
		out = append(out, t)
	}
	for name := range arch {
		return nil, fmt.Errorf("-openwrt-arch: target %q is not built", name)
	}
	return out, nil
}

func targetByName(name string) (Target, bool) {
	for _, t := range Targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

func targetNames() string {
	var names []string
	for _, t := range Targets {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
