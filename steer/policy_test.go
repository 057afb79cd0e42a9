package steer

import (
	"testing"
	"time"
)

// TestRules covers each rule with one client and one round.
func TestRules(t *testing.T) {
	legacy := phone(apA5, -78, obs(apB5, -60))
	legacy.Caps.BTM = false
	only24 := phone(apA24, -55, obs(apA5, -62))
	only24.Caps.Bands = Bands(Band24)
	unknownBands := phone(apA24, -55, obs(apA5, -62))
	unknownBands.Caps.Bands = 0
	fresh := phone(apA5, -78, obs(apB5, -60))
	fresh.ConnectedFor = 5 * time.Second
	staleCur := phone(apA5, -78, obs(apB5, -60))
	staleCur.Signal.Age = 16 * time.Second
	staleTarget := phone(apA5, -78, Observation{BSSID: apB5, Signal: Signal{DBm: -60, Age: 16 * time.Second}})
	twoObs := phone(apA5, -78, Observation{BSSID: apB5, Signal: Signal{DBm: -60, Age: 20 * time.Second}}, obs(apB5, -75))

	busyB := mesh()
	busyB[2].Load, busyB[2].Clients, busyB[2].Active = 0.9, 8, 6
	closedB := mesh()
	closedB[2].Closed = true

	tests := []struct {
		name   string
		bsss   []BSS
		client Client
		want   string // target BSSID, "" for none
		reason Reason
		method Method
	}{
		{"same band: clearly better and 18 dB stronger", mesh(), phone(apA5, -78, obs(apB5, -60)), apB5, Throughput, Transition},
		{"same band: 5 dB stronger is within the hysteresis", mesh(), phone(apA5, -78, obs(apB5, -73)), "", 0, 0},
		{"same band: 6 dB stronger and 2x faster", mesh(), phone(apA5, -77, obs(apB5, -71)), apB5, Throughput, Transition},
		{"same band: stronger but no faster (both at the top MCS)", mesh(), phone(apA5, -45, obs(apB5, -30)), "", 0, 0},
		{"same band: stronger but target busy", busyB, phone(apA5, -78, obs(apB5, -60)), "", 0, 0},
		{"closed target", closedB, phone(apA5, -78, obs(apB5, -60)), "", 0, 0},
		{"band up to the same node's 5 GHz", mesh(), phone(apA24, -55, obs(apA5, -62)), apA5, BandUp, Transition},
		{"band up: 5 GHz below -70 dBm", mesh(), phone(apA24, -55, obs(apA5, -72)), "", 0, 0},
		{"band up: 2.4 GHz-only client stays", mesh(), only24, "", 0, 0},
		{"band up: unknown bands means only the current one", mesh(), unknownBands, "", 0, 0},
		{"band down: 5 GHz at -78 is not very poor", mesh(), phone(apA5, -78, obs(apA24, -50)), "", 0, 0},
		{"band down: 5 GHz at -84 is", mesh(), phone(apA5, -84, obs(apA24, -60)), apA24, BandDown, Transition},
		{"legacy client is refused, not asked", mesh(), legacy, apB5, Throughput, Deny},
		{"dwell after association", mesh(), fresh, "", 0, 0},
		{"stale current signal", mesh(), staleCur, "", 0, 0},
		{"stale target signal", mesh(), staleTarget, "", 0, 0},
		{"the freshest observation of a BSS counts", mesh(), twoObs, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decide(t, Config{}, Input{BSSs: tt.bsss, Clients: []Client{tt.client}}, Memory{})
			a, ok := oneAction(t, res, tt.want)
			if !ok {
				return
			}
			if a.To != tt.want || a.From != tt.client.BSSID || a.Reason != tt.reason || a.Method != tt.method {
				t.Fatalf("action %+v, want %s→%s %v %v", a, tt.client.BSSID, tt.want, tt.reason, tt.method)
			}
			if a.ExpectedMbps <= a.CurrentMbps {
				t.Errorf("expected %.1f Mb/s not above current %.1f", a.ExpectedMbps, a.CurrentMbps)
			}
			switch a.Method {
			case Deny:
				if a.DenyFor != DefaultConfig().DenyFor || a.Candidates != nil {
					t.Errorf("deny for %v with candidates %v, want %v and none", a.DenyFor, a.Candidates, DefaultConfig().DenyFor)
				}
			case Transition:
				if len(a.Candidates) == 0 || a.Candidates[0] != a.To {
					t.Errorf("candidates %v do not start with %s", a.Candidates, a.To)
				}
			}
			h := res.Memory.Clients[sta]
			if l := h.last(); l == nil || l.Outcome != Pending || l.To != tt.want || l.At != t0 {
				t.Errorf("memory %+v does not record the pending attempt", h)
			}
		})
	}
}

