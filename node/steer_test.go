package node

import (
	"context"
	"errors"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/leader"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// steerMAC is a sticky dual-band, 802.11v and 802.11k client beside ap1.
const steerMAC = "02:5e:00:00:00:01"

// deafMAC advertises 802.11v and answers no request.
const deafMAC = "02:5e:00:00:00:02"

// steerHome is homes/flat.json with the steerable and the deaf client
// beside ap1.
func steerHome(t testing.TB) *sim.Home {
	t.Helper()
	home, err := sim.LoadHome(filepath.Join("..", "homes", "flat.json"))
	if err != nil {
		t.Fatal(err)
	}
	ap1, _ := home.AP("ap1")
	home.Clients = append(home.Clients, sim.Client{MAC: deafMAC, Pos: sim.Pos{X: ap1.Pos.X + 1, Y: ap1.Pos.Y}, Band: radio.Band2G4,
		Load: 0.05, Steering: sim.Steering{Bands: []radio.Band{radio.Band2G4, radio.Band5G}, RoamDBm: sim.StickyRoamDBm, BTM: sim.BTMIgnore}})
	home.Clients = append(home.Clients, sim.Client{MAC: steerMAC, Pos: sim.Pos{X: ap1.Pos.X + 2, Y: ap1.Pos.Y}, Band: radio.Band5G,
		Load: 0.05, Steering: sim.Steering{Bands: []radio.Band{radio.Band2G4, radio.Band5G}, RoamDBm: sim.StickyRoamDBm, BTM: sim.BTMComply, BeaconReport: true}})
	return home
}

// objects returns the rows a path names in n's model, by path.
func objects(t testing.TB, n *Node, p string) map[string]map[string]string {
	t.Helper()
	pp, err := path.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Model().Get(context.Background(), pp, 0, nil)
	if err != nil {
		t.Fatalf("get %s: %v", p, err)
	}
	out := map[string]map[string]string{}
	for _, r := range res {
		kv := map[string]string{}
		for _, pv := range r.Params {
			kv[pv.Name] = pv.Value
		}
		out[r.Path] = kv
	}
	return out
}

// bssOf returns the AccessPoint row and BSSID of n's radio on band.
func bssOf(t testing.TB, n *Node, band radio.Band) (ap, bssid string, channel string) {
	t.Helper()
	radios := objects(t, n, "Device.WiFi.Radio.")
	ssids := objects(t, n, "Device.WiFi.SSID.")
	for ap, kv := range objects(t, n, "Device.WiFi.AccessPoint.") {
		if kv["SSIDReference"] == "" {
			continue
		}
		s := ssids[strings.TrimSuffix(kv["SSIDReference"], ".")+"."]
		r := radios[strings.TrimSuffix(s["LowerLayers"], ".")+"."]
		if r["OperatingFrequencyBand"] == string(band) {
			return ap, strings.ToLower(s["BSSID"]), r["Channel"]
		}
	}
	t.Fatalf("no access point on %s", band)
	return "", "", ""
}

// stationRow returns the AssociatedDevice row of mac under ap, or nil.
func stationRow(t testing.TB, n *Node, ap, mac string) map[string]string {
	t.Helper()
	for _, kv := range objects(t, n, ap+"AssociatedDevice.") {
		if strings.EqualFold(kv["MACAddress"], mac) {
			return kv
		}
	}
	return nil
}

// TestSteerCommands: on sim radios, the Agent writes a dual-band 802.11v
// and 802.11k client's steering parameters and the BSSs its beacon
// reports heard; X_USPMESH_Steer() moves it to the node's 5 GHz BSS
// (accepted, named as the target, then listed there), and answers
// NoAnswer within 4.5 s for a client that never answers; a stale term is
// refused with 7002, bad candidates and an unbounded refusal with 7022
// naming the argument (cmd_failure allows no 7027);
// X_USPMESH_Deny() refuses it for a bounded time; a transition response
// from a station no command asked is ignored and counted.
func TestSteerCommands(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Profile = "fast"
	n := startNode(t, cfg, Deps{Radios: openSim(t, steerHome(t), "ap1", t.TempDir())})
	c := dialNode(t, n, testCtl, testPSK)
	// The client joins the stronger radio, 2.4 GHz (7 dB less path
	// loss); it is steered up to 5 GHz.
	ap24, bss24, _ := bssOf(t, n, radio.Band2G4)
	ap5, bss5, ch5 := bssOf(t, n, radio.Band5G)

	var row map[string]string
	waitFor(t, 20*time.Second, "the client's steering parameters and beacon report", func() bool {
		row = stationRow(t, n, ap24, steerMAC)
		return row != nil && strings.Contains(row["X_USPMESH_Seen"], bss5+"/")
	})
	if row["X_USPMESH_BTM"] != "true" || row["X_USPMESH_BeaconReport"] != "true" || row["X_USPMESH_Bands"] != "2.4GHz,5GHz" ||
		!strings.Contains(row["X_USPMESH_Standards"], "ax") {
		t.Fatalf("station row %v", row)
	}

	steerCmd, denyCmd := ap24+"X_USPMESH_Steer()", ap24+"X_USPMESH_Deny()"
	cand := bss5 + "/5GHz/" + ch5
	if _, err := operate(t, c, steerCmd, map[string]string{"Station": steerMAC, "TargetBSSID": bss5, "Candidates": "", "Term": "7"}); err == nil || !strings.HasPrefix(err.Error(), "7022 Candidates") {
		t.Fatalf("steer without candidates: %v, want 7022 naming Candidates", err)
	}
	if _, err := operate(t, c, steerCmd, map[string]string{"Station": steerMAC, "TargetBSSID": bss5, "Candidates": bss5 + "/5GHz/1", "Term": "7"}); err == nil || !strings.HasPrefix(err.Error(), "7022 Candidates") {
		t.Fatalf("steer to channel 1 on 5 GHz: %v, want 7022 naming Candidates", err)
	}
	if _, err := operate(t, c, denyCmd, map[string]string{"Station": steerMAC, "Seconds": "301", "Term": "7"}); err == nil || !strings.HasPrefix(err.Error(), "7022 Seconds") {
		t.Fatalf("deny for 301 s: %v, want 7022 naming Seconds", err)
	}
	out, err := operate(t, c, steerCmd, map[string]string{"Station": steerMAC, "TargetBSSID": bss5, "Candidates": cand, "Term": "7"})
	if err != nil {
		t.Fatal(err)
	}
	if out["Status"] != "Accepted" || out["BTMStatus"] != "0" || out["TargetBSSID"] != bss5 {
		t.Fatalf("steer: %v, want accepted to %s", out, bss5)
	}
	waitFor(t, 10*time.Second, "the client on the 5 GHz BSS", func() bool { return stationRow(t, n, ap5, steerMAC) != nil })

	// A client that never answers: NoAnswer after the Agent's wait,
	// below the mesh Controller's 5 s request timeout.
	waitFor(t, 10*time.Second, "the deaf client", func() bool { return stationRow(t, n, ap24, deafMAC) != nil })
	t0 := time.Now()
	out, err = operate(t, c, steerCmd, map[string]string{"Station": deafMAC, "TargetBSSID": bss5, "Candidates": cand, "Term": "7"})
	if err != nil || out["Status"] != "NoAnswer" || out["BTMStatus"] != "-1" {
		t.Fatalf("steer the deaf client: %v %v, want NoAnswer", out, err)
	}
	if d := time.Since(t0); d < steerAnswerTimeout || d > 4500*time.Millisecond {
		t.Errorf("NoAnswer after %v, want %v and well below 5 s", d, steerAnswerTimeout)
	}

	// A deposed leader's term is refused, for both commands.
	for _, cmd := range []struct {
		name string
		in   map[string]string
	}{
		{ap5 + "X_USPMESH_Steer()", map[string]string{"Station": steerMAC, "TargetBSSID": bss24, "Candidates": bss24 + "/2.4GHz/1", "Term": "6"}},
		{ap5 + "X_USPMESH_Deny()", map[string]string{"Station": steerMAC, "Seconds": "30", "Term": "6"}},
	} {
		if _, err := operate(t, c, cmd.name, cmd.in); err == nil || !strings.HasPrefix(err.Error(), "7002") {
			t.Fatalf("%s with stale term 6: %v, want 7002", cmd.name, err)
		}
	}
	if s := stationRow(t, n, ap5, steerMAC); s == nil {
		t.Fatal("the stale steer moved the client")
	}

	// An unasked response is ignored and counted.
	hw, _ := net.ParseMAC("02:5e:00:00:00:99")
	n.steer.onEvent(radio.Event{Kind: radio.EventTransitionResponse, Radio: "x", Station: hw, Transition: &radio.Transition{Status: 0}})
	if got := get(t, n, "Device.X_USPMESH_Mesh.Steering.UnsolicitedResponses"); got != "1" {
		t.Fatalf("UnsolicitedResponses %s, want 1", got)
	}

	out, err = operate(t, c, ap5+"X_USPMESH_Deny()", map[string]string{"Station": steerMAC, "Seconds": "30", "Term": "7"})
	if err != nil || out["Status"] != "Complete" {
		t.Fatalf("deny: %v %v", out, err)
	}
	waitFor(t, 10*time.Second, "the refused client off the 5 GHz BSS", func() bool { return stationRow(t, n, ap5, steerMAC) == nil })
}

// FuzzParseCandidate: any Candidates item gives a candidate that the
// radio layer's request check accepts, or an error; never a panic.
func FuzzParseCandidate(f *testing.F) {
	for _, s := range []string{"02:00:00:00:00:01/5GHz/36", "02:00:00:00:00:01/2.4GHz/1", "02:00:00:00:00:01/6GHz/37", "x/y/z", "//", "", "02:00:00:00:00:01/5GHz/-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, item string) {
		c, err := parseCandidate(item)
		if err != nil {
			return
		}
		hw, _ := net.ParseMAC("02:00:00:00:00:99")
		if verr := (radio.TransitionRequest{Station: hw, Candidates: []radio.Candidate{c}}).Validate(); verr != nil {
			t.Fatalf("%q parsed to %+v, which the radio refuses: %v", item, c, verr)
		}
	})
}

