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

// Expected-response builders.

func addResp(res ...*uspmsg.AddResp_CreatedObjectResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_AddResp{AddResp: &uspmsg.AddResp{CreatedObjResults: res}}}
}

func addOK(rp, inst string, keys map[string]string, perrs ...*uspmsg.AddResp_ParameterError) *uspmsg.AddResp_CreatedObjectResult {
	return &uspmsg.AddResp_CreatedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus{
		OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperSuccess{OperSuccess: &addSuccess{
			InstantiatedPath: inst, UniqueKeys: keys, ParamErrs: perrs}}}}
}

type addSuccess = uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperationSuccess

func addFail(rp string, code usp.ErrorCode) *uspmsg.AddResp_CreatedObjectResult {
	return &uspmsg.AddResp_CreatedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus{
		OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperFailure{
			OperFailure: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(code)}}}}
}

func addParamErr(param string, code usp.ErrorCode) *uspmsg.AddResp_ParameterError {
	return &uspmsg.AddResp_ParameterError{Param: param, ErrCode: uint32(code)}
}

func setResp(res ...*uspmsg.SetResp_UpdatedObjectResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_SetResp{SetResp: &uspmsg.SetResp{UpdatedObjResults: res}}}
}

func setOK(rp string, insts ...*uspmsg.SetResp_UpdatedInstanceResult) *uspmsg.SetResp_UpdatedObjectResult {
	return &uspmsg.SetResp_UpdatedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus{
		OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperSuccess{
			OperSuccess: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperationSuccess{UpdatedInstResults: insts}}}}
}

func updated(affected string, params map[string]string, perrs ...*uspmsg.SetResp_ParameterError) *uspmsg.SetResp_UpdatedInstanceResult {
	return &uspmsg.SetResp_UpdatedInstanceResult{AffectedPath: affected, UpdatedParams: params, ParamErrs: perrs}
}

func setFail(rp string, code usp.ErrorCode, insts ...*uspmsg.SetResp_UpdatedInstanceFailure) *uspmsg.SetResp_UpdatedObjectResult {
	return &uspmsg.SetResp_UpdatedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus{
		OperStatus: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperFailure{
			OperFailure: &uspmsg.SetResp_UpdatedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(code), UpdatedInstFailures: insts}}}}
}

func notUpdated(affected string, perrs ...*uspmsg.SetResp_ParameterError) *uspmsg.SetResp_UpdatedInstanceFailure {
	return &uspmsg.SetResp_UpdatedInstanceFailure{AffectedPath: affected, ParamErrs: perrs}
}

func setParamErr(param string, code usp.ErrorCode) *uspmsg.SetResp_ParameterError {
	return &uspmsg.SetResp_ParameterError{Param: param, ErrCode: uint32(code)}
}

func delResp(res ...*uspmsg.DeleteResp_DeletedObjectResult) *uspmsg.Response {
	return &uspmsg.Response{RespType: &uspmsg.Response_DeleteResp{DeleteResp: &uspmsg.DeleteResp{DeletedObjResults: res}}}
}

func delOK(rp string, affected ...string) *uspmsg.DeleteResp_DeletedObjectResult {
	return &uspmsg.DeleteResp_DeletedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus{
		OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperSuccess{
			OperSuccess: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperationSuccess{AffectedPaths: affected}}}}
}

func delFail(rp string, code usp.ErrorCode) *uspmsg.DeleteResp_DeletedObjectResult {
	return &uspmsg.DeleteResp_DeletedObjectResult{RequestedPath: rp, OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus{
		OperStatus: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperFailure{
			OperFailure: &uspmsg.DeleteResp_DeletedObjectResult_OperationStatus_OperationFailure{ErrCode: uint32(code)}}}}
}

func uspError(code usp.ErrorCode, perrs ...*uspmsg.Error_ParamError) *uspmsg.Error {
	return &uspmsg.Error{ErrCode: uint32(code), ParamErrs: perrs}
}

