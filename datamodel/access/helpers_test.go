package access_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
)

// boot is the test nodes' fixed clock.
var boot = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// ctrl is the Endpoint ID of the Controller most tests check.
const ctrl = "proto::ctrl-1"

// newModel returns a model of a node with 2 radios, 2 SSIDs (and access
// points) and 3 stations per access point.
func newModel(tb testing.TB) *datamodel.Model {
	tb.Helper()
	return newModelSized(tb, 2, 2, 3)
}

func newModelSized(tb testing.TB, radios, ssids, stations int) *datamodel.Model {
	tb.Helper()
	ctx := context.Background()
	cfg := tr181.Config{EndpointID: "proto::agent-1", ModelName: "Mesh AP", Now: func() time.Time { return boot }, Boot: boot}
	m, err := datamodel.NewModel(ctx, tr181.NewSchema(cfg), datamodel.Config{})
	if err != nil {
		tb.Fatalf("NewModel: %v", err)
	}
	if err := tr181.Populate(ctx, m, radios, ssids, stations); err != nil {
		tb.Fatalf("Populate: %v", err)
	}
	return m
}

func newEvaluator(tb testing.TB, m *datamodel.Model) *access.Evaluator {
	tb.Helper()
	e, err := access.New(m)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

// provision writes roles and returns their paths by name.
func provision(tb testing.TB, m *datamodel.Model, roles ...access.RoleSpec) map[string]string {
	tb.Helper()
	paths, err := access.Provision(context.Background(), m, roles)
	if err != nil {
		tb.Fatalf("Provision: %v", err)
	}
	return paths
}

func assign(tb testing.TB, m *datamodel.Model, eid string, roles ...string) {
	tb.Helper()
	if err := access.AssignRole(context.Background(), m, eid, roles); err != nil {
		tb.Fatalf("AssignRole: %v", err)
	}
}

// set writes name=value pairs to the object at objPath with an internal
// write.
func set(tb testing.TB, m *datamodel.Model, objPath string, kv ...string) {
	tb.Helper()
	tx := m.Begin(context.Background())
	defer tx.Rollback()
	objs, err := tx.Objects(mustParse(tb, objPath))
	if err != nil || len(objs) != 1 {
		tb.Fatalf("objects %s: %v (%d)", objPath, err, len(objs))
	}
	var ups []datamodel.ParamUpdate
	for i := 0; i+1 < len(kv); i += 2 {
		ups = append(ups, datamodel.ParamUpdate{Param: kv[i], Value: kv[i+1], Required: true})
	}
	if _, err := tx.Update(objs[0], ups, datamodel.WriteOptions{Internal: true}); err != nil {
		tb.Fatalf("update %s: %v", objPath, err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatalf("commit: %v", err)
	}
}

// del deletes the row at rowPath with an internal write.
func del(tb testing.TB, m *datamodel.Model, rowPath string) {
	tb.Helper()
	tx := m.Begin(context.Background())
	defer tx.Rollback()
	objs, err := tx.Objects(mustParse(tb, rowPath))
	if err != nil || len(objs) != 1 {
		tb.Fatalf("objects %s: %v", rowPath, err)
	}
	if _, err := tx.Delete(objs[0], datamodel.WriteOptions{Internal: true}); err != nil {
		tb.Fatalf("delete %s: %v", rowPath, err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatalf("commit: %v", err)
	}
}

func mustParse(tb testing.TB, s string) *path.Path {
	tb.Helper()
	p, err := path.Parse(s)
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return p
}

// check is one right to ask a Set about: op is the name of a Set method,
// at the path the method takes, written whole for parameters
// ("Device.WiFi.SSID.1.SSID"), commands ("Device.Reboot()") and events
// ("Device.Boot!"), in {i} notation for SupportedObj.
type check struct {
	op   string
	at   string
	want bool
}

// ask runs c against s.
func ask(tb testing.TB, m *datamodel.Model, s *access.Set, c check) bool {
	tb.Helper()
	lookup := func(p string) datamodel.Supported {
		pp, err := path.ParseSupported(p)
		if err != nil {
			tb.Fatalf("parse %q: %v", p, err)
		}
		sup, err := m.Schema().Lookup(pp)
		if err != nil {
			tb.Fatalf("lookup %q: %v", p, err)
		}
		return sup
	}
	obj, leaf := c.at, ""
	if i := strings.LastIndexByte(c.at, '.'); i >= 0 && i < len(c.at)-1 {
		obj, leaf = c.at[:i+1], c.at[i+1:]
	}
	switch c.op {
	case "ReadParam":
		return s.ReadParam(obj, lookup(c.at).Param)
	case "WriteParam":
		return s.WriteParam(obj, lookup(c.at).Param)
	case "NotifyValueChange":
		return s.NotifyValueChange(obj, lookup(c.at).Param)
	case "AddRow":
		return s.AddRow(c.at, lookup(c.at).Object)
	case "NotifyObjCreation":
		return s.NotifyObjCreation(c.at, lookup(c.at).Object)
	case "DeleteRow":
		return s.DeleteRow(c.at, lookup(c.at).Object)
	case "ListRow":
		return s.ListRow(c.at, nil)
	case "NotifyObjDeletion":
		return s.NotifyObjDeletion(c.at, lookup(c.at).Object)
	case "Operate":
		return s.Operate(obj, lookup(c.at).Command)
	case "NotifyCommandEvent":
		return s.NotifyCommandEvent(obj, leaf)
	case "SupportedObj":
		return s.SupportedObj(lookup(c.at).Object)
	case "Secured":
		return s.Secured()
	}
	tb.Fatalf("unknown op %q", c.op)
	return false
}

// expect runs every check against the Set For gives eid.
func expect(t *testing.T, m *datamodel.Model, e *access.Evaluator, eid string, checks []check) {
	t.Helper()
	s := e.For(context.Background(), eid)
	for _, c := range checks {
		if got := ask(t, m, s, c); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.op, c.at, got, c.want)
		}
	}
}

// allow and deny build checks.
func allow(op, at string) check { return check{op, at, true} }
func deny(op, at string) check  { return check{op, at, false} }

// perm is a one-Permission Role.
func perm(name string, order uint, targets string, param, obj, inst, cmd string) access.RoleSpec {
	return access.RoleSpec{Name: name, Permissions: []access.PermSpec{{
		Order: order, Targets: strings.Split(targets, " "),
		Param: param, Obj: obj, InstantiatedObj: inst, CommandEvent: cmd,
	}}}
}
