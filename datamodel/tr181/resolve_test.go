package tr181_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
)

// resolveModel is a node with 3 radios, 3 SSIDs and access points with 2
// stations each, one Controller and one Subscription with ID "x" created by
// it.
func resolveModel(t *testing.T) *datamodel.Model {
	t.Helper()
	ctx := context.Background()
	m := newModel(t, testConfig(&clock{now: boot}), datamodel.Config{})
	if err := tr181.Populate(ctx, m, 3, 3, 2); err != nil {
		t.Fatalf("Populate: %v", err)
	}
	const ctrl = "Device.LocalAgent.Controller.1"
	commit(t, m, asController(ctx, ctrl), func(tx *datamodel.Txn) {
		if _, err := add(t, tx, "Device.LocalAgent.Controller.", internal, "EndpointID", "proto::ctrl-a", "Enable", "true"); err != nil {
			t.Fatalf("add Controller: %v", err)
		}
		if _, err := add(t, tx, "Device.LocalAgent.Subscription.", datamodel.WriteOptions{},
			"ID", "x", "NotifType", "ValueChange", "ReferenceList", "Device.WiFi.Radio.*.Channel", "Enable", "true"); err != nil {
			t.Fatalf("add Subscription: %v", err)
		}
	})
	return m
}

// flatten lists what a Get returned: "path" for each object of an object
// path, "path+name=value" for each parameter of a parameter path.
func flatten(p *path.Path, ovs []datamodel.ObjectValues) []string {
	out := []string{}
	for _, ov := range ovs {
		if p.Kind == path.Object {
			out = append(out, ov.Path)
			continue
		}
		for _, pv := range ov.Params {
			out = append(out, ov.Path+pv.Name+"="+pv.Value)
		}
	}
	return out
}

