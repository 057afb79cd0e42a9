package wifieval

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// WalkConfig sets up a steering evaluation (Home.Walk, JudgeWalk): how
// the home's clients move and what they can do, how often the policies
// run, what a roam costs and how the walk is cut into judged slices. A
// zero field takes DefaultWalkConfig's value.
type WalkConfig struct {
	// Duration is the simulated walk. Default 1 h: the steering counts
	// are per client-hour, and the mesh policy's limit is per hour (a
	// shorter walk would show a burst the limit then stops).
	Duration time.Duration
	// Step is the timeline's resolution: positions, the clients' own
	// roaming and outages advance by it. Default 1 s.
	Step time.Duration
	// Round is the time between two steering rounds of a policy: the
	// leader's period (leader.SteeringConfig, 5 s). Default 5 s.
	Round time.Duration
	// Slice is the walk time one judge run stands for: positions are
	// frozen at the slice's middle and associations taken there.
	// Default 15 s (a walker covers 15 m, about a room and a half).
	Slice time.Duration
	// Judged is how many slices are judged, spread evenly over the walk
	// (a systematic sample: slice i*n/Judged + n/(2*Judged) of n); every
	// client's throughput is its mean over them. Default 12, which keeps
	// a home's three policies within minutes of judge time; as many as
	// the walk has or more means every slice.
	Judged int
	// SpeedMPS is the mean walking speed; each walker draws 0.8-1.2
	// times it. Default 1 m/s.
	SpeedMPS float64
	// PauseMin and PauseMax bound the uniform pause at each waypoint
	// (a room). Default 30 s and 5 min: a walker changes room about 20
	// times an hour, a busy household member rather than a typical one.
	PauseMin, PauseMax time.Duration
	// Walking, DualBand, BTM and Sticky are the shares of clients that
	// walk (the others stay where the home put them), that can use
	// 5 GHz (the others are 2.4 GHz only), that support 802.11v BSS
	// transition and 802.11k beacon reports (drawn among dual-band
	// clients; 2.4 GHz-only clients support neither), and that are
	// sticky. Defaults 2/3, 3/4, 2/3 and 1/2: most phones and laptops of
	// the last years are dual-band and support 11k/v together, IoT and
	// older devices are 2.4 GHz only and support neither.
	Walking, DualBand, BTM, Sticky float64
	// StickyRoamDBm is the downlink signal below which a sticky client
	// roams on its own (radio/sim's StickyRoamDBm, -80), and
	// EagerRoamDBm the one of the other clients (-70: phones that scan
	// for a better AP at that level).
	StickyRoamDBm, EagerRoamDBm float64
	// RescanAfter is how long a client that looked for a better AP and
	// found none waits before it looks again. Default 10 s.
	RescanAfter time.Duration
	// BTMCompliance is the probability that a BTM-capable client accepts
	// a BSS transition request (it rejects with status 1 otherwise),
	// drawn per request. Default 0.8.
	BTMCompliance float64
	// ProbeEvery is how often a client without 802.11k probes, so that
	// the mesh's other APs hear it (their only measurement of it; 11k
	// clients report every BSS they hear each round). Default 30 s.
	ProbeEvery time.Duration
	// NoiseDB is the standard deviation of every signal measurement a
	// policy sees (per client, BSS and round; the same draw for every
	// policy). Default 2 dB.
	NoiseDB float64
	// ThresholdDBm is the per-AP policy's trigger (ThresholdPolicy).
	// Default -75 dBm.
	ThresholdDBm float64
	// ThresholdRetry is how long the per-AP policy waits before it tries
	// a client again. Default 3 min.
	ThresholdRetry time.Duration
	// Outage charged per roam: OutageBTM for a roam after a BSS
	// transition request (the client knows the target: a short scan of
	// its channel, authentication, association and the 4-way handshake;
	// no 802.11r), OutageSelf for a roam the client starts itself (it
	// scans every channel of its bands first, with a poor link), and
	// OutageKick for a client disassociated and refused (it finds out,
	// scans, is refused on the AP it knew, scans and joins another).
	// Defaults 0.3 s, 1 s and 3 s.
	OutageBTM, OutageSelf, OutageKick time.Duration
	// OfferFactor sets every client's downlink offered rate to this
	// times Capacity of the radio it is on: 2 is about what one station
	// next to its AP gets, so every client is full-buffer (saturated).
	// Default 2.
	OfferFactor float64
}

// DefaultWalkConfig is the configuration `make steer-eval` uses.
func DefaultWalkConfig() WalkConfig {
	return WalkConfig{
		Duration: time.Hour, Step: time.Second, Round: 5 * time.Second, Slice: 15 * time.Second, Judged: 12,
		SpeedMPS: 1, PauseMin: 30 * time.Second, PauseMax: 5 * time.Minute,
		Walking: 2.0 / 3, DualBand: 0.75, BTM: 2.0 / 3, Sticky: 0.5,
		StickyRoamDBm: -80, EagerRoamDBm: -70, RescanAfter: 10 * time.Second,
		BTMCompliance: 0.8, ProbeEvery: 30 * time.Second, NoiseDB: 2,
		ThresholdDBm: -75, ThresholdRetry: 3 * time.Minute,
		OutageBTM: 300 * time.Millisecond, OutageSelf: time.Second, OutageKick: 3 * time.Second,
		OfferFactor: 2,
	}
}

