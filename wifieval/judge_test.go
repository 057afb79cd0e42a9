package wifieval

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// twoAPHome is a small house with two APs three metres apart, two
// clients each on both bands, no foreign networks and no backhaul, every
// client offered more than a channel carries.
func twoAPHome(t *testing.T) *Home {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	s := gen.NewScene(rng, gen.Building{WidthM: 10, DepthM: 8, Floors: 1, FloorHeightM: 3, RoomM: 4, WallDB: 4, FloorDB: 13})
	s.AddAP(gen.Point{X: 3, Y: 4})
	s.AddAP(gen.Point{X: 6, Y: 4})
	h := &Home{Class: House, Seed: 1, Scene: s, Problem: s.Problem()}
	for i := range s.Radios {
		s.Radios[i].BackhaulOf = ""
		for k := range 2 {
			at := s.RadioAt[i]
			at.Y += float64(1 + k)
			h.Clients = append(h.Clients, Client{ID: s.Radios[i].ID + "-c" + string(rune('0'+k)), At: at, Radio: i,
				OfferedMbps: 1.5 * Capacity(s.Radios[i].Band, 80)})
		}
	}
	return h
}

func plan(h *Home, ch ...wifiopt.Assignment) Plan {
	p := Plan{Assign: map[string]wifiopt.Assignment{}}
	for i, r := range h.Scene.Radios {
		p.Assign[r.ID] = ch[i]
	}
	return p
}

// TestJudgeSmoke builds the judge and runs a two-AP home twice: both APs
// on the same channels, then on channels that do not overlap. Every
// client must get traffic both times, and the APs apart must deliver
// clearly more in total.
func TestJudgeSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j := testJudge(ctx, t)
	h := twoAPHome(t)
	a := func(c, w int) wifiopt.Assignment { return wifiopt.Assignment{Channel: c, Width: w} }
	together := plan(h, a(1, 20), a(36, 80), a(1, 20), a(36, 80))
	apart := plan(h, a(1, 20), a(36, 80), a(11, 20), a(100, 80))
	var total [2]float64
	for k, p := range []Plan{together, apart} {
		res, err := j.Deliver(ctx, h, p)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range res.Delivered {
			if d <= 0 {
				t.Errorf("plan %d: client %s got nothing", k, h.Clients[i].ID)
			}
		}
		total[k] = res.Aggregate
		t.Logf("plan %d: %.1f Mbps in total, 10th percentile %.1f, judge %v", k, res.Aggregate, res.P10, res.Wall)
	}
	if total[1] < 1.4*total[0] {
		t.Errorf("APs apart deliver %.1f Mbps, together %.1f: want at least 1.4 times more apart", total[1], total[0])
	}
}

// TestConfigOffered: an unset multiplier is 1, a bad one is refused.
func TestConfigOffered(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "judge")
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	j, err := New(Config{Binary: bin})
	if err != nil || j.Offered() != 1 {
		t.Fatalf("default: %v, offered %v", err, j)
	}
	if j, err := New(Config{Binary: bin, Offered: SaturatedOffered}); err != nil || j.Offered() != SaturatedOffered {
		t.Fatalf("saturated: %v", err)
	}
	for _, x := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := New(Config{Binary: bin, Offered: x}); err == nil {
			t.Errorf("Offered %g accepted", x)
		}
	}
}

// testJudge compiles the ns-3 judge into the test's temporary directory
// and returns a Judge with TestConfig's settings.
func testJudge(ctx context.Context, t *testing.T) *Judge {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "judge")
	if err := CompileJudge(ctx, filepath.Join("ns3", "judge.cc"), bin); err != nil {
		if errors.Is(err, ErrNoNS3) {
			t.Fatalf("the judge needs ns-3: run scripts/deps.sh (as root) first: %v", err)
		}
		t.Fatal(err)
	}
	j, err := New(TestConfig(bin))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// pairTx is the transmit power (dBm) of every node of the hand-built
// judge scenarios below.
const pairTx = 20.0

// node5 is a 5 GHz node of those scenarios at x metres, on on, an AP or
// a client of BSS bss.
func node5(name string, on wifiopt.Assignment, ap bool, bss int, x float64) Node {
	return Node{Name: name, Band: wifiopt.Band5G, At: gen.Point{X: x}, On: on, TxPowerDBm: pairTx, AP: ap, BSS: bss, meshRadio: -1, foreign: -1}
}

