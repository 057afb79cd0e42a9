package usp_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// Issue #5: one Agent, several Controllers at once, each with its own
// rights over the same Wi-Fi estate.

// The Controllers of the multi-tenant home.
const (
	operatorID = usp.EndpointID("proto::isp-operator")
	securityID = usp.EndpointID("proto::security-provider")
	ownerID    = usp.EndpointID("proto::guest-wifi-app")
	adminID    = usp.EndpointID("proto::home-admin")
)

// operatorRole is the ISP's: it runs the Wi-Fi (read, write, add,
// delete, operate and notify on Device.WiFi.) and reads the device's
// identity.
func operatorRole() access.RoleSpec {
	return role("Operator",
		perm(1, "Device.WiFi.", "rw-n", "rw-n", "rw-n", "--xn"),
		perm(2, "Device.DeviceInfo.", "r--n", "r---", "r---", ""),
		perm(3, subTable, "rw--", "rw--", "rw--", ""))
}

// securityRole is a security provider's: it watches which stations are
// associated and how (the AssociatedDevice rows of every access point,
// read and notify) and reads the device's identity; it changes nothing.
func securityRole() access.RoleSpec {
	return role("SecurityProvider",
		perm(1, "Device.WiFi.AccessPoint.*.AssociatedDevice.,Device.DeviceInfo.", "r--n", "r--n", "r--n", ""),
		perm(2, subTable, "rw--", "rw--", "rw--", ""))
}

// ownerRole is a guest-Wi-Fi app the home owner installed. It owns one
// feature end to end, the guest network: SSID row 2 ("Guest") and the
// security of its access point, row 2. It reads them all and may change
// what a guest-network app needs (on/off, network name, security mode,
// passphrase) but not how the SSID sits on the radios (LowerLayers) nor
// the radios themselves; nor may it see who is connected to the guest
// network (AccessPoint.2.AssociatedDevice) — that is the security
// provider's business. Instance-number Targets keep it on that row when
// the user renames the network, where a search on SSID=="Guest" would
// lose it. The role is in SecuredRoles: the app shows the passphrase as a
// QR code, so it must read it; the operator must not.
func ownerRole() access.RoleSpec {
	return role("GuestWiFiApp",
		perm(1, "Device.WiFi.SSID.2.,Device.WiFi.AccessPoint.2.Security.", "r--n", "r---", "r---", ""),
		perm(2, "Device.WiFi.SSID.2.Enable,Device.WiFi.SSID.2.SSID,"+
			"Device.WiFi.AccessPoint.2.Security.KeyPassphrase,Device.WiFi.AccessPoint.2.Security.ModeEnabled", "rw-n", "", "", ""),
		perm(3, subTable, "rw--", "rw--", "rw--", ""))
}

// newHome is 3 radios, 3 SSIDs (Home, Guest, IoT) with an access point
// each, 4 stations per access point (-40, -43, -46, -49 dBm), and the
// three tenants plus a home administrator with full access.
func newHome(t *testing.T) *estate { return newEstate(t, homeConfig()) }

func homeConfig() estateConfig {
	return estateConfig{radios: 3, ssids: 3, stations: 4,
		roles:   []access.RoleSpec{operatorRole(), securityRole(), ownerRole()},
		secured: []string{"GuestWiFiApp"},
		controllers: map[usp.EndpointID][]string{
			operatorID: {"Operator"}, securityID: {"SecurityProvider"}, ownerID: {"GuestWiFiApp"}, adminID: {"FullAccess"},
		}}
}

// under keeps the lines of a view whose path passes keep.
func under(view []string, keep func(p string) bool) []string {
	out := []string{}
	for _, l := range view {
		if keep(l[:strings.IndexByte(l, '=')]) {
			out = append(out, l)
		}
	}
	return out
}

func hasPrefix(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, pre := range prefixes {
			if strings.HasPrefix(p, pre) {
				return true
			}
		}
		return false
	}
}

// isStation matches Device.WiFi.AccessPoint.<n>.AssociatedDevice.<…>.
func isStation(p string) bool {
	rest, ok := strings.CutPrefix(p, "Device.WiFi.AccessPoint.")
	if !ok {
		return false
	}
	_, rest, _ = strings.Cut(rest, ".")
	return strings.HasPrefix(rest, "AssociatedDevice.")
}

