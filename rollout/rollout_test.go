package rollout

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/usp"
)

// fakeDeployer answers each node from a table and records the order it
// was asked in; each call advances the fake clock by a second.
type fakeDeployer struct {
	clk    *clock.Fake
	answer map[usp.EndpointID]error
	asked  []usp.EndpointID
}

func (f *fakeDeployer) Deploy(_ context.Context, n usp.EndpointID, req Request) (NodeResult, error) {
	f.asked = append(f.asked, n)
	f.clk.Advance(time.Second)
	if err := f.answer[n]; err != nil {
		return NodeResult{}, err
	}
	return NodeResult{Outcome: Installed, DeploymentUnitRef: "Device.SoftwareModules.DeploymentUnit.1", Version: req.Version}, nil
}

func outcomes(res []NodeResult) []Outcome {
	var out []Outcome
	for _, r := range res {
		out = append(out, r.Outcome)
	}
	return out
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	nodes := []usp.EndpointID{"os::a", "os::b", "os::c", "os::leader"}
	for _, tc := range []struct {
		name    string
		answer  map[usp.EndpointID]error
		asked   int
		want    []Outcome
		code    uint32
		message string
	}{
		{name: "all succeed", asked: 4, want: []Outcome{Installed, Installed, Installed, Installed}},
		{name: "second fails with a USP fault", answer: map[usp.EndpointID]error{"os::b": &Fault{Code: 7002, Msg: "DownloadFailure: 404"}},
			asked: 2, want: []Outcome{Installed, Failed, NotAttempted, NotAttempted}, code: 7002, message: "DownloadFailure: 404"},
		{name: "first fails with a plain error", answer: map[usp.EndpointID]error{"os::a": errors.New("session lost")},
			asked: 1, want: []Outcome{Failed, NotAttempted, NotAttempted, NotAttempted}, code: CodeCommandFailure, message: "session lost"},
		{name: "last fails", answer: map[usp.EndpointID]error{"os::leader": &Fault{Code: 7227, Msg: "disk"}},
			asked: 4, want: []Outcome{Installed, Installed, Installed, Failed}, code: 7227, message: "disk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(0, 0))
			d := &fakeDeployer{clk: clk, answer: tc.answer}
			var seen [][]NodeResult
			res := Run(context.Background(), Config{Deployer: d, Clock: clk, Progress: func(r []NodeResult) { seen = append(seen, r) }},
				nodes, Request{URL: "http://x/app.tar.gz", UUID: "u", Version: "2"})
			if got := outcomes(res); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("outcomes %v, want %v", got, tc.want)
			}
			if !reflect.DeepEqual(d.asked, nodes[:tc.asked]) {
				t.Fatalf("asked %v, want %v (in order, none after a failure)", d.asked, nodes[:tc.asked])
			}
			for i, r := range res {
				if r.Node != nodes[i] {
					t.Fatalf("result %d is of %s, want %s", i, r.Node, nodes[i])
				}
				if i < tc.asked && r.Duration != time.Second {
					t.Fatalf("%s: duration %v, want 1s (the fake clock's step)", r.Node, r.Duration)
				}
				if r.Outcome == Failed && (r.FaultCode != tc.code || r.FaultString != tc.message) {
					t.Fatalf("%s: fault %d %q, want %d %q", r.Node, r.FaultCode, r.FaultString, tc.code, tc.message)
				}
			}
			if Succeeded(res) != (tc.code == 0) {
				t.Fatalf("Succeeded = %v with %v", Succeeded(res), outcomes(res))
			}
			// Progress: all Pending first, each node Running before its
			// end, the final report equal to the result.
			if got := outcomes(seen[0]); got[0] != Pending || got[len(got)-1] != Pending {
				t.Fatalf("first progress %v, want all Pending", got)
			}
			if got := outcomes(seen[1]); got[0] != Running {
				t.Fatalf("second progress %v, want the first node Running", got)
			}
			if !reflect.DeepEqual(seen[len(seen)-1], res) {
				t.Fatalf("last progress %v, want the result %v", seen[len(seen)-1], res)
			}
			if want := 1 + 2*tc.asked; len(seen) != want {
				t.Fatalf("%d progress reports, want %d", len(seen), want)
			}
		})
	}
}

func TestRunCheckAndCancel(t *testing.T) {
	nodes := []usp.EndpointID{"os::a", "os::b"}
	clk := clock.NewFake(time.Unix(0, 0))
	d := &fakeDeployer{clk: clk}
	calls := 0
	res := Run(context.Background(), Config{Deployer: d, Clock: clk, Check: func() error {
		calls++
		if calls == 2 {
			return errors.New("this node no longer leads")
		}
		return nil
	}}, nodes, Request{})
	if got := outcomes(res); !reflect.DeepEqual(got, []Outcome{Installed, Failed}) || res[1].FaultString != "this node no longer leads" {
		t.Fatalf("deposed mid-rollout: %v %q", got, res[1].FaultString)
	}
	if len(d.asked) != 1 {
		t.Fatalf("asked %v after losing the lead, want only the first", d.asked)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.asked = nil
	res = Run(ctx, Config{Deployer: d, Clock: clk}, nodes, Request{})
	if got := outcomes(res); !reflect.DeepEqual(got, []Outcome{Failed, NotAttempted}) || len(d.asked) != 0 {
		t.Fatalf("cancelled: %v, asked %v", got, d.asked)
	}
}

// A Deployer's success with an outcome that is no success is a failure.
func TestRunOddOutcome(t *testing.T) {
	res := Run(context.Background(), Config{Deployer: oddDeployer{}}, []usp.EndpointID{"os::a", "os::b"}, Request{})
	if got := outcomes(res); !reflect.DeepEqual(got, []Outcome{Failed, NotAttempted}) {
		t.Fatalf("outcomes %v", got)
	}
}

type oddDeployer struct{}

func (oddDeployer) Deploy(context.Context, usp.EndpointID, Request) (NodeResult, error) {
	return NodeResult{Outcome: Running}, nil
}