// TestExpectedThroughput checks the share model: the airtime other
// transmitters leave (1 − Load plus the BSS's own clients' airtime) is
// shared so that every active client gets the same throughput, which a
// slow client drags down; a client's own airtime counts as its BSS's.
func TestExpectedThroughput(t *testing.T) {
	rate := PHYRate(VHT, 80, 2, -50)
	slow := PHYRate(VHT, 80, 2, -76)
	tests := []struct {
		name    string
		load    float64
		active  int     // active clients on A not listed
		other   float64 // a listed active client on A at -76 dBm with this airtime (0: none)
		current bool    // the client is on A (else on B, and A is the target)
		airtime float64 // the client's
		want    float64
	}{
		{"idle target", 0, 0, 0, false, 0.6, rate},
		{"target half busy, one active client", 0.5, 1, 0, false, 0.6, rate * 0.5 / 2},
		{"target whose slow client uses its airtime", 0.3, 0, 0.3, false, 0.6, 1 / (1/rate + 1/slow)},
		{"own BSS busy only with this client", 0.6, 0, 0, true, 0.6, rate},
		{"own BSS with another active client", 0.9, 1, 0, true, 0.6, rate * 0.7 / 2},
		{"own BSS, idle client", 0.6, 0, 0, true, 0, rate * 0.4},
		{"saturated target keeps MinShare", 1, 0, 0, false, 0.6, rate * 0.02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bsss := []BSS{bss5(apA5, "A"), bss5(apB5, "B")}
			c := phone(apB5, -50)
			if tt.current {
				c.BSSID = apA5
			}
			c.Airtime = tt.airtime
			cs := []Client{c}
			a := &bsss[0]
			a.Load, a.Active = tt.load, tt.active
			if tt.current && c.Airtime > 0 {
				a.Active++
			}
			if tt.other > 0 {
				o := phone(apA5, -76)
				o.MAC, o.Airtime = mac(0x06, 2), tt.other
				cs = append(cs, o)
				a.Active++
			}
			a.Clients = a.Active + 1
			r := &round{cfg: DefaultConfig()}
			r.indexBSSs(bsss)
			cs = r.validClients(cs)
			r.indexContention(cs)
			if len(r.problems) > 0 {
				t.Fatalf("problems: %v", r.problems)
			}
			if got := r.expected(&cs[0], r.bsss[apA5], -50, tt.current); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("expected = %.3f, want %.3f", got, tt.want)
			}
		})
	}
}

// TestDwellCountsFromFirstSight: without a connected time the dwell
// starts at the first round the client is seen on its BSS.
func TestDwellCountsFromFirstSight(t *testing.T) {
	c := phone(apA5, -78, obs(apB5, -60))
	c.ConnectedFor = 0
	in := Input{Now: t0, BSSs: mesh(), Clients: []Client{c}}
	var mem Memory
	for _, step := range []struct {
		at   time.Duration
		want int
	}{{0, 0}, {10 * time.Second, 0}, {19 * time.Second, 0}, {20 * time.Second, 1}} {
		in.Now = t0.Add(step.at)
		res := decide(t, Config{}, in, mem)
		if len(res.Actions) != step.want {
			t.Fatalf("at +%v: %d actions, want %d", step.at, len(res.Actions), step.want)
		}
		mem = res.Memory
	}
}