func TestMultiTenantViews(t *testing.T) {
	e := newHome(t)
	all := e.view(adminID, "Device.")
	if len(all) < 500 {
		t.Fatalf("the full view has only %d parameters", len(all))
	}
	// The full view, with secured values as "" (the admin is not in
	// SecuredRoles), is what the others' views are cut from.
	const pass = "Device.WiFi.AccessPoint.2.Security.KeyPassphrase="
	if !contains(all, pass) || !contains(all, "Device.WiFi.Radio.1.Channel=6") || !contains(all, "Device.LocalAgent.EndpointID="+string(agentID)) {
		t.Fatalf("full view lacks key paths")
	}
	owned := hasPrefix("Device.WiFi.SSID.2.", "Device.WiFi.AccessPoint.2.Security.")
	cases := []struct {
		id   usp.EndpointID
		want []string
	}{
		{operatorID, under(all, hasPrefix("Device.WiFi.", "Device.DeviceInfo."))},
		{securityID, under(all, func(p string) bool { return isStation(p) || strings.HasPrefix(p, "Device.DeviceInfo.") })},
		{ownerID, withSecret(under(all, owned), pass, "mesh-passphrase")},
	}
	for _, c := range cases {
		got := e.view(c.id, "Device.")
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Get Device. shows %d parameters, want %d; first differences: %v", c.id, len(got), len(c.want), diff(got, c.want))
		}
	}
	// Key paths, spelled out.
	for _, c := range []struct {
		id        usp.EndpointID
		sees, not []string
	}{
		{operatorID, []string{"Device.WiFi.Radio.2.Channel=36", "Device.WiFi.SSID.1.SSID=Home", pass,
			"Device.WiFi.AccessPoint.1.AssociatedDevice.4.SignalStrength=-49", "Device.DeviceInfo.SerialNumber=AP0001"},
			[]string{"Device.LocalAgent.EndpointID=" + string(agentID), "Device.Time.Enable=false"}},
		{securityID, []string{"Device.WiFi.AccessPoint.3.AssociatedDevice.1.MACAddress=02:00:02:00:00:00",
			"Device.WiFi.AccessPoint.1.AssociatedDevice.2.Stats.BytesSent=2000", "Device.DeviceInfo.SerialNumber=AP0001"},
			[]string{"Device.WiFi.Radio.2.Channel=36", "Device.WiFi.AccessPoint.1.Enable=true", "Device.WiFi.SSID.1.SSID=Home"}},
		{ownerID, []string{"Device.WiFi.SSID.2.SSID=Guest", "Device.WiFi.SSID.2.Stats.BytesSent=200000", pass + "mesh-passphrase"},
			[]string{"Device.WiFi.SSID.1.SSID=Home", "Device.WiFi.AccessPoint.2.Enable=true", "Device.DeviceInfo.SerialNumber=AP0001",
				"Device.WiFi.AccessPoint.2.AssociatedDevice.1.MACAddress=02:00:01:00:00:00"}},
	} {
		got := e.view(c.id, "Device.")
		for _, s := range c.sees {
			if !contains(got, s) {
				t.Errorf("%s does not see %s", c.id, s)
			}
		}
		for _, s := range c.not {
			if contains(got, s) {
				t.Errorf("%s sees %s", c.id, s)
			}
		}
	}
}

// withSecret replaces line l of view (a secured parameter read as "")
// with its value v.
func withSecret(view []string, l, v string) []string {
	out := append([]string{}, view...)
	for i := range out {
		if out[i] == l {
			out[i] = l + v
		}
	}
	return out
}

// diff lists up to 5 lines in only one of a and b (both sorted).
func diff(a, b []string) []string {
	var out []string
	in := func(l []string, s string) bool { return contains(l, s) }
	for _, s := range a {
		if !in(b, s) && len(out) < 5 {
			out = append(out, "+"+s)
		}
	}
	for _, s := range b {
		if !in(a, s) && len(out) < 10 {
			out = append(out, "-"+s)
		}
	}
	return out
}

// refused is what a request outside a Controller's rights must get.
type refused struct {
	name string
	id   usp.EndpointID
	req  *uspmsg.Request
	// check the response (err is nil) or the Error message.
	check func(t *testing.T, r *uspmsg.Response, err error)
}

