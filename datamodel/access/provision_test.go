package access_test

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
)

// dump reads every Role and Permission as "path param=value" lines,
// sorted, to compare model states.
func dump(t *testing.T, m *datamodel.Model, p string) []string {
	t.Helper()
	ovs, err := m.Get(context.Background(), mustParse(t, p), 0, nil)
	if err != nil {
		t.Fatalf("Get %s: %v", p, err)
	}
	var out []string
	for _, ov := range ovs {
		for _, pv := range ov.Params {
			out = append(out, ov.Path+pv.Name+"="+pv.Value)
		}
	}
	sort.Strings(out)
	return out
}

func TestProvisionIsIdempotent(t *testing.T) {
	m := newModel(t)
	roles := []access.RoleSpec{access.FullAccess(), access.ReadOnly(), access.Untrusted()}
	first := provision(t, m, roles...)
	want := map[string]string{
		"FullAccess": "Device.LocalAgent.ControllerTrust.Role.1",
		"ReadOnly":   "Device.LocalAgent.ControllerTrust.Role.2",
		"Untrusted":  "Device.LocalAgent.ControllerTrust.Role.3",
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("Provision = %v, want %v", first, want)
	}
	before := dump(t, m, "Device.LocalAgent.ControllerTrust.")
	if again := provision(t, m, roles...); !reflect.DeepEqual(again, want) {
		t.Errorf("second Provision = %v, want %v", again, want)
	}
	if after := dump(t, m, "Device.LocalAgent.ControllerTrust."); !reflect.DeepEqual(after, before) {
		t.Errorf("second Provision changed the model:\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
}

func TestProvisionUpdatesByName(t *testing.T) {
	m := newModel(t)
	const r = "Device.LocalAgent.ControllerTrust.Role.1."
	provision(t, m, access.RoleSpec{Name: "X", Permissions: []access.PermSpec{
		{Order: 1, Targets: []string{"Device."}, Param: "r---"},
		{Order: 2, Targets: []string{"Device.WiFi."}, Param: "----"},
	}})
	set(t, m, r, "Enable", "false")
	provision(t, m, access.RoleSpec{Name: "X", Permissions: []access.PermSpec{
		{Order: 2, Targets: []string{"Device.Time.", "Device.WiFi.SSID.[Enable==true]."}, Param: "rw--"},
		{Order: 7, Targets: []string{"Device.Reboot()"}, CommandEvent: "--x-"},
	}})
	got := dump(t, m, r)
	want := []string{
		r + "Alias=cpe-1", r + "Enable=true", r + "Name=X",
		r + "Permission.2.Alias=cpe-2", r + "Permission.2.CommandEvent=----", r + "Permission.2.Enable=true",
		r + "Permission.2.InstantiatedObj=----", r + "Permission.2.Obj=----", r + "Permission.2.Order=2",
		r + "Permission.2.Param=rw--", r + "Permission.2.Targets=Device.Time.,Device.WiFi.SSID.[Enable==true].",
		r + "Permission.3.Alias=cpe-3", r + "Permission.3.CommandEvent=--x-", r + "Permission.3.Enable=true",
		r + "Permission.3.InstantiatedObj=----", r + "Permission.3.Obj=----", r + "Permission.3.Order=7",
		r + "Permission.3.Param=----", r + "Permission.3.Targets=Device.Reboot()",
		r + "PermissionNumberOfEntries=2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("role after update:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestProvisionErrorsChangeNothing(t *testing.T) {
	tests := []struct {
		name string
		spec access.RoleSpec
		code uint32 // USP error code, 0 when the error has none
	}{
		{"bad permission string", perm("Bad", 1, "Device.", "wr--", "", "", ""), datamodel.CodeInvalidValue},
		{"short permission string", perm("Bad", 1, "Device.", "r", "", "", ""), datamodel.CodeInvalidValue},
		{"duplicate Order", access.RoleSpec{Name: "Bad", Permissions: []access.PermSpec{{Order: 1}, {Order: 1}}}, 0},
		{"Order out of range", perm("Bad", 1<<32, "Device.", "", "", "", ""), datamodel.CodeInvalidType},
		{"name too long", access.RoleSpec{Name: strings.Repeat("n", 65)}, datamodel.CodeInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t)
			provision(t, m, access.ReadOnly())
			before := dump(t, m, "Device.LocalAgent.ControllerTrust.")
			_, err := access.Provision(context.Background(), m, []access.RoleSpec{access.FullAccess(), tt.spec})
			if err == nil {
				t.Fatal("Provision succeeded")
			}
			var c interface{ USPErrorCode() uint32 }
			if tt.code != 0 && (!errors.As(err, &c) || c.USPErrorCode() != tt.code) {
				t.Errorf("Provision error %v, want code %d", err, tt.code)
			}
			if after := dump(t, m, "Device.LocalAgent.ControllerTrust."); !reflect.DeepEqual(after, before) {
				t.Errorf("failed Provision changed the model")
			}
		})
	}
}

func TestAssignRole(t *testing.T) {
	m := newModel(t)
	ctx := context.Background()
	if err := access.AssignRole(ctx, m, ctrl, []string{"Device.LocalAgent.ControllerTrust.Role.1."}); err != nil {
		t.Fatalf("AssignRole: %v", err)
	}
	row := controllerRow(t, m, ctrl)
	want := []string{row + "AssignedRole=Device.LocalAgent.ControllerTrust.Role.1", row + "Enable=true", row + "EndpointID=" + ctrl}
	if got := pick(dump(t, m, row), "AssignedRole", "Enable", "EndpointID"); !reflect.DeepEqual(got, want) {
		t.Errorf("new row: %v, want %v", got, want)
	}
	set(t, m, row, "Enable", "false")
	if err := access.AssignRole(ctx, m, ctrl, []string{"Device.LocalAgent.ControllerTrust.Role.2", "Device.LocalAgent.ControllerTrust.Role.3"}); err != nil {
		t.Fatalf("AssignRole: %v", err)
	}
	want = []string{row + "AssignedRole=Device.LocalAgent.ControllerTrust.Role.2,Device.LocalAgent.ControllerTrust.Role.3", row + "Enable=false"}
	if got := pick(dump(t, m, row), "AssignedRole", "Enable"); !reflect.DeepEqual(got, want) {
		t.Errorf("updated row: %v, want %v (Enable left alone)", got, want)
	}
}

// pick keeps the dump lines of the named parameters.
func pick(lines []string, names ...string) []string {
	var out []string
	for _, l := range lines {
		for _, n := range names {
			if strings.Contains(l, "."+n+"=") {
				out = append(out, l)
			}
		}
	}
	return out
}
