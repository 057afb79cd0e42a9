package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// Scene is a generated world: a Building, mesh APs at Points (each with
// a 2.4 GHz and a 5 GHz radio), and foreign networks around them. Its
// Problem is what the mesh would measure there: the RSSI of every pair
// of radios and of every foreign network a radio hears, each drawn as
// transmit power minus PathLoss plus a shadowing term per pair (kept in
// Shadow and Foreign[].Shadow once Problem has run) and a small term per
// direction. Build it with NewScene, AddAP and AddForeign, then call
// Problem; all draw from the Scene's random source in that order.
type Scene struct {
	Building Building
	// EU selects the European channel lists (2.4 GHz 1-13; 5 GHz without
	// 149-165) instead of the US ones.
	EU bool
	// APs are the mesh APs' positions. AP k owns Radios[2k] (2.4 GHz) and
	// Radios[2k+1] (5 GHz).
	APs []Point
	// Radios are the mesh radios, in the order of Problem().Radios.
	Radios []wifiopt.Radio
	// RadioAt is the position of each radio of Radios.
	RadioAt []Point
	// Foreign are the neighbours' networks.
	Foreign []Foreign
	// Shadow[i][j] is the shadowing in dB (added to the received power)
	// between Radios i and j of the same band, equal both ways; set by
	// Problem.
	Shadow [][]float64
	// Microwave is the busy share of a non-Wi-Fi source on 2.4 GHz
	// channels 8-11 every radio sees, 0 when there is none; set by
	// Problem.
	Microwave float64

	rng     *rand.Rand
	problem *wifiopt.Problem
}

// Foreign is a neighbour's access point with a 2.4 GHz and a 5 GHz
// network.
type Foreign struct {
	At Point
	// ExtraDB is the attenuation between it and the Building beyond
	// PathLoss (an outer wall), for every mesh radio.
	ExtraDB float64
	// On24 and On5 are its channels; Load24 and Load5 the airtime shares
	// (0..1) its networks use.
	On24, On5     wifiopt.Assignment
	Load24, Load5 float64
	// TxPower24 and TxPower5 are its transmit powers in dBm.
	TxPower24, TxPower5 float64
	// Shadow[i] is the shadowing in dB between it and mesh radio i; set
	// by Problem.
	Shadow []float64
}

// NewScene starts a world in building b drawing from rng; it draws the
// regulatory domain first.
func NewScene(rng *rand.Rand, b Building) *Scene {
	return &Scene{rng: rng, Building: b, EU: rng.IntN(2) == 0}
}

// Channels24 lists the 2.4 GHz channels of the Scene's domain.
func (s *Scene) Channels24() []wifiopt.Channel {
	n := 11
	if s.EU {
		n = 13
	}
	out := make([]wifiopt.Channel, n)
	for i := range out {
		out[i] = wifiopt.Channel{Number: i + 1}
	}
	return out
}

// Channels5 lists the 5 GHz channels of the Scene's domain, the DFS ones
// only when dfs is set.
func (s *Scene) Channels5(dfs bool) []wifiopt.Channel {
	var out []wifiopt.Channel
	add := func(lo, hi, step int, isDFS bool) {
		for c := lo; c <= hi; c += step {
			if dfs || !isDFS {
				out = append(out, wifiopt.Channel{Number: c, DFS: isDFS})
			}
		}
	}
	add(36, 48, 4, false)
	add(52, 64, 4, true)
	if s.EU {
		add(100, 140, 4, true)
	} else {
		add(100, 144, 4, true)
		add(149, 165, 4, false)
	}
	return out
}

// AddAP adds a mesh AP at at with random loads and channels; about 40 %
// of APs after the first get a wireless backhaul to the nearest earlier
// AP.
func (s *Scene) AddAP(at Point) {
	n := len(s.APs)
	s.APs = append(s.APs, at)
	node := fmt.Sprintf("ap%02d", n)
	r24 := wifiopt.Radio{ID: node + "-2g", Node: node, Band: wifiopt.Band2G4, Channels: s.Channels24(),
		Widths: []int{20}, Current: wifiopt.Assignment{Channel: []int{1, 6, 11}[s.rng.IntN(3)], Width: 20},
		Load: 0.05 + 0.5*s.rng.Float64(), TxPowerDBm: 20}
	r5 := wifiopt.Radio{ID: node + "-5g", Node: node, Band: wifiopt.Band5G, Channels: s.Channels5(s.rng.Float64() < 0.7),
		Widths: []int{20, 40, 80}, Load: 0.05 + 0.5*s.rng.Float64(), TxPowerDBm: 23}
	r5.Current = wifiopt.Assignment{Channel: []int{36, 44}[s.rng.IntN(2)], Width: 80}
	if n > 0 && s.rng.Float64() < 0.4 {
		// Wireless backhaul to the nearest AP placed before this one.
		up := 0
		for k := range n {
			if s.Building.Distance(at, s.APs[k]) < s.Building.Distance(at, s.APs[up]) {
				up = k
			}
		}
		r5.BackhaulOf = fmt.Sprintf("ap%02d-5g", up)
		r5.Current = s.Radios[2*up+1].Current
	}
	s.Radios = append(s.Radios, r24, r5)
	s.RadioAt = append(s.RadioAt, at, at)
}