// twoBSS is AP A (node 0) on aOn with its client a (1) and AP B (2) on
// bOn with its client b (3), path losses as given, both APs offered more
// than they carry.
func twoBSS(aOn, bOn wifiopt.Assignment, losses []Loss) *Scenario {
	return &Scenario{
		Warmup: 600 * time.Millisecond, Measure: time.Second,
		Nodes:  []Node{node5("A", aOn, true, 0, 0), node5("a", aOn, false, 0, 1), node5("B", bOn, true, 1, 2), node5("b", bOn, false, 1, 3)},
		Losses: losses,
		Flows:  []Flow{{Src: 0, Dst: 1, Mbps: 2000}, {Src: 2, Dst: 3, Mbps: 2000}},
	}
}

// leakPair is two 5 GHz BSSs, A on 116/80 with its client at sig dBm and
// B on b with its client at -30 dBm. The APs do not hear each other (no
// carrier sense between them); A's client hears B at heard dBm, B's
// client hears A at -60. Both APs are offered more than they carry.
func leakPair(sig, heard float64, b wifiopt.Assignment) *Scenario {
	const tx = pairTx
	return twoBSS(wifiopt.Assignment{Channel: 116, Width: 80}, b,
		[]Loss{{0, 1, tx - sig}, {2, 3, tx + 30}, {0, 2, tx + 95}, {1, 2, tx - heard}, {0, 3, tx + 60}, {1, 3, tx + 95}})
}

// leakProblem is leakPair as the planner sees it: A's weak client at sig
// dBm, hearing B at heard dBm (a ClientRSSI link), both radios saturated.
func leakProblem(sig, heard float64) *wifiopt.Problem {
	var chs []wifiopt.Channel
	for n := 36; n <= 144; n += 4 {
		chs = append(chs, wifiopt.Channel{Number: n})
	}
	r := func(id string, s float64) wifiopt.Radio {
		return wifiopt.Radio{ID: id, Band: wifiopt.Band5G, Channels: chs, Widths: []int{80},
			Current: wifiopt.Assignment{Channel: 116, Width: 80}, Load: 1, TxPowerDBm: 20, ClientSignalDBm: s}
	}
	return &wifiopt.Problem{Radios: []wifiopt.Radio{r("A", sig), r("B", -30)},
		ClientRSSI: []wifiopt.Link{{From: "B", To: "A", RSSI: heard}}}
}

// TestJudgeAdjacentLeakage checks the planner's client term against the
// judge where only the client term differs: B on the 80 MHz channel
// next to A's (132) or far from it (36), heard by A's client at
// -52 dBm. A weak client (-61 dBm) loses much of its throughput next to
// B in the judge, and the planner prices that plan dearer; a strong one
// (-40 dBm) loses little, and the planner's difference is a small part
// of the weak client's.
func TestJudgeAdjacentLeakage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	j := testJudge(ctx, t)
	adj := wifiopt.Assignment{Channel: 132, Width: 80}
	far := wifiopt.Assignment{Channel: 36, Width: 80}
	const heard = -52
	judged := func(sig float64, b wifiopt.Assignment) float64 {
		got, _, err := j.run(ctx, leakPair(sig, heard, b), "")
		if err != nil {
			t.Fatal(err)
		}
		return got[0]
	}
	priced := func(sig float64, b wifiopt.Assignment) float64 {
		c, err := wifiopt.Evaluate(leakProblem(sig, heard), map[string]wifiopt.Assignment{"A": {Channel: 116, Width: 80}, "B": b})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var keep, extra [2]float64
	for k, sig := range []float64{-61, -40} {
		keep[k] = judged(sig, adj) / judged(sig, far)
		extra[k] = priced(sig, adj) - priced(sig, far)
		t.Logf("client at %.0f dBm: the judge keeps %.2f of its throughput next to B; the planner adds %.4f", sig, keep[k], extra[k])
	}
	if keep[0] > 0.8 || extra[0] <= 0 {
		t.Errorf("weak client: judge keeps %.2f, planner adds %.4f; want at most 0.8 and a positive price", keep[0], extra[0])
	}
	if keep[1] < 0.95 || extra[1] > 0.2*extra[0] {
		t.Errorf("strong client: judge keeps %.2f, planner adds %.4f; want at least 0.95 and at most a fifth of the weak client's %.4f", keep[1], extra[1], extra[0])
	}
}

