package wifieval

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/steer"
	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// steerDenyFor is the steering policy's refusal time.
var steerDenyFor = steer.DefaultConfig().DenyFor

// lccsPlan is the converged LCCS plan of h.
func lccsPlan(t *testing.T, h *Home) Plan {
	t.Helper()
	a, _, err := ConvergedLeastCongested(h.Problem, LCCSRounds)
	if err != nil {
		t.Fatal(err)
	}
	return Plan{Assign: a}
}

// TestWalkersWalk: walkers keep to walking speed, stay in the home (the
// flat for apartments), and their capabilities follow the documented
// rules (2.4 GHz-only clients have no 802.11k/v).
func TestWalkersWalk(t *testing.T) {
	cfg := DefaultWalkConfig()
	eachHome(t, func(c Class, seed uint64, h *Home) {
		ws, err := h.Walkers(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != len(h.Clients) {
			t.Fatalf("%s %d: %d walkers for %d clients", c, seed, len(ws), len(h.Clients))
		}
		b := h.Scene.Building
		for k, w := range ws {
			if w.ID != h.Clients[k].ID || w.Path.At(0) != h.Clients[k].At {
				t.Errorf("%s %d: walker %d (%s) does not start as client %s at %v", c, seed, k, w.ID, h.Clients[k].ID, h.Clients[k].At)
			}
			if w.BTM && !w.DualBand {
				t.Errorf("%s %d: %s is 2.4 GHz only with 802.11v", c, seed, w.ID)
			}
			if w.RoamDBm != cfg.StickyRoamDBm && w.RoamDBm != cfg.EagerRoamDBm {
				t.Errorf("%s %d: %s roams at %v dBm", c, seed, w.ID, w.RoamDBm)
			}
			prev := w.Path.At(0)
			for s := time.Second; s <= cfg.Duration; s += time.Second {
				p := w.Path.At(s)
				// 1.2 m/s at most, plus 3 m of stairs per floor.
				if d := math.Hypot(p.X-prev.X, p.Y-prev.Y); d > 1.2*cfg.SpeedMPS+1e-9 {
					t.Errorf("%s %d: %s moved %.2f m in 1 s at %v", c, seed, w.ID, d, s)
					break
				}
				if len(w.Path.Stops) > 1 && s >= w.Path.Arrive[1] && (p.X < 0 || p.Y < 0 || p.X > b.WidthM || p.Y > b.DepthM || p.Floor < 0 || p.Floor >= b.Floors) {
					t.Errorf("%s %d: %s left the building: %v", c, seed, w.ID, p)
					break
				}
				if c == Apartment && len(w.Path.Stops) > 1 && s >= w.Path.Arrive[1] && !apartmentFlat(seed).contains(p) {
					t.Errorf("apartment %d: %s left the flat: %v", seed, w.ID, p)
					break
				}
				prev = p
			}
		}
	})
}

// TestWalkConfigChecked: bad configurations are refused, the zero one
// is the default.
func TestWalkConfigChecked(t *testing.T) {
	if c, err := (WalkConfig{}).withDefaults(); err != nil || c != DefaultWalkConfig() {
		t.Fatalf("zero config: %v, %+v", err, c)
	}
	for name, c := range map[string]WalkConfig{
		"slice above duration": {Duration: time.Second, Slice: time.Minute},
		"share above 1":        {BTM: 1.5},
		"negative outage":      {OutageKick: -time.Second},
		"NaN noise":            {NoiseDB: math.NaN()},
		"pause range inverted": {PauseMin: time.Minute, PauseMax: time.Second},
	} {
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// corridorHome is a one-floor house with two APs 12 m apart (three
// walls between them) and one client who walks from beside the first to
// beside the second and stays there.
func corridorHome(t *testing.T, btm bool) (*Home, Plan, []Walker) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	s := gen.NewScene(rng, gen.Building{WidthM: 16, DepthM: 4, Floors: 1, FloorHeightM: 3, RoomM: 4, WallDB: 4, FloorDB: 13})
	s.AddAP(gen.Point{X: 1, Y: 2})
	s.AddAP(gen.Point{X: 13, Y: 2})
	h := &Home{Class: House, Seed: 7, Scene: s, Problem: s.Problem()}
	for i := range s.Radios {
		s.Radios[i].BackhaulOf = ""
	}
	h.Clients = []Client{{ID: "walker", At: gen.Point{X: 2, Y: 2}, Radio: 1}}
	a := func(c, w int) wifiopt.Assignment { return wifiopt.Assignment{Channel: c, Width: w} }
	p := Plan{Assign: map[string]wifiopt.Assignment{s.Radios[0].ID: a(1, 20), s.Radios[1].ID: a(36, 80), s.Radios[2].ID: a(11, 20), s.Radios[3].ID: a(100, 80)}}
	w := Walker{ID: "walker", DualBand: true, BTM: btm, RoamDBm: -80, Path: Path{
		Stops:  []gen.Point{{X: 2, Y: 2}, {X: 14, Y: 2}},
		Arrive: []time.Duration{0, 42 * time.Second},
		Leave:  []time.Duration{30 * time.Second, time.Hour},
	}}
	return h, p, []Walker{w}
}

// TestPoliciesOnACorridor: a sticky client walking from one AP to the
// other stays on the first AP without steering (its signal there never
// falls below its -80 dBm trigger in this house), is moved to the
// second by the threshold policy and by the mesh policy, once, and each
// move is charged its outage.
func TestPoliciesOnACorridor(t *testing.T) {
	cfg := WalkConfig{Duration: 3 * time.Minute}
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, btm := range []bool{true, false} {
		h, p, ws := corridorHome(t, btm)
		end := ws[0].Path.At(cfg.Duration)
		if d := h.downlink(ws[0], 1, end); d < ws[0].RoamDBm {
			t.Fatalf("the first AP's 5 GHz is %.1f dBm at the far end: the client would roam by itself", d)
		}
		for _, pol := range SteerPolicies {
			tl, err := h.walk(p, ws, pol, cfg)
			if err != nil {
				t.Fatal(err)
			}
			last := tl.Slices[len(tl.Slices)-1].Radio[0]
			outage := tl.Outage[0].Seconds()
			t.Logf("btm %v, %s: roams %d, attempts %d, last radio %s, outage %.1f s", btm, pol, tl.Roams[0], tl.Attempts[0], h.Scene.Radios[last].ID, outage)
			switch pol {
			case NoSteering:
				if tl.Attempts[0] != 0 || tl.Roams[0] != 0 || last != 1 {
					t.Errorf("btm %v, none: %d attempts, %d roams, ends on radio %d; want 0, 0, 1", btm, tl.Attempts[0], tl.Roams[0], last)
				}
			default:
				if tl.Attempts[0] < 1 || tl.Roams[0] != 1 || h.Scene.Radios[last].Node != h.Scene.Radios[3].Node {
					t.Errorf("btm %v, %s: %d attempts, %d roams, ends on radio %d; want at least 1, 1, the second AP", btm, pol, tl.Attempts[0], tl.Roams[0], last)
				}
				want := cfg.OutageBTM
				if !btm {
					want = cfg.OutageKick
				}
				if math.Abs(outage-want.Seconds()) > 1e-9 {
					t.Errorf("btm %v, %s: outage %.2f s, want %v", btm, pol, outage, want)
				}
			}
		}
	}
}

// TestTimelinesOnHomes: over generated homes, no steering sends no
// request, the mesh policy never exceeds its 4 attempts per client-hour
// (here per client and walk), and every slice has every client on a
// radio it can use.
func TestTimelinesOnHomes(t *testing.T) {
	cfg, err := DefaultWalkConfig().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	eachHome(t, func(c Class, seed uint64, h *Home) {
		p := lccsPlan(t, h)
		ws, err := h.Walkers(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, pol := range SteerPolicies {
			tl, err := h.walk(p, ws, pol, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want := int(cfg.Duration / cfg.Slice); len(tl.Slices) != want {
				t.Fatalf("%s %d %s: %d slices, want %d", c, seed, pol, len(tl.Slices), want)
			}
			roams, tries := 0, 0
			for k := range ws {
				if want := time.Duration(tl.Roams[k]) * cfg.OutageKick; tl.Outage[k] < 0 || tl.Outage[k] > want+steerDenyFor*time.Duration(tl.Attempts[k]) {
					t.Errorf("%s %d %s: %s roamed %d times with %v of outage", c, seed, pol, ws[k].ID, tl.Roams[k], tl.Outage[k])
				}
				roams += tl.Roams[k]
				tries += tl.Attempts[k]
				if pol == NoSteering && tl.Attempts[k] != 0 {
					t.Errorf("%s %d none: %d attempts for %s", c, seed, tl.Attempts[k], ws[k].ID)
				}
				if pol == MeshSteering && tl.Attempts[k] > 4 {
					t.Errorf("%s %d mesh: %d attempts for %s in %v", c, seed, tl.Attempts[k], ws[k].ID, cfg.Duration)
				}
				for i, sl := range tl.Slices {
					if !h.bandOK(ws[k], sl.Radio[k]) {
						t.Errorf("%s %d %s slice %d: %s on radio %d", c, seed, pol, i, ws[k].ID, sl.Radio[k])
					}
				}
			}
			t.Logf("%s %d %s: %d clients, %d roams, %d attempts", c, seed, pol, len(ws), roams, tries)
		}
	})
}

// TestSteerEvalSmoke runs the whole pipeline with the ns-3 judge on a
// two-AP home and a 30 s walk: every policy gets a finite, positive
// throughput per client and finite steering rates.
func TestSteerEvalSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	j := testJudge(ctx, t)
	h := twoAPHome(t)
	a := func(c, w int) wifiopt.Assignment { return wifiopt.Assignment{Channel: c, Width: w} }
	p := plan(h, a(1, 20), a(36, 80), a(11, 20), a(100, 80))
	cfg := WalkConfig{Duration: 30 * time.Second, Walking: 1}
	res, err := j.JudgeWalk(ctx, h, p, cfg, SteerPolicies, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Slices != 2 || res.Runs < 2 || res.Runs > 6 {
		t.Errorf("%d slices, %d runs: want 2 slices and 2-6 runs", res.Slices, res.Runs)
	}
	for _, pol := range SteerPolicies {
		pr := res.Policies[pol]
		if pr == nil {
			t.Fatalf("no result for %s", pol)
		}
		for k, x := range pr.Throughput {
			if !(x > 0) || math.IsInf(x, 0) {
				t.Errorf("%s: client %s got %v Mbps", pol, h.Clients[k].ID, x)
			}
		}
		for _, x := range []float64{pr.Median, pr.P10, pr.RoamsPerClientHour, pr.AttemptsPerClientHour} {
			if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				t.Errorf("%s: figure %v not finite", pol, x)
			}
		}
		t.Logf("%s: median %.1f, p10 %.1f Mbps, %.1f roams and %.1f attempts per client-hour", pol, pr.Median, pr.P10, pr.RoamsPerClientHour, pr.AttemptsPerClientHour)
	}
	if res.Policies[NoSteering].AttemptsPerClientHour != 0 {
		t.Errorf("no steering made %v attempts per client-hour", res.Policies[NoSteering].AttemptsPerClientHour)
	}
}

// TestMeshInputLevels: the mesh policy gets an 11k client's levels from
// its beacon reports (downlink, its own BSS's too, as leader/steer.go
// maps them), a legacy client's as its APs hear it (uplink), the BSSs'
// plan and clients, and the threshold policy the uplink alone.
func TestMeshInputLevels(t *testing.T) {
	cfg, err := WalkConfig{NoiseDB: 1e-9}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, btm := range []bool{true, false} {
		h, p, ws := corridorHome(t, btm)
		ws[0].probePhase = 0
		st := []walkState{{radio: 1}}
		in := h.meshInput(p, ws, st, 0, cfg)
		at := ws[0].Path.At(0)
		want := h.uplink(ws[0], 1, at)
		if btm {
			want = h.downlink(ws[0], 1, at)
		}
		if len(in.Clients) != 1 || math.Abs(in.Clients[0].Signal.DBm-want) > 1e-6 {
			t.Fatalf("btm %v: client signal %+v, want %.2f dBm", btm, in.Clients, want)
		}
		if len(in.BSSs) != 4 || in.BSSs[1].Clients != 1 || in.BSSs[1].WidthMHz != 80 || in.BSSs[0].Clients != 0 {
			t.Errorf("btm %v: BSSs %+v", btm, in.BSSs)
		}
		if len(in.Clients[0].Seen) != 3 {
			t.Errorf("btm %v: seen by %d BSSs, want 3", btm, len(in.Clients[0].Seen))
		}
		for _, o := range in.Clients[0].Seen {
			i := radioIndexOf(o.BSSID)
			want := h.uplink(ws[0], i, at)
			if btm {
				want = h.downlink(ws[0], i, at)
			}
			if math.Abs(o.DBm-want) > 1e-6 || o.Age != 0 {
				t.Errorf("btm %v: seen at %s: %+v, want %.2f dBm now", btm, o.BSSID, o, want)
			}
		}
		if got := h.ownSignal(ws[0], 0, st[0], 0, cfg, false); math.Abs(got-h.uplink(ws[0], 1, at)) > 1e-6 {
			t.Errorf("btm %v: threshold policy sees %.2f dBm, want the uplink %.2f", btm, got, h.uplink(ws[0], 1, at))
		}
	}
}

// TestMeshInputBackhaul: the mesh policy sees a backhaul limit on every
// BSS of exactly the nodes whose wireless backhaul the judge simulates
// (a Backhaul flow in the scenario), the same on both bands, and none on
// the others (wired, or a link too weak to simulate).
func TestMeshInputBackhaul(t *testing.T) {
	cfg := DefaultWalkConfig()
	eachHome(t, func(c Class, seed uint64, h *Home) {
		p := lccsPlan(t, h)
		simulated := simulatedBackhauls(t, h, p)
		ws, err := h.Walkers(cfg)
		if err != nil {
			t.Fatal(err)
		}
		st := make([]walkState, len(ws))
		for k := range ws {
			st[k] = walkState{radio: h.Clients[k].Radio}
		}
		in := h.meshInput(p, ws, st, 0, cfg)
		byNode := map[string]float64{}
		for _, b := range in.BSSs {
			if simulated[b.Node] != (b.BackhaulMbps > 0) || math.IsNaN(b.BackhaulMbps) {
				t.Errorf("%s %d: %s (%s) backhaul %.1f Mb/s, judge simulates one: %v", c, seed, b.Radio, b.Node, b.BackhaulMbps, simulated[b.Node])
			}
			if v, ok := byNode[b.Node]; ok && v != b.BackhaulMbps {
				t.Errorf("%s %d: node %s backhaul %.1f and %.1f Mb/s", c, seed, b.Node, v, b.BackhaulMbps)
			}
			byNode[b.Node] = b.BackhaulMbps
		}
		if len(simulated) > 0 {
			t.Logf("%s %d: backhauls %v Mb/s", c, seed, byNode)
		}
	})
}

// TestSaturatedShares: in a judged slice every client is full-buffer, so
// the leader would measure every radio with clients busy with its own
// clients and its contenders' (mesh radios on an overlapping channel it
// hears, foreign networks); radios hearing each other split what the
// foreign networks leave. A radio emptied of clients takes nothing, and
// its contenders get its share.
func TestSaturatedShares(t *testing.T) {
	raised := 0
	eachHome(t, func(c Class, seed uint64, h *Home) {
		p := lccsPlan(t, h)
		n := len(h.Scene.Radios)
		count := make([]int, n)
		for _, cl := range h.Clients {
			count[cl.Radio]++
		}
		load, own := h.saturated(p, count)
		for i := range n {
			if load[i] < 0 || load[i] > 1 || own[i] < 0 || own[i] > load[i]+1e-12 || (own[i] > 0) != (count[i] > 0) {
				t.Fatalf("%s %d: radio %d with %d clients: load %.3f own %.3f", c, seed, i, count[i], load[i], own[i])
			}
		}
		// Empty the busiest radio: it takes nothing, nobody gets less.
		busy := 0
		for i := range n {
			if count[i] > count[busy] {
				busy = i
			}
		}
		emptied := append([]int(nil), count...)
		emptied[busy] = 0
		_, own2 := h.saturated(p, emptied)
		if own2[busy] != 0 {
			t.Fatalf("%s %d: emptied radio %d still takes %.3f", c, seed, busy, own2[busy])
		}
		gained := false
		for i := range n {
			if i != busy && own2[i] < own[i]-1e-12 {
				t.Fatalf("%s %d: radio %d's share fell from %.3f to %.3f when radio %d was emptied", c, seed, i, own[i], own2[i], busy)
			}
			gained = gained || own2[i] > own[i]+1e-12
		}
		if gained {
			raised++
		}
	})
	if raised == 0 {
		t.Fatal("emptying the busiest radio raised no contender's share in any home")
	}
}