// AddForeign adds a neighbour's AP at at, extraDB beyond PathLoss from
// every mesh radio, with random channels and loads.
func (s *Scene) AddForeign(at Point, extraDB float64) {
	f := Foreign{At: at, ExtraDB: extraDB, Load24: 0.05 + 0.45*s.rng.Float64(), Load5: 0.05 + 0.45*s.rng.Float64(),
		TxPower24: 20, TxPower5: 23}
	if s.rng.Float64() < 0.8 {
		f.On24 = wifiopt.Assignment{Channel: []int{1, 6, 11}[s.rng.IntN(3)], Width: 20}
	} else {
		f.On24 = wifiopt.Assignment{Channel: 1 + s.rng.IntN(11), Width: 20}
	}
	five := []wifiopt.Assignment{chw(36, 80), chw(44, 80), chw(149, 80), chw(157, 80), chw(36, 40), chw(52, 20), chw(100, 80), chw(112, 80)}
	if s.EU {
		five = []wifiopt.Assignment{chw(36, 80), chw(44, 80), chw(48, 20), chw(36, 40), chw(52, 80), chw(100, 80), chw(116, 80), chw(132, 40)}
	}
	f.On5 = five[s.rng.IntN(len(five))]
	s.Foreign = append(s.Foreign, f)
}

// heardDBm is the RSSI at b of a transmitter at a: power minus path loss,
// with a shadowing term per pair and a small one per direction.
func (s *Scene) heardDBm(tx float64, a, b Point, fMHz, shadow float64) float64 {
	return tx - s.Building.PathLoss(a, b, fMHz) + shadow + s.rng.NormFloat64()
}

// Problem is what the mesh measures in the Scene. The first call draws
// the measurements and the shadowing; later calls return the same
// Problem (which shares Radios with the Scene). Add nothing after it.
func (s *Scene) Problem() *wifiopt.Problem {
	if s.problem != nil {
		return s.problem
	}
	p := &wifiopt.Problem{Radios: s.Radios, SwitchCost: 0.001, DFSCost: 0.004}
	s.Shadow = make([][]float64, len(s.Radios))
	for i := range s.Shadow {
		s.Shadow[i] = make([]float64, len(s.Radios))
	}
	for i := range s.Radios {
		for j := i + 1; j < len(s.Radios); j++ {
			ri, rj := &s.Radios[i], &s.Radios[j]
			if ri.Band != rj.Band {
				continue
			}
			sh := 4 * s.rng.NormFloat64()
			s.Shadow[i][j], s.Shadow[j][i] = sh, sh
			f := BandMHz(ri.Band)
			for _, l := range []wifiopt.Link{
				{From: rj.ID, To: ri.ID, RSSI: s.heardDBm(rj.TxPowerDBm, s.RadioAt[j], s.RadioAt[i], f, sh)},
				{From: ri.ID, To: rj.ID, RSSI: s.heardDBm(ri.TxPowerDBm, s.RadioAt[i], s.RadioAt[j], f, sh)},
			} {
				if l.RSSI >= -95 {
					l.RSSI = math.Round(l.RSSI)
					p.RSSI = append(p.RSSI, l)
				}
			}
		}
	}
	for k := range s.Foreign {
		f := &s.Foreign[k]
		f.Shadow = make([]float64, len(s.Radios))
		for i, r := range s.Radios {
			a, load, tx := f.On24, f.Load24, f.TxPower24
			if r.Band == wifiopt.Band5G {
				a, load, tx = f.On5, f.Load5, f.TxPower5
			}
			f.Shadow[i] = 4 * s.rng.NormFloat64()
			rssi := s.heardDBm(tx-f.ExtraDB, f.At, s.RadioAt[i], BandMHz(r.Band), f.Shadow[i])
			if rssi >= -92 {
				p.Foreign = append(p.Foreign, wifiopt.ForeignBSS{Radio: r.ID, Channel: a.Channel, Width: a.Width,
					RSSI: math.Round(rssi), Load: math.Round(load*100) / 100})
			}
		}
	}
	if s.rng.Float64() < 0.3 {
		// A microwave oven or other non-Wi-Fi source high in 2.4 GHz.
		frac := 0.05 + 0.15*s.rng.Float64()
		s.Microwave = frac
		for _, r := range s.Radios {
			if r.Band == wifiopt.Band2G4 {
				for c := 8; c <= 11; c++ {
					p.Busy = append(p.Busy, wifiopt.Busy{Radio: r.ID, Channel: c, Fraction: frac})
				}
			}
		}
	}
	s.problem = p
	return p
}
