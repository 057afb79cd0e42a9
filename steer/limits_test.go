package steer

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// ignorer runs a client that never moves for d, one round a second, and
// returns the actions with their times. respond, when set, answers each
// BTM request with that status the next round.
func ignorer(t *testing.T, c Client, d time.Duration, respond *int) (at []time.Time, actions []Action, mem Memory) {
	t.Helper()
	var answer []Response
	for s := time.Duration(0); s < d; s += time.Second {
		in := Input{Now: t0.Add(s), BSSs: mesh(), Clients: []Client{c}, Responses: answer}
		c.ConnectedFor += time.Second
		res := decide(t, Config{}, in, mem)
		mem, answer = res.Memory, nil
		for _, a := range res.Actions {
			at = append(at, in.Now)
			actions = append(actions, a)
			if respond != nil {
				answer = []Response{{MAC: a.Client, Status: *respond}}
			}
		}
	}
	return at, actions, mem
}

// TestIgnoringClientBackoffAndHourlyLimit: a BTM client that never
// moves is asked again after a back-off that doubles, never more than
// four times an hour, and never refused (it is not legacy).
func TestIgnoringClientBackoffAndHourlyLimit(t *testing.T) {
	zero, reject := 0, 1
	for _, tc := range []struct {
		name    string
		respond *int
		outcome Outcome
	}{{"no answer", nil, TimedOut}, {"accepts but stays", &zero, Ignored}, {"rejects", &reject, Rejected}} {
		t.Run(tc.name, func(t *testing.T) {
			at, actions, mem := ignorer(t, phone(apA5, -78, obs(apB5, -60)), 3*time.Hour, tc.respond)
			checkHourly(t, at, 4)
			for _, a := range actions {
				if a.Method != Transition {
					t.Fatalf("a BTM client got %v", a.Method)
				}
			}
			if len(at) < 5 {
				t.Fatalf("only %d attempts in 3 h", len(at))
			}
			// Waits: the back-off after i failures is 1, 2, 4, 8, 16,
			// 30, 30... minutes from the last attempt (a silent client's
			// failure is known only after the attempt timeout, within
			// that wait), and the fifth attempt of an hour waits for the
			// first to leave the hour; past two attempts in the hour
			// the next waits ReserveSpacing (15 min) after the last.
			cfg := DefaultConfig()
			for i := 1; i < len(at); i++ {
				backoff := min(cfg.BackoffBase<<(i-1), cfg.BackoffMax)
				earliest := at[i-1].Add(backoff)
				if i >= 4 && at[i-4].Add(time.Hour).After(earliest) {
					earliest = at[i-4].Add(time.Hour)
				}
				// Past ReserveAfter attempts in the hour, the rest of
				// the budget is spaced.
				recent := 0
				for _, x := range at[:i] {
					if x.After(earliest.Add(-time.Hour)) {
						recent++
					}
				}
				if recent >= cfg.ReserveAfter && at[i-1].Add(cfg.ReserveSpacing).After(earliest) {
					earliest = at[i-1].Add(cfg.ReserveSpacing)
				}
				if at[i].Before(earliest) || at[i].After(earliest.Add(time.Second)) {
					t.Errorf("attempt %d at +%v, want at +%v", i, at[i].Sub(t0), earliest.Sub(t0))
				}
			}
			h := mem.Clients[sta]
			for _, a := range h.Attempts[:len(h.Attempts)-1] {
				if a.Outcome != tc.outcome {
					t.Errorf("attempt at %v: outcome %v, want %v", a.At, a.Outcome, tc.outcome)
				}
			}
			if len(h.Attempts) > 8 {
				t.Errorf("memory keeps %d attempts", len(h.Attempts))
			}
		})
	}
}

// TestLegacyClientRefusedWithinLimit: a legacy client that stays gets
// bounded refusals, at most four an hour.
func TestLegacyClientRefusedWithinLimit(t *testing.T) {
	c := phone(apA5, -78, obs(apB5, -60))
	c.Caps.BTM = false
	at, actions, _ := ignorer(t, c, 2*time.Hour, nil)
	checkHourly(t, at, 4)
	if len(actions) == 0 {
		t.Fatal("legacy client never refused")
	}
	for _, a := range actions {
		if a.Method != Deny || a.DenyFor != 30*time.Second || a.From != apA5 {
			t.Fatalf("action %+v, want a 30 s refusal on A", a)
		}
	}
}

// checkHourly fails if any hour holds more than n of the times.
func checkHourly(t *testing.T, at []time.Time, n int) {
	t.Helper()
	for i := range at {
		k := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Hour; j++ {
			k++
		}
		if k > n {
			t.Fatalf("%d attempts in the hour from %v (limit %d): %v", k, at[i], n, at)
		}
	}
}

