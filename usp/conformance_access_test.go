package usp_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/usp"
)

// TP-469 section 2 (security): access control at the message level, with
// the access package's Evaluator deciding for the Agent (and, in 2.20,
// for its Notifier, on estate_test.go's network) as the node wires it.

// evaluatorAccess adapts an access.Evaluator to the Agent's
// AccessControl, as node does.
type evaluatorAccess struct{ e *access.Evaluator }

func (a evaluatorAccess) Permissions(ctx context.Context, id usp.EndpointID) usp.Permissions {
	return a.e.For(ctx, string(id))
}

var (
	_ usp.AccessControl     = evaluatorAccess{}
	_ usp.Permissions       = (*access.Set)(nil)
	_ usp.NotifyPermissions = (*access.Set)(nil)
	_ usp.SecretReader      = (*access.Set)(nil)
)

// ctrl3ID is a third Controller of the section-2 cases.
const ctrl3ID = usp.EndpointID("proto::controller-3")

// trusted is a harness whose Agent asks an access.Evaluator: the roles
// FullAccess, Untrusted (the UntrustedRole) and the test's own are
// provisioned; roles holds their paths by name.
type trusted struct {
	*harness
	ev    *access.Evaluator
	roles map[string]string
}

func newTrustedHarness(t *testing.T, roles ...access.RoleSpec) *trusted {
	t.Helper()
	tr := &trusted{}
	tr.harness = newHarness(t, func(t *testing.T, m *datamodel.Model, cfg *usp.AgentConfig) {
		tr.ev, tr.roles = newAccess(t, m, roles...)
		cfg.Access = evaluatorAccess{tr.ev}
	})
	return tr
}

// newAccess starts an Evaluator on m and provisions FullAccess, Untrusted
// (made the UntrustedRole) and roles.
func newAccess(t testing.TB, m *datamodel.Model, roles ...access.RoleSpec) (*access.Evaluator, map[string]string) {
	t.Helper()
	ctx := context.Background()
	ev, err := access.New(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ev.Close() })
	paths, err := access.Provision(ctx, m, append([]access.RoleSpec{access.FullAccess(), access.Untrusted()}, roles...))
	if err != nil {
		t.Fatal(err)
	}
	if err := access.SetTrust(ctx, m, access.Trust{Untrusted: []string{paths["Untrusted"]}}); err != nil {
		t.Fatal(err)
	}
	return ev, paths
}

// assign gives Controller id the named roles (replacing its others).
func (tr *trusted) assign(id usp.EndpointID, names ...string) {
	tr.t.Helper()
	assignRoles(tr.t, tr.m, tr.roles, id, names...)
}

func assignRoles(t testing.TB, m *datamodel.Model, roles map[string]string, id usp.EndpointID, names ...string) {
	t.Helper()
	refs := make([]string, len(names))
	for i, n := range names {
		if refs[i] = roles[n]; refs[i] == "" {
			t.Fatalf("no role %q", n)
		}
	}
	if err := access.AssignRole(context.Background(), m, string(id), refs); err != nil {
		t.Fatal(err)
	}
}

// role builds a RoleSpec; perm builds one of its Permissions.
func role(name string, perms ...access.PermSpec) access.RoleSpec {
	return access.RoleSpec{Name: name, Permissions: perms}
}

func perm(order uint, targets, param, obj, inst, cmd string) access.PermSpec {
	return access.PermSpec{Order: order, Targets: strings.Split(targets, ","), Param: param, Obj: obj, InstantiatedObj: inst, CommandEvent: cmd}
}

