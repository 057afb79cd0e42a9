package leader

import (
	"fmt"
	"slices"
	"testing"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// quietHome is three APs whose only 2.4 GHz channel is 1, heard by each
// other at -76 dBm (fakeMesh.rssi), each with a client at -35 dBm and
// its radio at full power: cutting power takes the links under carrier
// sense while the clients keep 30 dB over the top rate.
func quietHome() []*fakeAgent {
	var home []*fakeAgent
	for k, id := range []usp.EndpointID{agentA, agentB, agentC} {
		r := radio24("wl1", 1, fmt.Sprintf("02:00:00:00:0%c:01", 'a'+k))
		r.possible, r.power = []int{1}, 100
		r.stations = []map[string]string{{"SignalStrength": "-35"}}
		home = append(home, &fakeAgent{id: id, radios: []*fakeRadio{r}})
	}
	return home
}

// startQuiet starts the leader on home with the mesh radios hearing each
// other at -76 dBm, makes its first round and waits for rounds Plan
// updates (a round that applies nothing makes one, a round that applies
// something two).
func startQuiet(t *testing.T, cfg Config, rounds int, home ...*fakeAgent) *harness {
	t.Helper()
	h := start(t, cfg, home...)
	h.mesh.mu.Lock()
	h.mesh.rssi = -76
	h.mesh.mu.Unlock()
	h.firstRound(cfg)
	h.waitRounds("the first round", rounds)
	return h
}

// TestPowerPlanApplied: the leader cuts power where PlanPower says it
// pays, through X_USPMESH_Switch() on the radio's own channel with the
// term; the Assignment rows show the powers; the next round, measuring
// the home at its new powers, changes nothing.
func TestPowerPlanApplied(t *testing.T) {
	cfg := testConfig()
	h := startQuiet(t, cfg, 2, quietHome()...)
	waitFor(t, &h.clk.note, "the next round's timer", func() bool { return h.clk.countArmed(cfg.PlanPeriod) == 1 })
	first := h.mesh.snapshot()
	applied := len(h.mesh.switches())
	h.clk.Advance(cfg.PlanPeriod)
	h.waitRounds("the periodic round", 3)
	h.stop()

	cut := 0
	for _, o := range first {
		if o.kind != "operate" || o.command == scanCommand {
			continue
		}
		if o.args["Channel"] != "1" || o.args["Term"] != "1" || !slices.Contains([]string{"50", "25", "13"}, o.args["TransmitPower"]) {
			t.Errorf("%s args %v: want channel 1, term 1 and a cut power", o.command, o.args)
		}
		cut++
	}
	if cut == 0 || applied != cut {
		t.Fatalf("%d power changes, %d switches: want at least one, all of them power changes", cut, applied)
	}
	if n := len(h.mesh.switches()); n != applied {
		t.Errorf("the periodic round made %d more switches, want none", n-applied)
	}
	var lowered int
	for _, a := range h.mesh.agents {
		if p := a.radios[0].power; p < 100 {
			lowered++
		}
	}
	if lowered != cut {
		t.Errorf("%d radios below full power, want %d", lowered, cut)
	}
	if got := withoutVolatile(t, h.rep.plans[2]); got["Status"] != "Idle" || got["Switches"] != "0" {
		t.Errorf("periodic round's Plan %v, want Idle with no switch", got)
	}
	for _, a := range h.rep.assignments {
		if a.Status != StatusUnchanged || a.TransmitPower != a.PreviousTransmitPower || a.TransmitPower == 0 {
			t.Errorf("periodic round's row %+v: want unchanged at its power", a)
		}
	}
	if got := cutPercent(wifiopt.MaxPowerCutDB); got != 13 {
		t.Errorf("cutPercent(9) = %d, want 13", got)
	}
}

// TestWeakestStationKeepsPower: in the home where TestPowerPlanApplied
// cuts every radio, each radio also serves one station at -62 dBm among
// eleven at -35: the 10th percentile (-35) has the room, that station has
// not, so no power is cut. Plan.Input shows both signals.
func TestWeakestStationKeepsPower(t *testing.T) {
	cfg := testConfig()
	home := quietHome()
	for _, a := range home {
		a.radios[0].stations = []map[string]string{{"SignalStrength": "-62"}}
		for range 11 {
			a.radios[0].stations = append(a.radios[0].stations, map[string]string{"SignalStrength": "-35"})
		}
	}
	h := startQuiet(t, cfg, 1, home...)
	h.stop()
	if got := h.rep.planView(); got["Status"] != "Idle" || got["Switches"] != "0" {
		t.Errorf("Plan %v: want Idle with no switch", got)
	}
	for _, s := range h.mesh.switches() {
		t.Errorf("switched %+v: want every radio kept at full power", s)
	}
	for _, a := range home {
		if p := a.radios[0].power; p != 100 {
			t.Errorf("%s at %d %%, want 100", a.id, p)
		}
	}
	ins := h.rep.lastInputs()
	if len(ins) != len(home) {
		t.Fatalf("%d Plan.Input rows, want %d", len(ins), len(home))
	}
	for _, in := range ins {
		if got := in.Params(); got["ClientSignal"] != "-35" || got["WeakestClient"] != "-62" {
			t.Errorf("Plan.Input %s: ClientSignal %q, WeakestClient %q; want -35 and -62", in.Radio, got["ClientSignal"], got["WeakestClient"])
		}
	}
}

// TestOwnersPowerKept: a radio whose power a Controller fixed
// (TransmitPower written as a percentage: X_USPMESH_AutoTransmitPower
// false) keeps it, in the same home where the others are cut. The
// leader used to cut it at its next round, overriding the owner.
func TestOwnersPowerKept(t *testing.T) {
	cfg := testConfig()
	home := quietHome()
	home[1].radios[0].ownerPower, home[1].radios[0].power = true, 50
	h := startQuiet(t, cfg, 2, home...)
	h.stop()
	for _, o := range h.mesh.snapshot() {
		if o.kind == "operate" && o.to == agentB && o.args["TransmitPower"] != "" && o.args["TransmitPower"] != "50" {
			t.Errorf("the owner's power was changed: %s %v", o.command, o.args)
		}
	}
	if p := home[1].radios[0].power; p != 50 {
		t.Errorf("the radio is at %d %%, want the owner's 50 %%", p)
	}
	if len(h.mesh.switches()) == 0 {
		t.Error("no other radio's power was cut")
	}
}

// TestPinnedRadioKeepsPower: a radio a Controller pinned
// (AutoChannelEnable false) keeps its power as well as its channel, in
// the same home where the others are cut.
func TestPinnedRadioKeepsPower(t *testing.T) {
	cfg := testConfig()
	home := quietHome()
	home[1].radios[0].pinned, home[1].radios[0].power = true, 50
	h := startQuiet(t, cfg, 2, home...)
	h.stop()
	for _, s := range h.mesh.switches() {
		if s.radio == string(agentB)+"/wl1" {
			t.Errorf("the pinned radio was switched: %+v", s)
		}
	}
	if p := home[1].radios[0].power; p != 50 {
		t.Errorf("pinned radio at %d %%, want its 50 %%", p)
	}
	if len(h.mesh.switches()) == 0 {
		t.Error("no other radio's power was cut")
	}
}
