package steer

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// bytesSource is a rand.Source drawing from fuzz bytes, so the fuzzer
// steers the generator's choices; once they run out a PCG takes over (a
// constant source would stall rand's rejection sampling).
type bytesSource struct {
	b    []byte
	rest *rand.PCG
}

func (s *bytesSource) Uint64() uint64 {
	if len(s.b) == 0 {
		return s.rest.Uint64()
	}
	var buf [8]byte
	n := copy(buf[:], s.b)
	s.b = s.b[n:]
	return binary.LittleEndian.Uint64(buf[:])
}

// gen makes random, often malformed, rounds from a small pool of BSSs
// and clients, so that clients come back and meet their history.
type gen struct{ r *rand.Rand }

var (
	bssPool = []BSS{bss5(apA5, "A"), bss24(apA24, "A"), bss5(apB5, "B"), bss24(apB24, "B"),
		{BSSID: mac(0x02, 0xc6), Node: "C", Band: Band6, WidthMHz: 160, Standard: HE}, bss5(mac(0x02, 0xc5), "C")}
	macPool = []string{mac(0x06, 1), mac(0x06, 2), mac(0x06, 3), strings.ToUpper(mac(0x06, 4)), mac(0x06, 5)}
)

func (g gen) pick(n int) int { return g.r.IntN(n) }

func (g gen) float(lo, hi float64) float64 {
	switch g.pick(40) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1)
	case 2:
		return hi + 1
	}
	return lo + g.r.Float64()*(hi-lo)
}

func (g gen) bssid() string {
	if g.pick(30) == 0 {
		return "not-a-mac"
	}
	return bssPool[g.pick(len(bssPool))].BSSID
}

func (g gen) config() Config {
	cfg := DefaultConfig()
	cfg.MaxPerHour = 1 + g.pick(6)
	cfg.MinDwell = []time.Duration{time.Second, 20 * time.Second}[g.pick(2)]
	cfg.BackoffBase = []time.Duration{time.Second, time.Minute}[g.pick(2)]
	cfg.AttemptTimeout = []time.Duration{time.Second, 10 * time.Second}[g.pick(2)]
	cfg.MinGain = 1 + g.r.Float64()
	return cfg
}

func (g gen) step() time.Duration {
	return []time.Duration{0, time.Second, 3 * time.Second, 10 * time.Second, time.Minute, 10 * time.Minute, 61 * time.Minute, -time.Second}[g.pick(8)]
}

func (g gen) round(now time.Time) Input {
	in := Input{Now: now}
	for _, b := range bssPool {
		if g.pick(5) == 0 {
			continue
		}
		b.Load = g.float(-0.05, 1)
		b.Clients = g.pick(6)
		b.Active = g.pick(b.Clients + 2)
		b.Closed = g.pick(6) == 0
		if g.pick(20) == 0 {
			b.WidthMHz = 30
		}
		if g.pick(30) == 0 {
			b.BSSID = g.bssid()
		}
		in.BSSs = append(in.BSSs, b)
	}
	for range g.pick(len(macPool) + 2) {
		c := Client{MAC: macPool[g.pick(len(macPool))], BSSID: g.bssid(),
			Caps: Capabilities{BTM: g.pick(3) > 0, Bands: BandSet(g.pick(16)), Standard: Standard(g.pick(6)),
				Streams: g.pick(5), MaxWidthMHz: []int{0, 20, 80, 160}[g.pick(4)]},
			Signal:       Signal{DBm: g.float(-100, -20), Age: time.Duration(g.pick(25)-1) * time.Second},
			Airtime:      g.float(0, 1),
			ConnectedFor: time.Duration(g.pick(120)) * time.Second,
		}
		for range g.pick(6) {
			c.Seen = append(c.Seen, Observation{BSSID: g.bssid(),
				Signal: Signal{DBm: g.float(-100, -20), Age: time.Duration(g.pick(25)) * time.Second}})
		}
		in.Clients = append(in.Clients, c)
	}
	for range g.pick(3) {
		in.Responses = append(in.Responses, Response{MAC: macPool[g.pick(len(macPool))], Status: g.pick(3)})
	}
	return in
}

// play runs rounds and checks the invariants: no panic, errors only for
// time going back (memory unchanged), actions consistent with the input,
// at most one per client per round, never more than MaxPerHour per client
// in any hour, bounded memory, and the same round decided twice from the
// same memory gives the same result (the memory passed in is not changed).
func play(t *testing.T, g gen, rounds int) {
	cfg := g.config()
	now := t0
	var mem Memory
	log := map[string][]time.Time{}
	for range rounds {
		step := g.step()
		in := g.round(now.Add(step))
		res, err := Decide(cfg, in, mem)
		if step < 0 && !mem.Now.IsZero() {
			if !errors.Is(err, ErrTimeWentBack) || res.Memory.Now != mem.Now {
				t.Fatalf("time went back: err %v, memory time %v (was %v)", err, res.Memory.Now, mem.Now)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Decide: %v", err)
		}
		if again, _ := Decide(cfg, in, mem); !reflect.DeepEqual(again, res) {
			t.Fatalf("the same round decided twice differs:\n%+v\n%+v", res, again)
		}
		now, mem = in.Now, res.Memory
		seen := map[string]bool{}
		for _, a := range res.Actions {
			checkAction(t, in, a)
			if seen[a.Client] {
				t.Fatalf("two actions for %s in one round", a.Client)
			}
			seen[a.Client] = true
			log[a.Client] = append(log[a.Client], now)
			checkHourly(t, log[a.Client], cfg.MaxPerHour)
		}
		if len(mem.Clients) > len(macPool) {
			t.Fatalf("memory holds %d clients", len(mem.Clients))
		}
		for m, h := range mem.Clients {
			if len(h.Attempts) > cfg.MaxPerHour+1 {
				t.Fatalf("memory holds %d attempts for %s", len(h.Attempts), m)
			}
		}
	}
}

// checkAction checks an action against the round's input.
func checkAction(t *testing.T, in Input, a Action) {
	t.Helper()
	var from *Client
	for i, c := range in.Clients {
		if strings.EqualFold(c.MAC, a.Client) {
			if from != nil {
				t.Fatalf("action %+v for a duplicated client", a)
			}
			from = &in.Clients[i]
		}
	}
	if from == nil || !strings.EqualFold(from.BSSID, a.From) || a.To == a.From {
		t.Fatalf("action %+v does not match the input client %+v", a, from)
	}
	n := 0
	for _, b := range in.BSSs {
		if strings.EqualFold(b.BSSID, a.To) {
			n++
			if b.Closed {
				t.Fatalf("action %+v to a closed BSS", a)
			}
		}
	}
	if n != 1 {
		t.Fatalf("action %+v to a BSS given %d times", a, n)
	}
}

// TestRandomRounds is the property test: long random sequences keep
// every invariant of play.
func TestRandomRounds(t *testing.T) {
	for seed := range 50 {
		play(t, gen{rand.New(rand.NewPCG(uint64(seed), 7))}, 1000)
	}
}

// FuzzDecide drives the same generator from fuzz bytes.
func FuzzDecide(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("steer the walking client"))
	f.Add(binary.LittleEndian.AppendUint64(nil, 0xdeadbeefcafef00d))
	f.Fuzz(func(t *testing.T, b []byte) {
		play(t, gen{rand.New(&bytesSource{b, rand.NewPCG(uint64(len(b)), 3)})}, 200)
	})
}
