package wifieval

import (
	"time"

	"github.com/uspmesh/uspmesh/steer"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// seenBy is one other radio's measurement of a client.
type seenBy struct {
	radio int
	dbm   float64
	age   time.Duration
}

// ownSignal is client k's signal at its AP at t (with the round's
// noise): the uplink signal the AP measures, or with reports (for an
// 11k client, as the leader does) the downlink level its beacon report
// gives for its own BSS.
func (h *Home) ownSignal(w Walker, k int, st walkState, t time.Duration, cfg WalkConfig, reports bool) float64 {
	at := w.Path.At(t)
	lvl := h.uplink(w, st.radio, at)
	if reports && w.BTM {
		lvl = h.downlink(w, st.radio, at)
	}
	return lvl + h.noise(cfg.NoiseDB, "sig", k, st.radio, t)
}

// observations are the signals the mesh has of client k at other radios
// at t: an 11k client reports every BSS of its bands it hears, fresh each
// round (downlink levels when reports is set, as the leader uses them;
// else the uplink the AP hears its probes at); the others are heard by
// the radios of their bands when they probe (every ProbeEvery), and the
// measurement ages until the next probe.
func (h *Home) observations(w Walker, k int, st walkState, t time.Duration, cfg WalkConfig, reports bool) []seenBy {
	at, when := w.Path.At(t), t
	if !w.BTM {
		if t < w.probePhase {
			return nil
		}
		when = w.probePhase + (t-w.probePhase)/cfg.ProbeEvery*cfg.ProbeEvery
		at = w.Path.At(when)
	}
	var out []seenBy
	for i := range h.Scene.Radios {
		if i == st.radio || !h.bandOK(w, i) {
			continue
		}
		heard := h.uplink(w, i, at)
		if w.BTM {
			heard = h.downlink(w, i, at) // what the beacon report can list
		}
		if heard < AssocMinDBm {
			continue
		}
		lvl := h.uplink(w, i, at)
		if reports && w.BTM {
			lvl = h.downlink(w, i, at)
		}
		out = append(out, seenBy{radio: i, dbm: lvl + h.noise(cfg.NoiseDB, "sig", k, i, when), age: t - when})
	}
	return out
}

// thresholdRound is one round of ThresholdSteering: every AP acts on its
// own clients below the threshold.
func (h *Home) thresholdRound(ws []Walker, st []walkState, t time.Duration, cfg WalkConfig) []steer.Action {
	var acts []steer.Action
	maxAge := steer.DefaultConfig().MaxAge
	for k, w := range ws {
		sig := h.ownSignal(w, k, st[k], t, cfg, false)
		if sig >= cfg.ThresholdDBm || (st[k].tried && t-st[k].lastTry < cfg.ThresholdRetry) {
			continue
		}
		band := h.Scene.Radios[st[k].radio].Band
		best, lvl := -1, sig
		for _, o := range h.observations(w, k, st[k], t, cfg, false) {
			if o.age <= maxAge && h.Scene.Radios[o.radio].Band == band && o.dbm > lvl {
				best, lvl = o.radio, o.dbm
			}
		}
		if best < 0 {
			continue
		}
		a := steer.Action{Client: clientMAC(k), From: bssid(st[k].radio), To: bssid(best), Method: steer.Transition,
			Candidates: []string{bssid(best)}}
		if !w.BTM {
			a.Method, a.DenyFor = steer.Deny, steer.DefaultConfig().DenyFor
		}
		acts = append(acts, a)
	}
	return acts
}

// meshInput is what the leader gives steer.Decide at t: every mesh
// radio as a BSS (channel and width from plan p; its Load and its
// clients' airtime as the leader measures them in the judged world,
// where every client is full-buffer (saturated); its clients, all
// active; its node's wireless backhaul, backhaulMbps), and every client
// with its signal, observations, capabilities and airtime share. As
// leader/steer.go does, an 11k client's signals are its beacon report's
// (downlink) levels, its own BSS's included; the others' are uplink.
func (h *Home) meshInput(p Plan, ws []Walker, st []walkState, t time.Duration, cfg WalkConfig) steer.Input {
	s := h.Scene
	count := make([]int, len(s.Radios))
	for k := range st {
		count[st[k].radio]++
	}
	var in steer.Input
	backhaul := h.backhaulMbps(p)
	load, own := h.saturated(p, count)
	for i, r := range s.Radios {
		b := steer.BSS{BSSID: bssid(i), Node: r.Node, Radio: r.ID, Band: steer.Band24, Standard: steer.HT, Streams: 2,
			Channel: p.Assign[r.ID].Channel, WidthMHz: max(p.Assign[r.ID].Width, 20), Load: load[i],
			Clients: count[i], Active: count[i], BackhaulMbps: backhaul[r.Node]}
		if r.Band != wifiopt.Band2G4 {
			b.Band, b.Standard = steer.Band5, steer.VHT
		}
		in.BSSs = append(in.BSSs, b)
	}
	for k, w := range ws {
		c := steer.Client{MAC: clientMAC(k), BSSID: bssid(st[k].radio),
			Caps:         steer.Capabilities{BTM: w.BTM, Bands: steer.Bands(steer.Band24), Standard: steer.HT, Streams: 2},
			Signal:       steer.Signal{DBm: h.ownSignal(w, k, st[k], t, cfg, true)},
			ConnectedFor: max(t-st[k].assocAt, time.Second)}
		if w.DualBand {
			c.Caps.Bands, c.Caps.Standard = steer.Bands(steer.Band24, steer.Band5), steer.VHT
		}
		c.Airtime = own[st[k].radio] / float64(max(count[st[k].radio], 1))
		for _, o := range h.observations(w, k, st[k], t, cfg, true) {
			c.Seen = append(c.Seen, steer.Observation{BSSID: bssid(o.radio), Signal: steer.Signal{DBm: o.dbm, Age: o.age}})
		}
		in.Clients = append(in.Clients, c)
	}
	return in
}

// backhaulMbps is, per node with a wireless backhaul the judge
// simulates (Scenario: a link at BackhaulMinDBm or better), what the
// leader would take that backhaul to carry: the PHY rate of the link
// (VHT, two streams, the uplink radio's width in plan p, at the signal
// the satellite hears its uplink at) times the uplink channel's idle
// airtime (1 − its radio's Load), as steer estimates a client's share.
// Nodes without one are absent (no limit).
func (h *Home) backhaulMbps(p Plan) map[string]float64 {
	s := h.Scene
	out := map[string]float64{}
	for i, r := range s.Radios {
		up := h.radioIndex(r.BackhaulOf)
		if r.BackhaulOf == "" || up < 0 {
			continue
		}
		u := s.Radios[up]
		ap := h.meshAP(p, up)
		sta := Node{Name: r.ID + "-bh", Band: r.Band, At: s.RadioAt[i], meshRadio: i, foreign: -1}
		dbm := ap.TxPowerDBm - h.loss(ap, sta)
		if dbm < BackhaulMinDBm {
			continue // the judge takes it as wired
		}
		rate := steer.PHYRate(steer.VHT, max(p.Assign[u.ID].Width, 20), 2, dbm)
		out[r.Node] = rate * min(max(1-u.Load, 0.02), 1)
	}
	return out
}

// saturated is what the leader measures in a slice of the walk, where
// the judge offers every client more than its radio can carry: per mesh
// radio, the channel's busy share (load, all transmitters) and the share
// its own clients take (own). A radio with clients contends with every
// other mesh radio with clients whose channel overlaps its own and that
// it hears above carrier sense (deferProb at least one half), and with
// such foreign networks, which take their Load; the contending mesh
// radios split what the foreign networks leave evenly (802.11 gives
// each transmitter the same chance). A radio without clients is busy
// with what its contenders take. Hidden transmitters, partial overlaps
// and what a radio's contenders' other contenders take are not modelled.
func (h *Home) saturated(p Plan, count []int) (load, own []float64) {
	s := h.Scene
	n := len(s.Radios)
	nodes := make([]Node, n)
	for i := range n {
		nodes[i] = h.meshAP(p, i)
	}
	hears := func(i int, f Node) bool {
		ov, err := wifiopt.Overlap(nodes[i].Band, nodes[i].On, f.On)
		return err == nil && ov > 0 && deferProb(f.TxPowerDBm-h.loss(f, nodes[i]), max(f.On.Width, 20)) >= 0.5
	}
	foreign := make([]float64, n)
	contenders := make([][]int, n)
	for i := range n {
		for k := range s.Foreign {
			fn, fl := h.foreignAP(k, nodes[i].Band)
			if fl > 0 && hears(i, fn) {
				foreign[i] += fl
			}
		}
		foreign[i] = min(foreign[i], 0.9)
		for j := range n {
			if j != i && count[j] > 0 && nodes[j].Band == nodes[i].Band && hears(i, nodes[j]) {
				contenders[i] = append(contenders[i], j)
			}
		}
	}
	own, load = make([]float64, n), make([]float64, n)
	for i := range n {
		if count[i] > 0 {
			own[i] = (1 - foreign[i]) / float64(len(contenders[i])+1)
		}
	}
	for i := range n {
		load[i] = foreign[i] + own[i]
		for _, j := range contenders[i] {
			load[i] += own[j]
		}
		load[i] = min(load[i], 1)
	}
	return load, own
}
