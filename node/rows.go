package node

import (
	"context"
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// provisionRow sets params on the row of table (a table path with trailing
// dot) whose key parameter has value keyValue, creating the row if there
// is none, and returns the row's path. A param named "Sub.Name" is set on
// the row's sub-object Sub. It runs as an internal write in one
// transaction.
func provisionRow(ctx context.Context, m *datamodel.Model, table, key, keyValue string, params [][2]string) (string, error) {
	tx := m.Begin(ctx)
	defer tx.Rollback()
	in := datamodel.WriteOptions{Internal: true}
	p, err := path.Parse(table + `[` + key + `==` + path.Quote(keyValue) + `].`)
	if err != nil {
		return "", err
	}
	objs, err := tx.Objects(p)
	if err != nil {
		return "", err
	}
	own, subs := splitParams(params)
	var row string
	if len(objs) == 0 {
		tp, _ := path.Parse(table)
		tabs, err := tx.Tables(tp)
		if err != nil || len(tabs) != 1 {
			return "", fmt.Errorf("%s: no such table (%v)", table, err)
		}
		res, err := tx.Add(tabs[0], append([]datamodel.ParamUpdate{{Param: key, Value: keyValue, Required: true}}, own...), in)
		if err != nil {
			return "", fmt.Errorf("add %s: %w", table, err)
		}
		row = res.Path
	} else {
		row = objs[0].Path()
		if len(own) > 0 {
			if _, err := tx.Update(objs[0], own, in); err != nil {
				return "", fmt.Errorf("update %s: %w", row, err)
			}
		}
	}
	for sub, ups := range subs {
		sp, err := path.Parse(row + sub + ".")
		if err != nil {
			return "", err
		}
		so, err := tx.Objects(sp)
		if err != nil || len(so) != 1 {
			return "", fmt.Errorf("%s%s.: %v", row, sub, err)
		}
		if _, err := tx.Update(so[0], ups, in); err != nil {
			return "", fmt.Errorf("update %s%s.: %w", row, sub, err)
		}
	}
	return row, tx.Commit()
}

// splitParams sorts "Name" and "Sub.Name" updates.
func splitParams(params [][2]string) (own []datamodel.ParamUpdate, subs map[string][]datamodel.ParamUpdate) {
	subs = map[string][]datamodel.ParamUpdate{}
	for _, kv := range params {
		u := datamodel.ParamUpdate{Param: kv[0], Value: kv[1], Required: true}
		if sub, name, ok := strings.Cut(kv[0], "."); ok {
			u.Param = name
			subs[sub] = append(subs[sub], u)
			continue
		}
		own = append(own, u)
	}
	return own, subs
}

// deleteKeyed deletes the rows of table whose key has value keyValue.
func deleteKeyed(ctx context.Context, m *datamodel.Model, table, key, keyValue string) error {
	_, err := deleteRows(ctx, m, table+`[`+key+`==`+path.Quote(keyValue)+`].`)
	return err
}