func wantErrorCode(code usp.ErrorCode, paramPath string) func(*testing.T, *uspmsg.Response, error) {
	return func(t *testing.T, r *uspmsg.Response, err error) {
		t.Helper()
		var re *usp.ResponseError
		if !errors.As(err, &re) || re.Code != code || len(re.ParamErrs) != 1 || re.ParamErrs[0].Path != paramPath || re.ParamErrs[0].Code != code {
			t.Fatalf("got %v, %v; want Error %d on %s", r, err, code, paramPath)
		}
	}
}

func wantResponse(want *uspmsg.Response) func(*testing.T, *uspmsg.Response, error) {
	return func(t *testing.T, r *uspmsg.Response, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("error %v", err)
		}
		wantProto(t, r, want)
	}
}

func TestMultiTenantRefusals(t *testing.T) {
	e := newHome(t)
	const diag = "Device.WiFi.NeighboringWiFiDiagnostic()"
	absent := func(p string) func(*testing.T, *uspmsg.Response, error) {
		return wantResponse(getResp(getRR(p, usp.ErrInvalidPath)))
	}
	for _, c := range []refused{
		// The security provider reads stations only, and writes nothing.
		{"security reads a radio", securityID, get([]string{"Device.WiFi.Radio.1.Channel"}, 0), absent("Device.WiFi.Radio.1.Channel")},
		{"security reads a radio object", securityID, get([]string{"Device.WiFi.Radio.1."}, 0), absent("Device.WiFi.Radio.1.")},
		{"security searches radios", securityID, get([]string{"Device.WiFi.Radio.*.Channel"}, 0),
			wantResponse(getResp(getRR("Device.WiFi.Radio.*.Channel", 0)))},
		{"security lists SSIDs", securityID, getInstances(true, "Device.WiFi.SSID."),
			wantResponse(instResp(instRR("Device.WiFi.SSID.", 0)))},
		{"security sets a channel", securityID, set(false, upd("Device.WiFi.Radio.1.", "Channel!", "11")),
			wantErrorCode(usp.ErrPermissionDenied, "Device.WiFi.Radio.1.Channel")},
		{"security adds an SSID", securityID, add(false, create("Device.WiFi.SSID.", "SSID", "x")),
			wantErrorCode(usp.ErrPermissionDenied, "Device.WiFi.SSID.")},
		{"security deletes an SSID", securityID, del(false, "Device.WiFi.SSID.3."),
			wantErrorCode(usp.ErrPermissionDenied, "Device.WiFi.SSID.3.")},
		{"security scans", securityID, operate(diag, "k", true, nil), wantResponse(operateResp(opFailed(diag, usp.ErrPermissionDenied)))},
		// The guest app stays on its network.
		{"owner reads the home SSID", ownerID, get([]string{"Device.WiFi.SSID.1.SSID"}, 0), absent("Device.WiFi.SSID.1.SSID")},
		{"owner reads guest stations", ownerID, get([]string{"Device.WiFi.AccessPoint.2.AssociatedDevice."}, 0),
			absent("Device.WiFi.AccessPoint.2.AssociatedDevice.")},
		{"owner renames the home SSID", ownerID, set(false, upd("Device.WiFi.SSID.1.", "SSID!", "mine")),
			wantErrorCode(usp.ErrPermissionDenied, "Device.WiFi.SSID.1.SSID")},
		{"owner moves its SSID to another radio", ownerID, set(false, upd("Device.WiFi.SSID.2.", "LowerLayers!", "Device.WiFi.Radio.3")),
			wantErrorCode(usp.ErrPermissionDenied, "Device.WiFi.SSID.2.LowerLayers")},
		{"owner deletes its SSID", ownerID, del(false, "Device.WiFi.SSID.2."),
			wantErrorCode(usp.ErrPermissionDenied, "Device.WiFi.SSID.2.")},
		{"owner scans", ownerID, operate(diag, "k", true, nil), wantResponse(operateResp(opFailed(diag, usp.ErrPermissionDenied)))},
		// The operator runs the Wi-Fi, not the device.
		{"operator renames the device", operatorID, set(false, upd("Device.DeviceInfo.", "FriendlyName!", "isp")),
			wantErrorCode(usp.ErrPermissionDenied, "Device.DeviceInfo.FriendlyName")},
		{"operator reboots", operatorID, operate("Device.Reboot()", "k", true, nil),
			wantResponse(operateResp(opFailed("Device.Reboot()", usp.ErrPermissionDenied)))},
		{"operator reads the Controllers", operatorID, get([]string{"Device.LocalAgent.Controller.1."}, 0), absent("Device.LocalAgent.Controller.1.")},
		{"operator deletes a Controller", operatorID, del(false, "Device.LocalAgent.Controller.1."),
			wantErrorCode(usp.ErrPermissionDenied, "Device.LocalAgent.Controller.1.")},
		{"operator changes its role", operatorID, set(false, upd("Device.LocalAgent.Controller.1.", "AssignedRole!", "")),
			wantErrorCode(usp.ErrPermissionDenied, "Device.LocalAgent.Controller.1.AssignedRole")},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := e.do(c.id, c.req)
			c.check(t, r, err)
		})
	}
	// Nothing changed.
	if got := e.view(adminID, "Device.WiFi.Radio.1.Channel", "Device.WiFi.SSID.*.SSID", "Device.WiFi.SSID.2.LowerLayers", "Device.DeviceInfo.FriendlyName"); !reflect.DeepEqual(got, []string{
		"Device.DeviceInfo.FriendlyName=AP-1", "Device.WiFi.Radio.1.Channel=6", "Device.WiFi.SSID.1.SSID=Home",
		"Device.WiFi.SSID.2.LowerLayers=Device.WiFi.Radio.2", "Device.WiFi.SSID.2.SSID=Guest", "Device.WiFi.SSID.3.SSID=IoT"}) {
		t.Fatalf("state after refusals: %v", got)
	}
	// What each may do, it can.
	e.resp(operatorID, set(false, upd("Device.WiFi.Radio.1.", "Channel!", "11")))
	e.resp(ownerID, set(false, upd("Device.WiFi.SSID.2.", "SSID!", "Garden")))
	if r := e.resp(operatorID, operate(diag, "k", true, nil)); r.GetOperateResp().GetOperationResults()[0].GetReqObjPath() == "" {
		t.Fatalf("operator scan: %v", r)
	}
}

