package access_test

import (
	"testing"

	"github.com/uspmesh/uspmesh/datamodel/access"
)

// every11 asks each of the Set's eleven rights once, all expected to be
// want.
func every11(want bool) []check {
	return []check{
		{"ReadParam", "Device.WiFi.SSID.1.SSID", want},
		{"WriteParam", "Device.WiFi.SSID.1.SSID", want},
		{"NotifyValueChange", "Device.WiFi.SSID.1.SSID", want},
		{"AddRow", "Device.WiFi.SSID.", want},
		{"NotifyObjCreation", "Device.WiFi.SSID.", want},
		{"DeleteRow", "Device.WiFi.SSID.2.", want},
		{"ListRow", "Device.WiFi.SSID.2.", want},
		{"NotifyObjDeletion", "Device.WiFi.SSID.2.", want},
		{"Operate", "Device.Reboot()", want},
		{"NotifyCommandEvent", "Device.Boot!", want},
		{"SupportedObj", "Device.WiFi.SSID.{i}.", want},
	}
}

func TestRights(t *testing.T) {
	tests := []struct {
		name   string
		roles  []access.RoleSpec
		checks []check
	}{
		{"rwxn allows every method", []access.RoleSpec{access.FullAccess()}, every11(true)},
		{"---- denies every method", []access.RoleSpec{perm("None", 1, "Device.", "----", "----", "----", "----")}, every11(false)},
		{"read-only r--n", []access.RoleSpec{access.ReadOnly()}, []check{
			allow("ReadParam", "Device.WiFi.SSID.1.SSID"), deny("WriteParam", "Device.WiFi.SSID.1.SSID"),
			allow("NotifyValueChange", "Device.WiFi.SSID.1.SSID"), deny("AddRow", "Device.WiFi.SSID."),
			allow("NotifyObjCreation", "Device.WiFi.SSID."), deny("DeleteRow", "Device.WiFi.SSID.1."),
			allow("ListRow", "Device.WiFi.SSID.1."), allow("NotifyObjDeletion", "Device.WiFi.SSID.1."),
			deny("Operate", "Device.Reboot()"), allow("NotifyCommandEvent", "Device.ScheduleTimer()"),
			allow("NotifyCommandEvent", "Device.Boot!"), allow("SupportedObj", "Device."),
		}},
		{"each category is its own string", []access.RoleSpec{perm("Mixed", 1, "Device.", "-w--", "---n", "r---", "--x-")}, []check{
			deny("ReadParam", "Device.Time.Enable"), allow("WriteParam", "Device.Time.Enable"),
			deny("AddRow", "Device.WiFi.SSID."), allow("NotifyObjCreation", "Device.WiFi.SSID."),
			allow("ListRow", "Device.WiFi.SSID.1."), deny("DeleteRow", "Device.WiFi.SSID.1."),
			allow("Operate", "Device.FactoryReset()"), deny("NotifyCommandEvent", "Device.ScheduleTimer()"),
			deny("SupportedObj", "Device.Time."),
		}},
		{"higher Order wins on a narrower target (TP 2.21)", []access.RoleSpec{{Name: "R", Permissions: []access.PermSpec{
			{Order: 1, Targets: []string{"Device."}, Param: "r---"},
			{Order: 2, Targets: []string{"Device.WiFi.SSID.1."}, Param: "----"},
		}}}, []check{
			deny("ReadParam", "Device.WiFi.SSID.1.SSID"), deny("ReadParam", "Device.WiFi.SSID.1.Stats.BytesSent"),
			allow("ReadParam", "Device.WiFi.SSID.2.SSID"), allow("ReadParam", "Device.DeviceInfo.ModelName"),
		}},
		{"higher Order wins on a broader target", []access.RoleSpec{{Name: "R", Permissions: []access.PermSpec{
			{Order: 1, Targets: []string{"Device.WiFi.SSID.1."}, Param: "----"},
			{Order: 2, Targets: []string{"Device."}, Param: "r---"},
		}}}, []check{allow("ReadParam", "Device.WiFi.SSID.1.SSID"), allow("ReadParam", "Device.WiFi.SSID.2.SSID")}},
		{"the winner's whole string applies", []access.RoleSpec{{Name: "R", Permissions: []access.PermSpec{
			{Order: 5, Targets: []string{"Device.WiFi."}, Param: "rw-n"},
			{Order: 9, Targets: []string{"Device.WiFi.Radio."}, Param: "---n"},
		}}}, []check{
			deny("ReadParam", "Device.WiFi.Radio.1.Channel"), deny("WriteParam", "Device.WiFi.Radio.1.Channel"),
			allow("NotifyValueChange", "Device.WiFi.Radio.1.Channel"), allow("WriteParam", "Device.WiFi.SSID.1.SSID"),
		}},
		{"parameter target", []access.RoleSpec{{Name: "R", Permissions: []access.PermSpec{
			{Order: 1, Targets: []string{"Device."}, Param: "r---"},
			{Order: 2, Targets: []string{"Device.WiFi.SSID.1.SSID"}, Param: "----"},
		}}}, []check{
			deny("ReadParam", "Device.WiFi.SSID.1.SSID"), allow("ReadParam", "Device.WiFi.SSID.1.Enable"),
			allow("ReadParam", "Device.WiFi.SSID.2.SSID"),
		}},
		{"table target covers the table, row targets do not", []access.RoleSpec{{Name: "R", Permissions: []access.PermSpec{
			{Order: 1, Targets: []string{"Device.WiFi.SSID."}, Obj: "-w--"},
			{Order: 2, Targets: []string{"Device.WiFi.AccessPoint.*."}, Obj: "-w--"},
			{Order: 3, Targets: []string{"Device.WiFi.Radio.1."}, InstantiatedObj: "-w--"},
		}}}, []check{
			allow("AddRow", "Device.WiFi.SSID."), deny("AddRow", "Device.WiFi.AccessPoint."),
			allow("AddRow", "Device.WiFi.AccessPoint.2.AssociatedDevice."),
			allow("DeleteRow", "Device.WiFi.Radio.1."), deny("DeleteRow", "Device.WiFi.Radio.2."),
		}},
		{"instance numbers at two levels", []access.RoleSpec{perm("R", 1, "Device.WiFi.AccessPoint.*.AssociatedDevice.2.", "r---", "", "r---", "")}, []check{
			allow("ReadParam", "Device.WiFi.AccessPoint.1.AssociatedDevice.2.MACAddress"),
			allow("ReadParam", "Device.WiFi.AccessPoint.2.AssociatedDevice.2.Stats.BytesSent"),
			deny("ReadParam", "Device.WiFi.AccessPoint.1.AssociatedDevice.1.MACAddress"),
			deny("ReadParam", "Device.WiFi.AccessPoint.1.Enable"),
			allow("ListRow", "Device.WiFi.AccessPoint.2.AssociatedDevice.2."),
			deny("ListRow", "Device.WiFi.AccessPoint.2.AssociatedDevice.3."),
		}},
		{"{i} and dotless forms", []access.RoleSpec{perm("R", 1, "Device.WiFi.SSID.{i}.SSID Device.DeviceInfo", "r---", "r---", "", "")}, []check{
			allow("ReadParam", "Device.WiFi.SSID.2.SSID"), deny("ReadParam", "Device.WiFi.SSID.2.Enable"),
			allow("ReadParam", "Device.DeviceInfo.SerialNumber"), allow("SupportedObj", "Device.DeviceInfo."),
			deny("SupportedObj", "Device.WiFi.SSID.{i}."),
		}},
		{"command and event targets", []access.RoleSpec{perm("R", 1, "Device.Reboot() Device.Boot! Device.LocalAgent.Controller.*.SendOnBoardRequest()", "", "", "", "--xn")}, []check{
			allow("Operate", "Device.Reboot()"), deny("Operate", "Device.FactoryReset()"),
			allow("NotifyCommandEvent", "Device.Boot!"), allow("NotifyCommandEvent", "Device.Reboot()"),
			deny("NotifyCommandEvent", "Device.ScheduleTimer()"), deny("NotifyCommandEvent", "Device.LocalAgent.Periodic!"),
			deny("ReadParam", "Device.RootDataModelVersion"),
		}},
		{"invalid targets cover nothing", []access.RoleSpec{perm("R", 1, "garbage Device.NoSuch. Device.WiFi.SSID.1.NoParam Device.WiFi.SSID.Enable Device.Time.", "rwxn", "", "", "")}, []check{
			deny("ReadParam", "Device.WiFi.SSID.1.SSID"), allow("ReadParam", "Device.Time.Status"),
		}},
		{"instance targets count for GetSupportedDM", []access.RoleSpec{perm("R", 1, "Device.WiFi.SSID.1.", "", "r---", "", "")}, []check{
			allow("SupportedObj", "Device.WiFi.SSID.{i}."), allow("SupportedObj", "Device.WiFi.SSID.{i}.Stats."),
			deny("SupportedObj", "Device.WiFi.Radio.{i}."), deny("SupportedObj", "Device.WiFi."),
		}},
		{"union across roles: r--- with ---n is r--n", []access.RoleSpec{
			perm("A", 1, "Device.WiFi.", "r---", "", "", ""), perm("B", 1, "Device.WiFi.", "---n", "", "", ""),
		}, []check{
			allow("ReadParam", "Device.WiFi.Radio.1.Channel"), allow("NotifyValueChange", "Device.WiFi.Radio.1.Channel"),
			deny("WriteParam", "Device.WiFi.Radio.1.Channel"), deny("ReadParam", "Device.Time.Enable"),
		}},
		{"a role's denial does not limit another role", []access.RoleSpec{
			{Name: "A", Permissions: []access.PermSpec{
				{Order: 1, Targets: []string{"Device."}, Param: "r---"},
				{Order: 2, Targets: []string{"Device.WiFi."}, Param: "----"},
			}},
			perm("B", 1, "Device.WiFi.SSID.", "r---", "", "", ""),
		}, []check{
			allow("ReadParam", "Device.WiFi.SSID.1.SSID"), deny("ReadParam", "Device.WiFi.Radio.1.Channel"),
			allow("ReadParam", "Device.Time.Enable"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t)
			e := newEvaluator(t, m)
			paths := provision(t, m, tt.roles...)
			var refs []string
			for _, r := range tt.roles {
				refs = append(refs, paths[r.Name])
			}
			assign(t, m, ctrl, refs...)
			expect(t, m, e, ctrl, tt.checks)
		})
	}
}