// withDefaults fills zero fields from DefaultWalkConfig and checks them.
func (c WalkConfig) withDefaults() (WalkConfig, error) {
	d := DefaultWalkConfig()
	for _, p := range []struct{ v, dv *time.Duration }{{&c.Duration, &d.Duration}, {&c.Step, &d.Step}, {&c.Round, &d.Round},
		{&c.Slice, &d.Slice}, {&c.PauseMin, &d.PauseMin}, {&c.PauseMax, &d.PauseMax}, {&c.RescanAfter, &d.RescanAfter},
		{&c.ProbeEvery, &d.ProbeEvery}, {&c.ThresholdRetry, &d.ThresholdRetry}, {&c.OutageBTM, &d.OutageBTM},
		{&c.OutageSelf, &d.OutageSelf}, {&c.OutageKick, &d.OutageKick}} {
		if *p.v == 0 {
			*p.v = *p.dv
		}
		if *p.v < 0 {
			return c, fmt.Errorf("wifieval: walk config: negative duration %v", *p.v)
		}
	}
	for _, p := range []struct{ v, dv *float64 }{{&c.SpeedMPS, &d.SpeedMPS}, {&c.Walking, &d.Walking}, {&c.DualBand, &d.DualBand},
		{&c.BTM, &d.BTM}, {&c.Sticky, &d.Sticky}, {&c.StickyRoamDBm, &d.StickyRoamDBm}, {&c.EagerRoamDBm, &d.EagerRoamDBm},
		{&c.BTMCompliance, &d.BTMCompliance}, {&c.NoiseDB, &d.NoiseDB}, {&c.ThresholdDBm, &d.ThresholdDBm}, {&c.OfferFactor, &d.OfferFactor}} {
		if *p.v == 0 {
			*p.v = *p.dv
		}
		if math.IsNaN(*p.v) || math.IsInf(*p.v, 0) {
			return c, fmt.Errorf("wifieval: walk config: a parameter is not a finite number")
		}
	}
	switch {
	case c.Step > c.Round || c.Round > c.Slice || c.Slice > c.Duration:
		return c, fmt.Errorf("wifieval: walk config: want Step <= Round <= Slice <= Duration (%v, %v, %v, %v)", c.Step, c.Round, c.Slice, c.Duration)
	case c.PauseMax < c.PauseMin:
		return c, fmt.Errorf("wifieval: walk config: PauseMax %v below PauseMin %v", c.PauseMax, c.PauseMin)
	case c.Judged == 0:
		c.Judged = d.Judged
	case c.Judged < 0:
		return c, fmt.Errorf("wifieval: walk config: Judged %d below 0", c.Judged)
	case c.SpeedMPS < 0 || c.OfferFactor < 0:
		return c, fmt.Errorf("wifieval: walk config: negative speed or offer factor")
	}
	for _, s := range []float64{c.Walking, c.DualBand, c.BTM, c.Sticky, c.BTMCompliance} {
		if s < 0 || s > 1 {
			return c, fmt.Errorf("wifieval: walk config: share %g outside 0..1", s)
		}
	}
	return c, nil
}

// Walker is one of the home's clients (Home.Clients, same index and ID)
// as the steering evaluation sees it: what it can do and where it goes.
type Walker struct {
	ID string
	// DualBand: it can use 5 GHz as well as 2.4 GHz.
	DualBand bool
	// BTM: it supports 802.11v BSS transition and 802.11k beacon reports.
	BTM bool
	// RoamDBm is the downlink signal below which it looks for another AP
	// on its own.
	RoamDBm float64
	// Path is where it is over time; a client that does not walk has a
	// single stop.
	Path Path
	// probePhase is when in each ProbeEvery period it probes.
	probePhase time.Duration
}

// Path is a walk: stops (room centres, the first the client's place in
// the home) with the times it arrives at and leaves each; between stops
// it walks in a straight line (stairs count as 3 m per floor), changing
// floor halfway.
type Path struct {
	Stops         []gen.Point
	Arrive, Leave []time.Duration
}

// At is where the walk is at t.
func (p Path) At(t time.Duration) gen.Point {
	for i := range p.Stops {
		if t < p.Arrive[i] {
			a, b := p.Stops[i-1], p.Stops[i]
			f := float64(t-p.Leave[i-1]) / float64(p.Arrive[i]-p.Leave[i-1])
			fl := a.Floor
			if f >= 0.5 {
				fl = b.Floor
			}
			return gen.Point{X: a.X + f*(b.X-a.X), Y: a.Y + f*(b.Y-a.Y), Floor: fl}
		}
		if t <= p.Leave[i] {
			return p.Stops[i]
		}
	}
	return p.Stops[len(p.Stops)-1]
}

