package access

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// RoleSpec describes a Role to provision: a
// Device.LocalAgent.ControllerTrust.Role.{i} row and its Permissions.
type RoleSpec struct {
	// Name is the Role's Name, its unique key (at most 64 characters).
	Name string
	// Permissions are the Role's Permission rows; their Orders must
	// differ.
	Permissions []PermSpec
}

// PermSpec describes one Permission row of a Role.
type PermSpec struct {
	// Order is the Permission's precedence within its Role: of the
	// Permissions whose Targets overlap, the highest Order wins.
	Order uint
	// Targets are the paths the Permission covers: partial paths
	// ("Device.WiFi."), row paths, parameter, command and event paths, and
	// search paths. TR-181 stores them as one comma-separated list, so a
	// Target must not contain a comma.
	Targets []string
	// Param, Obj, InstantiatedObj and CommandEvent are four-character
	// permission strings in "rwxn" order with '-' for a denied right; ""
	// means "----".
	Param, Obj, InstantiatedObj, CommandEvent string
}

// Permission strings used by the standard Roles.
const (
	// AllRights grants read, write, execute and notify.
	AllRights = "rwxn"
	// ReadNotify grants read and notify.
	ReadNotify = "r--n"
	// ReadOnlyRights grants read.
	ReadOnlyRights = "r---"
	// NoRights grants nothing.
	NoRights = "----"
)

// FullAccess is a Role with every right on the whole model.
func FullAccess() RoleSpec {
	return RoleSpec{Name: "FullAccess", Permissions: []PermSpec{{
		Order: 1, Targets: []string{"Device."},
		Param: AllRights, Obj: AllRights, InstantiatedObj: AllRights, CommandEvent: AllRights,
	}}}
}

// ReadOnly is a Role that may read the whole model and be notified of its
// changes and events, but may not write or operate.
func ReadOnly() RoleSpec {
	return RoleSpec{Name: "ReadOnly", Permissions: []PermSpec{{
		Order: 1, Targets: []string{"Device."},
		Param: ReadNotify, Obj: ReadNotify, InstantiatedObj: ReadNotify, CommandEvent: ReadNotify,
	}}}
}

// Untrusted is a small Role for Controllers the Agent does not know
// (UntrustedRole): it may read the device's identity (Device.DeviceInfo.)
// and the Agent's Endpoint ID and supported MTPs, enough to tell what it
// is talking to, and nothing else: no write, no operate, no notification.
func Untrusted() RoleSpec {
	return RoleSpec{Name: "Untrusted", Permissions: []PermSpec{{
		Order: 1,
		Targets: []string{"Device.DeviceInfo.", "Device.LocalAgent.EndpointID",
			"Device.LocalAgent.SupportedProtocols"},
		Param: ReadOnlyRights, Obj: ReadOnlyRights, InstantiatedObj: ReadOnlyRights, CommandEvent: NoRights,
	}}}
}

// Provision creates or updates the Roles roles describe, with internal
// writes in one transaction (all or nothing), and returns each Role's path
// by Name, without trailing dot as references are written
// ("Device.LocalAgent.ControllerTrust.Role.2"). A Role is found by Name:
// an existing one is enabled and its Permissions made to match the spec
// (rows are matched by Order, updated, added, or deleted when the spec
// has no such Order), so Provision may run at every start.
func Provision(ctx context.Context, m *datamodel.Model, roles []RoleSpec) (map[string]string, error) {
	tx := m.Begin(ctx)
	defer tx.Rollback()
	out := make(map[string]string, len(roles))
	for _, rs := range roles {
		p, err := provisionRole(tx, rs)
		if err != nil {
			return nil, fmt.Errorf("access: provision role %q: %w", rs.Name, err)
		}
		out[rs.Name] = strings.TrimSuffix(p, ".")
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("access: provision roles: %w", err)
	}
	return out, nil
}

var internal = datamodel.WriteOptions{Internal: true}

// provisionRole writes one Role and returns its row path.
func provisionRole(tx *datamodel.Txn, rs RoleSpec) (string, error) {
	role, err := upsert(tx, rolePath, "Name", rs.Name, updates("Enable", "true"))
	if err != nil {
		return "", err
	}
	rows, err := objects(tx, role+"Permission.*.")
	if err != nil {
		return "", err
	}
	byOrder := map[string]datamodel.Object{}
	for _, o := range rows {
		if v, err := read(tx, o.Path()+"Order"); err == nil {
			byOrder[v] = o
		}
	}
	want := map[string]bool{}
	for _, ps := range rs.Permissions {
		order := strconv.FormatUint(uint64(ps.Order), 10)
		if want[order] {
			return "", fmt.Errorf("two permissions with Order %s", order)
		}
		want[order] = true
		ups := updates("Enable", "true", "Targets", value.JoinList(ps.Targets),
			"Param", orNone(ps.Param), "Obj", orNone(ps.Obj),
			"InstantiatedObj", orNone(ps.InstantiatedObj), "CommandEvent", orNone(ps.CommandEvent))
		if o, ok := byOrder[order]; ok {
			_, err = tx.Update(o, ups, internal)
		} else {
			err = add(tx, role+"Permission.", append(ups, datamodel.ParamUpdate{Param: "Order", Value: order, Required: true}))
		}
		if err != nil {
			return "", fmt.Errorf("permission Order %s: %w", order, err)
		}
	}
	for order, o := range byOrder {
		if !want[order] {
			if _, err := tx.Delete(o, internal); err != nil {
				return "", err
			}
		}
	}
	return role, nil
}

