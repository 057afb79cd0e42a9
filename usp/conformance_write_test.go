package usp_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// TP-469 section 1: Add, Set and Delete. Every case checks the exact
// response (paths with instance numbers, relative parameter names, codes)
// and the data model afterwards.

const (
	subTable = "Device.LocalAgent.Subscription."
	ctrlRow  = "Device.LocalAgent.Controller.1" // ctrlID's row, as a reference value
)

// subID is the ID the Agent generates for Subscription row inst.
func subID(inst int) string { return fmt.Sprintf("%d-%X", inst, harnessClock.Unix()) }

// subKeys is the unique_keys of Subscription row inst with the given ID
// ("" = generated) and Alias ("" = generated).
func subKeys(inst int, id, alias string) map[string]string {
	if id == "" {
		id = subID(inst)
	}
	if alias == "" {
		alias = fmt.Sprintf("cpe-%d", inst)
	}
	return map[string]string{"Alias": alias, "ID": id, "Recipient": ctrlRow}
}

// wantRows checks the rows of table.
func wantRows(t *testing.T, h *harness, table string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := h.rows(table); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s rows %v, want %v", table, got, want)
	}
}

// wantValues checks parameters straight from the model: path, value pairs.
func wantValues(t *testing.T, h *harness, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := h.value(kv[i]); got != kv[i+1] {
			t.Errorf("%s = %q, want %q", kv[i], got, kv[i+1])
		}
	}
}

// threeSubs adds Subscriptions s1 (enabled, ValueChange, TimeToLive 10,
// NotifExpiration 10), s2 (disabled, ObjectCreation, 20, 20) and s3
// (enabled, Event, 30, 5) as rows 1–3.
func threeSubs(t *testing.T, h *harness) {
	t.Helper()
	r := h.send(ctrlID, add(false,
		create(subTable, "ID", "s1", "Enable", "true", "NotifType", "ValueChange", "TimeToLive", "10", "NotifExpiration", "10"),
		create(subTable, "ID", "s2", "Enable", "false", "NotifType", "ObjectCreation", "TimeToLive", "20", "NotifExpiration", "20"),
		create(subTable, "ID", "s3", "Enable", "true", "NotifType", "Event", "TimeToLive", "30", "NotifExpiration", "5")))
	wantResp(t, r, addResp(
		addOK(subTable, subTable+"1.", subKeys(1, "s1", "")),
		addOK(subTable, subTable+"2.", subKeys(2, "s2", "")),
		addOK(subTable, subTable+"3.", subKeys(3, "s3", ""))))
}

// bootParams gives ctrlID's Controller row (Controller.1) two
// BootParameter rows, 1 enabled and 2 disabled, and returns the table path.
func bootParams(t *testing.T, h *harness) string {
	t.Helper()
	bp := "Device.LocalAgent.Controller.1.BootParameter."
	r := h.send(ctrlID, add(false,
		create(bp, "Enable", "true", "ParameterName", "Device.LocalAgent.SoftwareVersion"),
		create(bp, "Enable", "false", "ParameterName", "Device.DeviceInfo.UpTime")))
	wantResp(t, r, addResp(
		addOK(bp, bp+"1.", map[string]string{"Alias": "cpe-1", "ParameterName": "Device.LocalAgent.SoftwareVersion"}),
		addOK(bp, bp+"2.", map[string]string{"Alias": "cpe-2", "ParameterName": "Device.DeviceInfo.UpTime"})))
	return bp
}

// The Subscription of TP 1.1–1.9, with the given ID.
func tpSub(id string, extra ...string) *uspmsg.Add_CreateObject {
	return create(subTable, append([]string{"Enable", "true", "ID", id, "NotifType", "ValueChange",
		"ReferenceList!", "Device.LocalAgent.SoftwareVersion"}, extra...)...)
}

const invalidObject = "Device.LocalAgent.InvalidObject."

// Add.

func TestTP1_2AddPartialSingleObject(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(true, tpSub("add2")))
	wantResp(t, r, addResp(addOK(subTable, subTable+"1.", subKeys(1, "add2", ""))))
	wantRows(t, h, subTable, subTable+"1.")
	wantValues(t, h, subTable+"1.Enable", "true", subTable+"1.NotifType", "ValueChange",
		subTable+"1.ReferenceList", "Device.LocalAgent.SoftwareVersion", subTable+"1.CreationDate", "2026-11-22T08:00:00Z")
}