// Walkers draws the home's clients' capabilities and walks for cfg,
// from a random stream of the home's seed of its own (the home, its
// clients' places and the plan do not change with it).
func (h *Home) Walkers(cfg WalkConfig) ([]Walker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(h.Seed, 0x3a1c))
	out := make([]Walker, len(h.Clients))
	for k, c := range h.Clients {
		w := Walker{ID: c.ID, DualBand: rng.Float64() < cfg.DualBand, RoamDBm: cfg.EagerRoamDBm}
		w.BTM = w.DualBand && rng.Float64() < cfg.BTM
		if rng.Float64() < cfg.Sticky {
			w.RoamDBm = cfg.StickyRoamDBm
		}
		w.probePhase = time.Duration(rng.Int64N(int64(cfg.ProbeEvery)))
		w.Path = Path{Stops: []gen.Point{c.At}, Arrive: []time.Duration{0}, Leave: []time.Duration{cfg.Duration + time.Hour}}
		if rng.Float64() < cfg.Walking {
			w.Path = h.drawWalk(rng, c.At, cfg)
		}
		out[k] = w
	}
	return out, nil
}

// drawWalk draws a path from start through room centres until cfg.Duration.
func (h *Home) drawWalk(rng *rand.Rand, start gen.Point, cfg WalkConfig) Path {
	speed := cfg.SpeedMPS * (0.8 + 0.4*rng.Float64())
	pause := func() time.Duration {
		return cfg.PauseMin + time.Duration(rng.Float64()*float64(cfg.PauseMax-cfg.PauseMin))
	}
	p := Path{Stops: []gen.Point{start}, Arrive: []time.Duration{0}, Leave: []time.Duration{pause()}}
	for p.Leave[len(p.Leave)-1] < cfg.Duration {
		from := p.Stops[len(p.Stops)-1]
		to := h.roomCentre(rng)
		for i := 0; i < 5 && sameRoom(h.Scene.Building, from, to); i++ {
			to = h.roomCentre(rng)
		}
		d := math.Hypot(to.X-from.X, to.Y-from.Y) + 3*math.Abs(float64(to.Floor-from.Floor))
		arrive := p.Leave[len(p.Leave)-1] + time.Duration(d/max(speed, 0.01)*float64(time.Second))
		p.Stops = append(p.Stops, to)
		p.Arrive = append(p.Arrive, arrive)
		p.Leave = append(p.Leave, arrive+pause())
	}
	return p
}

// roomCentre is the centre of a random room of the home (a RoomM grid
// cell of the building, or of the flat in an apartment), with a metre of
// jitter.
func (h *Home) roomCentre(rng *rand.Rand) gen.Point {
	b := h.Scene.Building
	x0, y0, w, d, floor := 0.0, 0.0, b.WidthM, b.DepthM, rng.IntN(max(b.Floors, 1))
	if h.Class == Apartment {
		f := apartmentFlat(h.Seed)
		x0, y0, w, d, floor = f.x0, f.y0, f.w, f.d, f.floor
	}
	// Rooms are the grid cells that overlap the area.
	cx0, cy0 := math.Floor(x0/b.RoomM), math.Floor(y0/b.RoomM)
	nx, ny := int(math.Ceil((x0+w)/b.RoomM)-cx0), int(math.Ceil((y0+d)/b.RoomM)-cy0)
	cx := (cx0+float64(rng.IntN(max(nx, 1))))*b.RoomM + b.RoomM/2 + rng.Float64() - 0.5
	cy := (cy0+float64(rng.IntN(max(ny, 1))))*b.RoomM + b.RoomM/2 + rng.Float64() - 0.5
	return gen.Point{X: min(max(cx, x0), x0+w), Y: min(max(cy, y0), y0+d), Floor: floor}
}

func sameRoom(b gen.Building, p, q gen.Point) bool {
	return p.Floor == q.Floor && math.Floor(p.X/b.RoomM) == math.Floor(q.X/b.RoomM) && math.Floor(p.Y/b.RoomM) == math.Floor(q.Y/b.RoomM)
}

// draw is a deterministic draw in [0, 1) for a tuple of the walk (the
// same for every policy, so they face the same noise and compliance).
func (h *Home) draw(parts ...any) float64 {
	f := fnv.New64a()
	fmt.Fprint(f, parts...)
	return rand.New(rand.NewPCG(h.Seed, f.Sum64())).Float64()
}

// noise is a normal draw with deviation sd for a tuple of the walk.
func (h *Home) noise(sd float64, parts ...any) float64 {
	f := fnv.New64a()
	fmt.Fprint(f, parts...)
	return sd * rand.New(rand.NewPCG(h.Seed^0x9e37, f.Sum64())).NormFloat64()
}