// TestPingPongWindow: after A→B the client is not steered B→A within
// the window even when B turns worse (5 dB below the -60 dBm the steer
// saw, less than MovedDB), and is after it.
func TestPingPongWindow(t *testing.T) {
	in := Input{Now: t0, BSSs: mesh(), Clients: []Client{phone(apA5, -78, obs(apB5, -60))}}
	res := decide(t, Config{}, in, Memory{})
	if len(res.Actions) != 1 || res.Actions[0].To != apB5 {
		t.Fatalf("first round: %+v, want a steer to B", res.Actions)
	}
	mem := res.Memory
	// The client moves to B; then B turns worse and A good.
	back := phone(apB5, -65, obs(apA5, -55))
	for _, step := range []struct {
		at   time.Duration
		want int
	}{{10 * time.Second, 0}, {5 * time.Minute, 0}, {29 * time.Minute, 0}, {31 * time.Minute, 1}} {
		in = Input{Now: t0.Add(step.at), BSSs: mesh(), Clients: []Client{back}}
		res = decide(t, Config{}, in, mem)
		if len(res.Actions) != step.want {
			t.Fatalf("at +%v: %+v, want %d actions", step.at, res.Actions, step.want)
		}
		mem = res.Memory
		if step.at == 10*time.Second {
			if h := mem.Clients[sta]; h.Attempts[0].Outcome != Accepted || h.Failures != 0 {
				t.Fatalf("the move to B is not recorded as accepted: %+v", h)
			}
		}
	}
	if a := res.Actions[0]; a.From != apB5 || a.To != apA5 {
		t.Fatalf("after the window: %+v, want B→A", a)
	}
}

// TestCandidatesRanked: the BTM candidate list holds the qualifying BSSs
// best first, at most Config.Candidates of them; 6 GHz is a band up for
// a client that has it.
func TestCandidatesRanked(t *testing.T) {
	c6 := BSS{BSSID: mac(0x02, 0xc6), Node: "C", Band: Band6, WidthMHz: 160, Standard: HE, Streams: 2}
	c5 := bss5(mac(0x02, 0xc5), "C")
	d5 := bss5(mac(0x02, 0xd5), "D")
	bsss := append(mesh(), c6, c5, d5)
	c := phone(apA24, -60, obs(apA5, -66), obs(c5.BSSID, -55), obs(d5.BSSID, -69), obs(c6.BSSID, -58), obs(apB24, -56))
	c.Caps.Bands, c.Caps.Standard = Bands(Band24, Band5, Band6), HE
	res := decide(t, Config{}, Input{BSSs: bsss, Clients: []Client{c}}, Memory{})
	if len(res.Actions) != 1 {
		t.Fatalf("actions %+v, want one", res.Actions)
	}
	a := res.Actions[0]
	want := []string{c6.BSSID, c5.BSSID, apA5}
	if a.Reason != BandUp || len(a.Candidates) != 3 || a.Candidates[0] != want[0] || a.Candidates[1] != want[1] || a.Candidates[2] != want[2] {
		t.Fatalf("action %+v, want band-up with candidates %v", a, want)
	}
	// The same client without 6 GHz goes to the best 5 GHz BSS.
	c.Caps.Bands = Bands(Band24, Band5)
	res = decide(t, Config{}, Input{BSSs: bsss, Clients: []Client{c}}, Memory{})
	if len(res.Actions) != 1 || res.Actions[0].To != c5.BSSID {
		t.Fatalf("actions %+v, want one to %s", res.Actions, c5.BSSID)
	}
}