func TestTP1_4AddInvalidTable(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false, create(invalidObject, "Enable", "true", "ID", "add3")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(invalidObject, usp.ErrInvalidPath)))
	wantRows(t, h, subTable)
}

func TestTP1_5AddTwoObjects(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false, tpSub("add41"),
		create(subTable, "Enable", "true", "ID", "add42", "NotifType", "ValueChange", "ReferenceList!", "Device.LocalAgent.EndpointID")))
	wantResp(t, r, addResp(
		addOK(subTable, subTable+"1.", subKeys(1, "add41", "")),
		addOK(subTable, subTable+"2.", subKeys(2, "add42", ""))))
	wantRows(t, h, subTable, subTable+"1.", subTable+"2.")
	wantValues(t, h, subTable+"1.ReferenceList", "Device.LocalAgent.SoftwareVersion",
		subTable+"2.ReferenceList", "Device.LocalAgent.EndpointID", "Device.LocalAgent.SubscriptionNumberOfEntries", "2")
}

func TestTP1_6AddValidAndInvalidTable(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false, tpSub("add51"), create(invalidObject, "Enable", "true", "ID", "add52")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(invalidObject, usp.ErrInvalidPath)))
	wantRows(t, h, subTable) // the valid first object was not kept either
}

func TestTP1_7AddTwoObjectsRequiredFailsInOne(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false, tpSub("add61"), tpSub("add62", "InvalidParameter!", "IrrelevantValue")))
	// The row was never created: "{i}" stands for its instance number.
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(subTable+"{i}.InvalidParameter", usp.ErrUnsupportedParameter)))
	wantRows(t, h, subTable)
}

func TestTP1_8AddPartialRequiredInvalidValue(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(true, create(subTable, "Enable!", "InvalidValue", "ID", "add7", "NotifType", "ValueChange",
		"ReferenceList!", "Device.LocalAgent.SoftwareVersion")))
	// AddResp's OperationFailure has no param_errs, so err_code is the
	// failing parameter's own code (TP-469 accepts 7011 or 7012; the
	// reference agent does the same).
	wantResp(t, r, addResp(addFail(subTable, usp.ErrInvalidType)))
	wantRows(t, h, subTable)
}

func TestTP1_9AddPartialRequiredFailsInOne(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(true,
		create(subTable, "Enable", "true", "ID", "add81", "NotifType", "ValueChange", "ReferenceList", "Device.LocalAgent.SoftwareVersion"),
		create(subTable, "Enable", "true", "ID", "add81", "NotifType", "ValueChange", "ReferenceList", "Device.LocalAgent.SoftwareVersion",
			"InvalidParameter!", "IrrelevantValue"),
		create(invalidObject)))
	wantResp(t, r, addResp(
		addOK(subTable, subTable+"1.", subKeys(1, "add81", "")),
		addFail(subTable, usp.ErrUnsupportedParameter),
		addFail(invalidObject, usp.ErrInvalidPath)))
	// The failed row's instance number was not used up.
	wantRows(t, h, subTable, subTable+"1.")
	wantValues(t, h, subTable+"1.ReferenceList", "Device.LocalAgent.SoftwareVersion")
	wantResp(t, h.send(ctrlID, add(false, create(subTable))), addResp(addOK(subTable, subTable+"2.", subKeys(2, "", ""))))
}

func TestTP1_10AddUnderUniqueKeyPath(t *testing.T) {
	h := newHarness(t)
	h.send(ctrlID, get([]string{"Device.LocalAgent.EndpointID"}, 0)) // creates ctrlID's Controller row
	rp := `Device.LocalAgent.Controller.[EndpointID=="` + string(ctrlID) + `"&&Alias=="cpe-1"].BootParameter.`
	r := h.send(ctrlID, add(false, create(rp, "Enable", "true", "ParameterName", "Device.LocalAgent.SoftwareVersion")))
	bp := "Device.LocalAgent.Controller.1.BootParameter."
	wantResp(t, r, addResp(addOK(rp, bp+"1.", map[string]string{"Alias": "cpe-1", "ParameterName": "Device.LocalAgent.SoftwareVersion"})))
	wantRows(t, h, bp, bp+"1.")
	wantValues(t, h, bp+"1.Enable", "true")

	// A key path naming no row is an error, not an empty success: an
	// Add must create something.
	none := `Device.LocalAgent.Controller.[EndpointID=="proto::nobody"&&Alias=="cpe-1"].BootParameter.`
	r = h.send(ctrlID, add(false, create(none, "ParameterName", "Device.DeviceInfo.ModelName")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(none, usp.ErrObjectDoesNotExist)))
	wantRows(t, h, bp, bp+"1.")
}

