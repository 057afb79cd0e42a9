package wifieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// NS3Header is a header of the ns-3 development files (Debian's
// libns3-dev) that the judge needs.
const NS3Header = "/usr/include/ns3/wifi-module.h"

// JudgeLibs are the ns-3 libraries the judge links with (Debian's
// pkg-config files for ns-3 3.37 give unusable compiler flags, so they
// are spelled out; the Makefile uses the same list).
var JudgeLibs = []string{"-lns3-wifi", "-lns3-spectrum", "-lns3-propagation", "-lns3-mobility",
	"-lns3-network", "-lns3-core", "-lns3-antenna", "-lns3-energy"}

// ErrNoNS3 is wrapped when g++ or the ns-3 development files are missing.
var ErrNoNS3 = errors.New("wifieval: g++ or ns-3 (libns3-dev) missing: run scripts/deps.sh as root")

// CompileJudge builds the judge from src (ns3/judge.cc) into out with g++.
func CompileJudge(ctx context.Context, src, out string) error {
	if _, err := exec.LookPath("g++"); err != nil {
		return fmt.Errorf("%w: %w", ErrNoNS3, err)
	}
	if _, err := os.Stat(NS3Header); err != nil {
		return fmt.Errorf("%w: %w", ErrNoNS3, err)
	}
	args := append([]string{"-std=c++17", "-O2", "-o", out, src}, JudgeLibs...)
	b, err := exec.CommandContext(ctx, "g++", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("wifieval: g++ %s: %w\n%s", src, err, b)
	}
	return nil
}
