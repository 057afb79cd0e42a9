package datamodel

import (
	"errors"
	"fmt"
	"strconv"
)

// Add creates a row in tab with the given parameters. Unique-key
// parameters count as required; those not given take their AutoValue, and
// an Alias key not given becomes "cpe-<instance>". A required failure, a
// duplicate key (7025), a full table (7005), a table Controllers may not
// add to (7019) or a hook's refusal fails with nothing created.
func (t *Txn) Add(tab Table, ups []ParamUpdate, opt WriteOptions) (*AddResult, error) {
	tt := tab.t
	def := tt.def
	if !opt.Internal && (def.Access == ObjReadOnly || def.Access == ObjDeleteOnly) {
		return nil, &WriteError{Path: tt.path, Code: CodeNotCreatable, Msg: "rows of this table cannot be added"}
	}
	if def.MaxEntries > 0 && len(tt.rows) >= def.MaxEntries {
		return nil, &WriteError{Path: tt.path, Code: CodeResourcesExceeded, Msg: fmt.Sprintf("table is full (%d rows)", def.MaxEntries)}
	}
	row := tt.newRow(tt.next)
	res := &AddResult{UpdateResult: UpdateResult{Path: row.path}}
	var targets []target
	var werr *WriteError
	given := map[string]bool{}
	for _, u := range ups {
		tg, perr := t.check(row, u, opt, true)
		if perr != nil {
			if u.Required || def.IsKey(u.Param) {
				werr = addParamErr(werr, row.path, *perr)
			} else {
				res.ParamErrs = append(res.ParamErrs, *perr)
			}
			continue
		}
		given[u.Param] = true
		targets = append(targets, tg)
	}
	if werr != nil {
		return nil, werr
	}
	base := len(targets)
	next := tt.next
	tt.insert(row)
	t.undo = append(t.undo, func() { tt.remove(row) })
	var err error
	// Generated key values may collide with values Controllers chose or
	// with rows restored from an earlier run: try again a few times.
	for attempt := 0; attempt < maxAutoKeyAttempts; attempt++ {
		targets = append(targets[:base], t.autoValues(row, given, attempt)...)
		if err = t.apply(row, targets, true); err == nil || codeOf(err) != CodeDuplicateKey || len(targets) == base {
			break
		}
	}
	if err != nil {
		t.undo = t.undo[:len(t.undo)-1]
		tt.remove(row)
		tt.next = next
		return nil, err
	}
	if def.Persistent {
		t.persist = true
	}
	for _, u := range ups {
		for _, tg := range targets {
			if tg.rel == u.Param {
				res.Updated = append(res.Updated, ParamValue{Name: tg.rel, Value: tg.val})
				break
			}
		}
	}
	res.Keys = t.r.keys(row, nil)
	t.events = append(t.events, Event{Kind: ObjectCreated, Path: row.path, Keys: res.Keys, Object: def})
	return res, nil
}

// Delete removes row o and everything below it, and returns the paths of
// the rows removed (o's first, then the nested rows). o must be a row
// (else 7018); Controllers may delete only rows of tables that allow it
// (else 7024). The table's commit hook, if any, may refuse.
func (t *Txn) Delete(o Object, opt WriteOptions) ([]string, error) {
	n := o.n
	if n.tab == nil {
		return nil, &WriteError{Path: n.path, Code: CodeNotTable, Msg: "not a row of a table"}
	}
	if !opt.Internal && (n.def.Access == ObjReadOnly || n.def.Access == ObjAddOnly) {
		return nil, &WriteError{Path: n.path, Code: CodeDeleteFailure, Msg: "rows of this table cannot be deleted"}
	}
	if h := n.def.Hook; h != nil {
		if err := h(t.ctx, &ObjectChange{Row: n.row(), Deleted: true, Values: valuesWith(n, nil)}); err != nil {
			return nil, hookError(n.path, err)
		}
	}
	tab := n.tab
	tab.remove(n)
	t.undo = append(t.undo, func() { tab.insert(n) })
	if rowPersistent(n) || n.def.Persistent {
		t.persist = true
	}
	var gone []*node
	var walk func(x *node)
	walk = func(x *node) {
		gone = append(gone, x)
		for _, tb := range x.tables {
			if tb != nil {
				for _, r := range tb.rows {
					walk(r)
				}
			}
		}
	}
	walk(n)
	paths := make([]string, len(gone))
	for i, x := range gone {
		paths[i] = x.path
	}
	for i := len(gone) - 1; i >= 0; i-- {
		t.events = append(t.events, Event{Kind: ObjectDeleted, Path: gone[i].path, Object: gone[i].def})
	}
	return paths, nil
}

// maxAutoKeyAttempts bounds the retries of generated unique keys.
const maxAutoKeyAttempts = 16

// autoValues gives the generated values of a new row's parameters that the
// Add did not set: AutoValue functions, and "cpe-<instance>" for an Alias
// key ("cpe-<instance>-<attempt+1>" on retries).
func (t *Txn) autoValues(row *node, given map[string]bool, attempt int) []target {
	var out []target
	for _, pd := range row.def.params {
		if given[pd.Name] {
			continue
		}
		switch {
		case pd.AutoValue != nil:
			out = append(out, target{n: row, pd: pd, rel: pd.Name, val: pd.AutoValue(t.ctx, row.row())})
		case pd.Name == "Alias" && row.def.IsKey("Alias"):
			v := "cpe-" + strconv.FormatUint(uint64(row.inst), 10)
			if attempt > 0 {
				v += "-" + strconv.Itoa(attempt+1)
			}
			out = append(out, target{n: row, pd: pd, rel: pd.Name, val: v})
		}
	}
	return out
}

func codeOf(err error) uint32 {
	var c interface{ USPErrorCode() uint32 }
	if errors.As(err, &c) {
		return c.USPErrorCode()
	}
	return 0
}