func TestTP1_81AddGeneratesKeys(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false,
		create(subTable, "Enable", "true", "NotifType", "ValueChange", "ReferenceList", "Device.LocalAgent.SoftwareVersion"),
		create(subTable, "Enable", "true", "NotifType", "ValueChange", "ReferenceList", "Device.LocalAgent.EndpointID")))
	// Alias and ID differ, Recipient is the same (the sender's row).
	wantResp(t, r, addResp(addOK(subTable, subTable+"1.", subKeys(1, "", "")), addOK(subTable, subTable+"2.", subKeys(2, "", ""))))
	if subID(1) == subID(2) {
		t.Fatal("generated IDs are equal")
	}
	wantValues(t, h, subTable+"1.ID", subID(1), subTable+"2.ID", subID(2),
		subTable+"1.Recipient", ctrlRow, subTable+"2.Recipient", ctrlRow)
}

func TestTP1_88AddBadAliasValue(t *testing.T) {
	h := newHarness(t)
	// Alias is a unique key, so it counts as required although the
	// request does not mark it so: the Add fails as a whole.
	r := h.send(ctrlID, add(false, create(subTable, "Enable", "True", "Alias", "88InvalidAlias", "NotifType", "ValueChange",
		"ReferenceList", "Device.LocalAgent.SoftwareVersion")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(subTable+"{i}.Alias", usp.ErrInvalidValue)))
	wantRows(t, h, subTable)
}

func TestTP1_95AddUnderSearchPath(t *testing.T) {
	h := newHarness(t)
	h.send(ctrlID, get([]string{"Device.LocalAgent.EndpointID"}, 0))
	h.send(ctrl2ID, get([]string{"Device.LocalAgent.EndpointID"}, 0))
	rp := "Device.LocalAgent.Controller.[Enable==true].BootParameter."
	r := h.send(ctrlID, add(false, create(rp, "Enable", "true", "ParameterName", "Device.LocalAgent.SoftwareVersion")))
	// One result per table the path names, each with the requested path.
	keys := map[string]string{"Alias": "cpe-1", "ParameterName": "Device.LocalAgent.SoftwareVersion"}
	wantResp(t, r, addResp(
		addOK(rp, "Device.LocalAgent.Controller.1.BootParameter.1.", keys),
		addOK(rp, "Device.LocalAgent.Controller.2.BootParameter.1.", keys)))
	r = h.send(ctrlID, get([]string{"Device.LocalAgent.Controller.*.BootParameter."}, 0))
	if got, want := resolvedPaths(t, r), []string{"Device.LocalAgent.Controller.1.BootParameter.1.",
		"Device.LocalAgent.Controller.2.BootParameter.1."}; !reflect.DeepEqual(got, want) {
		t.Fatalf("BootParameters %v, want %v", got, want)
	}
}

// Set.

func TestTP1_12SetPartialSingleObject(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, set(true, upd(sub, "NotifRetry!", "true")))
	wantResp(t, r, setResp(setOK(sub, updated(sub, map[string]string{"NotifRetry": "true"}))))
	wantValues(t, h, sub+"NotifRetry", "true")
}

func TestTP1_13SetTwoObjects(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, set(false, upd(subTable+"1.", "NotifRetry!", "true"), upd(subTable+"3.", "NotifRetry!", "1")))
	// Values are answered in canonical form ("1" → "true").
	wantResp(t, r, setResp(
		setOK(subTable+"1.", updated(subTable+"1.", map[string]string{"NotifRetry": "true"})),
		setOK(subTable+"3.", updated(subTable+"3.", map[string]string{"NotifRetry": "true"}))))
	wantValues(t, h, subTable+"1.NotifRetry", "true", subTable+"2.NotifRetry", "false", subTable+"3.NotifRetry", "true")
}

