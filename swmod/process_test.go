//go:build linux

package swmod

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/swmod/swmodtest"
)

// The plain-process runtime runs the same bundle without isolation: the
// app answers, a stop ends it, a death is reported with its exit.
func TestProcessLifecycle(t *testing.T) {
	fs := swmodtest.Serve(t)
	port := freePort(t)
	url := fs.Put("/c.tar.gz", appBundle(t, "3", []string{fmt.Sprintf("PORT=%d", port)}, Limits{}))
	e := newEnv(t, TestConfig(t.TempDir()), Process{})
	ctx := context.Background()
	du, err := e.Install(ctx, InstallRequest{URL: url, Owner: "proto::a", AutoStart: true})
	if err != nil {
		t.Fatal(err)
	}
	euid := du.EUIDs[0]
	// The same app from the same owner is a duplicate; from another
	// tenant it is a second unit.
	_, err = e.Install(ctx, InstallRequest{URL: url, UUID: du.UUID, Owner: "proto::a"})
	if f := asFault(err); err == nil || f.Kind != FaultDuplicate {
		t.Fatalf("same UUID, same owner: %v, want %s", err, FaultDuplicate)
	}
	other, err := e.Install(ctx, InstallRequest{URL: url, UUID: du.UUID, Owner: "proto::b"})
	if err != nil || other.DUID == du.DUID || len(e.DUs()) != 2 {
		t.Fatalf("same UUID, other owner: %+v, %v", other, err)
	}
	waitFor(t, 10*time.Second, "answering", func() bool { return strings.HasPrefix(get(port), "v3 ") })
	eu, _ := e.EU(euid)
	// SIGTERM from outside: the EU is reported dead by that signal and restarted.
	syscall.Kill(eu.Pid, syscall.SIGTERM)
	eu = waitEU(t, e, euid, 10*time.Second, "restarted", func(u EU) bool { return u.Restarts == 1 && u.Status == EUActive })
	if eu.FaultCode != FailureWhileActive || eu.FaultMessage != "killed by signal 15" {
		t.Fatalf("after the kill: %+v", eu)
	}
	waitFor(t, 10*time.Second, "answering again", func() bool { return strings.HasPrefix(get(port), "v3 ") })
	if err := e.SetRequestedState(ctx, euid, WantIdle); err != nil {
		t.Fatal(err)
	}
	waitEU(t, e, euid, 10*time.Second, "Idle", func(u EU) bool { return u.Status == EUIdle })
	if _, ok := procStart(eu.Pid); ok {
		t.Fatalf("process %d still runs after the stop", eu.Pid)
	}
	if err := e.Uninstall(ctx, du.DUID); err != nil {
		t.Fatal(err)
	}
	if err := e.SetRequestedState(ctx, euid, WantActive); err == nil {
		t.Fatal("an uninstalled EU accepted a requested state")
	}
}
