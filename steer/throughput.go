package steer

import "math"

// floorMbps is the slowest rate a client competing for airtime is
// assumed to use: 802.11a/g's 6 Mb/s, below which no OFDM client goes.
// A client whose signal the table cannot place (below MCS 0) is counted
// at it, so that it weighs heavily but finitely on its BSS.
const floorMbps = 6

// contention is what a BSS's listed active clients ask of its airtime:
// the sum of their inverse PHY rates (s/Mb), their number, and the
// airtime they used (the sum of their Client.Airtime).
type contention struct {
	inv     float64
	n       int
	airtime float64
}

// indexContention sums, per BSS, the inverse rates of the listed active
// clients (Airtime above 0) at their current signals, and their airtime.
func (r *round) indexContention(cs []Client) {
	r.load = make(map[string]contention, len(r.bsss))
	for i := range cs {
		c := &cs[i]
		if c.Airtime <= 0 {
			continue
		}
		k := r.load[c.BSSID]
		k.inv += 1 / max(r.rate(c, r.bsss[c.BSSID], c.Signal.DBm), floorMbps)
		k.n++
		k.airtime += c.Airtime
		r.load[c.BSSID] = k
	}
}

// others is the contention on b from its active clients other than c:
// the listed ones (c left out when b is its current BSS and it is
// active, for it is then one of them) and, when b reports more active
// clients than are listed, the rest at the listed clients' mean inverse
// rate, or at inv when none is listed (the client's own, so that they
// count as its equals).
func (r *round) others(c *Client, b *view, inv float64, current bool) contention {
	k, active := r.load[b.id], b.Active
	if current && c.Airtime > 0 {
		k.inv -= 1 / max(r.rate(c, b, c.Signal.DBm), floorMbps)
		k.n--
		active--
	}
	if extra := active - k.n; extra > 0 {
		mean := inv
		if k.n > 0 {
			mean = k.inv / float64(k.n)
		}
		k.inv += float64(extra) * mean
		k.n += extra
	}
	if k.n <= 0 {
		return contention{}
	}
	return k
}

// rate is the PHY rate client c gets at b with signal dbm: the fastest
// MCS for the standard, width and streams both ends share.
func (r *round) rate(c *Client, b *view, dbm float64) float64 {
	std := effectiveStandard(c.Caps.Standard, b.Standard, b.Band)
	width := b.WidthMHz
	if c.Caps.MaxWidthMHz > 0 {
		width = min(width, c.Caps.MaxWidthMHz)
	}
	apStreams := b.Streams
	if apStreams == 0 {
		apStreams = 2
	}
	return PHYRate(std, width, min(max(c.Caps.Streams, 1), apStreams), dbm)
}

// idle is the airtime b's clients share: what other transmitters (other
// BSSs, foreign networks) leave of the channel, that is 1 − Load plus
// the airtime b's listed active clients used, between MinShare and 1.
// At a client's current BSS its own airtime is part of it, so a busy
// client does not chase idle BSSs because of its own traffic.
func (r *round) idle(b *view) float64 {
	return min(max(1-b.Load+r.load[b.id].airtime, r.cfg.MinShare), 1)
}

// expected estimates the throughput (Mb/s) client c would get at BSS b
// with signal dbm (see access), at most its share of b's node's
// wireless backhaul (backhaulShare).
func (r *round) expected(c *Client, b *view, dbm float64, current bool) float64 {
	return min(r.access(c, b, dbm, current), r.backhaulShare(c, b))
}

// access is expected without the backhaul limit. 802.11's channel access
// gives every backlogged station of a BSS about the same number of
// frames, so each gets the same throughput: the idle airtime divided by
// the time all of them take to send one bit each, Σ 1/rate over b's
// other active clients and this one. A slow client therefore costs its
// BSS's other clients far more than a fast one (the 802.11 performance
// anomaly). It is 0 when the signal is below MCS 0.
func (r *round) access(c *Client, b *view, dbm float64, current bool) float64 {
	rate := r.rate(c, b, dbm)
	if rate <= 0 {
		return 0
	}
	k := r.others(c, b, 1/rate, current)
	return r.idle(b) / (k.inv + 1/rate)
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

// leaving is what client c's leaving its current BSS does, the same
// whatever the target: its expected throughput there, and what the
// BSS's other active clients gain from the airtime it frees.
type leaving struct {
	cur float64
	// logRelief is the log of the factor on the product of the other
	// clients' throughputs, and freed their gain together (Mb/s).
	logRelief, freed float64
}

// leave computes leaving for c at cur with signal sc. An idle client
// (Airtime 0) weighs on no BSS and frees nothing.
func (r *round) leave(c *Client, cur *view, sc float64) leaving {
	l := leaving{cur: r.expected(c, cur, sc, true)}
	if c.Airtime <= 0 {
		return l
	}
	inv := 1 / max(r.rate(c, cur, sc), floorMbps)
	if k := r.others(c, cur, inv, true); k.inv > 0 {
		idle := r.idle(cur)
		before, after := idle/(k.inv+inv), idle/k.inv
		l.logRelief = float64(k.n) * math.Log(after/before)
		l.freed = float64(k.n) * (after - before)
	}
	return l
}

// move is what a move of client c from its BSS to t does to the clients
// it touches, under access's equal-throughput model.
type move struct {
	// cur and exp are c's expected throughput at its BSS and at t.
	cur, exp float64
	// gain is the move's factor on the product of the throughputs of c,
	// its BSS's other active clients and t's (a proportionally fair
	// utility): c's own exp/cur when it shares airtime with nobody, and
	// below 1 when what it gains is less than what t's clients lose.
	gain float64
	// freed is what its BSS's other clients gain together (Mb/s).
	freed float64
}

// assess computes the move of c, leaving its BSS as l, to t with signal
// st. An idle client (Airtime 0) weighs on no BSS, so only its own
// throughput counts. The others' throughputs ignore backhaul limits.
func (r *round) assess(c *Client, l leaving, t *view, st float64) move {
	m := move{cur: l.cur, exp: r.expected(c, t, st, false)}
	if m.exp <= 0 {
		return move{cur: m.cur}
	}
	logGain := math.Inf(1)
	if m.cur > 0 {
		logGain = math.Log(m.exp / m.cur)
	}
	if c.Airtime > 0 {
		// cur's other clients get c's share of airtime back; t's give
		// it a share of theirs.
		logGain += l.logRelief
		m.freed = l.freed
		inv := 1 / max(r.rate(c, t, st), floorMbps)
		if k := r.others(c, t, inv, false); k.inv > 0 {
			idle := r.idle(t)
			before, after := idle/k.inv, idle/(k.inv+inv)
			logGain += float64(k.n) * math.Log(after/before)
		}
	}
	m.gain = math.Exp(logGain)
	return m
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
