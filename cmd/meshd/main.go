// Command meshd is the uspmesh node daemon: a USP Agent (TR-369, TR-181
// Device:2) serving over CoAP/DTLS on one access point.
//
// Usage:
//
//	meshd [flags]
//
// Flags override the JSON config file given with -config: a flag given on
// the command line wins even with a zero value (-insecure=false), a flag
// not given keeps the file's value, and a repeatable flag (-controller,
// -seed, -interface, -radio-interface) given at least once replaces the
// file's list. meshd runs until SIGINT or SIGTERM, then shuts down cleanly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/uspmesh/uspmesh/node"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "meshd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := loadConfig(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := node.NewLogger(os.Stderr, cfg.LogLevel)
	radios, err := openRadios(ctx, cfg, log.With("sub", "radio"))
	if err != nil {
		return err
	}
	if radios != nil {
		defer radios.Close()
	}
	n, err := node.New(ctx, cfg, node.Deps{Radios: radios, Logger: log})
	if err != nil {
		return err
	}
	fmt.Printf("meshd: agent %s at %s\n", n.AgentID(), n.URL())
	<-ctx.Done()
	log.Info("shutting down", "signal", context.Cause(ctx))
	return n.Close()
}
