package sim

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// surveyDelta reads r's survey and returns, per channel, the busy and own
// (rx+tx) shares since the previous read recorded in last.
func surveyDelta(t *testing.T, r *Radio, last map[int]radio.SurveyEntry) (busy, own map[int]float64) {
	t.Helper()
	ents, err := r.Survey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	busy, own = map[int]float64{}, map[int]float64{}
	for _, e := range ents {
		p := last[e.Channel]
		if e.ActiveTime < p.ActiveTime || e.BusyTime < p.BusyTime || e.RxTime < p.RxTime || e.TxTime < p.TxTime {
			t.Errorf("channel %d: counters went back: %+v after %+v", e.Channel, e, p)
		}
		if dA := e.ActiveTime - p.ActiveTime; dA > 0 {
			busy[e.Channel] = float64(e.BusyTime-p.BusyTime) / float64(dA)
			own[e.Channel] = float64(e.RxTime+e.TxTime-p.RxTime-p.TxTime) / float64(dA)
		}
		last[e.Channel] = e
	}
	return busy, own
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestSurveyMeasuresTraffic(t *testing.T) {
	home := testHome()
	home.Clients = []Client{{MAC: "02:c1:00:00:00:01", Pos: Pos{X: 0.5}, Band: radio.Band5G, Load: 0.3}}
	no := false
	home.Foreign = []Foreign{
		{BSSID: "02:f0:00:00:00:01", SSID: "quiet-beacons", Band: radio.Band5G, Pos: &Pos{X: 3, Y: 1}, Channel: 36, Width: 20, Load: 0.2, BSSLoad: &no},
		{BSSID: "02:f0:00:00:00:02", SSID: "loaded", Band: radio.Band5G, RSSI: map[string]int{"ap1": -70}, Channel: 44, Width: 20, Load: 0.4},
		{BSSID: "02:f0:00:00:00:03", SSID: "faint", Band: radio.Band5G, RSSI: map[string]int{"ap1": -88}, Channel: 48, Width: 20, Load: 0.5},
	}
	air := t.TempDir()
	_, r1 := openNode(t, home, "ap1", air)
	_, r2 := openNode(t, home, "ap2", air)

	last := map[int]radio.SurveyEntry{}
	surveyDelta(t, r1, last)
	busy, own := surveyDelta(t, r1, last)
	// ap1 on 36: own 0.1 base + 0.3 client; ap2 (0.1) and the foreign
	// network on 36 (0.2) are heard above carrier sense.
	for _, c := range []struct {
		ch        int
		busy, own float64
	}{{36, 0.7, 0.4}, {40, 0, 0}, {44, 0.4, 0}, {48, 0, 0}} {
		if !near(busy[c.ch], c.busy) || !near(own[c.ch], c.own) {
			t.Errorf("channel %d: busy %.3f own %.3f, want %.3f %.3f", c.ch, busy[c.ch], own[c.ch], c.busy, c.own)
		}
	}

	bss, err := r1.Scan(t.Context(), radio.ScanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	util := map[string]int{}
	for _, b := range bss {
		util[b.SSID] = b.Utilization
		if bytes.Equal(b.BSSID, r2.info.MAC) {
			util["mesh"] = b.Utilization
		}
	}
	for ssid, want := range map[string]int{"quiet-beacons": -1, "loaded": 40, "mesh": 10} {
		if got, ok := util[ssid]; !ok || got != want {
			t.Errorf("scan: %s utilisation %d (seen %v), want %d", ssid, got, ok, want)
		}
	}
}

func TestTrafficAirtimeFollowsWidth(t *testing.T) {
	home := testHome()
	home.Clients = []Client{{MAC: "02:c1:00:00:00:02", Pos: Pos{X: 6.5}, Band: radio.Band5G, TrafficMbps: 60}}
	air := t.TempDir()
	openNode(t, home, "ap1", air)
	_, r2 := openNode(t, home, "ap2", air)
	// The backend re-associates clients every poll: wait, bounded, until
	// the radio's own airtime is the client's at the width.
	awaitOwn := func(width int, want float64) {
		t.Helper()
		if width != r2.width {
			res, err := r2.Switch(t.Context(), radio.SwitchRequest{Channel: 36, Width: width})
			if err != nil {
				t.Fatal(err)
			}
			if r := result(t, res); r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		last := map[int]radio.SurveyEntry{}
		surveyDelta(t, r2, last)
		var got float64
		for time.Now().Before(deadline) {
			_, own := surveyDelta(t, r2, last)
			if got = own[36]; near(got, want) {
				t.Logf("60 Mbit/s client at %d MHz: airtime %.4f", width, got)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("own airtime at %d MHz is %.4f, want %.4f", width, got, want)
	}
	// 60 Mbit/s close by: 286.8 Mbit/s × 0.6 at 20 MHz, four times that
	// at 80, on top of the radio's base load of 0.1.
	awaitOwn(20, 0.1+60/(286.8*0.6))
	awaitOwn(80, 0.1+60/(4*286.8*0.6))
}

func TestHomeClientTrafficValidated(t *testing.T) {
	h := testHome()
	h.Clients = []Client{{MAC: "02:c1:00:00:00:03", Band: radio.Band5G, TrafficMbps: -1}}
	if err := h.Validate(); err == nil {
		t.Error("negative trafficMbps accepted")
	}
	h.Clients[0].TrafficMbps = math.NaN()
	if err := h.Validate(); err == nil {
		t.Error("NaN trafficMbps accepted")
	}
}
