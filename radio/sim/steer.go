package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// ErrNoStation is wrapped in the *radio.OpError of a steering request for
// a station not associated to the radio.
var ErrNoStation = errors.New("station not associated")

var _ radio.Steerer = (*Radio)(nil)

// station returns the association of mac to this radio.
func (r *Radio) association(mac net.HardwareAddr) (association, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	se, ok := r.stations[normMAC(mac.String())]
	return se.a, ok
}

// RequestTransition asks an associated client to move. The client
// answers as its Steering says: no answer (no 802.11v, or "ignore"), a
// reject (status 1), or, complying, an accept naming the first candidate
// by preference it can use (status 0; it moves there at once), or a
// reject with status 7 when it can use none. Answers arrive as
// EventTransitionResponse. A request with DisassocImminent that did not
// move the client disassociates it after DisassocTimer beacon intervals
// (CSAInterval each); it then associates anew.
func (r *Radio) RequestTransition(ctx context.Context, req radio.TransitionRequest) error {
	if err := ctx.Err(); err != nil {
		return r.opErr("transition", err)
	}
	if err := req.Validate(); err != nil {
		return r.opErr("transition", fmt.Errorf("%w: %w", radio.ErrUnsupported, err))
	}
	if r.b.closed() {
		return r.opErr("transition", radio.ErrDown)
	}
	a, ok := r.association(req.Station)
	if !ok {
		return r.opErr("transition", fmt.Errorf("%s: %w", req.Station, ErrNoStation))
	}
	r.mu.Lock()
	r.btmSent++
	count := r.btmSent
	token := req.DialogToken
	if token == 0 {
		token = (count-1)%255 + 1
	}
	r.mu.Unlock()
	c := a.client
	mac := normMAC(c.MAC)
	now := r.b.cfg.Clock.Now()
	tr := radio.Transition{DialogToken: token, Status: radio.BTMRejectUnspecified}
	switch c.BTM {
	case BTMNone, BTMIgnore:
		r.b.log.Debug("transition request unanswered", "radio", r.info.Name, "client", mac, "btm", c.BTM)
		return nil
	case BTMComply:
		p := c.BTMCompliance
		if p == 0 {
			p = 1
		}
		if unit(r.b.home.Seed, "btm", mac, r.b.cfg.Node, r.info.Name, strconv.Itoa(count)) >= p {
			break
		}
		w := r.b.view.snapshot()
		nodes := slices.Concat(w.nodes, []NodeState{r.b.states()})
		target, ok := r.b.home.chooseCandidate(c, nodes, readRoam(r.b.air.Dir(), mac), req.Candidates, now)
		if !ok {
			tr.Status = radio.BTMRejectNoCandidates
			break
		}
		if err := updateRoam(r.b.air.Dir(), mac, now, func(s *RoamState) { s.Node, s.Radio = target.node, target.radio }); err != nil {
			return r.opErr("transition", err)
		}
		tr.Status = radio.BTMAccept
		tr.Target, _ = parseMAC(target.bssid)
	}
	hw, _ := parseMAC(mac)
	r.hub.publish(radio.Event{Kind: radio.EventTransitionResponse, Radio: r.info.Name, Time: now, Station: hw, Transition: &tr})
	if tr.Accepted() {
		r.b.refresh(now)
		return nil
	}
	if req.DisassocImminent {
		r.disassocLater(mac, max(req.DisassocTimer, 1))
	}
	return nil
}

// disassocLater disassociates the client after beacons beacon intervals
// unless it has left by then, as hostapd does after a BSS transition
// request with disassociation imminent: the client then associates anew
// (to the strongest radio it may use, perhaps this one again).
func (r *Radio) disassocLater(mac string, beacons int) {
	d := time.Duration(beacons) * r.b.cfg.CSAInterval
	r.b.spawn(func() {
		if !r.b.sleep(d) {
			return
		}
		if _, ok := r.association(mustMAC(mac)); !ok {
			return
		}
		now := r.b.cfg.Clock.Now()
		node, name := r.b.cfg.Node, r.info.Name
		err := updateRoam(r.b.air.Dir(), mac, now, func(s *RoamState) {
			if s.Node == node && s.Radio == name {
				s.Node, s.Radio = "", ""
			}
		})
		if err != nil {
			r.b.log.Warn("disassociation not recorded", "client", mac, "err", err)
			return
		}
		r.b.log.Debug("disassociated after a transition request", "radio", name, "client", mac)
		r.b.refresh(now)
	})
}

func mustMAC(s string) net.HardwareAddr {
	m, _ := parseMAC(s)
	return m
}

