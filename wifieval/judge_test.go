package wifieval

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
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