func TestTP2_9UnknownControllerGetsUntrustedRole(t *testing.T) {
	h := newTrustedHarness(t)
	stranger := usp.EndpointID("proto::stranger")
	r := h.send(stranger, get([]string{"Device.DeviceInfo.SerialNumber", "Device.LocalAgent.EndpointID",
		"Device.LocalAgent.Controller.1.EndpointID", "Device.Time.", "Device.LocalAgent.Controller.*.EndpointID"}, 0))
	wantResp(t, r, getResp(
		getRR("Device.DeviceInfo.SerialNumber", 0, resolved("Device.DeviceInfo.", "SerialNumber", "AP0001")),
		getRR("Device.LocalAgent.EndpointID", 0, resolved("Device.LocalAgent.", "EndpointID", string(agentID))),
		getRR("Device.LocalAgent.Controller.1.EndpointID", usp.ErrInvalidPath),
		getRR("Device.Time.", usp.ErrInvalidPath),
		getRR("Device.LocalAgent.Controller.*.EndpointID", 0)))
	// Its first message made its Controller row, with the UntrustedRole.
	if got := h.value("Device.LocalAgent.Controller.1.EndpointID"); got != string(stranger) {
		t.Fatalf("controller row for %s", got)
	}
	if got := h.value("Device.LocalAgent.Controller.1.AssignedRole"); got != h.roles["Untrusted"] {
		t.Fatalf("AssignedRole %q, want the UntrustedRole %q", got, h.roles["Untrusted"])
	}
	wantError(t, h.send(stranger, set(false, upd("Device.DeviceInfo.", "FriendlyName!", "x"))),
		uspError(usp.ErrPermissionDenied, paramErr("Device.DeviceInfo.FriendlyName", usp.ErrPermissionDenied)))
	wantResp(t, h.send(stranger, operate("Device.Reboot()", "k", true, nil)), operateResp(opFailed("Device.Reboot()", usp.ErrPermissionDenied)))
	// Trusted by an administrator, it has the new role on its next message.
	h.assign(stranger, "FullAccess")
	wantResp(t, h.send(stranger, get([]string{"Device.LocalAgent.Controller.1.EndpointID"}, 0)), getResp(
		getRR("Device.LocalAgent.Controller.1.EndpointID", 0, resolved("Device.LocalAgent.Controller.1.", "EndpointID", string(stranger)))))
}

// subWriter may read and write Subscription rows but not add them (2.12)
// nor delete them (2.14).
func subWriter() access.RoleSpec {
	return role("SubWriter", perm(1, subTable, "rw--", "r---", "r---", ""))
}

func TestTP2_12AddWithoutObjWrite(t *testing.T) {
	h := newTrustedHarness(t, subWriter())
	h.assign(ctrlID, "SubWriter")
	co := create(subTable, "Enable", "true", "ID", "s1")
	wantError(t, h.send(ctrlID, add(false, co)), uspError(usp.ErrPermissionDenied, paramErr(subTable, usp.ErrPermissionDenied)))
	wantResp(t, h.send(ctrlID, add(true, co)), addResp(addFail(subTable, usp.ErrPermissionDenied)))
	if rows := h.rows(subTable); len(rows) != 0 {
		t.Fatalf("rows created: %v", rows)
	}
}

func TestTP2_14DeleteWithoutInstObjWrite(t *testing.T) {
	h := newTrustedHarness(t, subWriter())
	h.assign(ctrlID, "FullAccess")
	sub := addSub(t, h.harness, "ID", "s1")
	h.assign(ctrlID, "SubWriter")
	wantError(t, h.send(ctrlID, del(false, sub)), uspError(usp.ErrPermissionDenied, paramErr(sub, usp.ErrPermissionDenied)))
	wantError(t, h.send(ctrlID, del(false, subTable+"*.")), uspError(usp.ErrPermissionDenied, paramErr(subTable+"*.", usp.ErrPermissionDenied)))
	wantResp(t, h.send(ctrlID, del(true, sub)), delResp(delFail(sub, usp.ErrPermissionDenied)))
	if rows := h.rows(subTable); !reflect.DeepEqual(rows, []string{sub}) {
		t.Fatalf("rows %v", rows)
	}
}

func TestTP2_16SetWithoutParamWrite(t *testing.T) {
	h := newTrustedHarness(t, role("SubReader", perm(1, subTable, "r---", "r---", "r---", "")))
	h.assign(ctrlID, "FullAccess")
	sub := addSub(t, h.harness, "ID", "s1")
	h.assign(ctrlID, "SubReader")
	wantError(t, h.send(ctrlID, set(false, upd(sub, "Enable!", "true"))),
		uspError(usp.ErrPermissionDenied, paramErr(sub+"Enable", usp.ErrPermissionDenied)))
	// Not required: the Set succeeds without it, naming it in param_errs.
	wantResp(t, h.send(ctrlID, set(false, upd(sub, "Enable", "true"))),
		setResp(setOK(sub, updated(sub, nil, setParamErr("Enable", usp.ErrPermissionDenied)))))
	if h.value(sub+"Enable") != "false" {
		t.Fatal("Enable changed")
	}
}

