package wifieval

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// Class is a kind of home the evaluation draws.
type Class string

// The classes of homes.
const (
	// House is gen.HomeScene: a house of 1-3 floors with 3-5 APs and 4-16
	// neighbours' networks behind outer walls.
	House Class = "house"
	// Apartment is a flat of 3-5 APs on one floor of a three-storey block
	// in which 20-40 other flats run their own networks.
	Apartment Class = "apartment"
	// Mixed is a house whose planner may choose 20-160 MHz on 5 GHz (DFS
	// channels allowed on every radio) and 20 or 40 MHz on 2.4 GHz, with
	// 5 GHz radios starting at mixed widths.
	Mixed Class = "mixed"
)

// Classes lists every Class in report order.
var Classes = []Class{House, Apartment, Mixed}

// ParseClass returns the Class named s.
func ParseClass(s string) (Class, error) {
	for _, c := range Classes {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("wifieval: unknown class %q (want house, apartment or mixed)", s)
}

// Capacity is the downlink throughput in Mbps that a radio's whole
// airtime carries at a width in a band, used to turn airtime Loads into
// offered rates: about half of what the judge delivers to one station
// next to its AP (two spatial streams), for clients at mid-range rates.
func Capacity(b wifiopt.Band, width int) float64 {
	if width == 0 {
		width = 20
	}
	if b == wifiopt.Band2G4 {
		return 58 * float64(width) / 20
	}
	switch width {
	case 20:
		return 70
	case 40:
		return 150
	case 80:
		return 278
	}
	return 450 * float64(width) / 160
}

// Client is a mesh client station.
type Client struct {
	ID string
	At gen.Point
	// Radio is the index in Problem.Radios of the radio it is associated with.
	Radio int
	// OfferedMbps is the downlink rate offered to it.
	OfferedMbps float64
}

// Home is one generated home: the planner's Problem, the world it was
// measured in, and the stations the planner does not know about.
type Home struct {
	Class   Class
	Seed    uint64
	Scene   *gen.Scene
	Problem *wifiopt.Problem
	Clients []Client
	// ForeignSta[k] is where foreign network k's station is (for both bands).
	ForeignSta []gen.Point
}

// ClientRSSIMin5 is the signal below which a client prefers 2.4 GHz: band
// steering moves it to 5 GHz when it hears the AP there at -70 dBm or more.
const ClientRSSIMin5 = -70

// NewHome draws the home of class c and seed. The planner's Problem is
// gen's for House (Home(seed, aps)); clients and foreign stations come
// from a separate random stream, so they never change it, except that
// each radio's ClientSignalDBm and WeakestClientDBm are set from its
// clients' signals (see setClientSignals), as the leader sets them from
// its stations'.
func NewHome(c Class, seed uint64) (*Home, error) {
	aps := 3 + int(seed%3)
	h := &Home{Class: c, Seed: seed}
	switch c {
	case House, Mixed:
		h.Scene = gen.HomeScene(seed, aps)
	case Apartment:
		h.Scene = apartmentScene(seed, aps)
	default:
		return nil, fmt.Errorf("wifieval: unknown class %q", c)
	}
	h.Problem = h.Scene.Problem()
	rng := rand.New(rand.NewPCG(seed, 0xc11e))
	if c == Mixed {
		mixWidths(h.Scene, rng)
	}
	if err := wifiopt.Validate(h.Problem); err != nil {
		return nil, fmt.Errorf("wifieval: %s home %d: %w", c, seed, err)
	}
	h.addClients(rng, aps)
	h.setClientSignals()
	for _, f := range h.Scene.Foreign {
		ang, r := 2*math.Pi*rng.Float64(), 2+6*rng.Float64()
		h.ForeignSta = append(h.ForeignSta, gen.Point{X: f.At.X + r*math.Cos(ang), Y: f.At.Y + r*math.Sin(ang), Floor: f.At.Floor})
	}
	return h, nil
}

// flat is the part of an apartment block the mesh's home occupies.
type flat struct {
	x0, y0, w, d float64
	floor        int
}

func (f flat) contains(p gen.Point) bool {
	return p.Floor == f.floor && p.X >= f.x0 && p.X <= f.x0+f.w && p.Y >= f.y0 && p.Y <= f.y0+f.d
}

func (f flat) point(rng *rand.Rand) gen.Point {
	return gen.Point{X: f.x0 + rng.Float64()*f.w, Y: f.y0 + rng.Float64()*f.d, Floor: f.floor}
}

// apartmentFlat is where the Apartment class's mesh lives: the middle
// floor of a 40 x 16 m block, 18 x 12 m.
func apartmentFlat(seed uint64) flat {
	rng := rand.New(rand.NewPCG(seed, 0xf1a7))
	return flat{x0: rng.Float64() * 22, y0: rng.Float64() * 4, w: 18, d: 12, floor: 1}
}

func apartmentScene(seed uint64, aps int) *gen.Scene {
	rng := rand.New(rand.NewPCG(seed, 0xa9a7))
	b := gen.Building{WidthM: 40, DepthM: 16, Floors: 3, FloorHeightM: 3, RoomM: 5, WallDB: 5, FloorDB: 15}
	s := gen.NewScene(rng, b)
	fl := apartmentFlat(seed)
	for range aps {
		s.AddAP(fl.point(rng))
	}
	for range 20 + rng.IntN(21) {
		p := gen.Point{X: rng.Float64() * b.WidthM, Y: rng.Float64() * b.DepthM, Floor: rng.IntN(b.Floors)}
		for fl.contains(p) {
			p = gen.Point{X: rng.Float64() * b.WidthM, Y: rng.Float64() * b.DepthM, Floor: rng.IntN(b.Floors)}
		}
		s.AddForeign(p, 0)
	}
	return s
}

// mixWidths widens the Mixed class's choices and mixes current widths.
func mixWidths(s *gen.Scene, rng *rand.Rand) {
	for i := range s.Radios {
		r := &s.Radios[i]
		if r.Band == wifiopt.Band2G4 {
			r.Widths = []int{20, 40}
			continue
		}
		r.Channels = s.Channels5(true)
		r.Widths = []int{20, 40, 80, 160}
		if r.BackhaulOf == "" {
			r.Current.Width = []int{20, 40, 80}[rng.IntN(3)]
		}
	}
	// Backhaul radios follow their uplink's new width.
	for i := range s.Radios {
		r := &s.Radios[i]
		if r.BackhaulOf != "" {
			for _, u := range s.Radios {
				if u.ID == r.BackhaulOf {
					r.Current = u.Current
				}
			}
		}
	}
}

// addClients places 1-3 clients per AP anywhere in the home, each on the
// AP it hears best (5 GHz when at ClientRSSIMin5 or better), then one
// next to every loaded radio left without a client, and shares each
// radio's offered load among its clients.
func (h *Home) addClients(rng *rand.Rand, aps int) {
	s := h.Scene
	inHome := func() gen.Point {
		if h.Class == Apartment {
			return apartmentFlat(h.Seed).point(rng)
		}
		b := s.Building
		return gen.Point{X: rng.Float64() * b.WidthM, Y: rng.Float64() * b.DepthM, Floor: rng.IntN(b.Floors)}
	}
	for range aps * 2 {
		at := inHome()
		id := fmt.Sprintf("c%02d", len(h.Clients))
		best, bestRSSI := -1, math.Inf(-1)
		for k := range s.APs {
			i := 2*k + 1 // the AP's 5 GHz radio
			if rssi := s.Radios[i].TxPowerDBm - h.lossTo(id, at, i); rssi > bestRSSI {
				best, bestRSSI = i, rssi
			}
		}
		if bestRSSI < ClientRSSIMin5 {
			best-- // the same AP's 2.4 GHz radio
		}
		h.Clients = append(h.Clients, Client{ID: id, At: at, Radio: best})
	}
	for i := range s.Radios {
		if !slices.ContainsFunc(h.Clients, func(c Client) bool { return c.Radio == i }) {
			ang, r := 2*math.Pi*rng.Float64(), 1+2*rng.Float64()
			ap := s.RadioAt[i]
			at := gen.Point{X: ap.X + r*math.Cos(ang), Y: ap.Y + r*math.Sin(ang), Floor: ap.Floor}
			h.Clients = append(h.Clients, Client{ID: fmt.Sprintf("c%02d", len(h.Clients)), At: at, Radio: i})
		}
	}
	for i, r := range s.Radios {
		n := 0
		for _, c := range h.Clients {
			if c.Radio == i {
				n++
			}
		}
		for k := range h.Clients {
			if h.Clients[k].Radio == i {
				h.Clients[k].OfferedMbps = r.Load * Capacity(r.Band, r.Current.Width) / float64(n)
			}
		}
	}
}

// setClientSignals gives every radio of the Problem the signal of its
// weak clients (wifiopt.ClientSignal of the signals they receive from
// it: the radio's transmit power less the path loss the judge uses), so
// that the planner prices the SINR the plan leaves them, and of its
// weakest (wifiopt.WeakestSignal), which a power cut keeps. A radio without
// clients keeps 0, the planner's default.
func (h *Home) setClientSignals() {
	for i := range h.Problem.Radios {
		r := &h.Problem.Radios[i]
		var sig []float64
		for _, c := range h.Clients {
			if c.Radio == i {
				sig = append(sig, r.TxPowerDBm-h.lossTo(c.ID, c.At, i))
			}
		}
		r.ClientSignalDBm = wifiopt.ClientSignal(sig)
		r.WeakestClientDBm = wifiopt.WeakestSignal(sig)
	}
	h.setClientRSSI()
}

// setClientRSSI gives the Problem what every radio's clients hear of
// the other mesh radios of its band (wifiopt.ClientInterference of the
// levels at its clients, as their beacon reports would give; levels
// wifiopt would ignore give no link).
func (h *Home) setClientRSSI() {
	rs := h.Problem.Radios
	h.Problem.ClientRSSI = nil
	for i, r := range rs {
		for j, q := range rs {
			if i == j || q.Band != r.Band {
				continue
			}
			var lv []float64
			for _, c := range h.Clients {
				if c.Radio == i {
					lv = append(lv, q.TxPowerDBm-h.lossTo(c.ID, c.At, j))
				}
			}
			if v, ok := wifiopt.ClientInterference(lv); ok {
				h.Problem.ClientRSSI = append(h.Problem.ClientRSSI, wifiopt.Link{From: q.ID, To: r.ID, RSSI: v})
			}
		}
	}
}

// WithOffered returns h with every client's OfferedMbps multiplied by x
// (see Config.Offered); h itself is unchanged, and so is its Problem
// (OfferedProblem is what a node would measure then). For x of 1 or not
// positive it returns h.
func (h *Home) WithOffered(x float64) *Home {
	if x == 1 || x <= 0 {
		return h
	}
	c := *h
	c.Clients = slices.Clone(h.Clients)
	for k := range c.Clients {
		c.Clients[k].OfferedMbps *= x
	}
	return &c
}

// OfferedProblem is the Problem a node would measure in h with every
// client offered x times the home's load: each mesh radio's Load, the
// airtime its own traffic asks for, becomes x times the home's, at most
// 1; foreign networks, busy shares and links stay as measured. For x of
// 1 or not positive it is h.Problem itself; otherwise a copy, and h is
// unchanged.
func (h *Home) OfferedProblem(x float64) *wifiopt.Problem {
	if x == 1 || x <= 0 {
		return h.Problem
	}
	p := *h.Problem
	p.Radios = slices.Clone(h.Problem.Radios)
	for i := range p.Radios {
		p.Radios[i].Load = min(1, x*p.Radios[i].Load)
	}
	return &p
}

// lossTo is the path loss in dB between a station at at and mesh radio i.
func (h *Home) lossTo(id string, at gen.Point, i int) float64 {
	r := h.Scene.Radios[i]
	return h.Scene.Building.PathLoss(at, h.Scene.RadioAt[i], gen.BandMHz(r.Band)) - h.shadow(id, r.ID)
}

// shadow is the shadowing in dB of a pair the Scene did not draw: a
// normal with 4 dB deviation, fixed by the home's seed and the pair's
// names, equal both ways.
func (h *Home) shadow(a, b string) float64 {
	if a > b {
		a, b = b, a
	}
	f := fnv.New64a()
	fmt.Fprintf(f, "%s|%s", a, b)
	return 4 * rand.New(rand.NewPCG(h.Seed, f.Sum64())).NormFloat64()
}
