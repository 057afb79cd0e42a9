package main

import (
	"bytes"
	"regexp"
	"testing"
)

// TestNewUUID: install's default UUIDs are version 4, variant 10, and differ.
func TestNewUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		u := newUUID()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("newUUID %q (seen before: %v)", u, seen[u])
		}
		seen[u] = true
	}
}

// TestAppUnitText: the lines apps and the operations print.
func TestAppUnitText(t *testing.T) {
	for _, c := range []struct {
		u    appUnit
		want string
	}{
		{appUnit{Kind: "du", Path: "Device.SoftwareModules.DeploymentUnit.1.", Name: "counter", Version: "1", Status: "Installed", UUID: "u", URL: "http://h/c.tar"},
			"DU Device.SoftwareModules.DeploymentUnit.1. counter    1            Installed        u http://h/c.tar\n"},
		{appUnit{Kind: "eu", Path: "Device.SoftwareModules.ExecutionUnit.1.", Name: "counter", ID: "e1", Status: "Idle", Wanted: "Idle", Fault: "FailureOnStart: x"},
			"EU Device.SoftwareModules.ExecutionUnit.1. counter    e1           Idle             requested Idle, FailureOnStart: x\n"},
		{appUnit{Kind: "du", Path: "Device.SoftwareModules.DeploymentUnit.1.", Name: "counter", Version: "2", Status: "Installed", UUID: "u", Complete: "Update"},
			"Update Installed: counter 2 Device.SoftwareModules.DeploymentUnit.1. (u)\n"},
	} {
		var b bytes.Buffer
		c.u.text(&b)
		if b.String() != c.want {
			t.Errorf("text:\n%q\nwant\n%q", b.String(), c.want)
		}
	}
}