// TestSteerBudget: the Agent runs at most steerMaxPerHour steering
// commands per station in any hour (the fifth is 7002, naming when the
// next may run), whichever leader asks, and again once the oldest is an
// hour old.
func TestSteerBudget(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC))
	s := newSteering(&Node{log: testLogger(t), deps: Deps{Clock: clk}}, time.Second)
	sta, _ := net.ParseMAC("02:5e:00:00:00:07")
	other, _ := net.ParseMAC("02:5e:00:00:00:08")
	for i := range steerMaxPerHour {
		if err := s.budget("cmd", sta); err != nil {
			t.Fatalf("command %d: %v", i+1, err)
		}
		clk.Advance(time.Minute)
	}
	err := s.budget("cmd", sta)
	var de *datamodel.Error
	if !errors.As(err, &de) || de.Code != 7002 || !strings.Contains(de.Msg, "next at 2026-12-06T04:00:00Z") {
		t.Fatalf("fifth command: %v, want 7002 naming 04:00:00", err)
	}
	if err := s.budget("cmd", other); err != nil {
		t.Fatalf("another station: %v", err)
	}
	clk.Advance(56 * time.Minute) // the first is an hour old
	if err := s.budget("cmd", sta); err != nil {
		t.Fatalf("an hour after the first: %v", err)
	}
}

