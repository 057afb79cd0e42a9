package leader

import (
	"cmp"
	"slices"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// A radio whose station interface is the node's wireless backhaul
// (Radio.{i}.X_USPMESH_UplinkBSSID names the mesh AP it is associated
// to) shares that AP's channel: it follows the AP's switches and refuses
// to leave on its own. The plan keeps the two on one channel and width
// (wifiopt.Radio.BackhaulOf), and apply switches the AP before the radio
// that follows it, whose own switch is then a no-op or lands where the
// station already is.

// backhauls sets p's BackhaulOf links from the radios' uplinks. byBSSID
// maps the mesh's BSSIDs to their radios' IDs, index those IDs to their
// place in p.Radios (and radios). A radio whose uplink is no
// measured mesh radio keeps its channel and its power (its Input's
// BackhaulOf is then the uplink's BSSID). A link is left out when the uplink is on another
// band, or when the two radios share no allowed channel and width (a
// Controller pinned one of them elsewhere): planning them together
// would fail every round.
func backhauls(p *wifiopt.Problem, radios []*measuredRadio, byBSSID map[string]string, index map[string]int, inputs []Input) {
	for i, r := range radios {
		if r.uplink == "" {
			continue
		}
		up, ok := byBSSID[r.uplink]
		j, known := index[up]
		if !ok || !known {
			// The uplink is no radio the leader measured (its node is
			// down, unreachable, or not in the mesh): the radio follows
			// an AP the plan cannot move, so the plan keeps it where it
			// is. Moving it would only be refused, round after round.
			keep(&p.Radios[i])
			// Its power is the station's too: a cut would weaken the
			// backhaul (linked radios keep full power in the planner).
			p.Radios[i].PowerFixed = true
			inputs[i].BackhaulOf = r.uplink
			continue
		}
		if up == r.id() || p.Radios[j].Band != p.Radios[i].Band {
			continue
		}
		pair := &wifiopt.Problem{Radios: []wifiopt.Radio{p.Radios[j], p.Radios[i]}}
		pair.Radios[0].BackhaulOf, pair.Radios[1].BackhaulOf = "", up
		if wifiopt.Validate(pair) != nil {
			continue
		}
		p.Radios[i].BackhaulOf = up
		inputs[i].BackhaulOf = up
	}
	// Uplinks that loop (each radio's station on the next one's AP)
	// describe no tree; the loop is broken at its first radio, whose
	// link is dropped.
	for i := range p.Radios {
		at := i
		for range p.Radios {
			up := p.Radios[at].BackhaulOf
			if up == "" {
				break
			}
			at = index[up]
			if at == i {
				p.Radios[i].BackhaulOf, inputs[i].BackhaulOf = "", ""
				break
			}
		}
	}
}

// keep restricts r to its current channel and width.
func keep(r *wifiopt.Radio) {
	block := currentBlock(r.Band, r.Current)
	var chans []wifiopt.Channel
	for _, c := range r.Channels {
		if slices.Contains(block, c.Number) {
			chans = append(chans, c)
		}
	}
	r.Channels, r.Widths = chans, nil
}

// backhaulDepth is how many wireless hops radio r is from a radio that
// follows nobody: 0 for an uplink AP, 1 for the radio that follows it,
// and so on. byID maps planner IDs to radios.
func backhaulDepth(r *measuredRadio, byID map[string]*measuredRadio, byBSSID map[string]string) int {
	d := 0
	for at := r; at.uplink != "" && d < len(byID); d++ {
		next, ok := byID[byBSSID[at.uplink]]
		if !ok || next == at {
			break
		}
		at = next
	}
	return d
}

// applyOrder is the order apply switches radios in: uplink APs before
// the radios that follow them (by backhaul depth), then the other nodes'
// radios before the leader's own, so that the leader keeps its path to
// every node until the end.
func applyOrder(radios []*measuredRadio, self func(*measuredRadio) bool) []*measuredRadio {
	byID := map[string]*measuredRadio{}
	byBSSID := map[string]string{}
	for _, r := range radios {
		byID[r.id()] = r
		for _, b := range r.bssids {
			byBSSID[b] = r.id()
		}
	}
	depth := map[*measuredRadio]int{}
	for _, r := range radios {
		depth[r] = backhaulDepth(r, byID, byBSSID)
	}
	order := slices.Clone(radios)
	slices.SortStableFunc(order, func(a, b *measuredRadio) int {
		return cmp.Or(cmp.Compare(depth[a], depth[b]), boolCmp(self(a), self(b)))
	})
	return order
}
