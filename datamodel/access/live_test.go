package access_test

import (
	"context"
	"sync"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
)

// step changes the model, then checks a new Set.
type step struct {
	name   string
	change func(t *testing.T, m *datamodel.Model)
	checks []check
}

// runSteps gives ctrl roles, checks the first Set, then applies each step
// and checks the Set of the next For.
func runSteps(t *testing.T, m *datamodel.Model, roles []access.RoleSpec, steps []step) {
	t.Helper()
	e := newEvaluator(t, m)
	paths := provision(t, m, roles...)
	var refs []string
	for _, r := range roles {
		refs = append(refs, paths[r.Name])
	}
	assign(t, m, ctrl, refs...)
	for _, s := range steps {
		if s.change != nil {
			s.change(t, m)
		}
		t.Run(s.name, func(t *testing.T) { expect(t, m, e, ctrl, s.checks) })
	}
}

func TestSearchTargetsFollowLiveValues(t *testing.T) {
	t.Run("filter on rows", func(t *testing.T) {
		runSteps(t, newModel(t), []access.RoleSpec{perm("R", 1, "Device.WiFi.SSID.[Enable==true].", "r---", "", "r---", "")}, []step{
			{"both enabled", nil, []check{allow("ReadParam", "Device.WiFi.SSID.2.SSID"), allow("ListRow", "Device.WiFi.SSID.2.")}},
			{"SSID 2 disabled", func(t *testing.T, m *datamodel.Model) { set(t, m, "Device.WiFi.SSID.2.", "Enable", "false") }, []check{
				allow("ReadParam", "Device.WiFi.SSID.1.SSID"), allow("ReadParam", "Device.WiFi.SSID.1.Stats.BytesSent"),
				deny("ReadParam", "Device.WiFi.SSID.2.SSID"), deny("ListRow", "Device.WiFi.SSID.2."),
				deny("ReadParam", "Device.WiFi.Radio.1.Channel")}},
			{"enabled again", func(t *testing.T, m *datamodel.Model) { set(t, m, "Device.WiFi.SSID.2.", "Enable", "true") },
				[]check{allow("ReadParam", "Device.WiFi.SSID.2.SSID")}},
		})
	})
	t.Run("higher-Order search denies", func(t *testing.T) {
		// Populate's stations have -40, -43 and -46 dBm.
		runSteps(t, newModel(t), []access.RoleSpec{{Name: "R", Permissions: []access.PermSpec{
			{Order: 1, Targets: []string{"Device.WiFi."}, Param: "r---"},
			{Order: 2, Targets: []string{"Device.WiFi.AccessPoint.*.AssociatedDevice.[SignalStrength<-42]."}, Param: "----"},
		}}}, []step{
			{"weak stations hidden", nil, []check{
				allow("ReadParam", "Device.WiFi.AccessPoint.1.AssociatedDevice.1.MACAddress"),
				deny("ReadParam", "Device.WiFi.AccessPoint.1.AssociatedDevice.2.MACAddress"),
				deny("ReadParam", "Device.WiFi.AccessPoint.2.AssociatedDevice.3.Stats.BytesSent"),
				allow("ReadParam", "Device.WiFi.AccessPoint.2.Enable")}},
			{"station 2 stronger", func(t *testing.T, m *datamodel.Model) {
				set(t, m, "Device.WiFi.AccessPoint.1.AssociatedDevice.2.", "SignalStrength", "-41")
			}, []check{
				allow("ReadParam", "Device.WiFi.AccessPoint.1.AssociatedDevice.2.MACAddress"),
				deny("ReadParam", "Device.WiFi.AccessPoint.2.AssociatedDevice.2.MACAddress")}},
		})
	})
	t.Run("parameter search", func(t *testing.T) {
		runSteps(t, newModel(t), []access.RoleSpec{perm("R", 1, `Device.WiFi.SSID.[SSID=="Home"].SSID`, "rw--", "", "", "")}, []step{
			{"Home is SSID 1", nil, []check{allow("WriteParam", "Device.WiFi.SSID.1.SSID"),
				deny("ReadParam", "Device.WiFi.SSID.1.Enable"), deny("ReadParam", "Device.WiFi.SSID.2.SSID")}},
			{"renamed", func(t *testing.T, m *datamodel.Model) {
				set(t, m, "Device.WiFi.SSID.1.", "SSID", "Away")
				set(t, m, "Device.WiFi.SSID.2.", "SSID", "Home")
			}, []check{deny("ReadParam", "Device.WiFi.SSID.1.SSID"), allow("ReadParam", "Device.WiFi.SSID.2.SSID")}},
		})
	})
	t.Run("reference", func(t *testing.T) {
		runSteps(t, newModel(t), []access.RoleSpec{perm("R", 1, "Device.WiFi.AccessPoint.1.SSIDReference+. Device.WiFi.SSID.2.LowerLayers+.", "r---", "", "", "")}, []step{
			{"AP 1 on SSID 1", nil, []check{allow("ReadParam", "Device.WiFi.SSID.1.SSID"), deny("ReadParam", "Device.WiFi.SSID.2.SSID"),
				allow("ReadParam", "Device.WiFi.Radio.2.Channel"), deny("ReadParam", "Device.WiFi.Radio.1.Channel")}},
			{"AP 1 moved to SSID 2", func(t *testing.T, m *datamodel.Model) {
				set(t, m, "Device.WiFi.AccessPoint.2.", "SSIDReference", "")
				set(t, m, "Device.WiFi.AccessPoint.1.", "SSIDReference", "Device.WiFi.SSID.2")
			}, []check{deny("ReadParam", "Device.WiFi.SSID.1.SSID"), allow("ReadParam", "Device.WiFi.SSID.2.SSID")}},
			{"reference to a single-instance object", func(t *testing.T, m *datamodel.Model) {
				set(t, m, "Device.WiFi.SSID.2.", "LowerLayers", "Device.DeviceInfo")
			}, []check{allow("ReadParam", "Device.DeviceInfo.ModelName"), deny("ReadParam", "Device.WiFi.Radio.2.Channel")}},
		})
	})
}