func paramErr(path string, code usp.ErrorCode) *uspmsg.Error_ParamError {
	return &uspmsg.Error_ParamError{ParamPath: path, ErrCode: uint32(code)}
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

// threeSubs adds Subscriptions s1 (enabled, ValueChange, TTL 10), s2
// (disabled, ObjectCreation, TTL 20) and s3 (enabled, Event, TTL 30) as
// rows 1–3.
func threeSubs(t *testing.T, h *harness) {
	t.Helper()
	r := h.send(ctrlID, add(false,
		create(subTable, "ID", "s1", "Enable", "true", "NotifType", "ValueChange", "TimeToLive", "10"),
		create(subTable, "ID", "s2", "Enable", "false", "NotifType", "ObjectCreation", "TimeToLive", "20"),
		create(subTable, "ID", "s3", "Enable", "true", "NotifType", "Event", "TimeToLive", "30")))
	wantResp(t, r, addResp(
		addOK(subTable, subTable+"1.", subKeys(1, "s1", "")),
		addOK(subTable, subTable+"2.", subKeys(2, "s2", "")),
		addOK(subTable, subTable+"3.", subKeys(3, "s3", ""))))
}

// Add.

func TestTP1_2AddTwoObjects(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false,
		create(subTable, "ID", "a", "NotifType", "ObjectCreation", "ReferenceList", subTable),
		create(subTable, "Alias", "second", "NotifType", "Event")))
	wantResp(t, r, addResp(
		addOK(subTable, subTable+"1.", subKeys(1, "a", "")),
		addOK(subTable, subTable+"2.", subKeys(2, "", "second"))))
	wantRows(t, h, subTable, subTable+"1.", subTable+"2.")
	wantValues(t, h, subTable+"1.ReferenceList", subTable, subTable+"2.NotifType", "Event",
		subTable+"2.CreationDate", "2026-11-22T08:00:00Z", "Device.LocalAgent.SubscriptionNumberOfEntries", "2")
}

func TestTP1_4AddInvalidTable(t *testing.T) {
	h := newHarness(t)
	const bad = "Device.LocalAgent.InvalidObject."
	r := h.send(ctrlID, add(false, create(bad, "Enable", "true")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(bad, usp.ErrInvalidPath)))
	wantRows(t, h, subTable)
}

func TestTP1_5AddTwoObjectsOneRequiredFails(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(false,
		create(subTable, "ID", "good", "Enable", "true"),
		create(subTable, "ID", "bad", "TimeToLive!", "-1")))
	// Parameters of a row that was never created are named under the
	// table path.
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(subTable+"TimeToLive", usp.ErrInvalidType)))
	wantRows(t, h, subTable) // the valid first object was not kept either
}

func TestTP1_6AddValidAndInvalidTable(t *testing.T) {
	h := newHarness(t)
	const bad = "Device.LocalAgent.InvalidObject."
	r := h.send(ctrlID, add(false, create(subTable, "ID", "good"), create(bad, "Enable", "true")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(bad, usp.ErrInvalidPath)))
	wantRows(t, h, subTable)
}

func TestTP1_7AddPartialNonRequiredParamFails(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(true, create(subTable, "ID", "p1", "Enable", "true", "InvalidParameter", "1", "NotifRetry", "maybe")))
	wantResp(t, r, addResp(addOK(subTable, subTable+"1.", subKeys(1, "p1", ""),
		addParamErr("InvalidParameter", usp.ErrUnsupportedParameter), addParamErr("NotifRetry", usp.ErrInvalidType))))
	wantValues(t, h, subTable+"1.Enable", "true", subTable+"1.NotifRetry", "false")
}

func TestTP1_8AddPartialBadValue(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, add(true,
		create(subTable, "ID", "ok1", "Enable", "true"),
		create(subTable, "ID", "bad", "NotifType!", "NoSuchType"),
		create(subTable, "ID", "ok2")))
	// The AddResp failure has no param_errs: its err_code is the failing
	// parameter's own code (TR-369 leaves the choice open; it is the most
	// informative one).
	wantResp(t, r, addResp(
		addOK(subTable, subTable+"1.", subKeys(1, "ok1", "")),
		addFail(subTable, usp.ErrInvalidValue),
		addOK(subTable, subTable+"2.", subKeys(2, "ok2", ""))))
	// The failed row's instance number was not used.
	wantRows(t, h, subTable, subTable+"1.", subTable+"2.")
	wantValues(t, h, subTable+"1.Enable", "true", subTable+"2.ID", "ok2")
}

