package sim

import (
	"hash/fnv"
	"math"

	"github.com/uspmesh/uspmesh/radio"
)

// Default propagation parameters (see PathLoss).
const (
	defaultExponent     = 3.0
	defaultFloorHeightM = 3.0
	defaultForeignTxDBm = 20.0
	defaultClientTxDBm  = 15.0
)

// defaultRefLoss is the free-space loss at 1 m per band.
var defaultRefLoss = map[radio.Band]float64{
	radio.Band2G4: 40,
	radio.Band5G:  47,
	radio.Band6G:  48,
}

// loss returns the path loss in dB between two places on a band, without
// shadowing.
func (h *Home) loss(b radio.Band, p, q Pos) float64 {
	pl := h.PathLoss
	ref, ok := pl.RefLossDB[b]
	if !ok {
		ref = defaultRefLoss[b]
	}
	exp := pl.Exponent
	if exp == 0 {
		exp = defaultExponent
	}
	fh := pl.FloorHeightM
	if fh == 0 {
		fh = defaultFloorHeightM
	}
	floors := math.Abs(float64(p.Floor - q.Floor))
	dx, dy, dz := p.X-q.X, p.Y-q.Y, floors*fh
	d := max(math.Sqrt(dx*dx+dy*dy+dz*dz), 1)
	l := ref + 10*exp*math.Log10(d) + pl.LossPerMetreDB*d + pl.FloorLossDB*floors
	for _, w := range h.Walls {
		if w.Floor != p.Floor && w.Floor != q.Floor {
			continue
		}
		if crosses(p.X, p.Y, q.X, q.Y, w.From[0], w.From[1], w.To[0], w.To[1]) {
			if w.LossDB != 0 {
				l += w.LossDB
			} else {
				l += pl.WallLossDB
			}
		}
	}
	return l
}

// crosses reports whether segment p1p2 properly intersects segment q1q2.
func crosses(p1x, p1y, p2x, p2y, q1x, q1y, q2x, q2y float64) bool {
	d1 := cross(q1x, q1y, q2x, q2y, p1x, p1y)
	d2 := cross(q1x, q1y, q2x, q2y, p2x, p2y)
	d3 := cross(p1x, p1y, p2x, p2y, q1x, q1y)
	d4 := cross(p1x, p1y, p2x, p2y, q2x, q2y)
	return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
}

func cross(ax, ay, bx, by, cx, cy float64) float64 {
	return (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
}

// shadow is the fixed shadowing of the link between two named places,
// uniform in ±ShadowingDB and the same in both directions.
func (h *Home) shadow(a, b string) float64 {
	s := h.PathLoss.ShadowingDB
	if s == 0 {
		return 0
	}
	if a > b {
		a, b = b, a
	}
	u := unit(h.Seed, "shadow", a, b)
	return s * (2*u - 1)
}

// rssi is the level in dBm at which a transmitter at p, named a, is heard
// at q, named b.
func (h *Home) rssi(b radio.Band, txDBm float64, p Pos, a string, q Pos, bname string) float64 {
	return txDBm - h.loss(b, p, q) + h.shadow(a, bname)
}

// unit hashes the seed and labels to a number in [0, 1).
func unit(seed int64, labels ...string) float64 {
	return float64(hash64(seed, labels...)>>11) / (1 << 53)
}

func hash64(seed int64, labels ...string) uint64 {
	f := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	f.Write(b[:])
	for _, l := range labels {
		f.Write([]byte(l))
		f.Write([]byte{0})
	}
	// FNV's low bits mix poorly; finish with a splitmix64 round.
	z := f.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// radioMAC derives a radio's locally administered unicast MAC address
// from the home's seed, the node and the radio name.
func radioMAC(seed int64, node, name string) []byte {
	v := hash64(seed, "mac", node, name)
	mac := make([]byte, 6)
	for i := range mac {
		mac[i] = byte(v >> (8 * i))
	}
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}
