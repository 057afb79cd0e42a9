package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/usp"
)

// TestRebootSaysBoot: Device.Reboot() answers, then asks its owner for
// a restart (once: a second request while it is under way fails); the
// next start raises Device.Boot! with Cause RemoteReboot, which reaches
// the Controller subscribed before the reboot. Before, Reboot() failed
// as not supported and no Boot! was ever raised.
func TestRebootSaysBoot(t *testing.T) {
	cfg := baseConfig(t)
	restarts := make(chan bool, 2)
	n := startNode(t, cfg, Deps{Restart: func(f bool) { restarts <- f }})
	c := dialNode(t, n, testCtl, testPSK)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if _, _, err := c.client.Subscribe(ctx, c.agent, usp.Subscription{NotifType: "Event",
		ReferenceList: []string{"Device.Boot!"}, Persistent: true, Retry: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.client.Operate(ctx, c.agent, "Device.Reboot()", "k1", nil); err != nil {
		t.Fatalf("Reboot(): %v", err)
	}
	select {
	case f := <-restarts:
		if f {
			t.Fatal("Reboot() asked for a factory reset")
		}
	case <-ctx.Done():
		t.Fatal("no restart asked for")
	}
	if resp, err := c.client.Operate(ctx, c.agent, "Device.FactoryReset()", "k2", nil); err == nil &&
		resp.GetOperationResults()[0].GetCmdFailure() == nil {
		t.Fatal("a second restart was accepted while the first is under way")
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDir, bootFile)); err != nil {
		t.Fatalf("boot cause not recorded: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	// The restarted Agent knows where the Controller is from its MTP
	// row (the address an earlier Subscribe taught it is not kept).
	cfg.Controllers[0].MTP = c.ep.URL()
	startNode(t, cfg, Deps{})
	for {
		select {
		case nt := <-c.notes:
			ev := nt.GetEvent()
			if ev.GetEventName() != "Boot!" {
				continue
			}
			if got := ev.GetParams()["Cause"]; got != "RemoteReboot" {
				t.Fatalf("Boot! Cause %q, want RemoteReboot", got)
			}
			if _, err := os.Stat(filepath.Join(cfg.StateDir, bootFile)); !os.IsNotExist(err) {
				t.Fatalf("boot cause file still there after the Boot!: %v", err)
			}
			return
		case <-ctx.Done():
			t.Fatal("no Boot! reached the subscribed Controller")
		}
	}
}

// TestResetStateKeepsIdentity: a factory reset forgets the data model,
// the configured-Controllers record, the history and the apps, and keeps the identity, the
// fence and the election state.
func TestResetStateKeepsIdentity(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"datamodel.json", configuredFile, ownerFile, identityFile, fenceFile, electionFile} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The home's history names clients (MACs, signals): a reset device
	// must not carry it to its next owner.
	// Installed applications are the previous owner's too.
	for _, d := range []string{historyDir, appsDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d, "seg-1"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := ResetState(dir); err != nil {
		t.Fatal(err)
	}
	for f, kept := range map[string]bool{"datamodel.json": false, configuredFile: false, ownerFile: false, historyDir: false, appsDir: false, identityFile: true, fenceFile: true, electionFile: true} {
		_, err := os.Stat(filepath.Join(dir, f))
		if (err == nil) != kept {
			t.Errorf("%s kept: %v, want %v", f, err == nil, kept)
		}
	}
}