func TestTP1_9AddPartialUnknownRequiredParam(t *testing.T) {
	h := newHarness(t)
	const bad = "Device.LocalAgent.InvalidObject."
	r := h.send(ctrlID, add(true,
		create(subTable, "ID", "bad", "InvalidParameter!", "x"),
		create(subTable, "ID", "ok"),
		create(bad)))
	wantResp(t, r, addResp(
		addFail(subTable, usp.ErrUnsupportedParameter),
		addOK(subTable, subTable+"1.", subKeys(1, "ok", "")),
		addFail(bad, usp.ErrInvalidPath)))
	wantRows(t, h, subTable, subTable+"1.")
}

func TestTP1_10AddUnderUniqueKeyPath(t *testing.T) {
	h := newHarness(t)
	h.send(ctrlID, get([]string{"Device.LocalAgent.EndpointID"}, 0)) // creates ctrlID's Controller row
	rp := `Device.LocalAgent.Controller.[EndpointID=="` + string(ctrlID) + `"&&Alias=="cpe-1"].BootParameter.`
	r := h.send(ctrlID, add(false, create(rp, "Enable", "true", "ParameterName", "Device.DeviceInfo.SoftwareVersion")))
	bp := "Device.LocalAgent.Controller.1.BootParameter."
	wantResp(t, r, addResp(addOK(rp, bp+"1.", map[string]string{"Alias": "cpe-1", "ParameterName": "Device.DeviceInfo.SoftwareVersion"})))
	wantRows(t, h, bp, bp+"1.")
	wantValues(t, h, bp+"1.Enable", "true")

	// A key path naming no row is an error, not an empty success: Add
	// must create something.
	none := `Device.LocalAgent.Controller.[EndpointID=="proto::nobody"&&Alias=="cpe-1"].BootParameter.`
	r = h.send(ctrlID, add(false, create(none, "ParameterName", "Device.DeviceInfo.ModelName")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(none, usp.ErrObjectDoesNotExist)))
	wantRows(t, h, bp, bp+"1.")
}

func TestTP1_81AddGeneratesKeys(t *testing.T) {
	h := newHarness(t)
	r1 := h.send(ctrlID, add(false, create(subTable, "NotifType", "ValueChange")))
	r2 := h.send(ctrlID, add(false, create(subTable, "NotifType", "Event")))
	wantResp(t, r1, addResp(addOK(subTable, subTable+"1.", subKeys(1, "", ""))))
	wantResp(t, r2, addResp(addOK(subTable, subTable+"2.", subKeys(2, "", ""))))
	if subID(1) == subID(2) {
		t.Fatal("generated IDs are equal")
	}
	wantValues(t, h, subTable+"1.ID", subID(1), subTable+"2.ID", subID(2),
		subTable+"1.Recipient", ctrlRow, subTable+"2.Recipient", ctrlRow)
}

func TestTP1_88AddBadAliasValue(t *testing.T) {
	h := newHarness(t)
	// An Alias is a unique key, so it counts as required even though the
	// request does not mark it so: the Add fails as a whole.
	r := h.send(ctrlID, add(false, create(subTable, "Alias", "88InvalidAlias", "ID", "x")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(subTable+"Alias", usp.ErrInvalidValue)))
	wantRows(t, h, subTable)
}

// Set.

func TestTP1_12SetTwoObjects(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, set(false,
		upd(subTable+"1.", "NotifRetry", "true", "NotifExpiration", "60"),
		upd(subTable+"3.", "Enable!", "0")))
	// Values are answered in canonical form ("0" → "false").
	wantResp(t, r, setResp(
		setOK(subTable+"1.", updated(subTable+"1.", map[string]string{"NotifRetry": "true", "NotifExpiration": "60"})),
		setOK(subTable+"3.", updated(subTable+"3.", map[string]string{"Enable": "false"}))))
	wantValues(t, h, subTable+"1.NotifRetry", "true", subTable+"1.NotifExpiration", "60", subTable+"3.Enable", "false")
}

