package node

import (
	"context"
	"fmt"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/bind"
	"github.com/uspmesh/uspmesh/radio/linux"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// Radio backends a Config may name.
var radioBackends = []string{"none", "sim", "linux"}

// openRadios opens the configured radio backend; "none" (the default)
// has no radios.
func (n *Node) openRadios(ctx context.Context) (radio.Backend, []radio.Radio, error) {
	cfg := n.cfg
	log := n.log.With("sub", "radio")
	var b radio.Backend
	switch cfg.Radio {
	case "", "none":
		return nil, nil, nil
	case "sim":
		sc := sim.DefaultConfig()
		sc.HomePath, sc.Node, sc.AirDir, sc.Logger = cfg.SimHome, cfg.SimNode, cfg.SimAir, log
		if cfg.SimCAC > 0 {
			sc.CACTime = time.Duration(cfg.SimCAC)
		}
		sb, err := sim.Open(ctx, sc)
		if err != nil {
			return nil, nil, &ConfigError{"sim_home", cfg.SimHome, err.Error()}
		}
		b = sb
	case "linux":
		lb, err := linux.Open(ctx, linux.Config{Interfaces: cfg.RadioInterfaces, HostapdCtrlDir: cfg.HostapdCtrlDir, Logger: log})
		if err != nil {
			return nil, nil, fmt.Errorf("radio: %w", err)
		}
		b = lb
	default:
		return nil, nil, &ConfigError{"radio", cfg.Radio, "want none, sim or linux"}
	}
	radios, err := b.Radios(ctx)
	if err != nil {
		_ = b.Close()
		return nil, nil, fmt.Errorf("radio: %w", err)
	}
	return b, radios, nil
}

// newBinding returns the Wi-Fi binding whose hooks the schema takes; the
// fence admits the switch command's terms.
func (n *Node) newBinding() *bind.Binding {
	c := bind.DefaultConfig()
	c.Fence = n.fence
	c.Logger = n.log.With("sub", "wifi")
	return bind.New(c)
}