func TestTP2_18OperateWithoutExecute(t *testing.T) {
	h := newTrustedHarness(t, access.ReadOnly())
	h.assign(ctrlID, "ReadOnly")
	h.assign(ctrl2ID, "FullAccess")
	wantResp(t, h.send(ctrlID, operate("Device.Reboot()", "k", true, nil)), operateResp(opFailed("Device.Reboot()", usp.ErrPermissionDenied)))
	wantResp(t, h.send(ctrlID, operate(scheduleTimer, "k", true, map[string]string{"DelaySeconds": "1"})),
		operateResp(opFailed(scheduleTimer, usp.ErrPermissionDenied)))
	select {
	case <-h.reboot:
		t.Fatal("Reboot() ran without the x right")
	case d := <-h.timers:
		t.Fatalf("ScheduleTimer() armed %v without the x right", d)
	default:
	}
	if rows := h.rows(requestTable); len(rows) != 0 {
		t.Fatalf("request rows %v", rows)
	}
	// The same command with the right runs.
	wantResp(t, h.send(ctrl2ID, operate("Device.Reboot()", "k", true, nil)), operateResp(opOutput("Device.Reboot()", map[string]string{})))
	<-h.reboot
}

// TestTP2_20NoNotifyRight: without the "n" right a subscription stays
// silent — ValueChange (Param), ObjectCreation (Obj) and events
// (CommandEvent) — while the one parameter with "n" notifies. The rights
// are the Notifier's, asked of the same Evaluator.
func TestTP2_20NoNotifyRight(t *testing.T) {
	e := newEstate(t, estateConfig{radios: 1, ssids: 1, stations: 1,
		roles: []access.RoleSpec{role("NoNotify",
			perm(1, "Device.", "rw--", "rw--", "rw--", "r-x-"),
			perm(2, "Device.DeviceInfo.ProvisioningCode", "rw-n", "", "", ""))},
		controllers: map[usp.EndpointID][]string{ctrlID: {"NoNotify"}}})
	subs := []string{
		e.subscribe(ctrlID, usp.Subscription{NotifType: "ValueChange", ReferenceList: []string{"Device.DeviceInfo.", "Device.WiFi.Radio.1.Channel"}}),
		e.subscribe(ctrlID, usp.Subscription{NotifType: "ObjectCreation", ReferenceList: []string{"Device.WiFi.AccessPoint.1.AssociatedDevice."}}),
		e.subscribe(ctrlID, usp.Subscription{NotifType: "Event", ReferenceList: []string{"Device.Boot!"}}),
	}
	e.resp(ctrlID, set(false, upd("Device.DeviceInfo.", "FriendlyName!", "kitchen")))
	e.resp(ctrlID, set(false, upd("Device.WiFi.Radio.1.", "Channel!", "11")))
	e.radio("Device.WiFi.Radio.1.", "Channel", "1")
	e.radioAdd("Device.WiFi.AccessPoint.1.AssociatedDevice.", "MACAddress", "02:AA:00:00:00:01")
	if err := e.m.Raise(context.Background(), "Device.", "Boot", map[string]string{"Cause": "LocalReboot"}); err != nil {
		t.Fatal(err)
	}
	if got := e.take(ctrlID, subs...); len(got) != 0 {
		t.Fatalf("notified without the n right: %q", got)
	}
	e.resp(ctrlID, set(false, upd("Device.DeviceInfo.", "ProvisioningCode!", "pc-1")))
	if got, want := e.take(ctrlID, subs...), []string{"value Device.DeviceInfo.ProvisioningCode=pc-1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("notified %q, want %q", got, want)
	}
}

// TestObjCreationKeysFollowReadRights: an ObjectCreation's unique_keys
// show only the keys its recipient may read, as GetInstances would.
func TestObjCreationKeysFollowReadRights(t *testing.T) {
	const stations = "Device.WiFi.AccessPoint.1.AssociatedDevice."
	e := newEstate(t, estateConfig{radios: 1, ssids: 1, stations: 0,
		roles:       []access.RoleSpec{role("CountStations", perm(1, stations, "----", "---n", "---n", ""), perm(2, subTable, "rw--", "rw--", "rw--", ""))},
		controllers: map[usp.EndpointID][]string{ctrlID: {"CountStations"}, ctrl2ID: {"FullAccess"}}})
	sub := e.subscribe(ctrlID, usp.Subscription{NotifType: "ObjectCreation", ReferenceList: []string{stations}})
	sub2 := e.subscribe(ctrl2ID, usp.Subscription{NotifType: "ObjectCreation", ReferenceList: []string{stations}})
	row := e.radioAdd(stations, "MACAddress", "02:AA:00:00:00:01")
	e.settle()
	for _, c := range []struct {
		id   usp.EndpointID
		sub  string
		keys map[string]string
	}{{ctrlID, sub, map[string]string{}}, {ctrl2ID, sub2, map[string]string{"MACAddress": "02:AA:00:00:00:01"}}} {
		tn := e.tenants[c.id]
		tn.mu.Lock()
		got := tn.got
		tn.mu.Unlock()
		keys := map[string]string{}
		if len(got) == 1 {
			for k, v := range got[0].GetObjCreation().GetUniqueKeys() {
				keys[k] = v
			}
		}
		if len(got) != 1 || got[0].GetSubscriptionId() != c.sub || got[0].GetObjCreation().GetObjPath() != row || !reflect.DeepEqual(keys, c.keys) {
			t.Fatalf("%s was sent %v, want the creation of %s with keys %v", c.id, got, row, c.keys)
		}
	}
}

