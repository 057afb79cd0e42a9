package election

import "slices"

// Seeds returns the addresses SetSeeds last gave, which the rejoin loop
// joins whenever they are not alive members.
func (c *Cluster) Seeds() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seeds)
}
