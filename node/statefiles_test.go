package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestFriendlyNameAfterModelReset: removing only the data model file
// (to reset the model) starts again from the configured friendly name,
// while a model that is there keeps the name a Controller set.
func TestFriendlyNameAfterModelReset(t *testing.T) {
	cfg := baseConfig(t)
	cfg.FriendlyName = "Hall"
	n := startNode(t, cfg, Deps{})
	if err := setParams(context.Background(), n.Model(), "Device.DeviceInfo.", map[string]string{"FriendlyName": "Renamed"}); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = startNode(t, cfg, Deps{})
	if got := get(t, n, "Device.DeviceInfo.FriendlyName"); got != "Renamed" {
		t.Fatalf("restart with the model kept: FriendlyName %q, want the Controller's Renamed", got)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(cfg.StateDir, "datamodel.json")); err != nil {
		t.Fatal(err)
	}
	n = startNode(t, cfg, Deps{})
	if got := get(t, n, "Device.DeviceInfo.FriendlyName"); got != "Hall" {
		t.Fatalf("after removing the data model: FriendlyName %q, want the configured Hall", got)
	}
}