// orderedReader may read Device.DeviceInfo. but, by a higher Order, not
// its SerialNumber or HardwareVersion; the lower-Order grant of
// HardwareVersion loses.
func orderedReader() access.RoleSpec {
	return role("Ordered",
		perm(5, "Device.DeviceInfo.", "r---", "r---", "r---", ""),
		perm(10, "Device.DeviceInfo.SerialNumber,Device.DeviceInfo.HardwareVersion", "----", "", "", ""),
		perm(1, "Device.DeviceInfo.HardwareVersion", "r---", "", "", ""))
}

// deviceInfoParams lists the parameter names of a Get of
// Device.DeviceInfo. (own parameters only).
func deviceInfoParams(t *testing.T, h *harness, id usp.EndpointID) []string {
	t.Helper()
	var out []string
	for _, l := range flatGet(t, h.send(id, get([]string{"Device.DeviceInfo."}, 1))) {
		f := strings.Split(l, " | ")
		out = append(out, strings.SplitN(f[2], "=", 2)[0])
	}
	return out
}

func without(all []string, drop ...string) []string {
	out := []string{}
	for _, s := range all {
		if !contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTP2_21PermissionOrder(t *testing.T) {
	h := newTrustedHarness(t, orderedReader(), role("Serial", perm(1, "Device.DeviceInfo.SerialNumber", "r---", "", "", "")))
	h.assign(ctrlID, "FullAccess")
	h.assign(ctrl2ID, "Ordered")
	h.assign(ctrl3ID, "Ordered", "Serial")
	all := deviceInfoParams(t, h.harness, ctrlID)
	if !contains(all, "SerialNumber") || !contains(all, "HardwareVersion") || len(all) < 10 {
		t.Fatalf("full view %v", all)
	}
	// Within a Role the highest Order wins, whichever way it points.
	if got, want := deviceInfoParams(t, h.harness, ctrl2ID), without(all, "SerialNumber", "HardwareVersion"); !reflect.DeepEqual(got, want) {
		t.Fatalf("ordered view\n got %v\nwant %v", got, want)
	}
	// Across Roles the rights are OR-ed.
	if got, want := deviceInfoParams(t, h.harness, ctrl3ID), without(all, "HardwareVersion"); !reflect.DeepEqual(got, want) {
		t.Fatalf("two-role view\n got %v\nwant %v", got, want)
	}
}

func TestTP2_22UnreadableParamOmitted(t *testing.T) {
	h := newTrustedHarness(t, orderedReader())
	h.assign(ctrlID, "Ordered")
	r := h.send(ctrlID, get([]string{"Device.DeviceInfo.SerialNumber", "Device.DeviceInfo.ModelName", "Device.DeviceInfo.NoSuchParam"}, 0))
	wantResp(t, r, getResp(
		getRR("Device.DeviceInfo.SerialNumber", usp.ErrInvalidPath),
		getRR("Device.DeviceInfo.ModelName", 0, resolved("Device.DeviceInfo.", "ModelName", "AP-1")),
		getRR("Device.DeviceInfo.NoSuchParam", usp.ErrInvalidPath)))
	// An object none of whose parameters is readable answers as a missing
	// one, so that its existence does not show.
	wantResp(t, h.send(ctrlID, get([]string{"Device.LocalAgent.Controller.1.", "Device.LocalAgent.Controller.9."}, 0)), getResp(
		getRR("Device.LocalAgent.Controller.1.", usp.ErrInvalidPath), getRR("Device.LocalAgent.Controller.9.", usp.ErrInvalidPath)))
	// An empty table the Controller may read stays an empty success.
	h.assign(ctrl2ID, "FullAccess")
	wantResp(t, h.send(ctrl2ID, get([]string{subTable}, 0)), getResp(getRR(subTable, 0)))
}

// subNoRetry may add and manage Subscriptions but not set NotifRetry.
func subNoRetry() access.RoleSpec {
	return role("SubNoRetry",
		perm(1, subTable, "rw--", "rw--", "rw--", ""),
		perm(2, subTable+"*.NotifRetry", "r---", "", "", ""))
}

func TestTP2_24AddWithForbiddenRequiredParam(t *testing.T) {
	h := newTrustedHarness(t, subNoRetry())
	h.assign(ctrlID, "SubNoRetry")
	r := h.send(ctrlID, add(false, create(subTable, "ID", "s1", "NotifRetry!", "true")))
	wantError(t, r, uspError(usp.ErrPermissionDenied, paramErr(subTable+"{i}.NotifRetry", usp.ErrPermissionDenied)))
	if rows := h.rows(subTable); len(rows) != 0 {
		t.Fatalf("rows created: %v", rows)
	}
}

func TestTP2_25AddOmittingForbiddenParam(t *testing.T) {
	h := newTrustedHarness(t, subNoRetry())
	h.assign(ctrlID, "SubNoRetry")
	keys := func(n string) map[string]string {
		return map[string]string{"Alias": "cpe-" + n, "ID": "s" + n, "Recipient": "Device.LocalAgent.Controller.1"}
	}
	wantResp(t, h.send(ctrlID, add(false, create(subTable, "ID", "s1"))), addResp(addOK(subTable, subTable+"1.", keys("1"))))
	// Given but not required: refused on its own, the row is still made.
	wantResp(t, h.send(ctrlID, add(false, create(subTable, "ID", "s2", "NotifRetry", "true"))),
		addResp(addOK(subTable, subTable+"2.", keys("2"), addParamErr("NotifRetry", usp.ErrPermissionDenied))))
	for _, row := range []string{subTable + "1.", subTable + "2."} {
		if v := h.value(row + "NotifRetry"); v != "false" {
			t.Fatalf("%sNotifRetry = %q, want the default false", row, v)
		}
	}
}

func TestTP2_26AddForbiddenParamAllowPartial(t *testing.T) {
	h := newTrustedHarness(t, subNoRetry())
	h.assign(ctrlID, "SubNoRetry")
	r := h.send(ctrlID, add(true, create(subTable, "ID", "s1", "NotifRetry!", "true"), create(subTable, "ID", "s2")))
	wantResp(t, r, addResp(addFail(subTable, usp.ErrPermissionDenied),
		addOK(subTable, subTable+"1.", map[string]string{"Alias": "cpe-1", "ID": "s2", "Recipient": "Device.LocalAgent.Controller.1"})))
	if rows := h.rows(subTable); !reflect.DeepEqual(rows, []string{subTable + "1."}) {
		t.Fatalf("rows %v", rows)
	}
}

func TestTP2_27SecuredRoles(t *testing.T) {
	h := newTrustedHarness(t, access.ReadOnly(), role("Secrets"))
	ctx := context.Background()
	if err := tr181.Populate(ctx, h.m, 1, 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := access.SetTrust(ctx, h.m, access.Trust{Untrusted: []string{h.roles["Untrusted"]}, Secured: []string{h.roles["Secrets"]}}); err != nil {
		t.Fatal(err)
	}
	h.assign(ctrlID, "ReadOnly")
	h.assign(ctrl2ID, "ReadOnly", "Secrets")
	h.assign(ctrl3ID, "FullAccess")
	const sec = "Device.WiFi.AccessPoint.1.Security."
	req := get([]string{sec + "KeyPassphrase", sec + "ModeEnabled"}, 0)
	want := func(pass string) []string {
		return []string{
			sec + "KeyPassphrase | " + sec + " | KeyPassphrase=" + pass,
			sec + "ModeEnabled | " + sec + " | ModeEnabled=WPA2-Personal",
		}
	}
	for _, c := range []struct {
		id   usp.EndpointID
		pass string
	}{{ctrlID, ""}, {ctrl2ID, "mesh-passphrase"}, {ctrl3ID, ""}} {
		if got := flatGet(t, h.send(c.id, req)); !reflect.DeepEqual(got, want(c.pass)) {
			t.Fatalf("%s sees %q, want %q", c.id, got, want(c.pass))
		}
	}
	// Writing a secured parameter does not reveal it either.
	wantResp(t, h.send(ctrl3ID, set(false, upd(sec, "KeyPassphrase!", "new-passphrase"))),
		setResp(setOK(sec, updated(sec, map[string]string{"KeyPassphrase": ""}))))
	if got := flatGet(t, h.send(ctrl2ID, get([]string{sec + "KeyPassphrase"}, 0))); !reflect.DeepEqual(got, []string{sec + "KeyPassphrase | " + sec + " | KeyPassphrase=new-passphrase"}) {
		t.Fatalf("secured reader sees %q", got)
	}
}
