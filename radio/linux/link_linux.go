package linux

import (
	"context"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

func linkState(ifindex int) (link, error) {
	l, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return link{}, fmt.Errorf("rtnetlink: link %d: %w", ifindex, err)
	}
	a := l.Attrs()
	return link{
		AdminUp: a.Flags&net.FlagUp != 0,
		OperUp:  a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown,
	}, nil
}

// LinkStats reads the AP interface's counters through rtnetlink.
func (r *Radio) LinkStats(ctx context.Context) (LinkStats, error) {
	l, err := netlink.LinkByIndex(r.ifindex)
	if err != nil {
		return LinkStats{}, r.opErr("link-stats", fmt.Errorf("rtnetlink: link %d: %w", r.ifindex, err))
	}
	s := l.Attrs().Statistics
	if s == nil {
		return LinkStats{}, nil
	}
	return LinkStats{
		RxBytes: s.RxBytes, TxBytes: s.TxBytes, RxPackets: s.RxPackets, TxPackets: s.TxPackets,
		RxErrors: s.RxErrors, TxErrors: s.TxErrors, RxDropped: s.RxDropped, TxDropped: s.TxDropped,
	}, nil
}
