package datamodel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Update sets parameters of o. Each failing parameter that is Required
// fails the whole object with a *WriteError and nothing of o changes;
// other failing parameters are reported in the result and skipped. A
// duplicate unique key (7025) or a commit hook's refusal fails the object.
func (t *Txn) Update(o Object, ups []ParamUpdate, opt WriteOptions) (*UpdateResult, error) {
	res := &UpdateResult{Path: o.n.path}
	var targets []target
	var werr *WriteError
	for _, u := range ups {
		tg, perr := t.check(o.n, u, opt, false)
		if perr != nil {
			if u.Required {
				werr = addParamErr(werr, o.n.path, *perr)
				continue
			}
			res.ParamErrs = append(res.ParamErrs, *perr)
			continue
		}
		targets = append(targets, tg)
	}
	if werr != nil {
		return nil, werr
	}
	if err := t.apply(o.n, targets, false); err != nil {
		return nil, err
	}
	for _, tg := range targets {
		res.Updated = append(res.Updated, ParamValue{Name: tg.rel, Value: tg.val})
	}
	return res, nil
}

func addParamErr(w *WriteError, objPath string, pe ParamError) *WriteError {
	if w == nil {
		w = &WriteError{Path: objPath, Code: pe.Code, Msg: "required parameter failed"}
	}
	w.ParamErrs = append(w.ParamErrs, pe)
	return w
}

// check validates one parameter update below n.
func (t *Txn) check(n *node, u ParamUpdate, opt WriteOptions, creating bool) (target, *ParamError) {
	owner, pd := locate(n, u.Param)
	if pd == nil {
		return target{}, &ParamError{Param: u.Param, Code: CodeUnsupportedParam, Msg: "unsupported parameter"}
	}
	writable := pd.Access == ReadWrite || (creating && pd.Access == WriteOnce)
	if pd.countOf != nil || (!writable && !opt.Internal) {
		return target{}, &ParamError{Param: u.Param, Code: CodeNotWritable, Msg: "parameter is not writable"}
	}
	if opt.CanWrite != nil && !opt.CanWrite(owner.path, pd) {
		return target{}, &ParamError{Param: u.Param, Code: CodePermissionDenied, Msg: "permission denied"}
	}
	v, err := value.Validate(pd.Type, &pd.Constraint, u.Value)
	if err != nil {
		code := CodeInvalidValue
		var ve *value.Error
		if errors.As(err, &ve) {
			code = ve.Code
		}
		return target{}, &ParamError{Param: u.Param, Code: code, Msg: err.Error()}
	}
	if pd.Name == "Alias" && owner.def.IsKey("Alias") {
		if msg := checkAlias(v); msg != "" {
			return target{}, &ParamError{Param: u.Param, Code: CodeInvalidValue, Msg: msg}
		}
	}
	return target{n: owner, pd: pd, rel: u.Param, val: v}, nil
}

// checkAlias applies TR-181's Alias rules: non-empty, at most 64
// characters, starting with a letter.
func checkAlias(v string) string {
	switch {
	case v == "":
		return "Alias must not be empty"
	case len(v) > 64:
		return "Alias longer than 64 characters"
	case !(v[0] >= 'a' && v[0] <= 'z' || v[0] >= 'A' && v[0] <= 'Z'):
		return "Alias must start with a letter"
	}
	return ""
}

// objChange is the changes of one object within a write.
type objChange struct {
	n  *node
	ch []Change
}

// apply writes targets below row (the written object), after the unique-key
// check and every affected object's commit hook. With created set, row is
// a new row and every target counts as a change.
func (t *Txn) apply(row *node, targets []target, created bool) error {
	var groups []*objChange
	byNode := map[*node]*objChange{}
	pending := map[*node]map[int]string{}
	for _, tg := range targets {
		old := tg.n.values[tg.pd.index]
		if pending[tg.n] == nil {
			pending[tg.n] = map[int]string{}
		}
		pending[tg.n][tg.pd.index] = tg.val
		if old == tg.val && !created {
			continue
		}
		g := byNode[tg.n]
		if g == nil {
			g = &objChange{n: tg.n}
			byNode[tg.n] = g
			groups = append(groups, g)
		}
		g.ch = append(g.ch, Change{Param: tg.pd, Old: old, New: tg.val})
	}
	if err := t.uniqueCheck(row, pending[row]); err != nil {
		return err
	}
	if created && byNode[row] == nil && row.def.Hook != nil {
		groups = append([]*objChange{{n: row}}, groups...)
	}
	var accepted []*objChange
	for _, g := range groups {
		if g.n.def.Hook == nil {
			continue
		}
		oc := &ObjectChange{Row: g.n.row(), Changes: g.ch, Created: created && g.n == row,
			Values: valuesWith(g.n, pending[g.n])}
		if err := g.n.def.Hook(t.ctx, oc); err != nil {
			for i := len(accepted) - 1; i >= 0; i-- {
				t.reverseHook(accepted[i].n, accepted[i].ch)
			}
			return hookError(g.n.path, err)
		}
		accepted = append(accepted, g)
	}
	for _, g := range groups {
		for _, c := range g.ch {
			t.setValue(g.n, c.Param, c.New, c.Old, created)
		}
	}
	for _, g := range accepted {
		if len(g.ch) > 0 && !created {
			g := g
			t.undo = append(t.undo, func() { t.reverseHook(g.n, g.ch) })
		}
	}
	return nil
}

