package leader_test

import (
	"github.com/uspmesh/uspmesh/leader"
	"github.com/uspmesh/uspmesh/usp"
)

// The node's mesh Controller is what reaches the Agents.
var _ leader.Agents = (*usp.Client)(nil)