// TestSteeringHistory: Device.X_USPMESH_Mesh.Steering. counts the
// actions the node led by outcome and keeps the latest steerActionRows
// in Action.{i}., the oldest deleted, each with the policy's estimates.
func TestSteeringHistory(t *testing.T) {
	n := startNode(t, baseConfig(t), Deps{})
	outcomes := []string{"Accepted", "Rejected", "NoAnswer", "Refused", "Error"}
	const total = steerActionRows + 8
	for i := range total {
		steerReport{n: n}.Steered(context.Background(), leader.SteerEvent{Time: time.Unix(int64(1e9+i), 0), Term: 3,
			Station: "02:5e:00:00:00:01", From: "02:00:00:00:00:01", To: "02:00:00:00:00:02", FromAgent: "os::a",
			Method: "btm", Reason: "throughput", Outcome: outcomes[i%len(outcomes)], BTMStatus: -1,
			CurrentMbps: 12.4 + float64(i), ExpectedMbps: 180.6})
	}
	for name, want := range map[string]string{"Attempts": "40", "Accepted": "8", "Rejected": "8", "NoAnswer": "8", "Refusals": "8", "Errors": "8"} {
		if got := get(t, n, "Device.X_USPMESH_Mesh.Steering."+name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	acts := objects(t, n, "Device.X_USPMESH_Mesh.Steering.Action.")
	var seqs []int
	for _, kv := range acts {
		if s, err := strconv.Atoi(kv["Seq"]); err == nil {
			seqs = append(seqs, s)
		}
	}
	for _, kv := range acts {
		if kv["Seq"] == strconv.Itoa(total) && (kv["CurrentThroughput"] != strconv.Itoa(total-1+12) || kv["ExpectedThroughput"] != "181") {
			t.Errorf("last action's estimates %s -> %s Mb/s, want %d -> 181", kv["CurrentThroughput"], kv["ExpectedThroughput"], total-1+12)
		}
	}
	slices.Sort(seqs)
	if len(seqs) != steerActionRows || seqs[0] != total-steerActionRows+1 || seqs[len(seqs)-1] != total {
		t.Fatalf("Action rows' Seq %v, want %d..%d", seqs, total-steerActionRows+1, total)
	}
}

// TestMbpsParam: estimates become unsignedInt values.
func TestMbpsParam(t *testing.T) {
	for v, want := range map[float64]string{0: "0", -3: "0", math.NaN(): "0", 0.4: "0", 0.5: "1", 866.7: "867",
		math.Inf(1): "4294967295", 1e12: "4294967295"} {
		if got := mbpsParam(v); got != want {
			t.Errorf("mbpsParam(%v) = %s, want %s", v, got, want)
		}
	}
}