func TestTP1_15SetSecondObjectFails(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, set(false,
		upd(subTable+"1.", "NotifRetry!", "true"),
		upd(subTable+"2.", "InvalidParameter!", "IrrelevantValue")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(subTable+"2.InvalidParameter", usp.ErrUnsupportedParameter)))
	wantValues(t, h, subTable+"1.NotifRetry", "false") // the first object was rolled back
}

func TestTP1_16SetPartialSecondObjectFails(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, set(true,
		upd(subTable+"1.", "NotifRetry!", "true"),
		upd(subTable+"2.", "NotifRetry", "true", "InvalidParameter!", "IrrelevantValue")))
	wantResp(t, r, setResp(
		setOK(subTable+"1.", updated(subTable+"1.", map[string]string{"NotifRetry": "true"})),
		setFail(subTable+"2.", usp.ErrRequiredParameterFailed, notUpdated(subTable+"2.",
			setParamErr("InvalidParameter", usp.ErrUnsupportedParameter)))))
	wantValues(t, h, subTable+"1.NotifRetry", "true", subTable+"2.NotifRetry", "false")
}

func TestTP1_17SetPartialNonRequiredParamFails(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, set(true, upd(sub, "NotifRetry", "true", "InvalidParameter", "IrrelevantValue", "NotifType", "Bogus")))
	wantResp(t, r, setResp(setOK(sub, updated(sub, map[string]string{"NotifRetry": "true"},
		setParamErr("InvalidParameter", usp.ErrUnsupportedParameter), setParamErr("NotifType", usp.ErrInvalidValue)))))
	wantValues(t, h, sub+"NotifRetry", "true", sub+"NotifType", "")
}

func TestTP1_18SetByUniqueKey(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + `[Recipient=="` + ctrlRow + `"&&ID=="s2"].`
	r := h.send(ctrlID, set(false, upd(rp, "NotifRetry!", "true")))
	wantResp(t, r, setResp(setOK(rp, updated(subTable+"2.", map[string]string{"NotifRetry": "true"}))))
	wantValues(t, h, subTable+"1.NotifRetry", "false", subTable+"2.NotifRetry", "true", subTable+"3.NotifRetry", "false")
}

func TestTP1_19SetWildcard(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + "*."
	r := h.send(ctrlID, set(false, upd(rp, "NotifRetry!", "true")))
	wantResp(t, r, setResp(setOK(rp,
		updated(subTable+"1.", map[string]string{"NotifRetry": "true"}),
		updated(subTable+"2.", map[string]string{"NotifRetry": "true"}),
		updated(subTable+"3.", map[string]string{"NotifRetry": "true"}))))
	wantValues(t, h, subTable+"1.NotifRetry", "true", subTable+"2.NotifRetry", "true", subTable+"3.NotifRetry", "true")
}

func TestTP1_20SetWildcardFails(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + "*."
	r := h.send(ctrlID, set(false, upd(rp, "NotifRetry", "true", "InvalidParameter!", "IrrelevantValue")))
	// Every row that failed is named; no row changed (R-SET.2a).
	wantError(t, r, uspError(usp.ErrInvalidArguments,
		paramErr(subTable+"1.InvalidParameter", usp.ErrUnsupportedParameter),
		paramErr(subTable+"2.InvalidParameter", usp.ErrUnsupportedParameter),
		paramErr(subTable+"3.InvalidParameter", usp.ErrUnsupportedParameter)))
	wantValues(t, h, subTable+"1.NotifRetry", "false", subTable+"2.NotifRetry", "false", subTable+"3.NotifRetry", "false")
}

