package access_test

import (
	"context"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
)

// trustFixture provisions three Roles, FullAccess (F), ReadOnly (R) and
// Untrusted (U), and returns their paths.
func trustFixture(t *testing.T, m *datamodel.Model) (f, r, u string) {
	t.Helper()
	p := provision(t, m, access.FullAccess(), access.ReadOnly(), access.Untrusted())
	return p["FullAccess"], p["ReadOnly"], p["Untrusted"]
}

func setTrust(t *testing.T, m *datamodel.Model, tr access.Trust) {
	t.Helper()
	if err := access.SetTrust(context.Background(), m, tr); err != nil {
		t.Fatalf("SetTrust: %v", err)
	}
}

func TestWhichRoles(t *testing.T) {
	const (
		wifiRead  = "Device.WiFi.SSID.1.SSID"
		wifiWrite = "WriteParam"
		identity  = "Device.DeviceInfo.SerialNumber"
		secret    = "Device.WiFi.AccessPoint.1.Security.KeyPassphrase"
	)
	tests := []struct {
		name   string
		setup  func(t *testing.T, m *datamodel.Model, f, r, u string)
		eid    string
		checks []check
	}{
		{"unknown controller gets UntrustedRole (TP 2.9)", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			setTrust(t, m, access.Trust{Untrusted: []string{u}})
		}, "proto::stranger", []check{allow("ReadParam", identity), deny("ReadParam", wifiRead), deny("NotifyValueChange", identity)}},
		{"unknown controller without UntrustedRole gets nothing", nil, "proto::stranger", every11(false)},
		{"known controller gets its own roles, not UntrustedRole", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			setTrust(t, m, access.Trust{Untrusted: []string{f}})
			assign(t, m, ctrl, r)
		}, ctrl, []check{allow("ReadParam", wifiRead), deny(wifiWrite, wifiRead)}},
		{"assigned and inherited roles are OR-ed", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			w := provision(t, m, perm("W", 1, "Device.WiFi.", "-w--", "", "", ""))["W"]
			assign(t, m, ctrl, u)
			set(t, m, controllerRow(t, m, ctrl), "InheritedRole", w)
		}, ctrl, []check{allow("ReadParam", identity), allow(wifiWrite, wifiRead), deny("ReadParam", wifiRead)}},
		{"list of roles in AssignedRole", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			assign(t, m, ctrl, u+".", r)
		}, ctrl, []check{allow("ReadParam", wifiRead), allow("NotifyValueChange", identity)}},
		{"role by unique key", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			assign(t, m, ctrl, `Device.LocalAgent.ControllerTrust.Role.[Name=="ReadOnly"]`)
		}, ctrl, []check{allow("ReadParam", wifiRead), deny(wifiWrite, wifiRead)}},
		{"missing role is ignored", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			assign(t, m, ctrl, "Device.LocalAgent.ControllerTrust.Role.99", r)
		}, ctrl, []check{allow("ReadParam", wifiRead)}},
		{"disabled role is ignored", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			assign(t, m, ctrl, f, u)
			set(t, m, f+".", "Enable", "false")
		}, ctrl, []check{deny("ReadParam", wifiRead), allow("ReadParam", identity)}},
		{"disabled permission is ignored", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			p := provision(t, m, access.RoleSpec{Name: "X", Permissions: []access.PermSpec{
				{Order: 1, Targets: []string{"Device."}, Param: "r---"},
				{Order: 2, Targets: []string{"Device.WiFi."}, Param: "----"},
				{Order: 3, Targets: []string{"Device.Time."}, Param: "rw--"},
			}})
			assign(t, m, ctrl, p["X"])
			set(t, m, p["X"]+".Permission.2.", "Enable", "false")
			set(t, m, p["X"]+".Permission.3.", "Enable", "false")
		}, ctrl, []check{allow("ReadParam", wifiRead), deny(wifiWrite, "Device.Time.Enable")}},
		{"disabled controller row gets nothing", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			assign(t, m, ctrl, f)
			set(t, m, controllerRow(t, m, ctrl), "Enable", "false")
		}, ctrl, every11(false)},
		{"banned controller gets nothing", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			b := provision(t, m, access.RoleSpec{Name: "Banned"})["Banned"]
			setTrust(t, m, access.Trust{Banned: b})
			assign(t, m, ctrl, f, b)
		}, ctrl, every11(false)},
		{"banned UntrustedRole bans strangers", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			setTrust(t, m, access.Trust{Untrusted: []string{u}, Banned: u})
		}, "proto::stranger", []check{deny("ReadParam", identity)}},
		{"SecuredRoles member is Secured (TP 2.27)", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			setTrust(t, m, access.Trust{Secured: []string{f}})
			assign(t, m, ctrl, r, f)
		}, ctrl, []check{allow("Secured", ""), allow("ReadParam", secret)}},
		{"others read secured parameters but are not Secured", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			setTrust(t, m, access.Trust{Secured: []string{f}})
			assign(t, m, ctrl, r)
		}, ctrl, []check{deny("Secured", ""), allow("ReadParam", secret)}},
		{"disabled secured role is not Secured", func(t *testing.T, m *datamodel.Model, f, r, u string) {
			setTrust(t, m, access.Trust{Secured: []string{f}})
			assign(t, m, ctrl, f, r)
			set(t, m, f+".", "Enable", "false")
		}, ctrl, []check{deny("Secured", ""), allow("ReadParam", secret)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t)
			e := newEvaluator(t, m)
			f, r, u := trustFixture(t, m)
			if tt.setup != nil {
				tt.setup(t, m, f, r, u)
			}
			expect(t, m, e, tt.eid, tt.checks)
		})
	}
}

// controllerRow returns the row path of the Controller eid.
func controllerRow(t *testing.T, m *datamodel.Model, eid string) string {
	t.Helper()
	insts, err := m.Instances(context.Background(),
		mustParse(t, `Device.LocalAgent.Controller.[EndpointID=="`+eid+`"].`), true, nil)
	if err != nil || len(insts) != 1 {
		t.Fatalf("controller %s: %v (%d rows)", eid, err, len(insts))
	}
	return insts[0].Path
}