// watched is what every tenant subscribes to: the same ValueChange and
// ObjectCreation subscriptions, so that only their rights differ.
var watched = []usp.Subscription{
	{NotifType: "ValueChange", ReferenceList: []string{"Device.WiFi.Radio.*.Channel", "Device.WiFi.SSID.*.SSID",
		"Device.WiFi.AccessPoint.*.AssociatedDevice.*.SignalStrength", "Device.WiFi.AccessPoint.*.Security.KeyPassphrase"}},
	{NotifType: "ObjectCreation", ReferenceList: []string{"Device.WiFi.AccessPoint.*.AssociatedDevice."}},
	{NotifType: "OperationComplete", ReferenceList: []string{"Device.WiFi.NeighboringWiFiDiagnostic()"}},
}

func TestMultiTenantNotifications(t *testing.T) {
	e := newHome(t)
	tenants := []usp.EndpointID{operatorID, securityID, ownerID}
	subs := map[usp.EndpointID][]string{}
	for _, id := range tenants {
		for _, s := range watched {
			subs[id] = append(subs[id], e.subscribe(id, s))
		}
	}
	// Changes through USP and from the radio.
	e.resp(operatorID, set(false, upd("Device.WiFi.Radio.2.", "Channel!", "44")))
	e.radio("Device.WiFi.Radio.1.", "Channel", "11")
	e.resp(ownerID, set(false, upd("Device.WiFi.SSID.2.", "SSID!", "Garden")))
	e.resp(operatorID, set(false, upd("Device.WiFi.SSID.1.", "SSID!", "Home-Mesh")))
	e.radio("Device.WiFi.AccessPoint.1.AssociatedDevice.2.", "SignalStrength", "-71")
	e.resp(ownerID, set(false, upd("Device.WiFi.AccessPoint.2.Security.", "KeyPassphrase!", "garden-2026")))
	e.radioAdd("Device.WiFi.AccessPoint.2.AssociatedDevice.", "MACAddress", "02:AA:00:00:00:01", "SignalStrength", "-55")
	want := map[usp.EndpointID][]string{
		operatorID: {
			"created Device.WiFi.AccessPoint.2.AssociatedDevice.5.",
			"value Device.WiFi.AccessPoint.1.AssociatedDevice.2.SignalStrength=-71",
			"value Device.WiFi.AccessPoint.2.Security.KeyPassphrase=", // not in SecuredRoles
			"value Device.WiFi.Radio.1.Channel=11",
			"value Device.WiFi.Radio.2.Channel=44",
			"value Device.WiFi.SSID.1.SSID=Home-Mesh",
			"value Device.WiFi.SSID.2.SSID=Garden",
		},
		securityID: {
			"created Device.WiFi.AccessPoint.2.AssociatedDevice.5.",
			"value Device.WiFi.AccessPoint.1.AssociatedDevice.2.SignalStrength=-71",
		},
		ownerID: {
			"value Device.WiFi.AccessPoint.2.Security.KeyPassphrase=garden-2026",
			"value Device.WiFi.SSID.2.SSID=Garden",
		},
	}
	for _, id := range tenants {
		if got := e.take(id, subs[id]...); !reflect.DeepEqual(got, want[id]) {
			t.Errorf("%s was sent\n%s\nwant\n%s", id, strings.Join(got, "\n"), strings.Join(want[id], "\n"))
		}
	}
	// An asynchronous command's end goes to those with "n" on it.
	r := e.resp(operatorID, operate("Device.WiFi.NeighboringWiFiDiagnostic()", "scan-1", true, nil))
	if r.GetOperateResp().GetOperationResults()[0].GetReqObjPath() == "" {
		t.Fatalf("scan: %v", r)
	}
	e.agent.Wait()
	if got, want := e.take(operatorID, subs[operatorID]...), []string{"done Device.WiFi.NeighboringWiFiDiagnostic() 7022"}; !reflect.DeepEqual(got, want) {
		t.Errorf("operator: %q, want %q", got, want)
	}
	for _, id := range []usp.EndpointID{securityID, ownerID} {
		if got := e.take(id, subs[id]...); len(got) != 0 {
			t.Errorf("%s: %q", id, got)
		}
	}
}

