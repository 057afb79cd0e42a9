//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// The planner's measured inputs end to end (radio/sim survey counters →
// radio/bind's smoothed Radio.{i}.Stats.X_USPMESH_Airtime → the leader's
// measurement over USP → Device.X_USPMESH_Mesh.Plan.Input.{i}).

// planInput is one Device.X_USPMESH_Mesh.Plan.Input.{i}. row.
type planInput struct {
	Radio, Source                                   string
	Load, Busy, Unexplained                         float64
	ForeignBSSLoad, ForeignInferred, ForeignAssumed int
	ClientSignal                                    int
	ClientHeard, BackhaulOf                         string
}

var inputParam = regexp.MustCompile(`^Device\.X_USPMESH_Mesh\.Plan\.Input\.(\d+)\.(\w+)$`)

// readInputs reads node i's Plan.Input rows by Radio.
func readInputs(h *Home, i int) (map[string]planInput, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	v, err := h.Get(ctx, i, "Device.X_USPMESH_Mesh.Plan.Input.")
	if err != nil {
		return nil, err
	}
	rows := map[string]*planInput{}
	for k, val := range v {
		m := inputParam.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		r := rows[m[1]]
		if r == nil {
			r = &planInput{}
			rows[m[1]] = r
		}
		f, _ := strconv.ParseFloat(val, 64)
		n, _ := strconv.Atoi(val)
		switch m[2] {
		case "Radio":
			r.Radio = val
		case "Source":
			r.Source = val
		case "Load":
			r.Load = f
		case "Busy":
			r.Busy = f
		case "Unexplained":
			r.Unexplained = f
		case "ForeignBSSLoad":
			r.ForeignBSSLoad = n
		case "ForeignInferred":
			r.ForeignInferred = n
		case "ForeignAssumed":
			r.ForeignAssumed = n
		case "ClientSignal":
			r.ClientSignal = n
		case "ClientHeard":
			r.ClientHeard = val
		case "BackhaulOf":
			r.BackhaulOf = val
		}
	}
	out := map[string]planInput{}
	for _, r := range rows {
		out[r.Radio] = *r
	}
	return out, nil
}

// heavyFlat writes homes/flat.json with one more 5 GHz client, next to
// ap1, whose traffic takes half of ap1's 5 GHz airtime and which answers
// 802.11k beacon reports.
func heavyFlat(t *testing.T) string {
	t.Helper()
	home := loadHome(t, "flat.json")
	ap1, _ := home.AP("ap1")
	home.Clients = append(home.Clients, sim.Client{MAC: "02:c1:00:00:00:99", Pos: ap1.Pos, Band: radio.Band5G, Load: 0.5,
		Steering: sim.Steering{BeaconReport: true}})
	return writeHomeFile(t, home, "flat-heavy.json")
}

// TestMeasuredInputs: after the leader plans, Plan.Input shows every mesh
// radio's load as measured (and, for a radio with stations, its weak
// client's signal), equal (to the parameter's percent) to the
// airtime the simulated radio really uses, and different where the
// traffic differs: ap1's 5 GHz radio carries a heavy client.
func TestMeasuredInputs(t *testing.T) {
	h := startHome(t, HomeConfig{Nodes: 3, Profile: "fast", SimHome: heavyFlat(t)})
	air, err := sim.OpenAir(h.AirDir())
	if err != nil {
		t.Fatal(err)
	}
	leader, _ := awaitAgreement(t, h, seq(0, 3))
	li := indexOf(h, leader)
	// Radio keys: "<Agent Endpoint ID>/<radio name>" → "apN/<radio name>".
	apOf := map[string]string{}
	for _, n := range h.Nodes() {
		apOf[string(n.AgentID)] = SimNodeName(n.Index)
	}
	var inputs map[string]planInput
	var truth map[string]float64
	err = waitFor(2*meshBound, func() error {
		in, err := readInputs(h, li)
		if err != nil {
			return err
		}
		if len(in) != 6 {
			return fmt.Errorf("%d Input rows, want 6 (3 nodes × 2 radios)", len(in))
		}
		nodes, err := air.Nodes()
		if err != nil {
			return err
		}
		truth = map[string]float64{}
		for _, n := range nodes {
			for _, r := range n.Radios {
				truth[n.Node+"/"+r.Name] = r.Load
			}
		}
		inputs = map[string]planInput{}
		for k, v := range in {
			agent, name, _ := strings.Cut(k, "/")
			key := apOf[agent] + "/" + name
			inputs[key] = v
			if v.Source != "Measured" {
				return fmt.Errorf("%s: load %s (%.4f)", key, v.Source, v.Load)
			}
			// The binding publishes whole percent, smoothed: with steady
			// traffic the smoothing leaves the value where it is.
			if want, ok := truth[key]; !ok || math.Abs(v.Load-want) > 0.011 {
				return fmt.Errorf("%s: measured load %.4f, the simulated radio uses %.4f", key, v.Load, want)
			}
		}
		return nil
	})
	for k, v := range inputs {
		t.Logf("input %s: %+v (simulated airtime %.4f)", k, v, truth[k])
	}
	if err != nil {
		t.Fatalf("Plan.Input never showed the measured loads: %v", err)
	}
	heavy := inputs["ap1/radio1"].Load
	for _, k := range []string{"ap2/radio1", "ap3/radio1"} {
		if heavy-inputs[k].Load < 0.3 {
			t.Errorf("ap1/radio1 (heavy client) load %.4f, %s %.4f: want ap1 at least 0.3 busier", heavy, k, inputs[k].Load)
		}
	}
	foreign := 0
	for _, v := range inputs {
		foreign += v.ForeignBSSLoad + v.ForeignInferred + v.ForeignAssumed
		if v.Busy < 0 || v.Busy < v.Load-0.011 {
			t.Errorf("%s: channel busy %.4f below its own load %.4f", v.Radio, v.Busy, v.Load)
		}
	}
	if foreign == 0 {
		t.Error("no input counts a foreign network")
	}
	// ap1's 5 GHz radio has stations (the heavy client beside it among
	// them): the plan's client term got their weak client's signal, read
	// from the AssociatedDevice rows over USP.
	if s := inputs["ap1/radio1"].ClientSignal; s >= 0 || s < -100 {
		t.Errorf("ap1/radio1 ClientSignal %d dBm, want its weak station's signal", s)
	}
	// The heavy client's beacon reports tell what it hears of the other
	// APs' 5 GHz radios: the plan's client links into ap1/radio1.
	var heard string
	err = waitFor(2*meshBound, func() error {
		in, err := readInputs(h, li)
		if err != nil {
			return err
		}
		for k, v := range in {
			agent, name, _ := strings.Cut(k, "/")
			if apOf[agent]+"/"+name == "ap1/radio1" {
				heard = v.ClientHeard
			}
		}
		if heard == "" {
			return errors.New("ap1/radio1 ClientHeard empty")
		}
		for _, item := range strings.Split(heard, ",") {
			id, lv, _ := strings.Cut(item, "=")
			agent, name, _ := strings.Cut(id, "/")
			dbm, err := strconv.Atoi(lv)
			if from := apOf[agent] + "/" + name; (from != "ap2/radio1" && from != "ap3/radio1") || err != nil || dbm >= 0 || dbm <= -101 {
				return fmt.Errorf("ap1/radio1 ClientHeard item %q: want another AP's 5 GHz radio at a level", item)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Plan.Input never showed what ap1's stations hear of the others: %v (last %q)", err, heard)
	}
	t.Logf("ap1/radio1 ClientHeard %q", heard)
}
