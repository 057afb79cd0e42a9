package wifiopt

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// randomProblem is a small problem over 2.4 and 5 GHz with random links,
// foreign networks, widths (current and allowed) and at most one backhaul
// pair.
func randomProblem(rng *rand.Rand) *Problem {
	p := &Problem{SwitchCost: 0.01 * rng.Float64(), DFSCost: 0.02 * rng.Float64()}
	five := []Channel{{Number: 36}, {Number: 40}, {Number: 44}, {Number: 48}, {Number: 52, DFS: true}, {Number: 56, DFS: true}}
	n := 2 + rng.IntN(3)
	for i := range n {
		r := Radio{ID: "r" + strconv.Itoa(i), Load: rng.Float64()}
		if rng.IntN(2) == 0 {
			r.Band, r.Channels, r.Widths, r.Current = Band2G4, ch24()[:7], []int{20}, Assignment{1 + rng.IntN(7), 20}
		} else {
			// Current widths up to 80 MHz, so that narrowing can leave
			// load unserved.
			r.Band, r.Channels, r.Widths, r.Current = Band5G, five, []int{20, 40, 80}, Assignment{36, []int{20, 40, 80}[rng.IntN(3)]}
		}
		p.Radios = append(p.Radios, r)
	}
	for i := range p.Radios {
		for j := range p.Radios {
			if i != j && rng.IntN(4) > 0 {
				p.RSSI = append(p.RSSI, Link{From: p.Radios[i].ID, To: p.Radios[j].ID, RSSI: -95 + 30*rng.Float64()})
			}
		}
		if p.Radios[i].Band == Band2G4 {
			p.Foreign = append(p.Foreign, ForeignBSS{Radio: p.Radios[i].ID, Channel: 1 + rng.IntN(11), RSSI: -90 + 30*rng.Float64(), Load: rng.Float64()})
		} else {
			p.Busy = append(p.Busy, Busy{Radio: p.Radios[i].ID, Channel: 36 + 4*rng.IntN(6), Fraction: 0.3 * rng.Float64()})
		}
	}
	if b := &p.Radios[n-1]; b.Band == p.Radios[0].Band && rng.IntN(2) == 0 {
		b.BackhaulOf = p.Radios[0].ID
	}
	return p
}

// bruteForce tries every combination of every radio's allowed assignments.
func bruteForce(t *testing.T, p *Problem) float64 {
	m, err := compile(p)
	if err != nil {
		t.Fatal(err)
	}
	choices := make([][]Assignment, len(p.Radios))
	for i := range p.Radios {
		r := &p.Radios[i]
		for _, w := range r.Widths {
			for _, c := range r.Channels {
				if _, ok := allowedBlock(r, Assignment{c.Number, w}); ok {
					choices[i] = append(choices[i], Assignment{c.Number, w})
				}
			}
		}
	}
	best := math.Inf(1)
	as := make([]Assignment, len(p.Radios))
	var rec func(i int)
	rec = func(i int) {
		if i == len(as) {
			for _, un := range m.units {
				for _, k := range un.radios[1:] {
					if as[k] != as[un.radios[0]] {
						return
					}
				}
			}
			best = min(best, m.costOf(as))
			return
		}
		for _, a := range choices[i] {
			as[i] = a
			rec(i + 1)
		}
	}
	rec(0)
	return best
}

func TestExactIsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range 60 {
		p := randomProblem(rng)
		want := bruteForce(t, p)
		pl, err := Exact(context.Background(), p, Options{Seed: uint64(k)})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(pl.Cost-want) > 1e-9 {
			t.Fatalf("problem %d: Exact %v, brute force %v", k, pl.Cost, want)
		}
		if got, err := Evaluate(p, pl.Assign); err != nil || math.Abs(got-pl.Cost) > 1e-9 {
			t.Fatalf("problem %d: Evaluate(plan) = %v, %v; plan cost %v", k, got, err, pl.Cost)
		}
	}
}