func TestMultiTenantRoleChangeOnNextMessage(t *testing.T) {
	e := newHome(t)
	const ch = "Device.WiFi.Radio.1.Channel"
	sub := e.subscribe(securityID, watched[0])
	ownerSub := e.subscribe(ownerID, watched[0])
	// Before: the security provider may not read or set the channel.
	if r, err := e.do(securityID, get([]string{ch}, 0)); err != nil || r.GetGetResp().GetReqPathResults()[0].GetErrCode() != uint32(usp.ErrInvalidPath) {
		t.Fatalf("before: %v %v", r, err)
	}
	e.radio("Device.WiFi.Radio.1.", "Channel", "1")
	if got := e.take(securityID, sub); len(got) != 0 {
		t.Fatalf("notified before the role change: %q", got)
	}
	// The home admin makes it an operator: its very next message has the
	// new rights, and so has the next notification.
	assignRoles(t, e.m, e.roles, securityID, "Operator")
	if got := e.view(securityID, ch); !reflect.DeepEqual(got, []string{ch + "=1"}) {
		t.Fatalf("after the grant: %q", got)
	}
	e.resp(securityID, set(false, upd("Device.WiFi.Radio.1.", "Channel!", "6")))
	e.radio("Device.WiFi.Radio.1.", "Channel", "11")
	if got, want := e.take(securityID, sub), []string{"value " + ch + "=11", "value " + ch + "=6"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after the grant, notified %q, want %q", got, want)
	}
	// Revoked (no role left), the guest app loses everything at once,
	// notifications included; its subscription stays, silent.
	e.resp(ownerID, set(false, upd("Device.WiFi.SSID.2.", "SSID!", "Garden")))
	if got, want := e.take(ownerID, ownerSub), []string{"value Device.WiFi.SSID.2.SSID=Garden"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("owner before revoking: %q", got)
	}
	assignRoles(t, e.m, e.roles, ownerID)
	r, err := e.do(ownerID, set(false, upd("Device.WiFi.SSID.2.", "SSID!", "Mine")))
	wantErrorCode(usp.ErrPermissionDenied, "Device.WiFi.SSID.2.SSID")(t, r, err)
	if r, err = e.do(ownerID, get([]string{"Device.WiFi.SSID.2.SSID"}, 0)); err != nil || r.GetGetResp().GetReqPathResults()[0].GetErrCode() != uint32(usp.ErrInvalidPath) {
		t.Fatalf("revoked read: %v %v", r, err)
	}
	e.resp(operatorID, set(false, upd("Device.WiFi.SSID.2.", "SSID!", "Guest")))
	if got := e.take(ownerID, ownerSub); len(got) != 0 {
		t.Fatalf("revoked owner notified: %q", got)
	}
}
