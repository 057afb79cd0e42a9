package sim

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/uspmesh/uspmesh/radio"
)

// A radio with RadioSpec.Uplink carries the node's wireless backhaul: a
// station interface on the same radio, associated to another node's mesh
// radio. As on a real single-channel radio, the AP interface shares the
// station's channel: the radio follows its uplink's channel switches
// (the station obeys the AP's channel-switch announcement and the AP
// interface goes with it), and refuses a switch of its own to any other
// channel (radio.ErrUplink). The station is associated while the uplink
// radio is in the air, enabled and heard above MCS 0.

// uplinkRef is the radio a RadioSpec.Uplink names.
type uplinkRef struct {
	node, radio string
}

// parseUplink splits "node/radio"; ok is false for an empty reference.
func parseUplink(s string) (uplinkRef, bool, error) {
	if s == "" {
		return uplinkRef{}, false, nil
	}
	node, name, found := strings.Cut(s, "/")
	if !found || node == "" || name == "" || strings.Contains(name, "/") {
		return uplinkRef{}, false, fmt.Errorf("%q is not node/radio", s)
	}
	return uplinkRef{node: node, radio: name}, true, nil
}

// validateUplinks checks every RadioSpec.Uplink of the home: it names a
// radio of another node on the same band whose initial channel and width
// are the radio's own, and following uplinks never comes back to where
// it started.
func (h *Home) validateUplinks() error {
	type key struct{ node, radio string }
	specs := map[key]RadioSpec{}
	for _, ap := range h.APs {
		for j, rs := range ap.Radios {
			specs[key{ap.Node, rs.name(j)}] = rs
		}
	}
	for i, ap := range h.APs {
		for j, rs := range ap.Radios {
			f := fmt.Sprintf("aps[%d].radios[%d].uplink", i, j)
			ref, ok, err := parseUplink(rs.Uplink)
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if !ok {
				continue
			}
			up, found := specs[key{ref.node, ref.radio}]
			switch {
			case !found:
				return fmt.Errorf("%s: no radio %q on node %q", f, ref.radio, ref.node)
			case ref.node == ap.Node:
				return fmt.Errorf("%s: %q is on the same node", f, rs.Uplink)
			case up.Band != rs.Band:
				return fmt.Errorf("%s: %q is on %s, this radio on %s", f, rs.Uplink, up.Band, rs.Band)
			case up.Channel != rs.Channel || up.Width != rs.Width:
				return fmt.Errorf("%s: %q starts on channel %d/%d MHz, this radio on %d/%d MHz: a station shares its AP's channel",
					f, rs.Uplink, up.Channel, up.Width, rs.Channel, rs.Width)
			}
			// Follow the chain; a loop would have every radio wait for
			// another.
			at := up
			for range len(specs) {
				next, ok, _ := parseUplink(at.Uplink)
				if !ok {
					break
				}
				if next.node == ap.Node && next.radio == rs.name(j) {
					return fmt.Errorf("%s: uplinks loop back to this radio", f)
				}
				at = specs[key{next.node, next.radio}]
			}
		}
	}
	return nil
}

// uplinkState is what the radio last saw of its uplink radio in the air.
type uplinkState struct {
	seen bool
	rs   RadioState
	dbm  float64
}

// observeUplink updates the radio's view of its uplink radio from w and
// follows it to its channel when it moved. It reports whether the radio
// changed channel.
func (r *Radio) observeUplink(w world) bool {
	if !r.hasUplink {
		return false
	}
	var st uplinkState
	for _, ns := range w.nodes {
		if ns.Node != r.uplink.node {
			continue
		}
		i := slices.IndexFunc(ns.Radios, func(rs RadioState) bool { return rs.Name == r.uplink.radio })
		ap, ok := r.b.home.AP(ns.Node)
		if i < 0 || !ok {
			break
		}
		rs := ns.Radios[i]
		dbm := r.b.home.rssi(rs.Band, rs.TxPowerDBm, ap.Pos, ns.Node, r.b.ap.Pos, r.b.cfg.Node)
		st = uplinkState{seen: rs.Enabled && rateKbps(dbm-NoiseFloorDBm, 20) > 0, rs: rs, dbm: dbm}
	}
	r.mu.Lock()
	r.up1 = st
	follow := st.seen && st.rs.Up && (st.rs.Channel != r.channel || st.rs.Width != r.width)
	r.mu.Unlock()
	if !follow {
		return false
	}
	return r.followUplink(st.rs.Channel, st.rs.Width)
}

// followUplink moves the radio to its uplink's new channel, as the
// station does on the AP's channel-switch announcement.
func (r *Radio) followUplink(ch, width int) bool {
	r.mu.Lock()
	if r.sw != nil {
		r.mu.Unlock()
		return false
	}
	if _, ok := block(r.spec.Band, r.spec.Channels, r.spec.Widths, ch, width); !ok {
		r.mu.Unlock()
		r.b.log.Warn("uplink moved to a channel this radio cannot use; station link lost",
			"radio", r.info.Name, "uplink", r.spec.Uplink, "channel", ch, "width", width)
		return false
	}
	from := r.channel
	r.channel, r.width, r.up = ch, width, r.enabled
	r.mu.Unlock()
	r.b.log.Info("followed the uplink's channel switch", "radio", r.info.Name, "uplink", r.spec.Uplink,
		"from", from, "channel", ch, "width", width)
	r.announce(nil, nil, radio.EventChannelSwitched)
	return true
}

// uplinkLocked is State.Uplink; the caller holds r.mu.
func (r *Radio) uplinkLocked() *radio.Uplink {
	if !r.hasUplink || !r.up1.seen {
		return nil
	}
	mac, _ := net.ParseMAC(r.up1.rs.BSSID)
	rate := rateKbps(r.up1.dbm-NoiseFloorDBm, r.up1.rs.Width)
	return &radio.Uplink{Interface: r.info.Interface + "-sta", BSSID: mac, SignalDBm: r.up1.dbm,
		TxRateKbps: rate, RxRateKbps: rate}
}

// uplinkRefusesLocked says why a switch to ch/width must fail: the radio
// carries a station associated to an AP on another channel. The caller
// holds r.mu.
func (r *Radio) uplinkRefusesLocked(ch, width int) error {
	if !r.hasUplink || !r.up1.seen || (r.up1.rs.Channel == ch && r.up1.rs.Width == width) {
		return nil
	}
	return fmt.Errorf("uplink %s is on channel %d/%d MHz: %w", r.spec.Uplink, r.up1.rs.Channel, r.up1.rs.Width, radio.ErrUplink)
}
