//go:build linux

// Command vhome is uspmesh's virtual home: N network namespaces, one per
// access point, joined by a bridge, with one real meshd in each, and the
// harness's own USP Controller (proto::vhome) in a namespace of its own to
// watch and query them. `make demo` runs it; the multi-host tests of this
// package drive the same harness (StartHome and the methods of Home).
//
// Usage:
//
//	vhome demo [-n 5] [-duration 0] [-keep] [-meshd PATH]
//	vhome soak [-n 5] [-duration 10m] [-every 30s]
//	vhome clean [-force]
//
// demo starts a home and shows, refreshed every second, what each node
// knows of the mesh, until Ctrl-C (or -duration); it tears everything down
// on exit. soak starts an idle home and samples every meshd's memory,
// file descriptors and threads, to show whether anything grows. clean
// removes the namespaces (and temporary run dirs) of runs whose harness
// died, as recorded under /run/uspmesh-vhome; it never touches a
// namespace no run recorded. All need root.
//
// Safety: every address is in 198.18.0.0/15 (RFC 2544) or the ULA
// fd75:736d:6800::/48, assigned only inside the run's namespaces, which
// have no default route; nothing is created in the caller's namespace.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	maybeRunRelay()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usageText = `vhome: uspmesh's virtual home, one meshd per network namespace.

Usage:
  vhome demo [-n 5] [-duration 0] [-keep] [-meshd PATH]   run a home and watch it
  vhome bench [-n 5] [-runs 5] [-idle 60s]                 measure the mesh (make bench-mesh)
  vhome soak [-n 5] [-duration 10m] [-every 30s]           watch an idle home's meshd for growth (RSS, fds, threads)
  vhome clean [-force]                                     remove leftovers of dead runs

Run "vhome COMMAND -help" for a command's flags. Needs root.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return errors.New("vhome: no command")
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "clean":
		return runClean(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "soak":
		return runSoak(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	}
	fmt.Fprint(stderr, usageText)
	return fmt.Errorf("vhome: unknown command %q", args[0])
}

func runClean(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vhome clean", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "clean runs whose harness still seems alive too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkPrivileges(); err != nil {
		return err
	}
	return clean(ctx, markerDir, *force, stdout)
}

// findMeshd resolves the meshd binary: path when given, else "meshd"
// beside this executable (make puts both in bin/), else on $PATH.
func findMeshd(path string) (string, error) {
	if path == "" {
		if self, err := os.Executable(); err == nil {
			if p := filepath.Join(filepath.Dir(self), "meshd"); isExecutable(p) {
				return p, nil
			}
		}
		path = "meshd"
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("vhome: meshd binary: %w (build it with make build, or give -meshd)", err)
	}
	return filepath.Abs(p)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