func TestTP1_21SetWildcardPartialFails(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + "*."
	// The wildcard entry fails on every row; it is all or nothing
	// (R-SET.2a), so no row's TimeToLive changes, and
	// updated_inst_failures lists each failing row. The next entry is
	// still applied (allow_partial).
	r := h.send(ctrlID, set(true,
		upd(rp, "TimeToLive", "99", "InvalidParameter!", "IrrelevantValue"),
		upd(subTable+"2.", "NotifRetry", "true")))
	wantResp(t, r, setResp(
		setFail(rp, usp.ErrRequiredParameterFailed,
			notUpdated(subTable+"1.", setParamErr("InvalidParameter", usp.ErrUnsupportedParameter)),
			notUpdated(subTable+"2.", setParamErr("InvalidParameter", usp.ErrUnsupportedParameter)),
			notUpdated(subTable+"3.", setParamErr("InvalidParameter", usp.ErrUnsupportedParameter))),
		setOK(subTable+"2.", updated(subTable+"2.", map[string]string{"NotifRetry": "true"}))))
	wantValues(t, h, subTable+"1.TimeToLive", "10", subTable+"2.TimeToLive", "20", subTable+"3.TimeToLive", "30",
		subTable+"2.NotifRetry", "true")
}

func TestTP1_22SetSearchMatch(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	h.send(ctrlID, set(false, upd(subTable+"3.", "NotifExpiration", "0")))
	rp := subTable + "[NotifExpiration>0]."
	r := h.send(ctrlID, set(false, upd(rp, "NotifRetry!", "true")))
	wantResp(t, r, setResp(setOK(rp,
		updated(subTable+"1.", map[string]string{"NotifRetry": "true"}),
		updated(subTable+"2.", map[string]string{"NotifRetry": "true"}))))
	wantValues(t, h, subTable+"1.NotifRetry", "true", subTable+"2.NotifRetry", "true", subTable+"3.NotifRetry", "false")
}

// TestTP1_23SetSearchNoMatch follows usp-facts §4 and the current TP-469
// text: a search path that matches nothing is an empty oper_success
// (early TP-469 issues expected oper_failure 7016). A non-search path to
// a missing row is another matter: that object does not exist (7016).
func TestTP1_23SetSearchNoMatch(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + `[Recipient=="InvalidValue"].`
	r := h.send(ctrlID, set(true, upd(rp, "NotifRetry!", "true")))
	wantResp(t, r, setResp(setOK(rp)))
	r = h.send(ctrlID, set(true, upd(subTable+"9.", "NotifRetry!", "true")))
	wantResp(t, r, setResp(setFail(subTable+"9.", usp.ErrObjectDoesNotExist)))
	r = h.send(ctrlID, set(false, upd(subTable+"9.", "NotifRetry!", "true")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(subTable+"9.", usp.ErrObjectDoesNotExist)))
	wantValues(t, h, subTable+"1.NotifRetry", "false", subTable+"2.NotifRetry", "false", subTable+"3.NotifRetry", "false")
}

func TestTP1_96SetWriteOnceID(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "add96")
	r := h.send(ctrlID, set(false, upd(sub, "ID!", "add96-NEW")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(sub+"ID", usp.ErrNotWritable)))
	wantValues(t, h, sub+"ID", "add96")
	// Not required, the refusal is a param_err of a success.
	r = h.send(ctrlID, set(false, upd(sub, "ID", "add96-NEW", "Enable", "true")))
	wantResp(t, r, setResp(setOK(sub, updated(sub, map[string]string{"Enable": "true"}, setParamErr("ID", usp.ErrNotWritable)))))
	wantValues(t, h, sub+"ID", "add96", sub+"Enable", "true")
}

func TestTP1_104SetWriteOnceAlias(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "Alias", "first")
	r := h.send(ctrlID, set(false, upd(sub, "Alias!", "second")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(sub+"Alias", usp.ErrNotWritable)))
	wantValues(t, h, sub+"Alias", "first")
	// Controller.{i}.Alias is write-once too; its EndpointID is not.
	r = h.send(ctrlID, set(false, upd("Device.LocalAgent.Controller.1.", "Alias!", "mine")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr("Device.LocalAgent.Controller.1.Alias", usp.ErrNotWritable)))
	wantValues(t, h, "Device.LocalAgent.Controller.1.Alias", "cpe-1")
}

// Delete.

func TestTP1_26DeleteInvalidObject(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, del(false, invalidObject))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(invalidObject, usp.ErrInvalidPath)))
}

