package node

import (
	"context"
	"fmt"
	"slices"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// meshRoot is the vendor object that shows this node's view of the mesh.
const meshRoot = "Device.X_USPMESH_Mesh."

// internal marks the node's own writes: they skip access control and
// read-only checks, and notify subscribers like any change.
var internalWrite = datamodel.WriteOptions{Internal: true}

// setParams sets parameters of the one object at obj, writing only those
// whose value differs (so unchanged values do not notify).
func setParams(ctx context.Context, m *datamodel.Model, obj string, values map[string]string) error {
	p, err := path.Parse(obj)
	if err != nil {
		return err
	}
	tx := m.Begin(ctx)
	defer tx.Rollback()
	objs, err := tx.Objects(p)
	if err != nil {
		return err
	}
	if len(objs) != 1 {
		return fmt.Errorf("%s names %d objects", obj, len(objs))
	}
	return updateChanged(tx, objs[0], values)
}

// updateChanged writes the values that differ from obj's and commits.
func updateChanged(tx *datamodel.Txn, obj datamodel.Object, values map[string]string) error {
	ups := changedUpdates(tx, obj, values)
	if len(ups) == 0 {
		return nil
	}
	if _, err := tx.Update(obj, ups, internalWrite); err != nil {
		return err
	}
	return tx.Commit()
}

// changedUpdates returns the updates of values that differ from obj's.
func changedUpdates(tx *datamodel.Txn, obj datamodel.Object, values map[string]string) []datamodel.ParamUpdate {
	cur := map[string]string{}
	if p, err := path.Parse(obj.Path()); err == nil {
		if res, err := tx.Get(p, 1); err == nil {
			for _, ov := range res {
				if ov.Path != obj.Path() {
					continue
				}
				for _, pv := range ov.Params {
					cur[pv.Name] = pv.Value
				}
			}
		}
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	slices.Sort(names)
	var ups []datamodel.ParamUpdate
	for _, k := range names {
		if v, ok := cur[k]; ok && v == values[k] {
			continue
		}
		ups = append(ups, datamodel.ParamUpdate{Param: k, Value: values[k], Required: true})
	}
	return ups
}

// upsertRow updates the row of table whose key parameter equals key, or
// adds it, with values.
func upsertRow(ctx context.Context, m *datamodel.Model, table, keyParam, key string, values map[string]string) error {
	tx := m.Begin(ctx)
	defer tx.Rollback()
	p, err := path.Parse(table + "[" + keyParam + "==" + path.Quote(key) + "].")
	if err != nil {
		return err
	}
	objs, err := tx.Objects(p)
	if err != nil {
		return err
	}
	if len(objs) > 0 {
		return updateChanged(tx, objs[0], values)
	}
	tp, err := path.Parse(table)
	if err != nil {
		return err
	}
	tabs, err := tx.Tables(tp)
	if err != nil || len(tabs) != 1 {
		return fmt.Errorf("table %s: %v", table, err)
	}
	ups := []datamodel.ParamUpdate{{Param: keyParam, Value: key, Required: true}}
	for k, v := range values {
		ups = append(ups, datamodel.ParamUpdate{Param: k, Value: v, Required: true})
	}
	if _, err := tx.Add(tabs[0], ups, internalWrite); err != nil {
		return err
	}
	return tx.Commit()
}

// keyValues returns the value of the key parameter of every row of table
// (a table path with trailing dot).
func keyValues(ctx context.Context, m *datamodel.Model, table, key string) ([]string, error) {
	p, err := path.Parse(table)
	if err != nil {
		return nil, err
	}
	rows, err := m.Get(ctx, p, 1, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, row := range rows {
		for _, pv := range row.Params {
			if pv.Name == key {
				out = append(out, pv.Value)
			}
		}
	}
	return out, nil
}

// deleteRows deletes every row a search path names.
func deleteRows(ctx context.Context, m *datamodel.Model, search string) (int, error) {
	p, err := path.Parse(search)
	if err != nil {
		return 0, err
	}
	tx := m.Begin(ctx)
	defer tx.Rollback()
	objs, err := tx.Objects(p)
	if err != nil || len(objs) == 0 {
		return 0, err
	}
	for _, o := range objs {
		if _, err := tx.Delete(o, internalWrite); err != nil {
			return 0, err
		}
	}
	return len(objs), tx.Commit()
}