// valuesWith returns a lookup of n's stored values with pend overlaid.
func valuesWith(n *node, pend map[int]string) func(string) string {
	return func(name string) string {
		pd := n.def.paramIdx[name]
		if pd == nil {
			return ""
		}
		if v, ok := pend[pd.index]; ok {
			return v
		}
		return n.values[pd.index]
	}
}

// reverseHook asks n's hook to apply the reverse of ch, best effort, when a
// write it accepted is undone.
func (t *Txn) reverseHook(n *node, ch []Change) {
	rev := make([]Change, len(ch))
	for i, c := range ch {
		rev[i] = Change{Param: c.Param, Old: c.New, New: c.Old}
	}
	pend := map[int]string{}
	for _, c := range rev {
		pend[c.Param.index] = c.New
	}
	oc := &ObjectChange{Row: n.row(), Changes: rev, Values: valuesWith(n, pend)}
	if err := n.def.Hook(t.ctx, oc); err != nil {
		t.m.log.Warn("commit hook refused to undo a change", "path", n.path, "err", err)
	}
}

func hookError(p string, err error) error {
	var we *WriteError
	if errors.As(err, &we) {
		return we
	}
	var e *Error
	if errors.As(err, &e) {
		// A hook's error naming one parameter of the object becomes that
		// parameter's error.
		if rel, ok := strings.CutPrefix(e.Path, p); ok && rel != "" && !strings.HasSuffix(rel, ".") {
			return &WriteError{Path: p, Code: e.Code, Msg: e.Msg, ParamErrs: []ParamError{{Param: rel, Code: e.Code, Msg: e.Msg}}}
		}
		return &WriteError{Path: p, Code: e.Code, Msg: e.Msg}
	}
	return &WriteError{Path: p, Code: CodeNotUpdated, Msg: err.Error()}
}

// setValue stores v and records the undo and, unless the row is being
// created (its creation is the event), a value-change event.
func (t *Txn) setValue(n *node, pd *ParamDef, v, old string, created bool) {
	n.values[pd.index] = v
	t.undo = append(t.undo, func() { n.values[pd.index] = old })
	if pd.Persistent || rowPersistent(n) {
		t.persist = true
	}
	if !created {
		t.events = append(t.events, Event{Kind: ValueChanged, Path: n.path + pd.Name, Value: v, Param: pd})
	}
}

// rowPersistent reports whether n lies in a row of a persistent table.
func rowPersistent(n *node) bool {
	for d := n.def; d != nil; d = d.parent {
		if d.Multi {
			return d.Persistent
		}
	}
	return false
}

// uniqueCheck refuses new values of row that would give it the same unique
// key as another row of its table.
func (t *Txn) uniqueCheck(row *node, pend map[int]string) error {
	if row.inst == 0 || len(row.def.UniqueKeys) == 0 {
		return nil
	}
	tab := row.tab
	val := func(n *node, name string) string {
		pd := n.def.paramIdx[name]
		if n == row {
			if v, ok := pend[pd.index]; ok {
				return v
			}
		}
		v, _ := t.r.value(n, pd)
		return v
	}
	for _, ks := range row.def.UniqueKeys {
		// A key set not yet given any value (a BSSID the radio has not
		// reported) identifies nothing and cannot collide.
		empty := true
		for _, k := range ks {
			if val(row, k) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		for _, other := range tab.rows {
			if other == row {
				continue
			}
			same := true
			for _, k := range ks {
				if val(other, k) != val(row, k) {
					same = false
					break
				}
			}
			if same {
				return &WriteError{Path: row.path, Code: CodeDuplicateKey,
					Msg: fmt.Sprintf("unique key %v equals that of %s", ks, other.path)}
			}
		}
	}
	return nil
}
