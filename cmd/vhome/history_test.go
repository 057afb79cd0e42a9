//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/history"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// The home's history end to end: real meshd processes on the sim radios,
// one client whose signal dips on a schedule, its history read over USP
// with meshctl.

// historyDipMAC is the client whose signal dips.
const historyDipMAC = "02:d1:00:00:00:01"

// historyDip is the client's dip. The client dips every minute;
// the test dips it every 20 s for 6 s so that three dips fit in a minute
// of test time. Dips start at whole multiples of 20 s of Unix time.
var historyDip = sim.Dip{PeriodS: 20, DurationS: 6, DepthDB: 20}

// dipFlat writes homes/flat.json with the dipping client a metre from
// ap1, on 2.4 GHz: no DFS there, so a channel plan never takes ap1's
// radio down for a CAC and the client stays with ap1.
func dipFlat(t *testing.T) string {
	t.Helper()
	home := loadHome(t, "flat.json")
	ap1, _ := home.AP("ap1")
	dip := historyDip
	home.Clients = append(home.Clients, sim.Client{MAC: historyDipMAC, Pos: sim.Pos{X: ap1.Pos.X + 1, Y: ap1.Pos.Y, Floor: ap1.Pos.Floor},
		Band: radio.Band2G4, Load: 0.05, Dip: &dip})
	return writeHomeFile(t, home, "flat-dip.json")
}

