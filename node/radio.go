package node

import "github.com/uspmesh/uspmesh/radio/bind"

// Radio backends a Config may name; cmd/meshd opens the one chosen.
var radioBackends = []string{"none", "sim", "linux"}

// newBinding returns the Wi-Fi binding whose hooks the schema takes; the
// fence admits the switch command's terms.
func (n *Node) newBinding() *bind.Binding {
	c := bind.DefaultConfig()
	c.Fence = n.fence
	c.Logger = n.log.With("sub", "wifi")
	return bind.New(c)
}
