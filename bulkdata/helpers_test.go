package bulkdata

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
)

// t0 is the tests' start: 2025-01-01T00:00:00Z.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// newModel is a TR-181 model with a small Wi-Fi estate (2 radios, 2
// SSIDs, 3 stations per AP).
func newModel(t testing.TB) *datamodel.Model { t.Helper(); return newModelSized(t, 3) }

// newModelSized is newModel with stations per AP.
func newModelSized(t testing.TB, stations int) *datamodel.Model {
	t.Helper()
	s := tr181.NewSchema(tr181.Config{ManufacturerOUI: "00D09E", ProductClass: "AP", SerialNumber: "SN1",
		EndpointID: "os::00D09E-SN1", Now: func() time.Time { return t0 }})
	m, err := datamodel.NewModel(context.Background(), s, datamodel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr181.Populate(context.Background(), m, 2, 2, stations); err != nil {
		t.Fatal(err)
	}
	return m
}

// addRow adds a row to table with params ("Sub.Name" sets the row's
// sub-object Sub) as an internal write, and returns its path.
func addRow(t testing.TB, m *datamodel.Model, table string, params map[string]string) string {
	t.Helper()
	tx := m.Begin(context.Background())
	defer tx.Rollback()
	in := datamodel.WriteOptions{Internal: true}
	tp, _ := path.Parse(table)
	tabs, err := tx.Tables(tp)
	if err != nil || len(tabs) != 1 {
		t.Fatalf("table %s: %v", table, err)
	}
	var own []datamodel.ParamUpdate
	subs := map[string][]datamodel.ParamUpdate{}
	for k, v := range params {
		if sub, name, ok := strings.Cut(k, "."); ok {
			subs[sub] = append(subs[sub], datamodel.ParamUpdate{Param: name, Value: v, Required: true})
			continue
		}
		own = append(own, datamodel.ParamUpdate{Param: k, Value: v, Required: true})
	}
	res, err := tx.Add(tabs[0], own, in)
	if err != nil {
		t.Fatalf("add %s: %v", table, err)
	}
	for sub, ups := range subs {
		sp, _ := path.Parse(res.Path + sub + ".")
		objs, err := tx.Objects(sp)
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s%s: %v", res.Path, sub, err)
		}
		if _, err := tx.Update(objs[0], ups, in); err != nil {
			t.Fatalf("update %s%s: %v", res.Path, sub, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return res.Path
}

// set writes params of the object at obj as an internal write.
func set(t testing.TB, m *datamodel.Model, obj string, params map[string]string) {
	t.Helper()
	tx := m.Begin(context.Background())
	defer tx.Rollback()
	p, _ := path.Parse(obj)
	objs, err := tx.Objects(p)
	if err != nil || len(objs) != 1 {
		t.Fatalf("%s: %v", obj, err)
	}
	var ups []datamodel.ParamUpdate
	for k, v := range params {
		ups = append(ups, datamodel.ParamUpdate{Param: k, Value: v, Required: true})
	}
	if _, err := tx.Update(objs[0], ups, datamodel.WriteOptions{Internal: true}); err != nil {
		t.Fatalf("update %s: %v", obj, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// allowAll reads everything, secrets too.
type allowAll struct{}

func (allowAll) ReadParam(string, *datamodel.ParamDef) bool { return true }

// denyPrefix reads everything but the parameters under a path prefix.
type denyPrefix string

func (d denyPrefix) ReadParam(obj string, p *datamodel.ParamDef) bool {
	return !strings.HasPrefix(obj+p.Name, string(d))
}

func (denyPrefix) Secured() bool { return false }

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
