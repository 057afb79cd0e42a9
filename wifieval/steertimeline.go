package wifieval

import (
	"fmt"
	"time"

	"github.com/uspmesh/uspmesh/steer"
	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// SteerPolicy is a way to steer the walking clients of a home.
type SteerPolicy string

// The policies the steering evaluation compares.
const (
	// NoSteering: clients roam only on their own, when their AP's signal
	// falls below their roam trigger (Walker.RoamDBm).
	NoSteering SteerPolicy = "none"
	// ThresholdSteering is a per-AP RSSI threshold, the usteer-style
	// setup: each AP on its own, every round, looks at its clients'
	// uplink signals; one below WalkConfig.ThresholdDBm is sent a BSS
	// transition request to the strongest other AP of its band that
	// hears it better (from the probe and beacon report signals the APs
	// share, as usteer's nodes do), or, without 802.11v, disassociated
	// and refused for steer's DenyFor (30 s, usteer's sta_block_timeout
	// default). A client is tried again after ThresholdRetry at the
	// earliest. -75 dBm is an SNR of about 20 dB over a -95 dBm noise
	// floor, the level at which such setups usually trigger (usteer's
	// roam_trigger_snr and min_snr are SNR thresholds of that kind; 20 dB
	// still gives 802.11n/ac MCS 4-5 at 20 MHz). There is no band
	// steering, no load and no hourly limit: those are what the mesh
	// policy adds.
	ThresholdSteering SteerPolicy = "threshold"
	// MeshSteering is steer.Decide (steer.DefaultConfig), fed each round
	// with what the leader measures: every BSS's band, channel, width,
	// load and clients, each client's uplink signal at its AP and the
	// signals other APs measured (beacon reports of 11k clients each
	// round, probe requests of the others), capabilities, airtime and
	// association time, and the BTM responses of the last round.
	MeshSteering SteerPolicy = "mesh"
)

// SteerPolicies lists every SteerPolicy in report order.
var SteerPolicies = []SteerPolicy{NoSteering, ThresholdSteering, MeshSteering}

// AssocMinDBm is the weakest downlink signal at which a client
// associates (radio/sim's AssocMinDBm).
const AssocMinDBm = -88

// Timeline is one policy's walk: the associations and outages the judge
// needs per slice, and the steering counts.
type Timeline struct {
	Policy SteerPolicy
	// Slices are the judged slices, in time order.
	Slices []Slice
	// Roams and Attempts count, per client, its association changes
	// (any cause) and the steering actions sent to it (BSS transition
	// requests and refusals).
	Roams, Attempts []int
	// Outage is, per client, the time it spent roaming (WalkConfig's
	// outages, cut at the walk's end).
	Outage []time.Duration
	// Hours is the walk's duration in hours (client-hours per client).
	Hours float64
	// Actions are the steering actions sent, in time order.
	Actions []WalkAction
}

// WalkAction is one steering action of a walk.
type WalkAction struct {
	At       time.Duration
	Client   int // index in Home.Clients
	From, To int // radio indexes in Problem.Radios
	steer.Action
	// Accepted: the client moved (a BSS transition accepted, or a
	// refused client that found another AP).
	Accepted bool
}

// Slice is one judged part of the walk.
type Slice struct {
	// At and Radio are, per client, its place and the index of the
	// radio (Problem.Radios) it is associated with in the slice's middle.
	At    []gen.Point
	Radio []int
	// Mid is the slice's middle, from the walk's start.
	Mid time.Duration
}

// walkState is one client during the walk.
type walkState struct {
	radio    int
	assocAt  time.Duration
	nextScan time.Duration
	denied   map[int]time.Duration // radio → refused until
	lastTry  time.Duration
	tried    bool
	outages  []span
}

type span struct{ at, dur time.Duration }

// walk runs one policy over the walkers and returns its timeline.
func (h *Home) walk(p Plan, ws []Walker, pol SteerPolicy, cfg WalkConfig) (*Timeline, error) {
	n := len(ws)
	tl := &Timeline{Policy: pol, Roams: make([]int, n), Attempts: make([]int, n), Hours: cfg.Duration.Hours()}
	st := make([]walkState, n)
	for k := range ws {
		st[k] = walkState{radio: h.join(ws[k], k, ws[k].Path.At(0), nil, 0), denied: map[int]time.Duration{}}
	}
	var mem steer.Memory
	var responses []steer.Response
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	move := func(k, to int, t, outage time.Duration) {
		if to == st[k].radio || to < 0 {
			return
		}
		st[k].radio, st[k].assocAt = to, t
		st[k].outages = append(st[k].outages, span{t, outage})
		tl.Roams[k]++
	}
	nextSlice := cfg.Slice / 2
	for t := time.Duration(0); t < cfg.Duration; t += cfg.Step {
		// The clients' own roaming.
		for k, w := range ws {
			at := w.Path.At(t)
			if t < st[k].nextScan || h.downlink(w, st[k].radio, at) >= w.RoamDBm {
				continue
			}
			st[k].nextScan = t + cfg.RescanAfter
			if to := h.join(w, k, at, st[k].denied, t); to >= 0 && h.downlink(w, to, at) > h.downlink(w, st[k].radio, at)+3 {
				move(k, to, t, cfg.OutageSelf)
			}
		}
		if t%cfg.Round == 0 && pol != NoSteering {
			var acts []steer.Action
			switch pol {
			case ThresholdSteering:
				acts = h.thresholdRound(ws, st, t, cfg)
			case MeshSteering:
				in := h.meshInput(p, ws, st, t, cfg)
				in.Now, in.Responses = epoch.Add(t), responses
				res, err := steer.Decide(steer.Config{}, in, mem)
				if err != nil {
					return nil, fmt.Errorf("wifieval: steer round at %v: %w", t, err)
				}
				if len(res.Problems) > 0 {
					return nil, fmt.Errorf("wifieval: steer round at %v: input problem: %w", t, res.Problems[0])
				}
				mem, acts = res.Memory, res.Actions
			default:
				return nil, fmt.Errorf("wifieval: unknown steering policy %q", pol)
			}
			responses = nil
			for _, a := range acts {
				k, from, to := clientIndex(a.Client), radioIndexOf(a.From), radioIndexOf(a.To)
				if k < 0 || k >= n || from != st[k].radio {
					return nil, fmt.Errorf("wifieval: steer action %+v for an unknown client or BSS", a)
				}
				tl.Attempts[k]++
				st[k].lastTry, st[k].tried = t, true
				wa := WalkAction{At: t, Client: k, From: from, To: to, Action: a}
				if a.Method == steer.Transition {
					if wa.Accepted = h.draw("btm", k, t) < cfg.BTMCompliance; wa.Accepted {
						responses = append(responses, steer.Response{MAC: a.Client, Status: 0})
						move(k, to, t+cfg.Step, cfg.OutageBTM)
					} else {
						responses = append(responses, steer.Response{MAC: a.Client, Status: 1})
					}
					tl.Actions = append(tl.Actions, wa)
					continue
				}
				// Refused on from: the client finds another AP itself.
				st[k].denied[from] = t + steer.DefaultConfig().DenyFor
				at := ws[k].Path.At(t)
				j := h.join(ws[k], k, at, st[k].denied, t)
				wa.Accepted = j >= 0
				tl.Actions = append(tl.Actions, wa)
				if j >= 0 {
					move(k, j, t+cfg.Step, cfg.OutageKick)
				} else {
					st[k].outages = append(st[k].outages, span{t, steer.DefaultConfig().DenyFor})
				}
			}
		}
		if t+cfg.Step > nextSlice {
			tl.Slices = append(tl.Slices, h.snapshot(ws, st, nextSlice))
			nextSlice += cfg.Slice
		}
	}
	tl.fillOutages(st, cfg)
	return tl, nil
}

// snapshot is the slice whose middle is t.
func (h *Home) snapshot(ws []Walker, st []walkState, t time.Duration) Slice {
	sl := Slice{At: make([]gen.Point, len(ws)), Radio: make([]int, len(ws)), Mid: t}
	for k, w := range ws {
		sl.At[k], sl.Radio[k] = w.Path.At(t), st[k].radio
	}
	return sl
}

// fillOutages totals every client's outages within the walk.
func (tl *Timeline) fillOutages(st []walkState, cfg WalkConfig) {
	tl.Outage = make([]time.Duration, len(st))
	for k := range st {
		for _, o := range st[k].outages {
			tl.Outage[k] += max(0, min(cfg.Duration, o.at+o.dur)-o.at)
		}
	}
}

// bandOK reports whether walker w can use radio i.
func (h *Home) bandOK(w Walker, i int) bool {
	return w.DualBand || h.Scene.Radios[i].Band == wifiopt.Band2G4
}

// downlink is the signal at which w at at hears radio i.
func (h *Home) downlink(w Walker, i int, at gen.Point) float64 {
	return h.Scene.Radios[i].TxPowerDBm - h.lossTo(w.ID, at, i)
}

// uplink is the signal at which radio i hears w at at.
func (h *Home) uplink(w Walker, i int, at gen.Point) float64 {
	return StationTxPowerDBm - h.lossTo(w.ID, at, i)
}

// join is the radio a client at at picks when it (re)associates by
// itself: the strongest 5 GHz radio when it is dual-band and hears one at
// ClientRSSIMin5 or better, else the strongest 2.4 GHz radio, else the
// strongest of any usable band; radios refusing it at t and those heard
// below AssocMinDBm are left out (all of them only when none is left).
// It returns -1 when every radio refuses it.
func (h *Home) join(w Walker, k int, at gen.Point, denied map[int]time.Duration, t time.Duration) int {
	best := func(band wifiopt.Band, floor float64) int {
		pick, lvl := -1, floor
		for i, r := range h.Scene.Radios {
			if r.Band != band || !h.bandOK(w, i) || t < denied[i] {
				continue
			}
			if d := h.downlink(w, i, at); d >= lvl {
				pick, lvl = i, d
			}
		}
		return pick
	}
	if w.DualBand {
		if i := best(wifiopt.Band5G, ClientRSSIMin5); i >= 0 {
			return i
		}
	}
	if i := best(wifiopt.Band2G4, AssocMinDBm); i >= 0 {
		return i
	}
	if i := best(wifiopt.Band5G, AssocMinDBm); i >= 0 && w.DualBand {
		return i
	}
	if i := best(wifiopt.Band2G4, -1000); i >= 0 {
		return i
	}
	return best(wifiopt.Band5G, -1000)
}

func bssid(i int) string     { return fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256) }
func clientMAC(k int) string { return fmt.Sprintf("02:00:00:01:%02x:%02x", k/256, k%256) }

func radioIndexOf(b string) int {
	var x, y int
	if _, err := fmt.Sscanf(b, "02:00:00:00:%02x:%02x", &x, &y); err != nil {
		return -1
	}
	return 256*x + y
}

func clientIndex(mac string) int {
	var x, y int
	if _, err := fmt.Sscanf(mac, "02:00:00:01:%02x:%02x", &x, &y); err != nil {
		return -1
	}
	return 256*x + y
}
