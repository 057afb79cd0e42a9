package wifiopt

import (
	"context"
	"math"
	"testing"
)

// adjacentBlocks is radio a allowed only 116-128 and radio b only 100-112,
// both at 80 MHz, hearing each other at -43 dBm, a's clients at sig dBm;
// a is current on aCur, b on 100/80.
func adjacentBlocks(sig float64, aCur int, switchCost float64) *Problem {
	return &Problem{
		Radios: []Radio{
			{ID: "a", Band: Band5G, Channels: fiveGHz(116, 128), Current: Assignment{aCur, 80}, Load: 0.9, ClientSignalDBm: sig},
			{ID: "b", Band: Band5G, Channels: fiveGHz(100, 112), Current: Assignment{100, 80}, Load: 0.9},
		},
		RSSI:       []Link{{"a", "b", -43}, {"b", "a", -43}},
		SwitchCost: switchCost,
	}
}

func solvePlan(t *testing.T, p *Problem) Plan {
	t.Helper()
	pl, err := Solve(context.Background(), p, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Evaluate(p, pl.Assign)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c-pl.Cost) > 1e-9 {
		t.Errorf("plan cost %v, Evaluate of its assignment %v", pl.Cost, c)
	}
	return pl
}

func TestPrimaryAwayFromBusyNeighbour(t *testing.T) {
	pl := solvePlan(t, adjacentBlocks(-65, 116, 0))
	// Each primary goes to the end of its block farthest from the other.
	if got := pl.Assign["a"]; got != (Assignment{128, 80}) {
		t.Errorf("a on %v, want primary 128 (farthest from b's block 100-112)", got)
	}
	if got := pl.Assign["b"]; got != (Assignment{100, 80}) {
		t.Errorf("b on %v, want primary 100 (farthest from a's block 116-128)", got)
	}
}

func TestPrimaryStaysWithoutNeighbours(t *testing.T) {
	p := adjacentBlocks(-65, 120, DefaultSwitchCost)
	p.RSSI = nil
	pl := solvePlan(t, p)
	// Nothing heard: the representative primary (the current one, as
	// switches cost something) stays.
	if got := pl.Assign["a"]; got != (Assignment{120, 80}) {
		t.Errorf("a on %v, want its current 120/80 kept", got)
	}
}

func TestPrimaryMoveIsASwitch(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  float64
		want int
	}{
		// A weak client's uplink is drowned by the leakage into 116:
		// worth a switch.
		{"weak client", -65, 128},
		// A strong client keeps a margin: the switch is not worth it.
		{"strong client", -40, 116},
		// Nothing known of the clients: no switch for the primary alone.
		{"unknown clients", 0, 116},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := solvePlan(t, adjacentBlocks(tc.sig, 116, DefaultSwitchCost))
			if got := pl.Assign["a"]; got != (Assignment{tc.want, 80}) {
				t.Errorf("a on %v, want primary %d", got, tc.want)
			}
			wantSwitches := 0
			if tc.want != 116 {
				wantSwitches = 1
			}
			if pl.Switches != wantSwitches {
				t.Errorf("%d switches, want %d", pl.Switches, wantSwitches)
			}
		})
	}
}

func TestPrimaryJoinsNarrowNetworkInBlock(t *testing.T) {
	p := adjacentBlocks(-65, 116, 0)
	p.RSSI = nil
	p.Radios = p.Radios[:1]
	p.Foreign = []ForeignBSS{{Radio: "a", Channel: 124, Width: 20, RSSI: -60, Load: 0.5}}
	pl := solvePlan(t, p)
	// Off 124 a would hear the network there only by energy detection
	// and the two would collide on each other's acknowledgements.
	if got := pl.Assign["a"]; got != (Assignment{124, 80}) {
		t.Errorf("a on %v, want 124/80, the primary of the foreign network inside its block", got)
	}
}

func TestPrimaryAlignsBeforeLeakage(t *testing.T) {
	// b below a's block leaks into 116, but a foreign network on a's own
	// block has its primary there: sharing it comes first.
	p := adjacentBlocks(-65, 116, 0)
	p.Foreign = []ForeignBSS{{Radio: "a", Channel: 116, Width: 80, RSSI: -70, Load: 0.3}}
	pl := solvePlan(t, p)
	if got := pl.Assign["a"]; got != (Assignment{116, 80}) {
		t.Errorf("a on %v, want 116/80, the co-channel network's primary", got)
	}
}

func TestMeshBlockSharesOnePrimary(t *testing.T) {
	// a and c share 116-128 and hear each other; a also hears b below,
	// c hears nothing else. Both take one primary, away from b.
	p := adjacentBlocks(-65, 116, 0)
	c := p.Radios[0]
	c.ID, c.Current = "c", Assignment{124, 80}
	p.Radios = append(p.Radios, c)
	p.RSSI = append(p.RSSI, Link{"a", "c", -60}, Link{"c", "a", -60})
	pl := solvePlan(t, p)
	if pl.Assign["a"] != pl.Assign["c"] || pl.Assign["a"] != (Assignment{128, 80}) {
		t.Errorf("a on %v, c on %v: want both on 128/80", pl.Assign["a"], pl.Assign["c"])
	}
}

func TestLeastCongestedKeepsLowestPrimary(t *testing.T) {
	p := adjacentBlocks(-65, 116, 0)
	pl, err := LeastCongested(p)
	if err != nil {
		t.Fatal(err)
	}
	// The baseline is what automatic channel selection does: no primary
	// placement.
	if got := pl.Assign["a"]; got != (Assignment{116, 80}) {
		t.Errorf("least-congested a on %v, want 116/80", got)
	}
}
