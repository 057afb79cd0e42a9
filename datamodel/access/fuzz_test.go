package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
)

// FuzzTargets feeds arbitrary Targets and permission strings through
// Provision, For and every method of the Set: nothing may panic, and a
// Set may never allow what no Permission grants.
func FuzzTargets(f *testing.F) {
	seeds := []string{
		"Device.", "Device.WiFi.SSID.[Enable==true].", "Device.WiFi.SSID.1.LowerLayers+.Stats.",
		"Device.WiFi.SSID.{i}.SSID", "Device.WiFi.AccessPoint.*.AssociatedDevice.[SignalStrength<-42].MACAddress",
		"Device.Reboot(),Device.Boot!", "garbage", "", "Device.WiFi.SSID.[NoSuch==1].",
		`Device.WiFi.AccessPoint.[SSIDReference+.SSID=="Home"].AssociatedDevice.`,
		"Device.WiFi.SSID.1.LowerLayers#*+.", "Device.WiFi.AccessPoint.1.SSIDReference+.Name",
		"Device.WiFi.SSID.4294967295.", "Device.WiFi.SSID.*.*.", "Device..WiFi", "Device.WiFi.SSID",
		"Device.WiFi.SSID.[Enable==true&&SSID~=\"x\"].Stats.BytesSent", "Device.LocalAgent.Controller.*.SendOnBoardRequest()",
	}
	for i, s := range seeds {
		f.Add(s, "rwxn", "r---", "--x-", "---n", uint32(i))
	}
	f.Add("Device.WiFi.", "bad!", "", "rw", "nxwr", uint32(4294967295))
	f.Fuzz(func(t *testing.T, targets, param, obj, inst, cmd string, order uint32) {
		ctx := context.Background()
		m := newModel(t)
		e := newEvaluator(t, m)
		spec := access.RoleSpec{Name: "F", Permissions: []access.PermSpec{
			{Order: uint(order), Targets: []string{targets}, Param: param, Obj: obj, InstantiatedObj: inst, CommandEvent: cmd},
		}}
		paths, err := access.Provision(ctx, m, []access.RoleSpec{spec})
		if err != nil {
			// Invalid permission strings: keep the Targets, fix the rights.
			p := &spec.Permissions[0]
			p.Param, p.Obj, p.InstantiatedObj, p.CommandEvent = "rwxn", "r---", "-w--", "--xn"
			if paths, err = access.Provision(ctx, m, []access.RoleSpec{spec}); err != nil {
				return
			}
		}
		if err := access.AssignRole(ctx, m, ctrl, []string{paths["F"]}); err != nil {
			t.Fatalf("AssignRole: %v", err)
		}
		if err := access.SetTrust(ctx, m, access.Trust{Secured: []string{paths["F"]}, Untrusted: []string{targets}}); err != nil {
			t.Logf("SetTrust: %v", err)
		}
		granted := strings.ContainsAny(spec.Permissions[0].Param+spec.Permissions[0].Obj+
			spec.Permissions[0].InstantiatedObj+spec.Permissions[0].CommandEvent, "rwxn")
		for _, eid := range []string{ctrl, "proto::stranger", targets} {
			exercise(t, m, e.For(ctx, eid), targets, granted)
		}
	})
}

// exercise asks s every question on one instance of every object of the
// schema, and on the arbitrary path junk.
func exercise(t *testing.T, m *datamodel.Model, s *access.Set, junk string, granted bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := m.Get(ctx, mustParse(t, "Device."), 0, s.ReadParam); err != nil {
		t.Fatalf("Get: %v", err)
	}
	allowed := false
	m.Schema().Root().Walk(func(o *datamodel.ObjectDef) bool {
		row := strings.ReplaceAll(o.SupportedPath(), "{i}", "1")
		table := strings.TrimSuffix(row, "1.")
		for _, p := range o.Params() {
			allowed = allowed || s.ReadParam(row, p) || s.WriteParam(row, p) || s.NotifyValueChange(row, p)
		}
		for _, c := range o.Commands() {
			allowed = allowed || s.Operate(row, c) || s.NotifyCommandEvent(row, c.Name+"()")
		}
		for _, ev := range o.Events() {
			allowed = allowed || s.NotifyCommandEvent(row, ev.Name+"!")
		}
		if o.Multi {
			allowed = allowed || s.AddRow(table, o) || s.NotifyObjCreation(table, nil) ||
				s.DeleteRow(row, o) || s.ListRow(row, nil) || s.NotifyObjDeletion(row, nil)
		}
		allowed = allowed || s.SupportedObj(o)
		return true
	})
	s.AddRow(junk, nil)
	s.ListRow(junk, nil)
	s.NotifyCommandEvent(junk, junk)
	s.NotifyCommandEvent("Device.", junk)
	s.Secured()
	if allowed && !granted {
		t.Errorf("a Set allows something though no Permission grants a right")
	}
}
