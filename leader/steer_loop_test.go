package leader

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// steerAgents is one Agent with a dual-band client on its 2.4 GHz BSS,
// whose beacon report hears the idle 5 GHz BSS beside it: the policy
// moves it up. Operate answers X_USPMESH_Steer() with Accepted.
type steerAgents struct {
	mu       sync.Mutex
	gets     int
	operates []map[string]string // args, with "command"
}

func (f *steerAgents) Get(_ context.Context, _ usp.EndpointID, _ uint32, paths ...string) (*uspmsg.GetResp, error) {
	f.mu.Lock()
	f.gets++
	f.mu.Unlock()
	now := time.Now().UTC()
	rows := map[string]map[string]string{
		"Device.WiFi.Radio.1.":       {"Name": "r24", "OperatingFrequencyBand": "2.4GHz", "Channel": "6", "CurrentOperatingChannelBandwidth": "20MHz", "OperatingStandards": "n,ax"},
		"Device.WiFi.Radio.2.":       {"Name": "r5", "OperatingFrequencyBand": "5GHz", "Channel": "36", "CurrentOperatingChannelBandwidth": "80MHz", "OperatingStandards": "ac,ax"},
		"Device.WiFi.SSID.1.":        {"BSSID": "02:00:00:00:00:01", "LowerLayers": "Device.WiFi.Radio.1"},
		"Device.WiFi.SSID.2.":        {"BSSID": "02:00:00:00:00:02", "LowerLayers": "Device.WiFi.Radio.2"},
		"Device.WiFi.AccessPoint.1.": {"SSIDReference": "Device.WiFi.SSID.1"},
		"Device.WiFi.AccessPoint.2.": {"SSIDReference": "Device.WiFi.SSID.2"},
		"Device.WiFi.AccessPoint.1.AssociatedDevice.1.": {"MACAddress": "02:aa:00:00:00:01", "SignalStrength": "-50",
			"AssociationTime": now.Add(-time.Hour).Format(time.RFC3339), "X_USPMESH_BTM": "true", "X_USPMESH_Bands": "2.4GHz,5GHz",
			"X_USPMESH_Standards": "n,ac,ax", "X_USPMESH_Seen": "02:00:00:00:00:02/-52/" + now.Format(time.RFC3339Nano)},
		"Device.X_USPMESH_Mesh.": {"Term": "5"},
	}
	resp := &uspmsg.GetResp{}
	for _, p := range paths {
		rr := &uspmsg.GetResp_RequestedPathResult{RequestedPath: p}
		for k, v := range rows {
			if strings.HasPrefix(k, p) || strings.HasPrefix(p, k) {
				rr.ResolvedPathResults = append(rr.ResolvedPathResults, &uspmsg.GetResp_ResolvedPathResult{ResolvedPath: k, ResultParams: v})
			}
		}
		resp.ReqPathResults = append(resp.ReqPathResults, rr)
	}
	return resp, nil
}

func (f *steerAgents) Operate(_ context.Context, _ usp.EndpointID, command, _ string, args map[string]string) (*uspmsg.OperateResp, error) {
	f.mu.Lock()
	a := maps.Clone(args)
	a["command"] = command
	f.operates = append(f.operates, a)
	f.mu.Unlock()
	return &uspmsg.OperateResp{OperationResults: []*uspmsg.OperateResp_OperationResult{{ExecutedCommand: command,
		OperationResp: &uspmsg.OperateResp_OperationResult_ReqOutputArgs{ReqOutputArgs: &uspmsg.OperateResp_OperationResult_OutputArgs{
			OutputArgs: map[string]string{"Status": "Accepted", "BTMStatus": "0", "TargetBSSID": args["TargetBSSID"]}}}}}}, nil
}

func (f *steerAgents) Subscribe(context.Context, usp.EndpointID, usp.Subscription) (string, string, error) {
	return "Device.LocalAgent.Subscription.1.", "x", nil
}

func (f *steerAgents) counts() (gets, operates int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets, len(f.operates)
}

// steerRecorder records SteerEvents.
type steerRecorder struct {
	mu  sync.Mutex
	evs []SteerEvent
}

func (r *steerRecorder) Steered(_ context.Context, ev SteerEvent) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

// TestSteeringLoop: while the node leads term 5, a steering round moves
// the dual-band client up with X_USPMESH_Steer() on its AP's row,
// carrying term 5 and the candidate list, reports it once (the client
// stays listed on 2.4 GHz in the fake, but the policy's pending attempt
// and dwell keep it from being asked again at once); once the node no
// longer leads, the rounds stop.
func TestSteeringLoop(t *testing.T) {
	agents := &steerAgents{}
	rec := &steerRecorder{}
	cfg := Config{Self: "os::a", Agents: agents, Members: func() []usp.EndpointID { return []usp.EndpointID{"os::a"} },
		Report: newFakeReport(), FirstPlan: time.Hour, KeepAlive: time.Hour, SteerReport: rec,
		Steering: SteeringConfig{Enabled: true, Period: 20 * time.Millisecond}}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	terms := make(chan Term, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, terms) }()
	defer func() {
		cancel()
		<-done
	}()
	terms <- Term{Term: 5, Leading: true}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ops := agents.counts(); ops > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no steering command within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	agents.mu.Lock()
	op := agents.operates[0]
	agents.mu.Unlock()
	if op["command"] != "Device.WiFi.AccessPoint.1.X_USPMESH_Steer()" || op["Term"] != "5" || op["Station"] != "02:aa:00:00:00:01" ||
		op["TargetBSSID"] != "02:00:00:00:00:02" || op["Candidates"] != "02:00:00:00:00:02/5GHz/36" {
		t.Fatalf("command %v", op)
	}
	// Demoted: the rounds stop (a round in flight may end first).
	terms <- Term{Term: 6, Leading: false}
	time.Sleep(100 * time.Millisecond)
	gets, ops := agents.counts()
	time.Sleep(200 * time.Millisecond) // ten periods
	if g, o := agents.counts(); g != gets || o != ops {
		t.Fatalf("after demotion: %d more Gets and %d more commands", g-gets, o-ops)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.evs) != ops || rec.evs[0].Outcome != "Accepted" || rec.evs[0].Reason != "band-up" || rec.evs[0].Term != 5 {
		t.Fatalf("reported %+v for %d commands", rec.evs, ops)
	}
	if ops != 1 {
		t.Errorf("%d commands, want 1 (pending attempt, then dwell)", ops)
	}
}
