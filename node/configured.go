package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/uspmesh/uspmesh/datamodel"
)

// configuredFile remembers which Controllers the configuration
// provisioned, so that one removed from it loses its access at the next
// start.
const configuredFile = "controllers.json"

// configuredState is configuredFile's content.
type configuredState struct {
	Controllers []string `json:"controllers"`
}

// unprovisionRemoved deletes the Controller rows (with their
// subscriptions) of Controllers the configuration provisioned at an
// earlier start but no longer names, then records the Controllers it
// names now. A Controller added over USP is never touched. A corrupt
// file is set aside, as the earlier list cannot be trusted.
func (n *Node) unprovisionRemoved(ctx context.Context) error {
	name := filepath.Join(n.cfg.StateDir, configuredFile)
	var prev configuredState
	b, err := os.ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("state_dir: %w", err)
	default:
		if err := json.Unmarshal(b, &prev); err != nil {
			n.log.Warn("corrupt state file set aside; Controllers removed from the config before now keep their rows",
				"file", name, "err", err)
			_ = os.Rename(name, name+".corrupt")
			prev = configuredState{}
		}
	}
	now := configuredState{Controllers: []string{}}
	for _, c := range n.cfg.Controllers {
		now.Controllers = append(now.Controllers, c.EndpointID)
	}
	for _, id := range prev.Controllers {
		if slices.Contains(now.Controllers, id) {
			continue
		}
		if _, err := n.dropSubscriptions(ctx, id); err != nil {
			return fmt.Errorf("unprovision %s: %w", id, err)
		}
		if err := deleteKeyed(ctx, n.model, "Device.LocalAgent.Controller.", "EndpointID", id); err != nil {
			return fmt.Errorf("unprovision %s: %w", id, err)
		}
		n.log.Info("Controller removed from the configuration: its row, role and subscriptions are gone", "controller", id)
	}
	if slices.Equal(prev.Controllers, now.Controllers) {
		return nil
	}
	doc, _ := json.MarshalIndent(now, "", " ")
	if err := datamodel.WriteFileAtomic(name, doc, 0o600); err != nil {
		return fmt.Errorf("state_dir: %w", err)
	}
	return nil
}
