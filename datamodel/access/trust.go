package access

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// trustData is Device.LocalAgent.ControllerTrust. as read at one time,
// with the Roles compiled from it so far and the policies of the sets of
// Roles that Controllers held.
type trustData struct {
	untrusted []string // UntrustedRole, as written
	banned    string   // BannedRole, canonical
	secured   map[string]bool
	roles     map[string]*roleRow // by canonical path
	order     []*roleRow          // in model order

	mu       sync.Mutex
	compiled map[string]*roleRights
	policies map[string]*policy
	nextSID  int
}

// roleRow is one Role row as read from the model.
type roleRow struct {
	path, name, alias string
	enable            bool
	perms             []permRow
}

// readTrust reads the ControllerTrust subtree of m.
func readTrust(ctx context.Context, m *datamodel.Model, idx *schemaIndex, p *path.Path) (*trustData, error) {
	ovs, err := m.Get(ctx, p, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("access: read %s: %w", trustPath, err)
	}
	t := &trustData{secured: map[string]bool{}, roles: map[string]*roleRow{},
		compiled: map[string]*roleRights{}, policies: map[string]*policy{}}
	var securedRefs []string
	for _, ov := range ovs {
		switch idx.objectOf(ov.Path) {
		case idx.trust:
			t.untrusted = value.SplitList(param(ov, "UntrustedRole"))
			t.banned = param(ov, "BannedRole")
			securedRefs = value.SplitList(param(ov, "SecuredRoles"))
		case idx.role:
			r := t.role(ov.Path)
			r.name, r.alias, r.enable = param(ov, "Name"), param(ov, "Alias"), isTrue(param(ov, "Enable"))
		case idx.perm:
			r := t.role(ov.Path[:strings.LastIndex(ov.Path, "Permission.")])
			r.perms = append(r.perms, permRow{
				enable: isTrue(param(ov, "Enable")), order: param(ov, "Order"), targets: param(ov, "Targets"),
				strs: [4]string{param(ov, "Param"), param(ov, "Obj"), param(ov, "InstantiatedObj"), param(ov, "CommandEvent")},
			})
		}
	}
	// References are made canonical once every Role's keys are known.
	t.banned = t.canon(t.banned)
	for _, ref := range securedRefs {
		t.secured[t.canon(ref)] = true
	}
	return t, nil
}

// role returns the Role row at p, adding it when new.
func (t *trustData) role(p string) *roleRow {
	r := t.roles[p]
	if r == nil {
		r = &roleRow{path: p}
		t.roles[p] = r
		t.order = append(t.order, r)
	}
	return r
}

func param(ov datamodel.ObjectValues, name string) string {
	for _, pv := range ov.Params {
		if pv.Name == name {
			return pv.Value
		}
	}
	return ""
}

func isTrue(v string) bool { return v == "true" || v == "1" }

// canon returns the canonical form of a reference to a Role: its row path
// with trailing dot. A reference by unique key
// (`...Role.[Name=="Admin"]`) is looked up among the Roles; one that
// matches none is "".
func (t *trustData) canon(ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	if !strings.HasSuffix(ref, ".") {
		ref += "."
	}
	if !strings.Contains(ref, "[") {
		return ref
	}
	p, err := path.Parse(ref)
	if err != nil || len(p.Segs) < 2 || p.Segs[len(p.Segs)-1].Kind != path.Filter {
		return ""
	}
	last := p.Segs[len(p.Segs)-1]
	p.Segs = p.Segs[:len(p.Segs)-1]
	if p.String() != rolePath {
		return ""
	}
	for _, r := range t.order {
		if r.hasKeys(last.Filter) {
			return r.path
		}
	}
	return ""
}

// hasKeys reports whether r's Name and Alias satisfy conds, a unique-key
// address.
func (r *roleRow) hasKeys(conds []path.Condition) bool {
	for _, c := range conds {
		if len(c.Rel) != 1 || c.Op != path.Eq {
			return false
		}
		switch c.Rel[0].Name {
		case "Name":
			if r.name != c.Value {
				return false
			}
		case "Alias":
			if r.alias != c.Value {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// policy returns the policy of refs, references to Roles (as written in
// AssignedRole, InheritedRole or UntrustedRole), compiling what it has not
// compiled yet. banned reports that refs include the BannedRole.
func (t *trustData) policy(idx *schemaIndex, refs []string, limit int) (pol *policy, banned bool) {
	roles := make([]string, 0, len(refs))
	for _, ref := range refs {
		c := t.canon(ref)
		if c != "" && c == t.banned {
			return nil, true
		}
		if t.roles[c] != nil {
			roles = append(roles, c)
		}
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	key := strings.Join(roles, ",")
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.policies[key]; p != nil {
		return p, false
	}
	var rights []*roleRights
	secured := false
	for _, name := range roles {
		row := t.roles[name]
		if !row.enable {
			continue
		}
		rr := t.compiled[name]
		if rr == nil {
			rr = compileRole(idx.root, rules(idx.root, row.perms))
			for _, r := range rr.searches {
				r.sid, t.nextSID = t.nextSID, t.nextSID+1
			}
			t.compiled[name] = rr
		}
		rights = append(rights, rr)
		secured = secured || t.secured[name]
	}
	p := newPolicy(idx, rights, secured)
	if len(t.policies) >= limit {
		clear(t.policies)
	}
	t.policies[key] = p
	return p, false
}

// controllers is the Device.LocalAgent.Controller table as read at one
// time, with the policy found for each Controller so far.
type controllers struct {
	rows map[string]controllerRow // by EndpointID

	mu    sync.Mutex
	cache map[string]cachedPolicy
}

// controllerRow is what access control needs of a Controller row.
type controllerRow struct {
	enable bool
	roles  []string // AssignedRole then InheritedRole, as written
}

// cachedPolicy is a Controller's policy under one version of the trust
// data.
type cachedPolicy struct {
	trust *trustData
	pol   *policy
}

// readControllers reads the Controller rows of m.
func readControllers(ctx context.Context, m *datamodel.Model, idx *schemaIndex, p *path.Path) (*controllers, error) {
	want := func(_ string, pd *datamodel.ParamDef) bool {
		switch pd.Name {
		case "EndpointID", "Enable", "AssignedRole", "InheritedRole":
			return pd.Owner() == idx.ctrl
		}
		return false
	}
	ovs, err := m.Get(ctx, p, 0, want)
	if err != nil {
		return nil, fmt.Errorf("access: read %s: %w", controllerPath, err)
	}
	c := &controllers{rows: map[string]controllerRow{}, cache: map[string]cachedPolicy{}}
	for _, ov := range ovs {
		roles := value.SplitList(param(ov, "AssignedRole"))
		roles = append(roles, value.SplitList(param(ov, "InheritedRole"))...)
		c.rows[param(ov, "EndpointID")] = controllerRow{enable: isTrue(param(ov, "Enable")), roles: roles}
	}
	return c, nil
}