// TestAcceptResetsBackoff: after failures, a successful move clears the
// failure count.
func TestAcceptResetsBackoff(t *testing.T) {
	_, _, mem := ignorer(t, phone(apA5, -78, obs(apB5, -60)), 5*time.Minute, nil)
	if f := mem.Clients[sta].Failures; f < 2 {
		t.Fatalf("failures %d after ignoring, want ≥ 2", f)
	}
	// Wait out the back-off, steer, then the client moves.
	now := t0.Add(time.Hour)
	res := decide(t, Config{}, Input{Now: now, BSSs: mesh(), Clients: []Client{phone(apA5, -78, obs(apB5, -60))}}, mem)
	if len(res.Actions) != 1 {
		t.Fatalf("no steer after the back-off: %+v", res.Actions)
	}
	res = decide(t, Config{}, Input{Now: now.Add(2 * time.Second), BSSs: mesh(), Clients: []Client{phone(apB5, -60)}}, res.Memory)
	h := res.Memory.Clients[sta]
	if h.Failures != 0 || h.last().Outcome != Accepted {
		t.Fatalf("after the move: failures %d, last %+v", h.Failures, h.last())
	}
}

// TestBadInput: malformed rows are reported and ignored, the rest of
// the round still works.
func TestBadInput(t *testing.T) {
	good := phone(apA5, -78, obs(apB5, -60))
	good.MAC = mac(0x06, 99)
	withGood := func(bs []BSS, cs ...Client) Input {
		return Input{Now: t0, BSSs: bs, Clients: append(cs, good)}
	}
	mod := func(f func(*Client)) Client { c := phone(apA5, -78, obs(apB5, -60)); f(&c); return c }
	modB := func(f func(*BSS)) []BSS {
		bs := mesh()
		bs = append(bs, bss5(mac(0x02, 0xc5), "C"))
		f(&bs[4])
		return bs
	}
	tests := []struct {
		name string
		in   Input
		kind string
	}{
		{"negative load", withGood(modB(func(b *BSS) { b.Load = -0.1 })), "bss"},
		{"NaN load", withGood(modB(func(b *BSS) { b.Load = nan() })), "bss"},
		{"bad width", withGood(modB(func(b *BSS) { b.WidthMHz = 30 })), "bss"},
		{"bad band", withGood(modB(func(b *BSS) { b.Band = 9 })), "bss"},
		{"active above clients", withGood(modB(func(b *BSS) { b.Active = 3 })), "bss"},
		{"bad BSSID", withGood(modB(func(b *BSS) { b.BSSID = "zz" })), "bss"},
		{"duplicate BSSID", withGood(modB(func(b *BSS) { b.BSSID = apA24 })), "bss"},
		{"duplicate client MAC", withGood(mesh(), phone(apA5, -78), phone(apB5, -60)), "client"},
		{"client on unknown BSS", withGood(mesh(), mod(func(c *Client) { c.BSSID = mac(0x02, 0x77) })), "client"},
		{"bad client MAC", withGood(mesh(), mod(func(c *Client) { c.MAC = "06:00:00:00:00" })), "client"},
		{"NaN signal", withGood(mesh(), mod(func(c *Client) { c.Signal.DBm = nan() })), "client"},
		{"positive signal", withGood(mesh(), mod(func(c *Client) { c.Signal.DBm = 5 })), "client"},
		{"negative age", withGood(mesh(), mod(func(c *Client) { c.Signal.Age = -time.Second })), "client"},
		{"airtime above 1", withGood(mesh(), mod(func(c *Client) { c.Airtime = 1.5 })), "client"},
		{"observation of an unknown BSS", withGood(mesh(), mod(func(c *Client) { c.Seen = []Observation{obs(mac(0x02, 0x77), -50)} })), "observation"},
		{"NaN observation", withGood(mesh(), mod(func(c *Client) { c.Seen = []Observation{obs(apB5, nan())} })), "observation"},
		{"response from an unknown station", Input{Now: t0, BSSs: mesh(), Clients: []Client{good}, Responses: []Response{{MAC: sta}}}, "response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Decide(Config{}, tt.in, Memory{})
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if len(res.Problems) == 0 {
				t.Fatal("no problem reported")
			}
			var ie *InputError
			if !errors.As(res.Problems[0], &ie) || ie.Kind != tt.kind {
				t.Fatalf("problem %v, want an *InputError of kind %q", res.Problems[0], tt.kind)
			}
			if len(res.Actions) != 1 || res.Actions[0].Client != good.MAC {
				t.Fatalf("actions %+v, want only the good client's", res.Actions)
			}
		})
	}
}