func TestTP1_27DeleteTwoRows(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	h.send(ctrlID, add(false, create("Device.LocalAgent.ControllerTrust.Role.", "Name", "admin")))
	role := "Device.LocalAgent.ControllerTrust.Role.1."
	r := h.send(ctrlID, add(false, create(role+"Permission.", "Order", "1", "Param", "r---")))
	wantResp(t, r, addResp(addOK(role+"Permission.", role+"Permission.1.", map[string]string{"Alias": "cpe-1", "Order": "1"})))
	r = h.send(ctrlID, del(false, subTable+"1.", subTable+"3.", role))
	// A row goes with the rows below it; affected_paths names the row
	// requested.
	wantResp(t, r, delResp(delOK(subTable+"1.", subTable+"1."), delOK(subTable+"3.", subTable+"3."), delOK(role, role)))
	wantRows(t, h, subTable, subTable+"2.")
	wantRows(t, h, "Device.LocalAgent.ControllerTrust.Role.")
	wantValues(t, h, "Device.LocalAgent.SubscriptionNumberOfEntries", "1")
}

func TestTP1_28DeleteValidAndInvalid(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, del(false, sub, invalidObject))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(invalidObject, usp.ErrInvalidPath)))
	wantRows(t, h, subTable, sub) // the valid first path was not deleted
}

func TestTP1_29DeletePartialMissingRow(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, del(true, subTable+"9."))
	wantResp(t, r, delResp(delOK(subTable+"9.")))
	wantRows(t, h, subTable, subTable+"1.", subTable+"2.", subTable+"3.")
}

func TestTP1_30DeletePartialInvalidObject(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, del(true, invalidObject))
	wantResp(t, r, delResp(delFail(invalidObject, usp.ErrInvalidPath)))
}

func TestTP1_31DeletePartialValidAndInvalid(t *testing.T) {
	h := newHarness(t)
	if err := tr181.Populate(context.Background(), h.m, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	sub := addSub(t, h, "ID", "s1")
	const radio = "Device.WiFi.Radio.1." // a row Controllers may not delete
	r := h.send(ctrlID, del(true, sub, invalidObject, radio))
	wantResp(t, r, delResp(delOK(sub, sub), delFail(invalidObject, usp.ErrInvalidPath), delFail(radio, usp.ErrDeleteFailure)))
	wantRows(t, h, subTable)
	wantRows(t, h, "Device.WiFi.Radio.", radio)
	// Without allow_partial the read-only row fails the whole request.
	r = h.send(ctrlID, del(false, radio))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(radio, usp.ErrDeleteFailure)))
	wantRows(t, h, "Device.WiFi.Radio.", radio)
}

func TestTP1_32DeletePartialValidAndMissing(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, del(true, sub, subTable+"7."))
	wantResp(t, r, delResp(delOK(sub, sub), delOK(subTable+"7.")))
	wantRows(t, h, subTable)
}

func TestTP1_33DeleteByUniqueKey(t *testing.T) {
	h := newHarness(t)
	bp := bootParams(t, h)
	rp := `Device.LocalAgent.Controller.[EndpointID=="` + string(ctrlID) + `"&&Alias=="cpe-1"].BootParameter.2.`
	r := h.send(ctrlID, del(false, rp))
	wantResp(t, r, delResp(delOK(rp, bp+"2.")))
	wantRows(t, h, bp, bp+"1.")
}

func TestTP1_34DeleteWildcard(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + "*."
	r := h.send(ctrlID, del(false, rp))
	wantResp(t, r, delResp(delOK(rp, subTable+"1.", subTable+"2.", subTable+"3.")))
	wantRows(t, h, subTable)
	wantValues(t, h, "Device.LocalAgent.SubscriptionNumberOfEntries", "0")
}

// TestTP1_35DeleteSearch uses TP-469's quoted boolean constant; the path
// gets the trailing dot an object path needs (the TP text omits it).
func TestTP1_35DeleteSearch(t *testing.T) {
	h := newHarness(t)
	bp := bootParams(t, h)
	rp := bp + `[Enable=="true"].`
	r := h.send(ctrlID, del(false, rp))
	wantResp(t, r, delResp(delOK(rp, bp+"1.")))
	wantRows(t, h, bp, bp+"2.")
}

func TestTP1_90DeleteSearchNoMatch(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	h.send(ctrlID, set(false, upd(subTable+"2.", "Enable", "true")))
	rp := subTable + "[Enable==false]."
	r := h.send(ctrlID, del(false, rp))
	wantResp(t, r, delResp(delOK(rp)))
	wantRows(t, h, subTable, subTable+"1.", subTable+"2.", subTable+"3.")
}
