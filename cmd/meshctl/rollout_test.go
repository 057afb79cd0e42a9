package main

import (
	"bytes"
	"reflect"
	"testing"
)

// TestRolloutText: RolloutDU()'s output arguments become one line per
// AP in order, with its outcome, time and unit or fault.
func TestRolloutText(t *testing.T) {
	out := map[string]string{"Status": "Failed", "UUID": "u",
		"Node.1.EndpointID": "os::A", "Node.1.Result": "Updated", "Node.1.Version": "2", "Node.1.Duration": "134",
		"Node.1.DeploymentUnitRef": "Device.SoftwareModules.DeploymentUnit.1", "Node.1.FaultCode": "0",
		"Node.2.EndpointID": "os::B", "Node.2.Result": "Failed", "Node.2.Duration": "8", "Node.2.FaultCode": "7002",
		"Node.2.FaultString": "DownloadFailure: HTTP 403",
		"Node.3.EndpointID":  "os::C", "Node.3.Result": "NotAttempted", "Node.3.Duration": "0", "Node.3.FaultCode": "0"}
	var b bytes.Buffer
	for _, n := range rolloutOutput(out) {
		n.text(&b)
	}
	rolloutSummary{UUID: "u", Status: "Failed", Nodes: 3, Secs: 0.1524}.text(&b)
	want := "[1/3] os::A Updated        134ms  v2 Device.SoftwareModules.DeploymentUnit.1.\n" +
		"[2/3] os::B Failed           8ms  7002 DownloadFailure: HTTP 403\n" +
		"[3/3] os::C NotAttempted\n" +
		"rollout u: Failed on 3 APs in 152ms\n"
	if b.String() != want {
		t.Fatalf("text:\n%s\nwant:\n%s", b.String(), want)
	}
	var p bytes.Buffer
	rolloutNode{Order: 2, Total: 3, EndpointID: "os::B", Result: "Running", progress: true}.text(&p)
	if p.String() != "[2/3] os::B: Running\n" {
		t.Fatalf("progress line %q", p.String())
	}
	if got := rolloutOutput(map[string]string{"Status": "Complete"}); !reflect.DeepEqual(got, []rolloutNode(nil)) {
		t.Fatalf("no nodes: %v", got)
	}
}

// FuzzRolloutOutput: any output arguments an Agent sends decode to
// consecutive numbered lines, at most one per argument, without a panic.
func FuzzRolloutOutput(f *testing.F) {
	f.Add("Node.1.EndpointID", "os::A", "Node.1.Duration", "12", "Node.2.FaultCode", "7002")
	f.Add("Node.0.EndpointID", "x", "Node.1.Duration", "-1", "Node.1.EndpointID", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		out := map[string]string{k1: v1, k2: v2, k3: v3}
		nodes := rolloutOutput(out)
		if len(nodes) > len(out) {
			t.Fatalf("%d lines from %d arguments", len(nodes), len(out))
		}
		var b bytes.Buffer
		for i, n := range nodes {
			if n.Order != i+1 || n.Total != len(nodes) {
				t.Fatalf("line %d: order %d of %d", i, n.Order, n.Total)
			}
			n.text(&b)
		}
	})
}