func TestSetKeepsItsMessageView(t *testing.T) {
	m := newModel(t)
	e := newEvaluator(t, m)
	p := provision(t, m, perm("R", 1, "Device.WiFi.SSID.[Enable==true].", "r---", "", "", ""))
	assign(t, m, ctrl, p["R"])
	ctx := context.Background()
	before := e.For(ctx, ctrl)
	set(t, m, "Device.WiFi.SSID.1.", "Enable", "false")
	if c := allow("ReadParam", "Device.WiFi.SSID.1.SSID"); !ask(t, m, before, c) {
		t.Errorf("the Set of the earlier message changed: %s %s denied", c.op, c.at)
	}
	if c := deny("ReadParam", "Device.WiFi.SSID.1.SSID"); ask(t, m, e.For(ctx, ctrl), c) {
		t.Errorf("the next message does not see the change: %s %s allowed", c.op, c.at)
	}
}

func TestChangesTakeEffectOnNextFor(t *testing.T) {
	const (
		role = "Device.LocalAgent.ControllerTrust.Role.1."
		ssid = "Device.WiFi.SSID.1.SSID"
	)
	runSteps(t, newModel(t), []access.RoleSpec{perm("R", 1, "Device.WiFi.", "r---", "", "", "")}, []step{
		{"initial", nil, []check{allow("ReadParam", ssid), deny("WriteParam", ssid)}},
		{"permission string changed", func(t *testing.T, m *datamodel.Model) {
			set(t, m, role+"Permission.1.", "Param", "rw--")
		}, []check{allow("WriteParam", ssid)}},
		{"targets changed", func(t *testing.T, m *datamodel.Model) {
			set(t, m, role+"Permission.1.", "Targets", "Device.Time.")
		}, []check{deny("ReadParam", ssid), allow("WriteParam", "Device.Time.Enable")}},
		{"permission added by Provision", func(t *testing.T, m *datamodel.Model) {
			provision(t, m, access.RoleSpec{Name: "R", Permissions: []access.PermSpec{
				{Order: 1, Targets: []string{"Device.Time."}, Param: "rw--"},
				{Order: 2, Targets: []string{"Device.WiFi.SSID."}, Param: "r---"},
			}})
		}, []check{allow("ReadParam", ssid), deny("ReadParam", "Device.WiFi.Radio.1.Channel")}},
		{"permission deleted", func(t *testing.T, m *datamodel.Model) { del(t, m, role+"Permission.1.") },
			[]check{deny("ReadParam", "Device.Time.Enable"), allow("ReadParam", ssid)}},
		{"role disabled", func(t *testing.T, m *datamodel.Model) { set(t, m, role, "Enable", "false") },
			[]check{deny("ReadParam", ssid)}},
		{"role enabled", func(t *testing.T, m *datamodel.Model) { set(t, m, role, "Enable", "true") },
			[]check{allow("ReadParam", ssid)}},
		{"assigned another role", func(t *testing.T, m *datamodel.Model) {
			assign(t, m, ctrl, provision(t, m, access.FullAccess())["FullAccess"])
		}, []check{allow("WriteParam", ssid), allow("Operate", "Device.Reboot()")}},
		{"made secured", func(t *testing.T, m *datamodel.Model) {
			setTrust(t, m, access.Trust{Secured: []string{"Device.LocalAgent.ControllerTrust.Role.2"}})
		}, []check{allow("Secured", "")}},
		{"controller row deleted: untrusted", func(t *testing.T, m *datamodel.Model) {
			setTrust(t, m, access.Trust{Untrusted: []string{role}})
			del(t, m, controllerRow(t, m, ctrl))
		}, []check{allow("ReadParam", ssid), deny("Secured", ""), deny("WriteParam", ssid)}},
		{"role deleted", func(t *testing.T, m *datamodel.Model) { del(t, m, role) },
			[]check{deny("ReadParam", ssid)}},
	})
}