// TestDuplicateBSSIDWithMalformedCopy: a BSSID given twice is dropped
// even when one row is malformed, so no client is sent to a BSS whose
// row is ambiguous. (Found by TestRandomRounds: the valid copy was kept.)
func TestDuplicateBSSIDWithMalformedCopy(t *testing.T) {
	bad := bss5(apB5, "B2")
	bad.WidthMHz = 30
	res, err := Decide(Config{}, Input{Now: t0, BSSs: append(mesh(), bad), Clients: []Client{phone(apA5, -78, obs(apB5, -60))}}, Memory{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Actions) != 0 {
		t.Fatalf("actions %+v, want none to the ambiguous BSS", res.Actions)
	}
	var ie *InputError
	if len(res.Problems) != 3 || !errors.As(res.Problems[0], &ie) || ie.Reason != "duplicate BSSID" {
		t.Fatalf("problems %v, want both copies reported as duplicates and the observation of B as unknown", res.Problems)
	}
}

func nan() float64 { z := 0.0; return z / z }

// TestRoundErrors: rounds that cannot be run are refused and leave the
// memory as it was.
func TestRoundErrors(t *testing.T) {
	res := decide(t, Config{}, Input{Now: t0, BSSs: mesh(), Clients: []Client{phone(apA5, -78, obs(apB5, -60))}}, Memory{})
	mem := res.Memory
	for _, tc := range []struct {
		name string
		cfg  Config
		now  time.Time
		is   error
	}{
		{"time went back", Config{}, t0.Add(-time.Second), ErrTimeWentBack},
		{"no time", Config{}, time.Time{}, nil},
		{"gain below 1", Config{MinGain: 0.5}, t0.Add(time.Second), nil},
		{"NaN hysteresis", Config{HysteresisDB: nan()}, t0.Add(time.Second), nil},
		{"negative dwell", Config{MinDwell: -time.Second}, t0.Add(time.Second), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Decide(tc.cfg, Input{Now: tc.now, BSSs: mesh()}, mem)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("err = %v, want an error (%v)", err, tc.is)
			}
			if res.Memory.Now != mem.Now || len(res.Memory.Clients) != 1 {
				t.Fatalf("memory changed: %+v", res.Memory)
			}
		})
	}
}

// TestMemoryBounded: clients not seen for ForgetAfter are forgotten and
// the memory never holds more than MaxClients.
func TestMemoryBounded(t *testing.T) {
	cfg := Config{MaxClients: 3}
	var mem Memory
	for i := range 5 {
		c := phone(apA5, -50)
		c.MAC = mac(0x06, i)
		mem = decide(t, cfg, Input{Now: t0.Add(time.Duration(i) * time.Minute), BSSs: mesh(), Clients: []Client{c}}, mem).Memory
	}
	if len(mem.Clients) != 3 {
		t.Fatalf("%d clients kept, want 3", len(mem.Clients))
	}
	for i := 2; i < 5; i++ {
		if _, ok := mem.Clients[mac(0x06, i)]; !ok {
			t.Errorf("recent client %d forgotten", i)
		}
	}
	mem = decide(t, cfg, Input{Now: t0.Add(2*time.Hour + 3*time.Minute + 30*time.Second), BSSs: mesh()}, mem).Memory
	if len(mem.Clients) != 1 {
		t.Fatalf("after 2 h: %d clients kept, want only the one seen at +4 min", len(mem.Clients))
	}
}

// TestDecideLeavesMemoryAlone: the memory passed in is not modified.
func TestDecideLeavesMemoryAlone(t *testing.T) {
	res := decide(t, Config{}, Input{Now: t0, BSSs: mesh(), Clients: []Client{phone(apA5, -78, obs(apB5, -60))}}, Memory{})
	mem := res.Memory
	before := mem.Clients[sta].Attempts[0]
	decide(t, Config{}, Input{Now: t0.Add(time.Second), BSSs: mesh(), Clients: []Client{phone(apA5, -78)},
		Responses: []Response{{MAC: sta, Status: 1}}}, mem)
	if got := mem.Clients[sta].Attempts[0]; got != before {
		t.Fatalf("attempt changed from %+v to %+v", before, got)
	}
}

// TestResponseThenMove: an accepting BTM response is recorded on the
// pending attempt, which resolves as accepted when the client shows up
// on the target; a second response for it is a problem.
func TestResponseThenMove(t *testing.T) {
	res := decide(t, Config{}, Input{Now: t0, BSSs: mesh(), Clients: []Client{phone(apA5, -78, obs(apB5, -60))}}, Memory{})
	if len(res.Actions) != 1 {
		t.Fatalf("no steer: %+v", res.Actions)
	}
	res = decide(t, Config{}, Input{Now: t0.Add(time.Second), BSSs: mesh(), Clients: []Client{phone(apA5, -78)},
		Responses: []Response{{MAC: strings.ToUpper(sta), Status: 0}}}, res.Memory)
	h := res.Memory.Clients[sta]
	if a := h.last(); a.Status != 0 || a.Outcome != Pending {
		t.Fatalf("after the response: %+v, want pending with status 0", a)
	}
	res2, err := Decide(Config{}, Input{Now: t0.Add(2 * time.Second), BSSs: mesh(), Clients: []Client{phone(apB5, -60)},
		Responses: []Response{{MAC: sta, Status: 0}}}, res.Memory)
	if err != nil {
		t.Fatal(err)
	}
	h = res2.Memory.Clients[sta]
	if a := h.last(); a.Outcome != Accepted {
		t.Fatalf("after the move: %+v, want accepted", a)
	}
	var ie *InputError
	if len(res2.Problems) != 1 || !errors.As(res2.Problems[0], &ie) || ie.Kind != "response" {
		t.Fatalf("problems %v, want the second response refused", res2.Problems)
	}
}
