package steer

import "math"

// expected estimates the throughput (Mb/s) client c would get at BSS b
// with uplink signal dbm: the PHY rate of the best MCS the signal allows
// for the standard, width and streams both ends share, times the airtime
// share b can give it. The share is the idle airtime (1 − Load, at least
// MinShare) divided among b's other active clients and this one. At its
// own BSS (current) the client's own airtime counts as idle and it is
// not one of the others, so the estimate does not favour a move just
// because the client itself keeps its BSS busy. When b's node has a
// wireless backhaul the estimate is at most the client's share of it
// (backhaulShare).
func (r *round) expected(c *Client, b *view, dbm float64, current bool) float64 {
	return min(r.access(c, b, dbm, current), r.backhaulShare(c, b))
}

// access is expected without the backhaul limit: what the link and
// b's airtime give.
func (r *round) access(c *Client, b *view, dbm float64, current bool) float64 {
	std := effectiveStandard(c.Caps.Standard, b.Standard, b.Band)
	width := b.WidthMHz
	if c.Caps.MaxWidthMHz > 0 {
		width = min(width, c.Caps.MaxWidthMHz)
	}
	apStreams := b.Streams
	if apStreams == 0 {
		apStreams = 2
	}
	streams := min(max(c.Caps.Streams, 1), apStreams)
	rate := PHYRate(std, width, streams, dbm)

	load, others := b.Load, b.Active
	if current {
		load -= c.Airtime
		if c.Airtime > 0 {
			others--
		}
	}
	idle := min(max(1-load, r.cfg.MinShare), 1)
	return rate * idle / float64(max(others, 0)+1)
}

// backhaulShare is the part of the backhaul of b's node that client c
// would get there: BackhaulMbps divided among the active clients of all
// the node's BSSs and c, counted once (an active client of the node,
// Airtime above 0, is already one of them). It is +Inf when the node
// has no backhaul limit.
func (r *round) backhaulShare(c *Client, b *view) float64 {
	n := r.nodes[b.node()]
	if n.backhaul <= 0 {
		return math.Inf(1)
	}
	others := n.active
	if own := r.bsss[c.BSSID]; own != nil && own.node() == b.node() && c.Airtime > 0 {
		others--
	}
	return n.backhaul / float64(max(others, 0)+1)
}

// effectiveStandard is the newest PHY a client and a BSS share on a band:
// unknown counts as HT, VHT does not exist at 2.4 GHz (HT there), and
// 6 GHz is HE only.
func effectiveStandard(client, bss Standard, band Band) Standard {
	if client == UnknownStandard {
		client = HT
	}
	if bss == UnknownStandard {
		bss = HT
	}
	s := min(client, bss)
	switch {
	case band == Band6:
		return HE
	case band == Band24 && s == VHT:
		return HT
	}
	return s
}