func TestTP1_13SetNonRequiredParamFails(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, set(false, upd(sub, "NotifRetry", "true", "InvalidParameter", "1", "ID", "other")))
	wantResp(t, r, setResp(setOK(sub, updated(sub, map[string]string{"NotifRetry": "true"},
		setParamErr("InvalidParameter", usp.ErrUnsupportedParameter), setParamErr("ID", usp.ErrNotWritable)))))
	wantValues(t, h, sub+"NotifRetry", "true", sub+"ID", "s1")
}

func TestTP1_15SetSecondObjectFails(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, set(false,
		upd(subTable+"1.", "NotifRetry", "true"),
		upd(subTable+"2.", "Enable", "true", "InvalidParameter!", "1")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(subTable+"2.InvalidParameter", usp.ErrUnsupportedParameter)))
	wantValues(t, h, subTable+"1.NotifRetry", "false", subTable+"2.Enable", "false")
}

func TestTP1_16SetPartialSecondObjectFails(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, set(true,
		upd(subTable+"1.", "NotifRetry", "true"),
		upd(subTable+"2.", "Enable", "true", "InvalidParameter!", "1", "TimeToLive!", "x")))
	wantResp(t, r, setResp(
		setOK(subTable+"1.", updated(subTable+"1.", map[string]string{"NotifRetry": "true"})),
		setFail(subTable+"2.", usp.ErrRequiredParameterFailed, notUpdated(subTable+"2.",
			setParamErr("InvalidParameter", usp.ErrUnsupportedParameter), setParamErr("TimeToLive", usp.ErrInvalidType)))))
	wantValues(t, h, subTable+"1.NotifRetry", "true", subTable+"2.Enable", "false", subTable+"2.TimeToLive", "20")
}

func TestTP1_17SetPartialNonRequiredParamFails(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	r := h.send(ctrlID, set(true, upd(sub, "Enable", "true", "NotifType", "Bogus")))
	wantResp(t, r, setResp(setOK(sub, updated(sub, map[string]string{"Enable": "true"},
		setParamErr("NotifType", usp.ErrInvalidValue)))))
	wantValues(t, h, sub+"Enable", "true", sub+"NotifType", "")
}

func TestTP1_18SetMissingInstance(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	// A non-search path to a row that does not exist names an object
	// that does not exist (7016); the row path is the param_path.
	r := h.send(ctrlID, set(false, upd(subTable+"9.", "Enable", "true")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(subTable+"9.", usp.ErrObjectDoesNotExist)))
	r = h.send(ctrlID, set(true, upd(subTable+"9.", "Enable", "true"), upd(subTable+"2.", "Enable", "true")))
	wantResp(t, r, setResp(setFail(subTable+"9.", usp.ErrObjectDoesNotExist),
		setOK(subTable+"2.", updated(subTable+"2.", map[string]string{"Enable": "true"}))))
	wantValues(t, h, subTable+"2.Enable", "true")
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
	r := h.send(ctrlID, set(false, upd(rp, "NotifRetry", "true", "InvalidParameter!", "1")))
	// Every row that failed is named (R-SET.2a: all rows or none).
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
		upd(rp, "TimeToLive", "99", "InvalidParameter!", "1"),
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
	rp := subTable + "[Enable==true]."
	r := h.send(ctrlID, set(false, upd(rp, "NotifExpiration", "30")))
	wantResp(t, r, setResp(setOK(rp,
		updated(subTable+"1.", map[string]string{"NotifExpiration": "30"}),
		updated(subTable+"3.", map[string]string{"NotifExpiration": "30"}))))
	wantValues(t, h, subTable+"1.NotifExpiration", "30", subTable+"2.NotifExpiration", "0", subTable+"3.NotifExpiration", "30")
}

func TestTP1_23SetSearchNoMatch(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + `[ID=="nomatch"].`
	r := h.send(ctrlID, set(false, upd(rp, "Enable!", "true")))
	wantResp(t, r, setResp(setOK(rp)))
	wantValues(t, h, subTable+"2.Enable", "false")
}

func TestTP1_96SetWriteOnceID(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	// Sent as required so that the refusal is an Error (a non-required
	// one is a param_err inside a success, TP 1.13).
	r := h.send(ctrlID, set(false, upd(sub, "ID!", "changed")))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(sub+"ID", usp.ErrNotWritable)))
	wantValues(t, h, sub+"ID", "s1")
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