func TestResolve(t *testing.T) {
	m := resolveModel(t)
	const (
		radio = "Device.WiFi.Radio."
		ap1   = "Device.WiFi.AccessPoint.1.AssociatedDevice."
	)
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"object", "Device.Time.", []string{"Device.Time."}},
		{"row", "Device.WiFi.Radio.2.", []string{radio + "2.", radio + "2.Stats."}},
		{"parameter", "Device.WiFi.Radio.2.Channel", []string{radio + "2.Channel=36"}},
		{"parameter in sub-object", "Device.WiFi.Radio.3.Stats.Noise", []string{radio + "3.Stats.Noise=-95"}},
		{"wildcard", "Device.WiFi.Radio.*.Name", []string{radio + "1.Name=radio0", radio + "2.Name=radio1", radio + "3.Name=radio2"}},
		{"search ==", `Device.WiFi.Radio.[OperatingFrequencyBand=="5GHz"].Channel`, []string{radio + "2.Channel=36"}},
		{"search !=", `Device.WiFi.Radio.[OperatingFrequencyBand!="5GHz"].Name`, []string{radio + "1.Name=radio0", radio + "3.Name=radio2"}},
		{"search ~=", `Device.WiFi.Radio.[SupportedStandards~="be"].Name`, []string{radio + "3.Name=radio2"}},
		{"search <", "Device.WiFi.Radio.[Channel<36].Name", []string{radio + "1.Name=radio0"}},
		{"search >", "Device.WiFi.Radio.[Channel>36].Name", []string{radio + "3.Name=radio2"}},
		{"search <=", "Device.WiFi.Radio.[Channel<=36].Name", []string{radio + "1.Name=radio0", radio + "2.Name=radio1"}},
		{"search >=", "Device.WiFi.AccessPoint.*.AssociatedDevice.[SignalStrength>=-40].SignalStrength", []string{
			ap1 + "1.SignalStrength=-40",
			"Device.WiFi.AccessPoint.2.AssociatedDevice.1.SignalStrength=-40",
			"Device.WiFi.AccessPoint.3.AssociatedDevice.1.SignalStrength=-40",
		}},
		{"search && through sub-object", "Device.WiFi.SSID.[Stats.BytesSent>150000&&Enable==true].SSID", []string{
			"Device.WiFi.SSID.2.SSID=Guest", "Device.WiFi.SSID.3.SSID=IoT",
		}},
		{"search no match", "Device.WiFi.Radio.[Channel>200].Name", []string{}},
		{"unique key", `Device.LocalAgent.Subscription.[ID=="x"&&Recipient=="Device.LocalAgent.Controller.1"].`,
			[]string{"Device.LocalAgent.Subscription.1."}},
		{"unique key other recipient", `Device.LocalAgent.Subscription.[ID=="x"&&Recipient=="Device.LocalAgent.Controller.2"].`,
			[]string{}},
		{"reference", "Device.WiFi.SSID.1.LowerLayers+.Name", []string{radio + "1.Name=radio0"}},
		{"reference #1", "Device.WiFi.SSID.2.LowerLayers#1+.Channel", []string{radio + "2.Channel=36"}},
		{"reference in search", `Device.WiFi.AccessPoint.[SSIDReference+.SSID=="Home"].AssociatedDevice.*.`, []string{
			ap1 + "1.", ap1 + "1.Stats.", ap1 + "2.", ap1 + "2.Stats.",
		}},
		{"reference then search", `Device.WiFi.AccessPoint.[SSIDReference+.LowerLayers+.OperatingFrequencyBand=="6GHz"].SSIDReference`,
			[]string{"Device.WiFi.AccessPoint.3.SSIDReference=Device.WiFi.SSID.3"}},
		{"vendor object", "Device.X_USPMESH_Mesh.Term", []string{"Device.X_USPMESH_Mesh.Term=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.path)
			if got := flatten(p, get(t, m, tc.path)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Get %s:\n got %q\nwant %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	m := resolveModel(t)
	for _, tc := range []struct {
		path string
		code uint32
	}{
		{"Device.WiFi.Radio.9.Name", datamodel.CodeObjectNotFound},
		{"Device.WiFi.Nope.", datamodel.CodeInvalidPath},
		{"Device.WiFi.Radio.1.Nope", datamodel.CodeInvalidPath},
		{"Device.WiFi.Radio.[Nope==1].Name", datamodel.CodeInvalidPath},
		{`Device.WiFi.Radio.[Name<"r"].Channel`, datamodel.CodeInvalidPathSyntax},
		{"Device.WiFi.Radio.1.Channel+.Name", datamodel.CodeInvalidPath},
		{"Device.Timer.", datamodel.CodeInvalidPath},
	} {
		_, err := m.Get(context.Background(), mustParse(t, tc.path), 0, nil)
		if got := codeOf(err); got != tc.code {
			t.Errorf("Get %s: error %v (code %d), want code %d", tc.path, err, got, tc.code)
		}
	}
}

func TestCommandPaths(t *testing.T) {
	m := resolveModel(t)
	for _, tc := range []struct {
		path  string
		rows  []string
		async bool
	}{
		{"Device.Reboot()", []string{"Device."}, false},
		{"Device.FactoryReset()", []string{"Device."}, false},
		{"Device.ScheduleTimer()", []string{"Device."}, true},
		{"Device.WiFi.NeighboringWiFiDiagnostic()", []string{"Device.WiFi."}, true},
		{"Device.LocalAgent.Controller.*.SendOnBoardRequest()", []string{"Device.LocalAgent.Controller.1."}, false},
		{`Device.LocalAgent.Controller.[EndpointID=="proto::ctrl-a"].SendOnBoardRequest()`, []string{"Device.LocalAgent.Controller.1."}, false},
		{"Device.LocalAgent.Request.*.Cancel()", []string{}, false},
	} {
		targets, err := m.Commands(context.Background(), mustParse(t, tc.path))
		if err != nil {
			t.Errorf("Commands %s: %v", tc.path, err)
			continue
		}
		rows := []string{}
		for _, ct := range targets {
			rows = append(rows, ct.Row.Path)
			if ct.Def.Async != tc.async {
				t.Errorf("%s: async %v, want %v", tc.path, ct.Def.Async, tc.async)
			}
		}
		if !reflect.DeepEqual(rows, tc.rows) {
			t.Errorf("Commands %s: rows %q, want %q", tc.path, rows, tc.rows)
		}
	}
	if _, err := m.Commands(context.Background(), mustParse(t, "Device.WiFi.Radio.1.Reboot()")); codeOf(err) != datamodel.CodeInvalidPath {
		t.Errorf("Commands of a command the radio lacks: %v, want 7026", err)
	}
}

func TestSupportedItems(t *testing.T) {
	s := tr181.NewSchema(testConfig(&clock{now: boot}))
	argNames := func(args []datamodel.Arg) []string {
		out := []string{}
		for _, a := range args {
			out = append(out, a.Name)
		}
		return out
	}
	for _, tc := range []struct {
		path string
		args []string // event arguments, or command inputs
	}{
		{"Device.Boot!", []string{"CommandKey", "Cause", "Reason", "FirmwareUpdated", "ParameterMap"}},
		{"Device.LocalAgent.Periodic!", []string{}},
		{"Device.LocalAgent.WakeUp!", []string{}},
		{"Device.LocalAgent.TransferComplete!", []string{"Command", "CommandKey", "Requestor", "TransferType",
			"Affected", "TransferURL", "StartTime", "CompleteTime", "FaultCode", "FaultString"}},
		{"Device.ScheduleTimer()", []string{"DelaySeconds"}},
		{"Device.Reboot()", []string{"Cause", "Reason"}},
		{"Device.WiFi.NeighboringWiFiDiagnostic()", []string{}},
		{"Device.LocalAgent.Controller.{i}.SendOnBoardRequest()", []string{}},
		{"Device.LocalAgent.Request.{i}.Cancel()", []string{}},
	} {
		p, err := path.ParseSupported(tc.path)
		if err != nil {
			t.Fatalf("ParseSupported %s: %v", tc.path, err)
		}
		sup, err := s.Lookup(p)
		if err != nil {
			t.Errorf("Lookup %s: %v", tc.path, err)
			continue
		}
		var got []string
		switch {
		case sup.Event != nil:
			got = argNames(sup.Event.Args)
		case sup.Command != nil:
			got = argNames(sup.Command.Inputs)
		default:
			t.Errorf("Lookup %s: neither event nor command", tc.path)
			continue
		}
		if !reflect.DeepEqual(got, tc.args) {
			t.Errorf("%s: arguments %q, want %q", tc.path, got, tc.args)
		}
	}
	p, _ := path.ParseSupported("Device.Timer!")
	if _, err := s.Lookup(p); codeOf(err) != datamodel.CodeInvalidPath {
		t.Errorf("Lookup Device.Timer!: %v, want 7026 (TR-181 2.19 defines no Timer! event)", err)
	}
	p, _ = path.ParseSupported("Device.WiFi.NeighboringWiFiDiagnostic()")
	sup, _ := s.Lookup(p)
	if outs := argNames(sup.Command.Outputs); len(outs) < 2 || outs[0] != "Status" || outs[2] != "Result.{i}.SSID" {
		t.Errorf("NeighboringWiFiDiagnostic() outputs %q, want Status then Result.{i}.*", outs)
	}
}