// TestKeepScenarios: with Config.KeepDir, Deliver keeps the scenario it
// ran as CLASS-SEED-NAME.txt ("plan" when the Plan has no name), with
// the nodes and flows it judged; a KeepDir that cannot be a directory
// is refused.
func TestKeepScenarios(t *testing.T) {
	cfg := scriptJudge(t, "").cfg
	dir := filepath.Join(t.TempDir(), "kept", "scenarios")
	cfg.KeepDir = dir
	j, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := twoAPHome(t)
	a := func(c, w int) wifiopt.Assignment { return wifiopt.Assignment{Channel: c, Width: w} }
	p := plan(h, a(1, 20), a(36, 80), a(11, 20), a(100, 80))
	for _, name := range []string{"planner", ""} {
		p.Name = name
		res, err := j.Deliver(context.Background(), h, p)
		if err != nil {
			t.Fatal(err)
		}
		file := "house-1-planner.txt"
		if name == "" {
			file = "house-1-plan.txt"
		}
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("plan %q: %v", name, err)
		}
		var nodes, flows int
		for _, l := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(l, "node "):
				nodes++
			case strings.HasPrefix(l, "flow "):
				flows++
			}
		}
		if !strings.HasPrefix(string(b), "judge 1\n") || nodes != res.Nodes || flows != res.Flows {
			t.Errorf("%s: %d nodes and %d flows, want %d and %d in a judge scenario", file, nodes, flows, res.Nodes, res.Flows)
		}
	}
	cfg.KeepDir = cfg.Binary // a file
	if _, err := New(cfg); err == nil {
		t.Error("a KeepDir that is a file was accepted")
	}
}

// primaryPair is two saturated BSSs on 5 GHz whose APs hear each other
// at apHeard dBm: A on aOn with one client at sig dBm, B on bOn with one
// client next to it. A's client hardly hears B (-90 dBm).
func primaryPair(sig, apHeard float64, aOn, bOn wifiopt.Assignment) *Scenario {
	const tx = pairTx
	return twoBSS(aOn, bOn,
		[]Loss{{0, 1, tx - sig}, {2, 3, tx + 30}, {0, 2, tx - apHeard}, {1, 2, tx + 90}, {0, 3, tx + 60}, {1, 3, tx + 95}})
}

// TestJudgePrimaryCalibration pins what the primary 20 MHz channel's
// place inside a wide block does in the judge, which the planner's model
// does not price (it costs a block the same whatever its primary). A on
// 116/80 has a client at -65 dBm.
//   - B, saturated on the adjacent block 100-112 and heard by A at
//     -43 dBm: A's client gets clearly more with A's primary on 128, far
//     from B, than on 116, next to it (leakage drowns the client's
//     frames on the primary).
//   - F, a saturated network on A's own block with its primary on 124,
//     heard at -60 dBm: A's client gets clearly more with A's primary on
//     124 too than on 116 (apart, the two hear each other's
//     acknowledgements only by energy detection).
func TestJudgePrimaryCalibration(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	j := testJudge(ctx, t)
	const sig, apHeard, fHeard = -65, -43, -60
	at := func(c int) wifiopt.Assignment { return wifiopt.Assignment{Channel: c, Width: 80} }
	judged := func(sc *Scenario) float64 {
		got, _, err := j.run(ctx, sc, "")
		if err != nil {
			t.Fatal(err)
		}
		return got[0]
	}
	far, near := judged(primaryPair(sig, apHeard, at(128), at(100))), judged(primaryPair(sig, apHeard, at(116), at(100)))
	t.Logf("B adjacent: A's client gets %.1f Mb/s with A's primary on 128, %.1f on 116", far, near)
	if far < 1.5*near {
		t.Errorf("B adjacent: primary 128 gives %.1f Mb/s, 116 gives %.1f: want at least 1.5 times as much", far, near)
	}
	withF := func(aOn wifiopt.Assignment) float64 {
		// B of primaryPair is far away on 36/80; F and its client join.
		sc := primaryPair(sig, -95, aOn, at(36))
		const tx = pairTx
		sc.Nodes = append(sc.Nodes, node5("F", at(124), true, 2, 4), node5("f", at(124), false, 2, 5))
		sc.Losses = append(sc.Losses, Loss{0, 4, tx - fHeard}, Loss{1, 4, tx - fHeard}, Loss{0, 5, tx - fHeard}, Loss{4, 5, tx + 30},
			Loss{2, 4, tx + 95}, Loss{3, 4, tx + 95}, Loss{2, 5, tx + 95}, Loss{3, 5, tx + 95}, Loss{1, 5, tx + 95})
		sc.Flows = append(sc.Flows, Flow{Src: 4, Dst: 5, Mbps: 2000})
		return judged(sc)
	}
	aligned, apart := withF(at(124)), withF(at(116))
	t.Logf("F on A's block: A's client gets %.1f Mb/s with A's primary on 124, F's, %.1f on 116", aligned, apart)
	if aligned < 1.5*apart {
		t.Errorf("F on A's block: primary 124 gives %.1f Mb/s, 116 gives %.1f: want at least 1.5 times as much", aligned, apart)
	}
}
