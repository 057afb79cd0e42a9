package node

import (
	"path/filepath"
	"time"

	"github.com/uspmesh/uspmesh/radio/bind"
)

// ownerFile keeps what Controllers fixed on the radios (a pinned
// channel, a fixed power) across restarts; the binding restores it.
const ownerFile = "radio-owner.json"

// Radio backends a Config may name; cmd/meshd opens the one chosen.
var radioBackends = []string{"none", "sim", "linux"}

// newBinding returns the Wi-Fi binding whose hooks the schema takes; the
// fence admits the switch command's terms.
func (n *Node) newBinding() *bind.Binding {
	c := bind.DefaultConfig()
	if n.cfg.Profile == "fast" {
		// The fast profile (virtual homes, tests) plans every few
		// seconds, right after the channels it switched: the survey's
		// figures must follow within one refresh, or the medium before a
		// switch would haunt the plans after it. The simulated medium
		// needs no smoothing.
		c.StationRefresh, c.SurveySmoothing = 2*time.Second, 250*time.Millisecond
	}
	c.Fence = n.fence
	c.OwnerFile = filepath.Join(n.cfg.StateDir, ownerFile)
	c.Logger = n.log.With("sub", "wifi")
	return bind.New(c)
}
