package wifieval

import (
	"math"

	"github.com/uspmesh/uspmesh/steer"
)

// WalkDetail is one policy's walk in detail, for studies of why a
// policy did what it did: every judged slice with each client's radio,
// signal and delivered throughput, and every steering action sent.
type WalkDetail struct {
	Clients []WalkerDetail `json:"clients"`
	Slices  []SliceDetail  `json:"slices"`
	Actions []ActionDetail `json:"actions"`
}

// WalkerDetail is what a client is (Home.Clients order).
type WalkerDetail struct {
	ID       string  `json:"id"`
	DualBand bool    `json:"dual_band"`
	BTM      bool    `json:"btm"`
	RoamDBm  float64 `json:"roam_dbm"`
	Mbps     float64 `json:"mbps"` // PolicyResult.Throughput
}

// SliceDetail is one judged slice (its middle).
type SliceDetail struct {
	Slice   int            `json:"slice"`
	AtS     float64        `json:"at_s"`
	Clients []ClientDetail `json:"clients"`
}

// ClientDetail is one client in one slice: the radio (Problem.Radios ID)
// it is associated with, the signal it hears that radio at, the
// strongest radio it could use and its signal, and what the judge
// delivered to it.
type ClientDetail struct {
	Radio     string  `json:"radio"`
	SignalDBm float64 `json:"signal_dbm"`
	Best      string  `json:"best"`
	BestDBm   float64 `json:"best_dbm"`
	Mbps      float64 `json:"mbps"`
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	Floor     int     `json:"floor,omitempty"`
}

// ActionDetail is one steering action of the walk.
type ActionDetail struct {
	AtS          float64 `json:"at_s"`
	Client       string  `json:"client"`
	From         string  `json:"from"`
	To           string  `json:"to"`
	Method       string  `json:"method"`
	Reason       string  `json:"reason,omitempty"`
	Accepted     bool    `json:"accepted"`
	CurrentMbps  float64 `json:"current_mbps"`
	ExpectedMbps float64 `json:"expected_mbps"`
}

// detail builds tl's WalkDetail over the judged slices kept.
func (h *Home) detail(ws []Walker, tl *Timeline, pr *PolicyResult, kept []int,
	delivered func(slice int, radio []int) []float64) *WalkDetail {
	d := &WalkDetail{}
	for k, w := range ws {
		d.Clients = append(d.Clients, WalkerDetail{ID: w.ID, DualBand: w.DualBand, BTM: w.BTM, RoamDBm: w.RoamDBm, Mbps: pr.Throughput[k]})
	}
	id := func(i int) string { return h.Scene.Radios[i].ID }
	for _, i := range kept {
		sl := tl.Slices[i]
		got := delivered(i, sl.Radio)
		sd := SliceDetail{Slice: i, AtS: sl.Mid.Seconds()}
		for k, w := range ws {
			at, r := sl.At[k], sl.Radio[k]
			best, bestDBm := -1, math.Inf(-1)
			for j := range h.Scene.Radios {
				if s := h.downlink(w, j, at); h.bandOK(w, j) && s > bestDBm {
					best, bestDBm = j, s
				}
			}
			cd := ClientDetail{Radio: id(r), SignalDBm: round1(h.downlink(w, r, at)), Mbps: round1(got[k]),
				X: round1(at.X), Y: round1(at.Y), Floor: at.Floor}
			if best >= 0 {
				cd.Best, cd.BestDBm = id(best), round1(bestDBm)
			}
			sd.Clients = append(sd.Clients, cd)
		}
		d.Slices = append(d.Slices, sd)
	}
	for _, a := range tl.Actions {
		d.Actions = append(d.Actions, ActionDetail{AtS: a.At.Seconds(), Client: ws[a.Client].ID, From: id(a.From), To: id(a.To),
			Method: a.Method.String(), Reason: reasonName(a.Reason), Accepted: a.Accepted,
			CurrentMbps: round1(a.CurrentMbps), ExpectedMbps: round1(a.ExpectedMbps)})
	}
	return d
}

// reasonName names an action's reason; "" for the threshold policy's,
// which have none.
func reasonName(r steer.Reason) string {
	if r == 0 {
		return ""
	}
	return r.String()
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
