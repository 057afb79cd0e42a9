//go:build !linux

package linux

import (
	"context"

	"github.com/uspmesh/uspmesh/radio"
)

func linkState(ifindex int) (link, error) {
	return link{}, radio.ErrUnsupported
}

// LinkStats reads the AP interface's counters; only on Linux.
func (r *Radio) LinkStats(ctx context.Context) (LinkStats, error) {
	return LinkStats{}, r.opErr("link-stats", radio.ErrUnsupported)
}
