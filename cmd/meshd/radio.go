package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uspmesh/uspmesh/node"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/linux"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// openRadios opens the radio backend cfg names: none (nil, the default),
// sim (a simulated RF world shared by the nodes of a virtual home) or
// linux (nl80211 and hostapd). The caller closes it after the node.
func openRadios(ctx context.Context, cfg node.Config, log *slog.Logger) (radio.Backend, error) {
	switch cfg.Radio {
	case "", "none":
		return nil, nil
	case "sim":
		sc := sim.DefaultConfig()
		sc.HomePath, sc.Node, sc.AirDir, sc.Logger = cfg.SimHome, cfg.SimNode, cfg.SimAir, log
		if cfg.SimCAC > 0 {
			sc.CACTime = time.Duration(cfg.SimCAC)
		}
		b, err := sim.Open(ctx, sc)
		if err != nil {
			return nil, &node.ConfigError{Field: "sim_home", Value: cfg.SimHome, Reason: err.Error()}
		}
		return b, nil
	case "linux":
		b, err := linux.Open(ctx, linux.Config{Interfaces: cfg.RadioInterfaces, HostapdCtrlDir: cfg.HostapdCtrlDir, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("radio: %w", err)
		}
		return b, nil
	}
	return nil, &node.ConfigError{Field: "radio", Value: cfg.Radio, Reason: "want none, sim or linux"}
}