func TestCloseKeepsForCorrect(t *testing.T) {
	m := newModel(t)
	e := newEvaluator(t, m)
	p := provision(t, m, access.ReadOnly())
	assign(t, m, ctrl, p["ReadOnly"])
	expect(t, m, e, ctrl, []check{allow("ReadParam", "Device.Time.Enable")})
	e.Close()
	e.Close()
	set(t, m, p["ReadOnly"]+".", "Enable", "false")
	expect(t, m, e, ctrl, []check{deny("ReadParam", "Device.Time.Enable")})
}

// TestConcurrentForAndWrites is meant for -race: messages take Sets and
// ask them while roles change.
func TestConcurrentForAndWrites(t *testing.T) {
	m := newModel(t)
	e := newEvaluator(t, m)
	p := provision(t, m, perm("R", 1, "Device.WiFi.SSID.[Enable==true].", "r---", "", "", ""), access.ReadOnly())
	assign(t, m, ctrl, p["R"])
	pd := m.Schema().Root().Child("WiFi").Child("SSID").ParamByName("SSID")
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				e.For(ctx, ctrl).ReadParam("Device.WiFi.SSID.1.", pd)
				e.For(ctx, "proto::other").ReadParam("Device.WiFi.SSID.1.", pd)
			}
		})
	}
	for i := range 50 {
		set(t, m, p["R"]+".", "Enable", []string{"true", "false"}[i%2])
		set(t, m, "Device.WiFi.SSID.1.", "Enable", []string{"true", "false"}[i%2])
	}
	wg.Wait()
	set(t, m, p["R"]+".", "Enable", "true")
	set(t, m, "Device.WiFi.SSID.1.", "Enable", "true")
	expect(t, m, e, ctrl, []check{allow("ReadParam", "Device.WiFi.SSID.1.SSID")})
}
