package steer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// walk is a client moving along the line between AP A (x = 0) and AP B
// (x = span), one round a second, whose signals carry a uniform ±3 dB
// noise. It obeys every BTM request at once and, when refused (legacy),
// joins the other AP.
type walk struct {
	span  float64             // metres between the APs
	path  func(s int) float64 // position at second s
	secs  int
	rng   *rand.Rand
	noise float64
	btm   bool
}

// signal is a log-distance path loss: -40 dBm at 1 m, exponent 3 (a
// home's walls), plus noise.
func (w *walk) signal(d float64, noisy bool) float64 {
	s := -40 - 30*math.Log10(max(d, 1))
	if noisy {
		s += (w.rng.Float64()*2 - 1) * w.noise
	}
	return s
}

// trueDiff is B's signal minus A's at x, without noise.
func (w *walk) trueDiff(x float64) float64 {
	return w.signal(w.span-x, false) - w.signal(x, false)
}

type steerEvent struct {
	sec      int
	from, to string
}

// run plays the walk through the policy and returns the steers.
func (w *walk) run(t *testing.T) (steers []steerEvent, final string) {
	t.Helper()
	bsss := []BSS{bss5(apA5, "A"), bss5(apB5, "B")}
	at, connected := apA5, time.Minute
	var mem Memory
	for s := 0; s < w.secs; s++ {
		x := w.path(s)
		dA, dB := w.signal(x, true), w.signal(w.span-x, true)
		c := phone(at, dA, obs(apB5, dB))
		if at == apB5 {
			c = phone(at, dB, obs(apA5, dA))
		}
		c.ConnectedFor = connected
		c.Caps.BTM = w.btm
		res := decide(t, Config{}, Input{Now: t0.Add(time.Duration(s) * time.Second), BSSs: bsss, Clients: []Client{c}}, mem)
		mem = res.Memory
		connected += time.Second
		for _, a := range res.Actions {
			steers = append(steers, steerEvent{s, a.From, a.To})
			at, connected = a.To, time.Second
		}
	}
	return steers, at
}

// TestWalkBetweenTwoAPs: a client walking from A to B is steered once,
// within 10 s of its true signals crossing the hysteresis, and never back.
func TestWalkBetweenTwoAPs(t *testing.T) {
	worst := 0
	for _, span := range []float64{12, 20, 30} {
		for _, speed := range []float64{0.2, 0.5, 1, 1.5} {
			for seed := range 50 {
				btm := seed%5 != 0 // every fifth client is legacy
				name := fmt.Sprintf("span %gm speed %gm/s seed %d btm %v", span, speed, seed, btm)
				w := &walk{span: span, rng: rand.New(rand.NewPCG(uint64(seed), 1)), noise: 3, btm: btm}
				w.secs = int((span-2)/speed) + 60 // walk, then a minute at B
				w.path = func(s int) float64 { return min(1+speed*float64(s), span-1) }
				steers, final := w.run(t)
				if len(steers) > 2 {
					t.Fatalf("%s: %d steers %v, want ≤ 2", name, len(steers), steers)
				}
				if final != apB5 {
					t.Fatalf("%s: ends on %s, want B (steers %v)", name, final, steers)
				}
				for i := 1; i < len(steers); i++ {
					if steers[i].to == steers[i-1].from {
						t.Fatalf("%s: ping-pong %v", name, steers)
					}
				}
				// The first second at which B is truly 6 dB stronger.
				cross := 0
				for w.trueDiff(w.path(cross)) < 6 {
					cross++
				}
				delay := steers[len(steers)-1].sec - cross
				if delay > 10 {
					t.Fatalf("%s: steered at %d s, %d s after B became 6 dB stronger (at %d s)", name, steers[len(steers)-1].sec, delay, cross)
				}
				worst = max(worst, delay)
			}
		}
	}
	t.Logf("worst delay after the true 6 dB crossing: %d s", worst)
}

// TestLingerAtCrossover: a client standing still where both APs are
// equally strong for ten minutes, with ±3 dB noise, is never steered
// back and forth.
func TestLingerAtCrossover(t *testing.T) {
	for seed := range 20 {
		for _, offset := range []float64{0, 2, 4} {
			w := &walk{span: 20, rng: rand.New(rand.NewPCG(uint64(seed), 2)), noise: 3, secs: 600, btm: seed%2 == 0}
			x := 10.0
			for w.trueDiff(x) < offset { // where B is offset dB stronger
				x += 0.01
			}
			w.path = func(int) float64 { return x }
			steers, _ := w.run(t)
			if len(steers) > 1 {
				t.Fatalf("seed %d, B %g dB stronger: %d steers %v, want ≤ 1", seed, offset, len(steers), steers)
			}
		}
	}
}
