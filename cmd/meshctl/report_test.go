package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/usp"
)

func TestAgreement(t *testing.T) {
	alone := nodeStatus{EndpointID: "os::000000-A", Status: "Alone", Term: "0"}
	leader := nodeStatus{EndpointID: "os::000000-A", Status: "Leader", Leader: "os::000000-A", Term: "1", Members: []string{"os::000000-A"}}
	for _, c := range []struct {
		name string
		res  []nodeStatus
		want bool
	}{
		{"none", nil, false},
		{"alone without a leader", []nodeStatus{alone}, true},
		{"alone leading itself", []nodeStatus{leader}, true},
		{"alone, unreachable", []nodeStatus{{EndpointID: "os::000000-A", Error: "no answer"}}, false},
		{"two without a leader", []nodeStatus{alone, {EndpointID: "os::000000-B", Status: "Alone", Term: "0"}}, false},
		{"two agreeing", []nodeStatus{leader, {EndpointID: "os::000000-B", Leader: "os::000000-A", Term: "1", Members: []string{"os::000000-A"}}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := agreement(c.res); got != c.want {
				t.Fatalf("agreement %v, want %v", got, c.want)
			}
		})
	}
}

func TestSetObject(t *testing.T) {
	for _, c := range []struct {
		args            []string
		obj, param, val string
		params          int
		usage           bool
	}{
		{[]string{"Device.DeviceInfo.FriendlyName", "Hall"}, "Device.DeviceInfo.", "FriendlyName", "Hall", 1, false},
		{[]string{"Device.DeviceInfo.FriendlyName", "a=b"}, "Device.DeviceInfo.", "FriendlyName", "a=b", 1, false},
		{[]string{`Device.WiFi.SSID.[Name=="a.b"].Enable`, "true"}, `Device.WiFi.SSID.[Name=="a.b"].`, "Enable", "true", 1, false},
		{[]string{"Device.DeviceInfo.", "FriendlyName=Hall"}, "Device.DeviceInfo.", "FriendlyName", "Hall", 1, false},
		{[]string{"Device.DeviceInfo.", "FriendlyName=Hall", "Location=x"}, "Device.DeviceInfo.", "FriendlyName", "Hall", 2, false},
		{[]string{"Device.DeviceInfo.", "Hall"}, "", "", "", 0, true},
		{[]string{"Device", "Hall"}, "", "", "", 0, true},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			u, err := setObject(c.args, true)
			var ue *usageError
			if c.usage {
				if !errors.As(err, &ue) {
					t.Fatalf("err %v, want a usage error", err)
				}
				return
			}
			if err != nil || u.ObjPath != c.obj || len(u.ParamSettings) != c.params ||
				u.ParamSettings[0].Param != c.param || u.ParamSettings[0].Value != c.val || !u.ParamSettings[0].Required {
				t.Fatalf("%v, %v", u, err)
			}
		})
	}
}

// TestRequestFailure: an Error message's failures carry their paths and
// codes, each once.
func TestRequestFailure(t *testing.T) {
	re := &usp.ResponseError{Code: usp.ErrInvalidArguments, Msg: "required parameters failed",
		ParamErrs: []usp.ParamError{{Path: "Device.DeviceInfo.Manufacturer", Code: usp.ErrorCode(7013), Msg: "parameter is not writable"}}}
	fails, header := requestFailure(about(re, "Device.DeviceInfo."), []string{"Device.DeviceInfo."})
	if len(fails) != 1 || fails[0] != (pathError{Path: "Device.DeviceInfo.Manufacturer", Code: 7013, Message: "parameter is not writable"}) ||
		!strings.Contains(header, "7004") {
		t.Fatalf("%+v %q", fails, header)
	}
	same := &usp.ResponseError{Code: usp.ErrPermissionDenied, Msg: "x",
		ParamErrs: []usp.ParamError{{Path: "Device.DeviceInfo.FriendlyName", Code: usp.ErrPermissionDenied, Msg: "permission denied"}}}
	if fails, header := requestFailure(same, nil); len(fails) != 1 || header != "" {
		t.Fatalf("same code: %+v %q", fails, header)
	}
	whole := &usp.ResponseError{Code: usp.ErrorCode(7026), Msg: "no such command"}
	if fails, _ := requestFailure(whole, []string{"Device.Nope()"}); !slices.Equal(fails, []pathError{{Path: "Device.Nope()", Code: 7026, Message: "no such command"}}) {
		t.Fatalf("whole-message error: %+v", fails)
	}
	if fails, _ := requestFailure(errors.New("no answer"), []string{"a", "b"}); !slices.Equal(fails, []pathError{{Message: "no answer"}}) {
		t.Fatalf("transport error: %+v", fails)
	}
}
