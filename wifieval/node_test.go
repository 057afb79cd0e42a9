package wifieval

import (
	"context"
	"testing"

	"github.com/uspmesh/uspmesh/leader"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// TestNodeConstants: NodePlan follows the leader's defaults.
func TestNodeConstants(t *testing.T) {
	d := leader.DefaultConfig()
	if d.SolverBudget != NodeBudget || d.RelativeGain != NodeRelativeGain || d.AbsoluteGain != NodeAbsoluteGain {
		t.Fatalf("leader defaults budget %v, gains %v/%v; NodePlan uses %v, %v/%v",
			d.SolverBudget, d.RelativeGain, d.AbsoluteGain, NodeBudget, NodeRelativeGain, NodeAbsoluteGain)
	}
}

// livePrice is p priced as the leader prices a live home.
func livePrice(p *wifiopt.Problem) *wifiopt.Problem {
	q := *p
	q.SwitchCost, q.DFSCost = wifiopt.DefaultSwitchCost, wifiopt.DefaultDFSCost
	return &q
}

// TestNodePlan: the node's plan never costs more than the current
// channels under the live pricing, is stable (planned again from its own
// channels it changes nothing), and a home whose radios all share one
// channel per band is moved off it.
func TestNodePlan(t *testing.T) {
	ctx := context.Background()
	totalCuts := 0
	for _, c := range []Class{House, Apartment, Mixed} {
		for seed := uint64(1); seed <= 3; seed++ {
			h, err := NewHome(c, seed)
			if err != nil {
				t.Fatal(err)
			}
			p := h.Problem
			pl, _, err := NodePlan(ctx, p, seed)
			if err != nil {
				t.Fatalf("%s %d: %v", c, seed, err)
			}
			a := pl.Assign
			cur, err := MakePlan(ctx, p, Current, seed)
			if err != nil {
				t.Fatal(err)
			}
			cn, err1 := PlanCost(livePrice(p), pl)
			cc, err2 := wifiopt.Evaluate(livePrice(p), cur)
			if err1 != nil || err2 != nil || cn > cc+1e-9 {
				t.Errorf("%s %d: node plan costs %v (%v), current %v (%v)", c, seed, cn, err1, cc, err2)
			}
			// From its own channels and powers, as measured there, the
			// node applies nothing.
			q, err := p.AtPower(pl.TxPowerDBm)
			if err != nil {
				t.Fatal(err)
			}
			cuts := 0
			for i := range q.Radios {
				r := &q.Radios[i]
				r.Current = a[r.ID]
				if r.PowerCutDB > 0 {
					cuts++
				}
			}
			totalCuts += cuts
			again, rounds, err := NodePlan(ctx, q, seed+7)
			if err != nil || rounds != 0 {
				t.Errorf("%s %d: planned again from its own plan: %d rounds applied, %v", c, seed, rounds, err)
			}
			for id, x := range a {
				if again.Assign[id] != x || again.TxPowerDBm[id] != pl.TxPowerDBm[id] {
					t.Errorf("%s %d: %s moved from %v at %v dBm to %v at %v dBm", c, seed, id, x, pl.TxPowerDBm[id],
						again.Assign[id], again.TxPowerDBm[id])
				}
			}
		}
	}
	if totalCuts == 0 {
		t.Error("the node cut no radio's power in 9 homes")
	}
	// Every radio of a band on one channel: the node moves some.
	h, err := NewHome(House, 1)
	if err != nil {
		t.Fatal(err)
	}
	q := *h.Problem
	q.Radios = append([]wifiopt.Radio(nil), h.Problem.Radios...)
	for i := range q.Radios {
		if q.Radios[i].Band == wifiopt.Band2G4 {
			q.Radios[i].Current = wifiopt.Assignment{Channel: 6, Width: 20}
		} else {
			q.Radios[i].Current = wifiopt.Assignment{Channel: 36, Width: 80}
		}
	}
	pl, rounds, err := NodePlan(ctx, &q, 1)
	a := pl.Assign
	if err != nil || rounds == 0 {
		t.Fatalf("co-channel home: %d rounds applied, %v", rounds, err)
	}
	moved := 0
	for _, r := range q.Radios {
		if a[r.ID] != r.Current {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("co-channel home: no radio moved")
	}
}