// chooseCandidate is the candidate a complying client moves to: by
// preference (list order among equals), the first it can use.
func (h *Home) chooseCandidate(c Client, nodes []NodeState, rs RoamState, cands []radio.Candidate, now time.Time) (candidate, bool) {
	usable := h.usable(c, c.posAt(now), nodes, rs, now)
	order := slices.Clone(cands)
	slices.SortStableFunc(order, func(a, b radio.Candidate) int { return b.Preference - a.Preference })
	for _, want := range order {
		for _, u := range usable {
			if m, err := parseMAC(u.bssid); err == nil && bytes.Equal(m, want.BSSID) {
				return u, true
			}
		}
	}
	return candidate{}, false
}

// refresh re-associates the clients now and publishes the radios, so a
// client that moved leaves this radio at once.
func (b *Backend) refresh(now time.Time) {
	b.updateStations(b.view.snapshot(), now, true)
	b.publishLogged()
}

// RequestBeaconReport asks a client for a beacon report; clients without
// 802.11k support make it fail with radio.ErrUnsupported. The report
// arrives as one EventBeaconReport per mesh BSS the client hears on the
// requested operating class and channel, with the model's level.
func (r *Radio) RequestBeaconReport(ctx context.Context, req radio.BeaconReportRequest) error {
	if err := ctx.Err(); err != nil {
		return r.opErr("beacon-report", err)
	}
	a, ok := r.association(req.Station)
	if !ok {
		return r.opErr("beacon-report", fmt.Errorf("%s: %w", req.Station, ErrNoStation))
	}
	if !a.client.BeaconReport {
		return r.opErr("beacon-report", fmt.Errorf("%s has no beacon report capability: %w", req.Station, radio.ErrUnsupported))
	}
	hw, _ := parseMAC(a.client.MAC)
	now := r.b.cfg.Clock.Now()
	w := r.b.view.snapshot()
	nodes := slices.Concat(w.nodes, []NodeState{r.b.states()})
	c := a.client
	r.mu.Lock()
	r.btmSent++
	token := (r.btmSent-1)%255 + 1
	r.mu.Unlock()
	// The client reports every mesh BSS of the requested channel (every
	// channel of the class when 0) it hears, refusals or not.
	for _, u := range r.b.home.usable(c, c.posAt(now), nodes, RoamState{}, now) {
		ch := r.b.home.channelOf(nodes, u)
		oc := radio.OpClass(u.band, ch)
		if (req.OpClass != 0 && oc != req.OpClass) || (req.Channel != 0 && ch != req.Channel) {
			continue
		}
		bssid, _ := parseMAC(u.bssid)
		if req.BSSID != nil && !bytes.Equal(req.BSSID, bssid) {
			continue
		}
		r.hub.publish(radio.Event{Kind: radio.EventBeaconReport, Radio: r.info.Name, Time: now, Station: hw,
			Beacon: &radio.BeaconReport{DialogToken: token, OpClass: oc, Channel: ch, BSSID: bssid, RCPIDBm: math.Round(u.rssi*2) / 2}})
	}
	return nil
}

// channelOf is the channel the candidate's radio operates on.
func (h *Home) channelOf(nodes []NodeState, u candidate) int {
	for _, ns := range nodes {
		if ns.Node != u.node {
			continue
		}
		for _, rs := range ns.Radios {
			if rs.Name == u.radio {
				return rs.Channel
			}
		}
	}
	return 0
}

// Deny refuses the client's association to this radio until the given
// time; an associated client leaves at once for the strongest radio it
// may use, and comes back on its own only when its roaming says so.
func (r *Radio) Deny(ctx context.Context, mac net.HardwareAddr, until time.Time) error {
	node, name := r.b.cfg.Node, r.info.Name
	return r.changeRoam(ctx, "deny", mac, func(s *RoamState) {
		s.Denied = slices.DeleteFunc(s.Denied, func(d Denial) bool { return d.Node == node && d.Radio == name })
		s.Denied = append(s.Denied, Denial{Node: node, Radio: name, Until: until.UTC()})
		if s.Node == node && s.Radio == name {
			s.Node, s.Radio = "", ""
		}
	})
}

// Allow lifts a refusal made by Deny.
func (r *Radio) Allow(ctx context.Context, mac net.HardwareAddr) error {
	node, name := r.b.cfg.Node, r.info.Name
	return r.changeRoam(ctx, "allow", mac, func(s *RoamState) {
		s.Denied = slices.DeleteFunc(s.Denied, func(d Denial) bool { return d.Node == node && d.Radio == name })
	})
}

// changeRoam applies change to the roaming state of the client mac, for
// operation op, and refreshes the world.
func (r *Radio) changeRoam(ctx context.Context, op string, mac net.HardwareAddr, change func(*RoamState)) error {
	if err := ctx.Err(); err != nil {
		return r.opErr(op, err)
	}
	if len(mac) != 6 {
		return r.opErr(op, fmt.Errorf("%q is not a MAC address: %w", mac, radio.ErrUnsupported))
	}
	now := r.b.cfg.Clock.Now()
	if err := updateRoam(r.b.air.Dir(), mac.String(), now, change); err != nil {
		return r.opErr(op, err)
	}
	r.b.refresh(now)
	return nil
}
