//go:build linux

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// The optimiser end to end (issue 10) on a virtual home of sim radios:
// every AP of homes/house.json starts on the same channel per band.

// planView is the leader's Device.X_USPMESH_Mesh.Plan.
type planView struct {
	Status                        string
	Score, Baseline, Measured     float64
	Term, Switches                uint64
	LastApplied, LastRun, Message string
}

func readPlan(h *Home, i int) (planView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	v, err := h.Get(ctx, i, "Device.X_USPMESH_Mesh.Plan.")
	if err != nil {
		return planView{}, err
	}
	f := func(k string) float64 { x, _ := strconv.ParseFloat(v["Device.X_USPMESH_Mesh.Plan."+k], 64); return x }
	u := func(k string) uint64 { x, _ := strconv.ParseUint(v["Device.X_USPMESH_Mesh.Plan."+k], 10, 64); return x }
	return planView{Status: v["Device.X_USPMESH_Mesh.Plan.Status"], Score: f("Score"), Baseline: f("BaselineScore"),
		Measured: f("MeasuredScore"), Term: u("Term"), Switches: u("Switches"),
		LastApplied: v["Device.X_USPMESH_Mesh.Plan.LastApplied"], LastRun: v["Device.X_USPMESH_Mesh.Plan.LastRun"],
		Message: v["Device.X_USPMESH_Mesh.Plan.Message"]}, nil
}

// airChannels reads every radio's channel from the shared air:
// "ap1/radio0" → channel.
func airChannels(t *testing.T, air *sim.Air) map[string]int {
	t.Helper()
	nodes, err := air.Nodes()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, n := range nodes {
		for _, r := range n.Radios {
			out[n.Node+"/"+r.Name] = r.Channel
		}
	}
	return out
}

// modelChannels reads every node's radio channels through USP, keyed as
// airChannels.
func modelChannels(h *Home) (map[string]int, error) {
	out := map[string]int{}
	for _, n := range h.Nodes() {
		if !n.Running {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		v, err := h.Get(ctx, n.Index, "Device.WiFi.Radio.*.Name", "Device.WiFi.Radio.*.Channel")
		cancel()
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", n.Index, err)
		}
		for i := 1; ; i++ {
			name, ok := v[fmt.Sprintf("Device.WiFi.Radio.%d.Name", i)]
			if !ok {
				break
			}
			ch, _ := strconv.Atoi(v[fmt.Sprintf("Device.WiFi.Radio.%d.Channel", i)])
			out[SimNodeName(n.Index)+"/"+name] = ch
		}
	}
	return out, nil
}

