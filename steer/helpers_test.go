package steer

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)

// mac returns a locally administered MAC ending in n.
func mac(prefix byte, n int) string {
	return fmt.Sprintf("%02x:00:00:00:%02x:%02x", prefix, n>>8&0xff, n&0xff)
}

var (
	apA5  = mac(0x02, 0xa5) // node A, 5 GHz
	apA24 = mac(0x02, 0xa2) // node A, 2.4 GHz
	apB5  = mac(0x02, 0xb5) // node B, 5 GHz
	apB24 = mac(0x02, 0xb2) // node B, 2.4 GHz
	sta   = mac(0x06, 1)
)

func bss5(id, node string) BSS {
	return BSS{BSSID: id, Node: node, Band: Band5, Channel: 36, WidthMHz: 80, Standard: VHT, Streams: 2}
}

func bss24(id, node string) BSS {
	return BSS{BSSID: id, Node: node, Band: Band24, Channel: 1, WidthMHz: 20, Standard: HE, Streams: 2}
}

// mesh is two nodes, each with a 5 GHz and a 2.4 GHz BSS, all idle.
func mesh() []BSS {
	return []BSS{bss5(apA5, "A"), bss24(apA24, "A"), bss5(apB5, "B"), bss24(apB24, "B")}
}

// phone is a dual-band VHT 2x2 client with BSS transition, settled on at
// for a minute, with signal dbm there and seen elsewhere.
func phone(at string, dbm float64, seen ...Observation) Client {
	return Client{
		MAC: sta, BSSID: at,
		Caps:         Capabilities{BTM: true, Bands: Bands(Band24, Band5), Standard: VHT, Streams: 2},
		Signal:       Signal{DBm: dbm, Age: time.Second},
		Seen:         seen,
		ConnectedFor: time.Minute,
	}
}

func obs(id string, dbm float64) Observation {
	return Observation{BSSID: id, Signal: Signal{DBm: dbm, Age: time.Second}}
}

// decide runs one round and fails the test on an error or problems.
func decide(t *testing.T, cfg Config, in Input, mem Memory) Result {
	t.Helper()
	if in.Now.IsZero() {
		in.Now = t0
	}
	res, err := Decide(cfg, in, mem)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("Decide problems: %v", errors.Join(res.Problems...))
	}
	return res
}

// oneAction checks that res has no action when want is "" (and then
// returns false) and otherwise exactly one, which it returns; the caller
// checks its target and the rest.
func oneAction(t *testing.T, res Result, want string) (Action, bool) {
	t.Helper()
	if want == "" {
		if len(res.Actions) != 0 {
			t.Fatalf("actions %+v, want none", res.Actions)
		}
		return Action{}, false
	}
	if len(res.Actions) != 1 {
		t.Fatalf("actions %+v, want one to %s", res.Actions, want)
	}
	return res.Actions[0], true
}
