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
// file's list. meshd runs until SIGINT or SIGTERM, then shuts down
// cleanly; SIGHUP reloads the configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/uspmesh/uspmesh/buildinfo"
	"github.com/uspmesh/uspmesh/node"
	"github.com/uspmesh/uspmesh/radio"
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

// Memory defaults of an AP's daemon, unless the environment sets its
// own (GOGC, GOMEMLIMIT): collect at half the live heap's growth instead
// of all of it, and aim to keep the Go runtime's memory under a soft
// limit, above which the collector works harder (never beyond its CPU
// cap, so a busy leader slows rather than fails). Idle in a five-node
// home this takes a node's anonymous memory from about 8 to 5.5 MiB.
const (
	gcPercent   = 50
	memoryLimit = 12 << 20
)

// tuneMemory applies the memory defaults the environment does not set.
func tuneMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

func run(args []string) error {
	tuneMemory()
	cfg, err := loadConfig(args)
	if errors.Is(err, errVersion) {
		fmt.Println(buildinfo.Line("meshd"))
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	log := node.NewLogger(os.Stderr, cfg.LogLevel)
	restart := make(chan bool, 1)
	start := func(cfg node.Config, log *slog.Logger) (*daemon, error) {
		return startDaemon(ctx, cfg, log, func(factoryReset bool) {
			select {
			case restart <- factoryReset:
			default:
			}
		})
	}
	d, err := start(cfg, log)
	if err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down", "signal", context.Cause(ctx))
			return d.close()
		case factoryReset := <-restart:
			// Device.Reboot() restarts the node; FactoryReset() wipes its
			// state first. The process stays, so a service manager sees
			// no failure.
			dir := d.n.StateDir()
			if err := d.close(); err != nil {
				log.Warn("close for restart", "err", err)
			}
			if factoryReset {
				if err := node.ResetState(dir); err != nil {
					return err
				}
			}
			if d, err = start(cfg, log); err != nil {
				return err
			}
			continue
		case <-hup:
		}
		next, err := loadConfig(args)
		if err == nil {
			err = next.Check()
		}
		if err != nil {
			log.Error("reload refused; the running configuration stays", "err", err)
			continue
		}
		log.Info("reloading the configuration: restarting the node")
		if err := d.close(); err != nil {
			log.Warn("close for reload", "err", err)
		}
		nlog := node.NewLogger(os.Stderr, next.LogLevel)
		if d, err = start(next, nlog); err != nil {
			log.Error("the reloaded configuration did not start; back to the previous one", "err", err)
			if d, err = start(cfg, log); err != nil {
				return err
			}
			continue
		}
		cfg, log = next, nlog
	}
}

// daemon is a running node with its radio backend.
type daemon struct {
	n      *node.Node
	radios radio.Backend
}

// startDaemon opens the radios and starts the node on them, printing the
// line that says where the Agent serves; restart carries out the node's
// Reboot() and FactoryReset().
func startDaemon(ctx context.Context, cfg node.Config, log *slog.Logger, restart func(factoryReset bool)) (*daemon, error) {
	radios, err := openRadios(ctx, cfg, log.With("sub", "radio"))
	if err != nil {
		return nil, err
	}
	n, err := node.New(ctx, cfg, node.Deps{Logger: log, Radios: radios, Restart: restart})
	if err != nil {
		if radios != nil {
			_ = radios.Close()
		}
		return nil, err
	}
	fmt.Printf("meshd: agent %s at %s\n", n.AgentID(), n.URL())
	return &daemon{n: n, radios: radios}, nil
}

// close stops the node, then its radios.
func (d *daemon) close() error {
	err := d.n.Close()
	if d.radios != nil {
		err = errors.Join(err, d.radios.Close())
	}
	return err
}