// awaitApplied waits until the leader has applied a plan of term ≥
// minTerm after since, and returns it.
func awaitApplied(t *testing.T, h *Home, since time.Time, minTerm uint64) planView {
	t.Helper()
	var p planView
	err := waitFor(2*meshBound, func() error {
		leader, _, err := agreed(h, runningNodes(h))
		if err != nil {
			return err
		}
		if p, err = readPlan(h, indexOf(h, leader)); err != nil {
			return err
		}
		applied, _ := time.Parse(time.RFC3339, p.LastApplied)
		if p.Status != "Idle" || p.Term < minTerm || applied.Before(since.Truncate(time.Second)) {
			return fmt.Errorf("plan %+v", p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("no plan applied: %v", err)
	}
	return p
}

func runningNodes(h *Home) []int {
	var out []int
	for _, n := range h.Nodes() {
		if n.Running {
			out = append(out, n.Index)
		}
	}
	return out
}

var (
	clientLine    = regexp.MustCompile(`(?m)^Device\.WiFi\.AccessPoint\.\d+\.AssociatedDevice\.\d+\.MACAddress => `)
	neighbourLine = regexp.MustCompile(`(?m)^Device\.WiFi\.NeighboringWiFiDiagnostic\.Result\.\d+\.BSSID => `)
)

func TestMeshOptimise(t *testing.T) {
	h := startHome(t, HomeConfig{Nodes: 5, Profile: "fast", SimHome: filepath.Join("..", "..", "homes", "house.json")})
	air, err := sim.OpenAir(h.AirDir())
	if err != nil {
		t.Fatal(err)
	}
	// The owner pins ap2's 2.4 GHz radio: the plan must leave it alone.
	cl, err := h.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n1, _ := h.Node(1)
	if _, err := cl.Set(t.Context(), n1.AgentID, false, setObj(`Device.WiFi.Radio.[Name=="radio0"].`, "AutoChannelEnable", "false")); err != nil {
		t.Fatal(err)
	}
	// And sets ap3's 5 GHz radio to half power: that power must stand
	// (its channel is still planned).
	n2, _ := h.Node(2)
	if _, err := cl.Set(t.Context(), n2.AgentID, false, setObj(`Device.WiFi.Radio.[Name=="radio1"].`, "TransmitPower", "50")); err != nil {
		t.Fatal(err)
	}
	_, term := awaitAgreement(t, h, seq(0, 5))
	start := airChannels(t, air)
	t.Logf("start channels %v", start)

	var plan planView
	t.Run("Converges", func(t *testing.T) {
		t0 := time.Now()
		plan = awaitApplied(t, h, t0.Add(-time.Minute), term)
		t.Logf("plan applied in %v: baseline %.4f → predicted %.4f, measured %.4f, %d switches",
			time.Since(t0).Round(10*time.Millisecond), plan.Baseline, plan.Score, plan.Measured, plan.Switches)
		if plan.Switches == 0 || plan.Score >= plan.Baseline {
			t.Fatalf("the all-on-one-channel home was not improved: %+v", plan)
		}
		if plan.Measured > plan.Score*1.02+1e-3 {
			t.Errorf("measured cost %.4f above the prediction %.4f", plan.Measured, plan.Score)
		}
		now := airChannels(t, air)
		if maps := fmt.Sprint(now); maps == fmt.Sprint(start) {
			t.Errorf("no radio moved: %v", now)
		}
		if now["ap2/radio0"] != start["ap2/radio0"] {
			t.Errorf("the pinned radio ap2/radio0 moved: %d → %d", start["ap2/radio0"], now["ap2/radio0"])
		}
		ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
		owned, err := h.Get(ctx, 2, `Device.WiFi.Radio.[Name=="radio1"].TransmitPower`, `Device.WiFi.Radio.[Name=="radio1"].X_USPMESH_AutoTransmitPower`)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(owned) != 2 {
			t.Errorf("ap3/radio1's power: %v, want TransmitPower and X_USPMESH_AutoTransmitPower", owned)
		}
		for k, v := range owned {
			if want := map[bool]string{true: "50", false: "false"}[strings.HasSuffix(k, ".TransmitPower")]; v != want {
				t.Errorf("ap3/radio1 %s = %s, want %s (the owner's power)", k, v, want)
			}
		}
		model, err := modelChannels(h)
		if err != nil {
			t.Fatal(err)
		}
		for k, ch := range now {
			if model[k] != ch {
				t.Errorf("%s: model says channel %d, air %d", k, model[k], ch)
			}
		}
		checkPlanPowers(t, h)
	})

	t.Run("WiFiThroughUSP", func(t *testing.T) {
		// meshctl get Device.WiFi. shows each node's radios, its SSIDs,
		// neighbours from the leader's scans and the home's clients.
		clients, neighbours := 0, 0
		for _, n := range h.Nodes() {
			out, err := h.Exec(t.Context(), 0, filepath.Join(binDir, "meshctl"), "-secret-file", h.SecretFile(), "-timeout", "5s",
				"-url", n.URL, "-agent", string(n.AgentID), "get", "Device.WiFi.")
			if err != nil {
				t.Fatalf("meshctl get Device.WiFi. on node %d: %v\n%s", n.Index, err, out)
			}
			s := string(out)
			for _, want := range []string{"Device.WiFi.Radio.1.Channel => ", "Device.WiFi.Radio.2.OperatingFrequencyBand => 5GHz",
				"Device.WiFi.SSID.1.BSSID => ", "Device.WiFi.Radio.1.Stats.Noise => -"} {
				if !strings.Contains(s, want) {
					t.Errorf("node %d: no %q in\n%s", n.Index, want, s)
				}
			}
			clients += len(clientLine.FindAllString(s, -1))
			neighbours += len(neighbourLine.FindAllString(s, -1))
		}
		if neighbours == 0 {
			t.Errorf("no node shows neighbour scan results")
		}
		if clients == 0 {
			t.Errorf("no node shows associated clients")
		}
		t.Logf("the home shows %d clients and %d neighbour sightings through USP", clients, neighbours)
	})

	t.Run("Steady", func(t *testing.T) {
		before := airChannels(t, air)
		// Several plan periods (3 s with the fast profile) with no switch.
		deadline := time.Now().Add(12 * time.Second)
		for time.Now().Before(deadline) {
			if now := airChannels(t, air); fmt.Sprint(now) != fmt.Sprint(before) {
				t.Fatalf("channels moved in steady state: %v → %v", before, now)
			}
			time.Sleep(500 * time.Millisecond)
		}
	})

	t.Run("ForeignNetworkAppears", func(t *testing.T) {
		// A loud, busy network lands on ap1's 2.4 GHz channel.
		ch := airChannels(t, air)["ap1/radio0"]
		if err := air.SetForeign([]sim.Foreign{{BSSID: "02:aa:bb:cc:dd:01", SSID: "NewNeighbour", Band: radio.Band2G4,
			RSSI: map[string]int{"ap1": -45, "ap2": -55}, Channel: ch, Width: 20, Load: 0.9}}); err != nil {
			t.Fatal(err)
		}
		err := waitFor(2*meshBound, func() error {
			if now := airChannels(t, air)["ap1/radio0"]; now == ch {
				return fmt.Errorf("ap1/radio0 still on channel %d", ch)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ap1/radio0 moved away from the new network on channel %d to %d", ch, airChannels(t, air)["ap1/radio0"])
	})

	t.Run("LeaderKilledMidApply", func(t *testing.T) {
		leader, term, err := agreed(h, seq(0, 5))
		if err != nil {
			t.Fatal(err)
		}
		li := indexOf(h, leader)
		// Make work: another network on ap3's 5 GHz channel, then kill the
		// leader as soon as it applies (or after a bound).
		ch5 := airChannels(t, air)["ap3/radio1"]
		if err := air.SetForeign([]sim.Foreign{{BSSID: "02:aa:bb:cc:dd:02", SSID: "Another", Band: radio.Band5G,
			RSSI: map[string]int{"ap3": -40, "ap4": -50}, Channel: ch5, Width: 80, Load: 0.9}}); err != nil {
			t.Fatal(err)
		}
		applying := waitFor(meshBound, func() error {
			if p, err := readPlan(h, li); err != nil || p.Status != "Applying" {
				return fmt.Errorf("not applying")
			}
			return nil
		}) == nil
		t.Logf("killing the leader (node %d); it was applying a plan: %v", li, applying)
		if err := h.Kill(li); err != nil {
			t.Fatal(err)
		}
		rest := slices.DeleteFunc(seq(0, 5), func(i int) bool { return i == li })
		_, newTerm := awaitAgreement(t, h, rest)
		if newTerm <= term {
			t.Fatalf("new term %d not above %d", newTerm, term)
		}
		// The new leader re-measures and finishes the job in its own term.
		awaitApplied(t, h, time.Now(), newTerm)
		// Consistent: what each Agent reports is what is on the air, and
		// nothing is left mid-switch.
		err = waitFor(meshBound, func() error {
			model, err := modelChannels(h)
			if err != nil {
				return err
			}
			air := airChannels(t, air)
			for k, ch := range model {
				if air[k] != ch {
					return fmt.Errorf("%s: model %d, air %d", k, ch, air[k])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("RadarKeepsPlansOffTheChannel", func(t *testing.T) {
		// Busy networks on a node's non-DFS 5 GHz blocks send its 5 GHz
		// radio onto DFS; radar there sends it off, and the DFS block
		// stays out of every plan while its non-occupancy period runs
		// (a plan that used it would be refused, and its round fail).
		ni := runningNodes(h)[0]
		node := SimNodeName(ni)
		r5 := node + "/radio1"
		if err := air.SetForeign([]sim.Foreign{
			{BSSID: "02:aa:bb:cc:dd:11", SSID: "Low", Band: radio.Band5G, RSSI: map[string]int{node: -40}, Channel: 36, Width: 80, Load: 0.9},
			{BSSID: "02:aa:bb:cc:dd:12", SSID: "High", Band: radio.Band5G, RSSI: map[string]int{node: -40}, Channel: 149, Width: 80, Load: 0.9},
		}); err != nil {
			t.Fatal(err)
		}
		var ch, width int
		err := waitFor(2*meshBound, func() error {
			nodes, err := air.Nodes()
			if err != nil {
				return err
			}
			up := false
			for _, n := range nodes {
				for _, r := range n.Radios {
					if n.Node+"/"+r.Name == r5 {
						ch, width, up = r.Channel, r.Width, r.Up
					}
				}
			}
			if ch < 52 || ch > 144 || !up {
				return fmt.Errorf("%s on %d/%d MHz (up %v), not operating on DFS", r5, ch, width, up)
			}
			// Radar during the plan's own CAC would fail that round, as
			// it should: wait until the round is over.
			leader, _, err := agreed(h, runningNodes(h))
			if err != nil {
				return err
			}
			if p, err := readPlan(h, indexOf(h, leader)); err != nil || p.Status != "Idle" {
				return fmt.Errorf("plan %+v, %v", p, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		block := dfsBlock(ch, width)
		t.Logf("%s planned onto DFS %d/%d MHz (block %v); radar there", r5, ch, width, block)
		radarAt := time.Now()
		if err := air.InjectRadar(node, "radio1", ch); err != nil {
			t.Fatal(err)
		}
		// The Agent reports the block in its non-occupancy period.
		want := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(block)), ","), "[]")
		err = waitFor(meshBound, func() error {
			ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
			defer cancel()
			v, err := h.Get(ctx, ni, `Device.WiFi.Radio.[Name=="radio1"].X_USPMESH_UnavailableChannels`)
			if err != nil {
				return err
			}
			for _, got := range v {
				if got == want {
					return nil
				}
				return fmt.Errorf("X_USPMESH_UnavailableChannels = %q, want %q", got, want)
			}
			return fmt.Errorf("no X_USPMESH_UnavailableChannels")
		})
		if err != nil {
			t.Fatal(err)
		}
		// The radio leaves the block (after its CSA).
		err = waitFor(meshBound, func() error {
			if now := airChannels(t, air)[r5]; slices.Contains(block, now) {
				return fmt.Errorf("%s still on %d", r5, now)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Rounds after the radar: none fails, none puts the radio back.
		leader, _, err := agreed(h, runningNodes(h))
		if err != nil {
			t.Fatal(err)
		}
		rounds := map[string]bool{}
		err = waitFor(2*meshBound, func() error {
			if now := airChannels(t, air)[r5]; slices.Contains(block, now) {
				t.Fatalf("%s back on %d, in the radar block %v", r5, now, block)
			}
			p, err := readPlan(h, indexOf(h, leader))
			if err != nil {
				return err
			}
			if p.Status == "Error" {
				t.Fatalf("a round after the radar failed: %s", p.Message)
			}
			if run, _ := time.Parse(time.RFC3339, p.LastRun); p.Status == "Idle" && run.After(radarAt.Add(time.Second)) {
				rounds[p.LastRun] = true
			}
			if len(rounds) < 2 {
				return fmt.Errorf("%d rounds after the radar", len(rounds))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The leader's plan says why the radio is kept off the block.
		nd, _ := h.Node(ni)
		ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
		defer cancel()
		v, err := h.Get(ctx, indexOf(h, leader), fmt.Sprintf(`Device.X_USPMESH_Mesh.Plan.Input.[Radio==%q].Unavailable`, string(nd.AgentID)+"/radio1"))
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range v {
			if got != want {
				t.Errorf("Plan.Input Unavailable of %s = %q, want %q", r5, got, want)
			}
		}
		if len(v) != 1 {
			t.Errorf("Plan.Input Unavailable of %s: %v, want one row", r5, v)
		}
		t.Logf("%s on %d after the radar; %d rounds ran, none failed", r5, airChannels(t, air)[r5], len(rounds))
	})
}

// dfsBlock lists the 20 MHz channels of a 5 GHz channel ch of width MHz
// (blocks aligned on 36, as below channel 144).
func dfsBlock(ch, width int) []int {
	n := max(width/20, 1)
	first := 36 + (ch-36)/(4*n)*(4*n)
	out := make([]int, n)
	for i := range out {
		out[i] = first + 4*i
	}
	return out
}

// checkPlanPowers: every row of the leader's Plan.Assignment shows the
// radio's planned and previous TransmitPower (the sim radios report
// theirs), and every radio the plan applied runs at the planned power,
// as its own node's Device.WiFi.Radio.{i}.TransmitPower says.
func checkPlanPowers(t *testing.T, h *Home) {
	t.Helper()
	leader, _, err := agreed(h, runningNodes(h))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
	defer cancel()
	rows, err := h.Get(ctx, indexOf(h, leader), "Device.X_USPMESH_Mesh.Plan.Assignment.")
	if err != nil {
		t.Fatal(err)
	}
	var cuts []string
	for i := 1; ; i++ {
		pre := fmt.Sprintf("Device.X_USPMESH_Mesh.Plan.Assignment.%d.", i)
		radio, ok := rows[pre+"Radio"]
		if !ok {
			if i == 1 {
				t.Fatal("the plan has no Assignment rows")
			}
			break
		}
		power, prev := rows[pre+"TransmitPower"], rows[pre+"PreviousTransmitPower"]
		if power == "" || prev == "" {
			t.Errorf("%s: TransmitPower %q, PreviousTransmitPower %q; want both", radio, power, prev)
			continue
		}
		if power != prev {
			cuts = append(cuts, fmt.Sprintf("%s %s%%→%s%%", radio, prev, power))
		}
		if rows[pre+"Status"] != "Applied" {
			continue
		}
		agent, name, _ := strings.Cut(radio, "/")
		got, err := h.Get(ctx, indexOf(h, agent), fmt.Sprintf(`Device.WiFi.Radio.[Name==%q].TransmitPower`, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range got {
			if v != power {
				t.Errorf("%s: the plan applied %s%%, the radio reports %s%%", radio, power, v)
			}
		}
	}
	t.Logf("power changes in the plan: %v", cuts)
}
