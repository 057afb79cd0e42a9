//go:build linux

package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// TestAppsObjectCreationTenancy: Controllers subscribed to ObjectCreation
// on the DeploymentUnit and ExecutionUnit tables are told of the rows of
// their own units only; the operator (FullAccess) of every unit. The
// rows are created before the node records their owner, so without the
// owner known at creation B heard of A's new rows.
func TestAppsObjectCreationTenancy(t *testing.T) {
	n := startNode(t, appsConfig(t), Deps{})
	a, b, op := appsClient(t, n, tenantA), appsClient(t, n, tenantB), appsClient(t, n, testCtl)
	ctx := context.Background()
	for _, in := range []*inbox{a, b, op} {
		if _, _, err := in.c.client.Subscribe(ctx, in.c.agent, usp.Subscription{NotifType: "ObjectCreation",
			ReferenceList: []string{smDU, smEU}}); err != nil {
			t.Fatalf("%s subscribes to ObjectCreation: %v", in.id, err)
		}
	}
	created := func(table string) func(*uspmsg.Notify) bool {
		return func(nt *uspmsg.Notify) bool {
			oc := nt.GetObjCreation()
			return oc != nil && strings.HasPrefix(oc.GetObjPath(), table)
		}
	}
	url := serveBundle(t, appBundleFor(t, "1", tcpPort(t)))
	if code, msg := a.run(t, smBase+"InstallDU()", "a-install", map[string]string{"URL": url, "UUID": "a-app"}); code != 0 {
		t.Fatalf("A's InstallDU: %d %s", code, msg)
	}
	aDU := a.duEvent(t, "a-app", "Install")["DeploymentUnitRef"] + "."
	for _, in := range []*inbox{a, op} {
		for _, table := range []string{smDU, smEU} {
			nt := in.wait(t, 20*time.Second, "ObjectCreation on "+table, created(table))
			if table == smDU && nt.GetObjCreation().GetObjPath() != aDU {
				t.Fatalf("%s: ObjectCreation of %s, want A's %s", in.id, nt.GetObjCreation().GetObjPath(), aDU)
			}
		}
	}
	// B's own install: its notices come after any of A's it was sent,
	// on its one queue, so once B has its own, A's would have arrived.
	if code, msg := b.run(t, smBase+"InstallDU()", "b-install", map[string]string{"URL": url, "UUID": "b-app"}); code != 0 {
		t.Fatalf("B's InstallDU: %d %s", code, msg)
	}
	bEv := b.duEvent(t, "b-app", "Install")
	bDU, bEU := bEv["DeploymentUnitRef"]+".", bEv["ExecutionUnitRefList"]+"."
	for _, row := range []string{bDU, bEU} {
		b.wait(t, 20*time.Second, "ObjectCreation of its own "+row, func(nt *uspmsg.Notify) bool {
			return nt.GetObjCreation().GetObjPath() == row
		})
	}
	b.drain()
	for _, nt := range b.seen {
		if oc := nt.GetObjCreation(); oc != nil {
			t.Fatalf("B was told of another's row's creation: %s (A's DU is %s, B's %s)", oc.GetObjPath(), aDU, bDU)
		}
	}
	// The operator hears of B's rows too; A does not.
	op.wait(t, 20*time.Second, "ObjectCreation of B's DU", func(nt *uspmsg.Notify) bool {
		return nt.GetObjCreation().GetObjPath() == bDU
	})
	a.drain()
	for _, nt := range a.seen {
		if oc := nt.GetObjCreation(); oc != nil && oc.GetObjPath() == bDU {
			t.Fatalf("A was told of B's DU %s", bDU)
		}
	}
}