// historyOf runs meshctl -json history ARGS against node i as the
// harness's full Controller and returns the records.
func historyOf(t *testing.T, h *Home, i int, args ...string) ([]historyLine, error) {
	n, err := h.Node(i)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	argv := append([]string{filepath.Join(binDir, "meshctl"), "-url", n.URL, "-agent", string(n.AgentID), "-id", string(ControllerID),
		"-psk-hex", h.PSKHex(), "-listen", n.Addr.String() + ":0", "-timeout", "15s", "-json", "history"}, args...)
	out, err := h.Exec(ctx, i, argv...)
	if err != nil {
		return nil, fmt.Errorf("meshctl history: %w (%s)", err, out)
	}
	var env struct {
		Results []historyLine `json:"results"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("meshctl history output %q: %w", out, err)
	}
	if len(env.Errors) > 0 {
		return env.Results, fmt.Errorf("meshctl history: %s", env.Errors[0].Message)
	}
	return env.Results, nil
}

// historyLine is one record meshctl -json history prints.
type historyLine struct {
	Node string `json:"node"`
	history.Record
}

// TestHistoryDips: a client whose RSSI dips for 6 s every 20 s shows up
// in its AP's history (History.Query() over USP, read with meshctl)
// with low RSSI at the dips' times and normal RSSI between them, each
// dip seen within one sample period (1 s) of its start; the leader's
// Timeline() of the home has the same dips, tagged with ap1's node.
func TestHistoryDips(t *testing.T) {
	const period = time.Second
	h := startHome(t, HomeConfig{Nodes: 2, Profile: "fast", SimHome: dipFlat(t),
		ExtraArgs: func(int) []string { return []string{"-history-period", period.String()} }})
	leader, _ := awaitAgreement(t, h, seq(0, 2))
	// Sample until three whole dips have passed.
	start := time.Now()
	dipLen, dipEvery := time.Duration(historyDip.DurationS*float64(time.Second)), time.Duration(historyDip.PeriodS*float64(time.Second))
	firstDip := start.Truncate(dipEvery).Add(dipEvery)
	lastEnd := firstDip.Add(2*dipEvery + dipLen)
	var recs []historyLine
	err := waitFor(lastEnd.Sub(start)+30*time.Second, func() error {
		if time.Now().Before(lastEnd.Add(2 * period)) {
			return fmt.Errorf("the third dip ends at %v", lastEnd.Format(time.TimeOnly))
		}
		var err error
		recs, err = historyOf(t, h, 0, "-kind", "Client", "-mac", historyDipMAC, "-limit", "10000")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkDips(t, recs, firstDip, lastEnd, period)

	// The leader's timeline holds the same records of the client, from
	// ap1 (node 0).
	li := indexOf(h, leader)
	var tl []historyLine
	if err := waitFor(20*time.Second, func() error {
		var err error
		tl, err = historyOf(t, h, li, "-home", "-kind", "Client", "-mac", historyDipMAC, "-limit", "10000")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	n0, _ := h.Node(0)
	for _, r := range tl {
		if r.Node != string(n0.AgentID) {
			t.Fatalf("timeline record of the client from %s, want ap1's node %s", r.Node, n0.AgentID)
		}
	}
	checkDips(t, tl, firstDip, lastEnd, period)
	radios, err := historyOf(t, h, li, "-home", "-kind", "Radio", "-since", "30s")
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, r := range radios {
		nodes[r.Node] = true
	}
	if len(nodes) != 2 {
		t.Errorf("radio records in the timeline from %d nodes, want 2", len(nodes))
	}
}

// checkDips checks the client's records between the first dip's start
// and the last dip's end: each record low (the dip's depth below the
// normal level) inside a dip and normal outside, allowing a record taken
// within a second of a dip's edge to be either; and each dip's first low
// record no later than one sample period after the dip starts (plus the
// second the record's whole-second time may lose).
func checkDips(t *testing.T, recs []historyLine, firstDip, lastEnd time.Time, period time.Duration) {
	t.Helper()
	summary, problems := dipProblems(recs, firstDip, lastEnd, period)
	t.Log(summary)
	for _, p := range problems {
		t.Error(p)
	}
}

// dipProblems is checkDips's verdict: a summary, and what is wrong.
func dipProblems(recs []historyLine, firstDip, lastEnd time.Time, period time.Duration) (string, []string) {
	var in []historyLine
	for _, r := range recs {
		if !r.Time.Before(firstDip.Add(-5*time.Second)) && !r.Time.After(lastEnd) {
			in = append(in, r)
		}
	}
	if len(in) < int(lastEnd.Sub(firstDip)/period)*3/4 {
		return "", []string{fmt.Sprintf("%d records of the client over %v, want about one per %v", len(in), lastEnd.Sub(firstDip), period)}
	}
	var problems []string
	normal := slices.MaxFunc(in, func(a, b historyLine) int { return a.RSSI - b.RSSI }).RSSI
	depth := int(historyDip.DepthDB)
	every := time.Duration(historyDip.PeriodS) * time.Second
	edge := func(tm time.Time) bool {
		return historyDip.InDip(tm.Add(-time.Second)) != historyDip.InDip(tm.Add(time.Second)) ||
			historyDip.InDip(tm) != historyDip.InDip(tm.Add(time.Second))
	}
	firstLow := map[int64]time.Time{} // dip start (Unix) → first low record
	lows := map[int64]int{}
	var trace []string
	for _, r := range in {
		low := r.RSSI <= normal-depth+2
		trace = append(trace, fmt.Sprintf("%s %d", r.Time.Format(time.TimeOnly), r.RSSI))
		switch {
		case !low && r.RSSI < normal-2:
			problems = append(problems, fmt.Sprintf("RSSI %d at %v: neither normal (%d) nor dipped", r.RSSI, r.Time, normal))
		case low && !historyDip.InDip(r.Time) && !edge(r.Time):
			problems = append(problems, fmt.Sprintf("RSSI %d at %v, outside every dip", r.RSSI, r.Time))
		case !low && historyDip.InDip(r.Time) && !edge(r.Time):
			problems = append(problems, fmt.Sprintf("RSSI %d at %v, inside a dip", r.RSSI, r.Time))
		}
		if low {
			ds := r.Time.Add(time.Second).Truncate(every).Unix()
			lows[ds]++
			if _, ok := firstLow[ds]; !ok {
				firstLow[ds] = r.Time
			}
		}
	}
	var seen []string
	for ds := firstDip; ds.Before(lastEnd); ds = ds.Add(every) {
		fl, ok := firstLow[ds.Unix()]
		if !ok {
			problems = append(problems, fmt.Sprintf("no low record for the dip at %v", ds.Format(time.TimeOnly)))
			continue
		}
		late := fl.Sub(ds)
		if late > period+time.Second {
			problems = append(problems, fmt.Sprintf("the dip at %v first seen at %v, %v late", ds.Format(time.TimeOnly), fl.Format(time.TimeOnly), late))
		}
		seen = append(seen, fmt.Sprintf("%s: %d low records, first at %+v", ds.Format(time.TimeOnly), lows[ds.Unix()], late))
	}
	if len(problems) > 0 {
		problems = append(problems, "records (time, RSSI): "+strings.Join(trace, ", "))
	}
	return fmt.Sprintf("%d records, normal RSSI %d dBm; dips %s", len(in), normal, strings.Join(seen, "; ")), problems
}

// TestDipProblems: the checker passes the records a dipping client
// gives and catches dips that are missing, late or misplaced.
func TestDipProblems(t *testing.T) {
	first := time.Unix(1796526000, 0) // a whole minute
	last := first.Add(2*20*time.Second + 6*time.Second)
	records := func(shift time.Duration, skip int64) []historyLine {
		var out []historyLine
		for tm := first.Add(-5 * time.Second); !tm.After(last); tm = tm.Add(time.Second) {
			rssi := -40
			if historyDip.InDip(tm.Add(-shift)) && tm.Add(-shift).Truncate(20*time.Second).Unix() != skip {
				rssi = -60
			}
			out = append(out, historyLine{Record: history.Record{Time: tm, Kind: history.KindClient, RSSI: rssi}})
		}
		return out
	}
	if _, p := dipProblems(records(0, 0), first, last, time.Second); len(p) != 0 {
		t.Errorf("a well-placed dip: %v", p)
	}
	for name, recs := range map[string][]historyLine{
		"3 s late":    records(3*time.Second, 0),
		"one missing": records(0, first.Add(20*time.Second).Unix()),
		"4 s early":   records(-4*time.Second, 0),
		"no records":  nil,
	} {
		if _, p := dipProblems(recs, first, last, time.Second); len(p) == 0 {
			t.Errorf("%s: no problem found", name)
		}
	}
}
