package node

import (
	"time"

	"github.com/uspmesh/uspmesh/radio/bind"
)

// Radio backends a Config may name; cmd/meshd opens the one chosen.
var radioBackends = []string{"none", "sim", "linux"}

// newBinding returns the Wi-Fi binding whose hooks the schema takes; the
// fence admits the switch command's terms.
func (n *Node) newBinding() *bind.Binding {
	c := bind.DefaultConfig()
	if n.cfg.Profile == "fast" {
		// The fast profile plans every few seconds: the survey's smoothed
		// figures follow on the same scale (a few refreshes per time
		// constant), as the defaults do for plans every two minutes.
		c.StationRefresh, c.SurveySmoothing = 2*time.Second, 5*time.Second
	}
	c.Fence = n.fence
	c.Logger = n.log.With("sub", "wifi")
	return bind.New(c)
}
