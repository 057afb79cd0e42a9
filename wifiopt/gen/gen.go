// Package gen makes seeded planning problems for tests and benchmarks:
// houses with a few mesh APs and apartment blocks with many, each AP with
// a 2.4 GHz and a 5 GHz radio, neighbours' networks around them, loads,
// and wireless backhaul on some APs.
//
// Geometry enters as positions in metres on floors; a log-distance path
// loss with wall and floor attenuation turns it into the RSSI every radio
// measures of the others and of the foreign networks. Equal seeds give
// equal problems. Home and Block return the Problem alone; HomeScene and
// BlockScene return the Scene it comes from (positions, building, the
// foreign networks, the shadowing drawn), for evaluators that need the
// world and not only the measurements, and NewScene builds other worlds
// the same way.
package gen

import (
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

// Point is a position in a Building: metres from a corner of the
// footprint, on a floor counted from 0. Points outside the footprint
// (neighbours' houses) are allowed.
type Point struct {
	X, Y  float64
	Floor int
}

// PathLoss is the loss in dB between a and c at frequency f MHz:
// free-space loss at 1 m, log-distance exponent 3 beyond, plus walls and
// floors crossed. It has no shadowing; see Scene.
func (b Building) PathLoss(a, c Point, fMHz float64) float64 {
	dz := float64(a.Floor-c.Floor) * b.FloorHeightM
	d := math.Max(1, math.Sqrt((a.X-c.X)*(a.X-c.X)+(a.Y-c.Y)*(a.Y-c.Y)+dz*dz))
	pl0 := 20*math.Log10(fMHz) - 27.55
	walls := math.Abs(math.Floor(a.X/b.RoomM)-math.Floor(c.X/b.RoomM)) +
		math.Abs(math.Floor(a.Y/b.RoomM)-math.Floor(c.Y/b.RoomM))
	floors := math.Abs(float64(a.Floor - c.Floor))
	k := 1.0
	if fMHz > 4000 {
		k = 1.5
	}
	return pl0 + 30*math.Log10(d) + k*(walls*b.WallDB+floors*b.FloorDB)
}

// Distance is the straight-line distance in metres between a and c.
func (b Building) Distance(a, c Point) float64 {
	dz := float64(a.Floor-c.Floor) * b.FloorHeightM
	return math.Sqrt((a.X-c.X)*(a.X-c.X) + (a.Y-c.Y)*(a.Y-c.Y) + dz*dz)
}

// BandMHz is the frequency at which a Scene computes path loss in band b
// (one per band: 2437 for 2.4 GHz, 5300 otherwise).
func BandMHz(b wifiopt.Band) float64 {
	if b == wifiopt.Band2G4 {
		return 2437
	}
	return 5300
}

// Home is a house of 1-3 floors with aps mesh APs and 4-16 neighbours'
// networks outside it.
func Home(seed uint64, aps int) *wifiopt.Problem { return HomeScene(seed, aps).Problem() }

// HomeScene is the world behind Home(seed, aps): its Problem is Home's.
func HomeScene(seed uint64, aps int) *Scene {
	rng := rand.New(rand.NewPCG(seed, 0x40e))
	b := Building{WidthM: 10 + 10*rng.Float64(), DepthM: 8 + 6*rng.Float64(), Floors: 1 + rng.IntN(3),
		FloorHeightM: 3, RoomM: 4, WallDB: 4, FloorDB: 13}
	s := NewScene(rng, b)
	for range aps {
		s.AddAP(Point{rng.Float64() * b.WidthM, rng.Float64() * b.DepthM, rng.IntN(b.Floors)})
	}
	for range 4 + rng.IntN(13) {
		// Neighbours' houses: 8-30 m beyond a random side, behind an outer wall.
		ang := rng.Float64() * 2 * math.Pi
		r := 8 + 22*rng.Float64()
		s.AddForeign(Point{b.WidthM/2 + r*math.Cos(ang), b.DepthM/2 + r*math.Sin(ang), rng.IntN(2)}, 8)
	}
	return s
}

// Block is an apartment block managed as one mesh of aps APs (one or two
// per flat), with the other flats' own networks as foreign BSSes.
func Block(seed uint64, aps int) *wifiopt.Problem { return BlockScene(seed, aps).Problem() }

// BlockScene is the world behind Block(seed, aps): its Problem is Block's.
func BlockScene(seed uint64, aps int) *Scene {
	rng := rand.New(rand.NewPCG(seed, 0xb10c))
	floors := max(2, int(math.Ceil(float64(aps)/12)))
	b := Building{WidthM: 60, DepthM: 20, Floors: floors, FloorHeightM: 3, RoomM: 5, WallDB: 5, FloorDB: 15}
	s := NewScene(rng, b)
	for range aps {
		s.AddAP(Point{rng.Float64() * b.WidthM, rng.Float64() * b.DepthM, rng.IntN(floors)})
	}
	for range aps / 2 {
		s.AddForeign(Point{rng.Float64() * b.WidthM, rng.Float64() * b.DepthM, rng.IntN(floors)}, 0)
	}
	return s
}

func chw(ch, width int) wifiopt.Assignment { return wifiopt.Assignment{Channel: ch, Width: width} }
