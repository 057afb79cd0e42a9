//go:build linux

package main

import (
	"context"
	"fmt"
	"os/exec"
)

// SetLoss drops pct percent of the frames the home's bridges forward
// (every link between nodes and to the harness), at random, with an
// nftables bridge filter in the bridge namespace; 0 removes it. It needs
// nft (Debian package nftables).
func (h *Home) SetLoss(pct int) error {
	if pct < 0 || pct > 100 {
		return fmt.Errorf("vhome: loss %d%%: want 0..100", pct)
	}
	ns := h.net.bridgeNS()
	run := func(args ...string) error {
		out, err := exec.CommandContext(context.Background(), "ip", append([]string{"netns", "exec", ns, "nft"}, args...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("vhome: nft %v: %w: %s", args, err, out)
		}
		return nil
	}
	_ = run("delete", "table", "bridge", "vhome_loss") // absent the first time
	if pct == 0 {
		return nil
	}
	if err := run("add", "table", "bridge", "vhome_loss"); err != nil {
		return err
	}
	if err := run("add", "chain", "bridge", "vhome_loss", "drops", "{ type filter hook forward priority 0; }"); err != nil {
		return err
	}
	return run("add", "rule", "bridge", "vhome_loss", "drops", "numgen", "random", "mod", "100", "<", fmt.Sprint(pct), "drop")
}