// AssignRole sets the AssignedRole of the Controller whose Endpoint ID is
// controllerEndpointID to rolePaths (Role references, with or without
// trailing dot), with an internal write. A Controller without a row gets
// one, enabled.
func AssignRole(ctx context.Context, m *datamodel.Model, controllerEndpointID string, rolePaths []string) error {
	refs := make([]string, len(rolePaths))
	for i, r := range rolePaths {
		refs[i] = strings.TrimSuffix(strings.TrimSpace(r), ".")
	}
	tx := m.Begin(ctx)
	defer tx.Rollback()
	assigned := updates("AssignedRole", value.JoinList(refs))
	p, err := find(tx, controllerPath, "EndpointID", controllerEndpointID)
	switch {
	case err != nil:
	case p == nil:
		err = add(tx, controllerPath, append(assigned, updates("EndpointID", controllerEndpointID, "Enable", "true")...))
	default:
		_, err = tx.Update(*p, assigned, internal)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("access: assign roles to %s: %w", controllerEndpointID, err)
	}
	return nil
}

// Trust is what SetTrust writes to Device.LocalAgent.ControllerTrust.:
// Role references, with or without trailing dot.
type Trust struct {
	// Untrusted are the Roles of Controllers without a Controller row
	// (UntrustedRole).
	Untrusted []string
	// Banned is the Role of revoked Controllers (BannedRole); "" for none.
	Banned string
	// Secured are the Roles that may read secured parameters
	// (SecuredRoles).
	Secured []string
}

// SetTrust writes UntrustedRole, BannedRole and SecuredRoles with an
// internal write.
func SetTrust(ctx context.Context, m *datamodel.Model, t Trust) error {
	refs := func(rs []string) string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = strings.TrimSuffix(strings.TrimSpace(r), ".")
		}
		return value.JoinList(out)
	}
	tx := m.Begin(ctx)
	defer tx.Rollback()
	objs, err := objects(tx, trustPath)
	if err == nil && len(objs) != 1 {
		err = fmt.Errorf("%s names %d objects", trustPath, len(objs))
	}
	if err == nil {
		_, err = tx.Update(objs[0], updates("UntrustedRole", refs(t.Untrusted),
			"BannedRole", refs([]string{t.Banned}), "SecuredRoles", refs(t.Secured)), internal)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("access: set trust roles: %w", err)
	}
	return nil
}

// Transaction helpers.

// upsert finds the row of the table at table whose key equals v, updating
// it with ups, or adds one with the key and ups; it returns the row path.
func upsert(tx *datamodel.Txn, table, key, v string, ups []datamodel.ParamUpdate) (string, error) {
	o, err := find(tx, table, key, v)
	if err != nil {
		return "", err
	}
	if o != nil {
		_, err := tx.Update(*o, ups, internal)
		return o.Path(), err
	}
	tabs, err := tables(tx, table)
	if err != nil {
		return "", err
	}
	res, err := tx.Add(tabs, append(ups, datamodel.ParamUpdate{Param: key, Value: v, Required: true}), internal)
	if err != nil {
		return "", err
	}
	return res.Path, nil
}

// find returns the row of the table at table whose key equals v, or nil.
func find(tx *datamodel.Txn, table, key, v string) (*datamodel.Object, error) {
	q := strings.NewReplacer("%", "%25", `"`, "%22").Replace(v)
	objs, err := objects(tx, table+"["+key+`=="`+q+`"].`)
	if err != nil || len(objs) == 0 {
		return nil, err
	}
	return &objs[0], nil
}

func add(tx *datamodel.Txn, table string, ups []datamodel.ParamUpdate) error {
	tab, err := tables(tx, table)
	if err == nil {
		_, err = tx.Add(tab, ups, internal)
	}
	return err
}

func objects(tx *datamodel.Txn, p string) ([]datamodel.Object, error) {
	pp, err := path.Parse(p)
	if err != nil {
		return nil, err
	}
	return tx.Objects(pp)
}

func tables(tx *datamodel.Txn, p string) (datamodel.Table, error) {
	pp, err := path.Parse(p)
	if err != nil {
		return datamodel.Table{}, err
	}
	tabs, err := tx.Tables(pp)
	if err != nil {
		return datamodel.Table{}, err
	}
	if len(tabs) != 1 {
		return datamodel.Table{}, fmt.Errorf("%s names %d tables", p, len(tabs))
	}
	return tabs[0], nil
}

func read(tx *datamodel.Txn, p string) (string, error) {
	pp, err := path.Parse(p)
	if err != nil {
		return "", err
	}
	ovs, err := tx.Get(pp, 0)
	if err != nil || len(ovs) != 1 || len(ovs[0].Params) != 1 {
		return "", fmt.Errorf("read %s: %v", p, err)
	}
	return ovs[0].Params[0].Value, nil
}

// updates builds required parameter updates from name, value pairs.
func updates(kv ...string) []datamodel.ParamUpdate {
	out := make([]datamodel.ParamUpdate, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, datamodel.ParamUpdate{Param: kv[i], Value: kv[i+1], Required: true})
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return NoRights
	}
	return s
}