func TestTP1_26DeleteInvalidPath(t *testing.T) {
	h := newHarness(t)
	sub := addSub(t, h, "ID", "s1")
	const bad = "Device.LocalAgent.InvalidObject.1."
	r := h.send(ctrlID, del(false, sub, bad))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(bad, usp.ErrInvalidPath)))
	wantRows(t, h, subTable, sub) // the valid first path was not deleted
}

func TestTP1_27DeleteTwoRows(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, del(false, subTable+"1.", subTable+"3."))
	wantResp(t, r, delResp(delOK(subTable+"1.", subTable+"1."), delOK(subTable+"3.", subTable+"3.")))
	wantRows(t, h, subTable, subTable+"2.")
	wantValues(t, h, "Device.LocalAgent.SubscriptionNumberOfEntries", "1")
}

func TestTP1_28DeleteReadOnlyRow(t *testing.T) {
	h := newHarness(t)
	if err := tr181.Populate(context.Background(), h.m, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	const radio = "Device.WiFi.Radio.1."
	r := h.send(ctrlID, del(false, radio))
	wantError(t, r, uspError(usp.ErrInvalidArguments, paramErr(radio, usp.ErrDeleteFailure)))
	wantRows(t, h, "Device.WiFi.Radio.", radio)
}

func TestTP1_29DeletePartialMissingRow(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	r := h.send(ctrlID, del(true, subTable+"9.", subTable+"2."))
	wantResp(t, r, delResp(delOK(subTable+"9."), delOK(subTable+"2.", subTable+"2.")))
	wantRows(t, h, subTable, subTable+"1.", subTable+"3.")
}

func TestTP1_30DeletePartialInvalidPath(t *testing.T) {
	h := newHarness(t)
	if err := tr181.Populate(context.Background(), h.m, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	sub := addSub(t, h, "ID", "s1")
	const bad = "Device.LocalAgent.InvalidObject.1."
	r := h.send(ctrlID, del(true, bad, sub, "Device.WiFi.Radio.1."))
	wantResp(t, r, delResp(delFail(bad, usp.ErrInvalidPath), delOK(sub, sub), delFail("Device.WiFi.Radio.1.", usp.ErrDeleteFailure)))
	wantRows(t, h, subTable)
	wantRows(t, h, "Device.WiFi.Radio.", "Device.WiFi.Radio.1.")
}

func TestTP1_31DeleteRowWithNestedRows(t *testing.T) {
	h := newHarness(t)
	h.send(ctrlID, add(false, create("Device.LocalAgent.ControllerTrust.Role.", "Name", "admin")))
	role := "Device.LocalAgent.ControllerTrust.Role.1."
	r := h.send(ctrlID, add(false, create(role+"Permission.", "Order", "1", "Param", "r---")))
	wantResp(t, r, addResp(addOK(role+"Permission.", role+"Permission.1.", map[string]string{"Alias": "cpe-1", "Order": "1"})))
	// Deleting the Role takes its Permission rows with it; affected_paths
	// names the row requested.
	r = h.send(ctrlID, del(false, role))
	wantResp(t, r, delResp(delOK(role, role)))
	wantRows(t, h, "Device.LocalAgent.ControllerTrust.Role.")
}

func TestTP1_33DeleteByUniqueKey(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + `[ID=="s2"&&Recipient=="` + ctrlRow + `"].`
	r := h.send(ctrlID, del(false, rp))
	wantResp(t, r, delResp(delOK(rp, subTable+"2.")))
	wantRows(t, h, subTable, subTable+"1.", subTable+"3.")
}

func TestTP1_34DeleteWildcard(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + "*."
	r := h.send(ctrlID, del(false, rp))
	wantResp(t, r, delResp(delOK(rp, subTable+"1.", subTable+"2.", subTable+"3.")))
	wantRows(t, h, subTable)
}

func TestTP1_35DeleteSearch(t *testing.T) {
	h := newHarness(t)
	threeSubs(t, h)
	rp := subTable + "[Enable==true]."
	r := h.send(ctrlID, del(false, rp))
	wantResp(t, r, delResp(delOK(rp, subTable+"1.", subTable+"3.")))
	wantRows(t, h, subTable, subTable+"2.")
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
