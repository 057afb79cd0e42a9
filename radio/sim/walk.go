package sim

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Path is a walk through the home: from waypoint to waypoint in a
// straight line at SpeedMPS, pausing PauseS seconds at each (changing
// floors on the way, as stairs would), starting at Start; after the last
// waypoint the client stays there, or with Loop walks back to the first
// and starts over.
type Path struct {
	Waypoints []Pos   `json:"waypoints"`
	SpeedMPS  float64 `json:"speedMPS"`
	PauseS    float64 `json:"pauseS,omitempty"`
	// Start is when the walk begins; zero means the Unix epoch, which
	// suits a looping walk (every process of a home agrees on where the
	// client is). Before Start the client stands at the first waypoint.
	Start time.Time `json:"start,omitzero"`
	Loop  bool      `json:"loop,omitempty"`
}

func (p *Path) validate() error {
	if len(p.Waypoints) == 0 {
		return errors.New("no waypoints")
	}
	if math.IsNaN(p.SpeedMPS) || p.SpeedMPS <= 0 || p.SpeedMPS > 100 {
		return fmt.Errorf("speedMPS: %v outside (0, 100]", p.SpeedMPS)
	}
	if math.IsNaN(p.PauseS) || p.PauseS < 0 || p.PauseS > 86400 {
		return fmt.Errorf("pauseS: %v outside 0..86400", p.PauseS)
	}
	for i, w := range p.Waypoints {
		if math.IsNaN(w.X) || math.IsNaN(w.Y) || math.IsInf(w.X, 0) || math.IsInf(w.Y, 0) {
			return fmt.Errorf("waypoints[%d]: not a place", i)
		}
	}
	return nil
}

// legLen is the walking length of the leg from a to b: floors count as
// their storey height of stairs.
func legLen(a, b Pos) float64 {
	return math.Hypot(b.X-a.X, b.Y-a.Y) + math.Abs(float64(b.Floor-a.Floor))*3
}

// at returns where the walk is at time t.
func (p *Path) at(t time.Time) Pos {
	start := p.Start
	if start.IsZero() {
		start = time.Unix(0, 0)
	}
	pts := p.Waypoints
	if p.Loop && len(pts) > 1 {
		pts = append(append([]Pos(nil), pts...), pts[0])
	}
	elapsed := t.Sub(start).Seconds()
	if elapsed <= 0 || len(pts) == 1 {
		return pts[0]
	}
	total := 0.0
	for i := 1; i < len(pts); i++ {
		total += legLen(pts[i-1], pts[i])/p.SpeedMPS + p.PauseS
	}
	if p.Loop && total > 0 {
		elapsed = math.Mod(elapsed, total)
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		walk := legLen(a, b) / p.SpeedMPS
		if elapsed < walk {
			f := elapsed / walk
			floor := a.Floor
			if f >= 0.5 {
				floor = b.Floor
			}
			return Pos{X: a.X + f*(b.X-a.X), Y: a.Y + f*(b.Y-a.Y), Floor: floor}
		}
		elapsed -= walk
		if elapsed < p.PauseS {
			return b
		}
		elapsed -= p.PauseS
	}
	return pts[len(pts)-1]
}

// posAt is where the client is at t.
func (c Client) posAt(t time.Time) Pos {
	if c.Path == nil {
		return c.Pos
	}
	return c.Path.at(t)
}
