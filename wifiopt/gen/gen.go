// Package gen makes seeded planning problems for tests and benchmarks:
// houses with a few mesh APs and apartment blocks with many, each AP with
// a 2.4 GHz and a 5 GHz radio, neighbours' networks around them, loads,
// and wireless backhaul on some APs.
//
// Geometry enters as positions in metres on floors; a log-distance path
// loss with wall and floor attenuation turns it into the RSSI every radio
// measures of the others and of the foreign networks. Equal seeds give
// equal problems.
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// Building describes the space the APs are in.
type Building struct {
	WidthM, DepthM float64 // footprint
	Floors         int
	FloorHeightM   float64
	// RoomM is the spacing of interior walls in both directions.
	RoomM float64
	// WallDB and FloorDB are the attenuations per wall and floor crossed,
	// at 2.4 GHz; 5 GHz losses are 1.5 times higher.
	WallDB, FloorDB float64
}

type point struct {
	x, y  float64
	floor int
}

// pathLoss is the loss in dB between a and b at frequency f MHz:
// free-space loss at 1 m, log-distance exponent 3 beyond, plus walls and
// floors crossed.
func (b Building) pathLoss(a, c point, fMHz float64) float64 {
	dz := float64(a.floor-c.floor) * b.FloorHeightM
	d := math.Max(1, math.Sqrt((a.x-c.x)*(a.x-c.x)+(a.y-c.y)*(a.y-c.y)+dz*dz))
	pl0 := 20*math.Log10(fMHz) - 27.55
	walls := math.Abs(math.Floor(a.x/b.RoomM)-math.Floor(c.x/b.RoomM)) +
		math.Abs(math.Floor(a.y/b.RoomM)-math.Floor(c.y/b.RoomM))
	floors := math.Abs(float64(a.floor - c.floor))
	k := 1.0
	if fMHz > 4000 {
		k = 1.5
	}
	return pl0 + 30*math.Log10(d) + k*(walls*b.WallDB+floors*b.FloorDB)
}

// Home is a house of 1-3 floors with aps mesh APs and 4-16 neighbours'
// networks outside it.
func Home(seed uint64, aps int) *wifiopt.Problem {
	rng := rand.New(rand.NewPCG(seed, 0x40e))
	b := Building{WidthM: 10 + 10*rng.Float64(), DepthM: 8 + 6*rng.Float64(), Floors: 1 + rng.IntN(3),
		FloorHeightM: 3, RoomM: 4, WallDB: 4, FloorDB: 13}
	w := newWorld(rng, b)
	for range aps {
		w.addAP(point{rng.Float64() * b.WidthM, rng.Float64() * b.DepthM, rng.IntN(b.Floors)})
	}
	for range 4 + rng.IntN(13) {
		// Neighbours' houses: 8-30 m beyond a random side, behind an outer wall.
		ang := rng.Float64() * 2 * math.Pi
		r := 8 + 22*rng.Float64()
		w.addForeign(point{b.WidthM/2 + r*math.Cos(ang), b.DepthM/2 + r*math.Sin(ang), rng.IntN(2)}, 8)
	}
	return w.problem()
}

// Block is an apartment block managed as one mesh of aps APs (one or two
// per flat), with the other flats' own networks as foreign BSSes.
func Block(seed uint64, aps int) *wifiopt.Problem {
	rng := rand.New(rand.NewPCG(seed, 0xb10c))
	floors := max(2, int(math.Ceil(float64(aps)/12)))
	b := Building{WidthM: 60, DepthM: 20, Floors: floors, FloorHeightM: 3, RoomM: 5, WallDB: 5, FloorDB: 15}
	w := newWorld(rng, b)
	for range aps {
		w.addAP(point{rng.Float64() * b.WidthM, rng.Float64() * b.DepthM, rng.IntN(floors)})
	}
	for range aps / 2 {
		w.addForeign(point{rng.Float64() * b.WidthM, rng.Float64() * b.DepthM, rng.IntN(floors)}, 0)
	}
	return w.problem()
}

type world struct {
	rng     *rand.Rand
	b       Building
	eu      bool
	aps     []point
	radios  []wifiopt.Radio
	pos     []point
	foreign []foreignAP
}

type foreignAP struct {
	at          point
	extraDB     float64
	ch24, ch5   wifiopt.Assignment
	load24, ld5 float64
}

func newWorld(rng *rand.Rand, b Building) *world {
	return &world{rng: rng, b: b, eu: rng.IntN(2) == 0}
}

func (w *world) channels24() []wifiopt.Channel {
	n := 11
	if w.eu {
		n = 13
	}
	out := make([]wifiopt.Channel, n)
	for i := range out {
		out[i] = wifiopt.Channel{Number: i + 1}
	}
	return out
}

func (w *world) channels5(dfs bool) []wifiopt.Channel {
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
	if w.eu {
		add(100, 140, 4, true)
	} else {
		add(100, 144, 4, true)
		add(149, 165, 4, false)
	}
	return out
}

