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
