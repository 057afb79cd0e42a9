// Command dist builds uspmesh's release artifacts: static, stripped meshd
// and meshctl binaries for every Target (linux amd64, arm64, armv7,
// mipsle and mips, the MIPS ones softfloat), a Debian package per target
// (systemd unit, sysusers entry, /etc/uspmesh/meshd.json) and OpenWrt
// packages per target (procd init script, UCI /etc/config/uspmesh),
// both made with nfpm from the files under packaging/.
//
// Usage:
//
//	go run ./cmd/dist [-out bin/dist] [-version V] [-targets all] [-openwrt-arch arm64=aarch64_generic]
//
// It writes OUT/TARGET/{meshd,meshctl}, OUT/*.deb and OUT/*.ipk and
// prints each file's size.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("dist", flag.ContinueOnError)
	out := fs.String("out", "bin/dist", "output directory")
	root := fs.String("root", ".", "the module's directory (packaging/, LICENSE, cmd/)")
	version := fs.String("version", "", "version stamped into the binaries (default: git describe --tags --always --dirty, else 0.1.0)")
	targets := fs.String("targets", "all", "comma-separated targets: "+targetNames()+", or all")
	owrt := fs.String("openwrt-arch", "", "OpenWrt architectures other than the defaults, TARGET=ARCH,... (e.g. arm64=aarch64_generic)")
	maintainer := fs.String("maintainer", "uspmesh developers <uspmesh@users.noreply.github.com>", "the packages' Maintainer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ts, err := SelectTargets(*targets, *owrt)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *version == "" {
		*version = GitVersion(ctx, *root, "0.1.0")
	}
	m := Meta{Version: PackageVersion(*version), Maintainer: *maintainer}
	fmt.Fprintf(stdout, "uspmesh %s (packages %s)\n", *version, m.Version)
	for _, t := range ts {
		paths, err := Dist(ctx, *root, *out, t, *version, m)
		if err != nil {
			return err
		}
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%10d  %s\n", st.Size(), p)
		}
	}
	return nil
}

// Dist builds t's binaries into out/NAME and its Debian and OpenWrt
// packages into out, and returns the paths of everything it wrote.
func Dist(ctx context.Context, root, out string, t Target, version string, m Meta) ([]string, error) {
	bin := filepath.Join(out, t.Name)
	if err := Build(ctx, root, bin, t, version); err != nil {
		return nil, err
	}
	paths := []string{filepath.Join(bin, "meshd"), filepath.Join(bin, "meshctl")}
	deb, err := DebPackage(root, bin, out, t, m)
	if err != nil {
		return nil, err
	}
	ipks, err := IPKPackages(root, bin, out, t, m)
	if err != nil {
		return nil, err
	}
	return append(append(paths, deb), ipks...), nil
}