func (w *world) addAP(at point) {
	n := len(w.aps)
	w.aps = append(w.aps, at)
	node := fmt.Sprintf("ap%02d", n)
	r24 := wifiopt.Radio{ID: node + "-2g", Node: node, Band: wifiopt.Band2G4, Channels: w.channels24(),
		Widths: []int{20}, Current: wifiopt.Assignment{Channel: []int{1, 6, 11}[w.rng.IntN(3)], Width: 20},
		Load: 0.05 + 0.5*w.rng.Float64(), TxPowerDBm: 20}
	r5 := wifiopt.Radio{ID: node + "-5g", Node: node, Band: wifiopt.Band5G, Channels: w.channels5(w.rng.Float64() < 0.7),
		Widths: []int{20, 40, 80}, Load: 0.05 + 0.5*w.rng.Float64(), TxPowerDBm: 23}
	r5.Current = wifiopt.Assignment{Channel: []int{36, 44}[w.rng.IntN(2)], Width: 80}
	if n > 0 && w.rng.Float64() < 0.4 {
		// Wireless backhaul to the nearest AP placed before this one.
		up := 0
		for k := range n {
			if w.dist(at, w.aps[k]) < w.dist(at, w.aps[up]) {
				up = k
			}
		}
		r5.BackhaulOf = fmt.Sprintf("ap%02d-5g", up)
		r5.Current = w.radios[2*up+1].Current
	}
	w.radios = append(w.radios, r24, r5)
	w.pos = append(w.pos, at, at)
}

func (w *world) dist(a, b point) float64 {
	dz := float64(a.floor-b.floor) * w.b.FloorHeightM
	return math.Sqrt((a.x-b.x)*(a.x-b.x) + (a.y-b.y)*(a.y-b.y) + dz*dz)
}

func (w *world) addForeign(at point, extraDB float64) {
	f := foreignAP{at: at, extraDB: extraDB, load24: 0.05 + 0.45*w.rng.Float64(), ld5: 0.05 + 0.45*w.rng.Float64()}
	if w.rng.Float64() < 0.8 {
		f.ch24 = wifiopt.Assignment{Channel: []int{1, 6, 11}[w.rng.IntN(3)], Width: 20}
	} else {
		f.ch24 = wifiopt.Assignment{Channel: 1 + w.rng.IntN(11), Width: 20}
	}
	five := []wifiopt.Assignment{chw(36, 80), chw(44, 80), chw(149, 80), chw(157, 80), chw(36, 40), chw(52, 20), chw(100, 80), chw(112, 80)}
	if w.eu {
		five = []wifiopt.Assignment{chw(36, 80), chw(44, 80), chw(48, 20), chw(36, 40), chw(52, 80), chw(100, 80), chw(116, 80), chw(132, 40)}
	}
	f.ch5 = five[w.rng.IntN(len(five))]
	w.foreign = append(w.foreign, f)
}

// heardDBm is the RSSI at b of a transmitter at a: power minus path loss,
// with a shadowing term per pair and a small one per direction.
func (w *world) heardDBm(tx float64, a, b point, fMHz, shadow float64) float64 {
	return tx - w.b.pathLoss(a, b, fMHz) + shadow + w.rng.NormFloat64()
}

func (w *world) problem() *wifiopt.Problem {
	p := &wifiopt.Problem{Radios: w.radios, SwitchCost: 0.001, DFSCost: 0.004}
	freq := func(b wifiopt.Band) float64 {
		if b == wifiopt.Band2G4 {
			return 2437
		}
		return 5300
	}
	for i := range w.radios {
		for j := i + 1; j < len(w.radios); j++ {
			ri, rj := &w.radios[i], &w.radios[j]
			if ri.Band != rj.Band {
				continue
			}
			sh := 4 * w.rng.NormFloat64()
			f := freq(ri.Band)
			for _, l := range []wifiopt.Link{
				{From: rj.ID, To: ri.ID, RSSI: w.heardDBm(rj.TxPowerDBm, w.pos[j], w.pos[i], f, sh)},
				{From: ri.ID, To: rj.ID, RSSI: w.heardDBm(ri.TxPowerDBm, w.pos[i], w.pos[j], f, sh)},
			} {
				if l.RSSI >= -95 {
					l.RSSI = math.Round(l.RSSI)
					p.RSSI = append(p.RSSI, l)
				}
			}
		}
	}
	for _, f := range w.foreign {
		for i, r := range w.radios {
			a, load, tx := f.ch24, f.load24, 20.0
			if r.Band == wifiopt.Band5G {
				a, load, tx = f.ch5, f.ld5, 23
			}
			rssi := w.heardDBm(tx-f.extraDB, f.at, w.pos[i], freq(r.Band), 4*w.rng.NormFloat64())
			if rssi >= -92 {
				p.Foreign = append(p.Foreign, wifiopt.ForeignBSS{Radio: r.ID, Channel: a.Channel, Width: a.Width,
					RSSI: math.Round(rssi), Load: math.Round(load*100) / 100})
			}
		}
	}
	if w.rng.Float64() < 0.3 {
		// A microwave oven or other non-Wi-Fi source high in 2.4 GHz.
		frac := 0.05 + 0.15*w.rng.Float64()
		for _, r := range w.radios {
			if r.Band == wifiopt.Band2G4 {
				for c := 8; c <= 11; c++ {
					p.Busy = append(p.Busy, wifiopt.Busy{Radio: r.ID, Channel: c, Fraction: frac})
				}
			}
		}
	}
	return p
}

func chw(ch, width int) wifiopt.Assignment { return wifiopt.Assignment{Channel: ch, Width: width} }
