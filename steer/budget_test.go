package steer

import (
	"testing"
	"time"
)

// TestPingPongWalkedAway: after A→B, going back B→A within the window is
// a ping-pong only while the client's signal at B is within MovedDB of
// the -60 dBm the steer saw; a client that walked on to a third AP is
// steered there whatever the window.
func TestPingPongWalkedAway(t *testing.T) {
	c5 := bss5(mac(0x02, 0xc5), "C")
	bsss := append(mesh(), c5)
	res := decide(t, Config{}, Input{BSSs: bsss, Clients: []Client{phone(apA5, -78, obs(apB5, -60))}}, Memory{})
	if len(res.Actions) != 1 || res.Actions[0].To != apB5 || res.Actions[0].ToDBm != -60 {
		t.Fatalf("first round: %+v, want a steer to B seen at -60 dBm", res.Actions)
	}
	// The client moves to B.
	mem := decide(t, Config{}, Input{Now: t0.Add(10 * time.Second), BSSs: bsss, Clients: []Client{phone(apB5, -60)}}, res.Memory).Memory
	for _, tt := range []struct {
		name string
		c    Client
		want string
	}{
		{"B 9 dB down: still a ping-pong", phone(apB5, -69, obs(apA5, -50)), ""},
		{"B 10 dB down: walked away, back to A", phone(apB5, -70, obs(apA5, -50)), apA5},
		{"B 16 dB down, near C: on to C", phone(apB5, -76, obs(c5.BSSID, -55)), c5.BSSID},
		{"B 9 dB down, C better: on to C", phone(apB5, -69, obs(apA5, -50), obs(c5.BSSID, -55)), c5.BSSID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := decide(t, Config{}, Input{Now: t0.Add(5 * time.Minute), BSSs: bsss, Clients: []Client{tt.c}}, mem)
			switch {
			case tt.want == "" && len(res.Actions) != 0:
				t.Fatalf("actions %+v, want none", res.Actions)
			case tt.want != "" && (len(res.Actions) != 1 || res.Actions[0].To != tt.want):
				t.Fatalf("actions %+v, want one to %s", res.Actions, tt.want)
			}
		})
	}
}

// TestReserveForBigGains: once a client had ReserveAfter (2) attempts in
// the last hour, the rest of its hourly budget goes only to moves that
// triple its expected throughput; MaxPerHour (4) still bounds them all.
func TestReserveForBigGains(t *testing.T) {
	c5, d5 := mac(0x02, 0xc5), mac(0x02, 0xd5)
	bsss := append(mesh(), bss5(c5, "C"), bss5(d5, "D"))
	// past holds n accepted attempts between C and D, 50, 40, ... min ago.
	past := func(n int) Memory {
		h := History{LastSeen: t0.Add(-5 * time.Second), BSSID: apA5, Associated: t0.Add(-time.Minute)}
		for i := range n {
			h.Attempts = append(h.Attempts, Attempt{At: t0.Add(time.Duration(i*10-50) * time.Minute), From: c5, To: d5,
				Method: Transition, Outcome: Accepted, Status: 0})
		}
		return Memory{Now: t0.Add(-5 * time.Second), Clients: map[string]History{sta: h}}
	}
	small := phone(apA5, -70, obs(apB5, -64)) // 175.5 → 351 Mb/s
	big := phone(apA5, -78, obs(apB5, -60))   // 27 → 468 Mb/s
	for _, tt := range []struct {
		name string
		n    int
		c    Client
		want bool
	}{
		{"1 attempt, 2x gain", 1, small, true},
		{"2 attempts, 2x gain: kept in reserve", 2, small, false},
		{"2 attempts, 17x gain", 2, big, true},
		{"3 attempts, 17x gain", 3, big, true},
		{"4 attempts: the hourly limit", 4, big, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := decide(t, Config{}, Input{BSSs: bsss, Clients: []Client{tt.c}}, past(tt.n))
			if got := len(res.Actions) == 1 && res.Actions[0].To == apB5; got != tt.want || len(res.Actions) > 1 {
				t.Fatalf("actions %+v, want a steer to B: %v", res.Actions, tt.want)
			}
		})
	}
}
