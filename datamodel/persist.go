package datamodel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// stateFormat names the persisted document's format; stateVersion its
// version.
const (
	stateFormat  = "uspmesh-datamodel"
	stateVersion = 1
)

// state is the persisted document: persistent tables with their row
// numbers and next free number, and persistent parameter values by path.
type state struct {
	Format  string                `json:"format"`
	Version int                   `json:"version"`
	Tables  map[string]tableState `json:"tables"`
	Params  map[string]string     `json:"params"`
}

type tableState struct {
	Next uint32   `json:"next"`
	Rows []uint32 `json:"rows"`
}

// snapshot builds the persisted document; the caller holds the lock.
func (m *Model) snapshot() *state {
	st := &state{Format: stateFormat, Version: stateVersion, Tables: map[string]tableState{}, Params: map[string]string{}}
	var walk func(n *node, inRow bool)
	walk = func(n *node, inRow bool) {
		for _, pd := range n.def.params {
			if pd.countOf != nil || pd.Provider != nil {
				continue
			}
			// In a persistent table's rows, what Controllers wrote (and
			// keys) is saved; values the Agent keeps up to date (status,
			// counters) are not, unless marked Persistent.
			saved := pd.Persistent || inRow && (pd.Access != ReadOnly || n.def.IsKey(pd.Name))
			if saved && (pd.Persistent || n.values[pd.index] != pd.Default) {
				st.Params[n.path+pd.Name] = n.values[pd.index]
			}
		}
		for i, c := range n.def.children {
			if !c.Multi {
				walk(n.objs[i], inRow)
				continue
			}
			t := n.tables[i]
			if !c.Persistent {
				continue
			}
			ts := tableState{Next: t.next, Rows: make([]uint32, 0, len(t.rows))}
			for _, r := range t.rows {
				if c.Transient != nil && c.Transient(r.valueOf) {
					continue
				}
				ts.Rows = append(ts.Rows, r.inst)
				walk(r, true)
			}
			st.Tables[t.path] = ts
		}
	}
	walk(m.root, false)
	return st
}

// valueOf is a row's parameter value by name ("" for none).
func (n *node) valueOf(param string) string {
	if pd := n.def.ParamByName(param); pd != nil && pd.index < len(n.values) {
		return n.values[pd.index]
	}
	return ""
}

// save writes the persisted document, unless it is the one last saved
// or restored. The caller holds the write lock.
func (m *Model) save(ctx context.Context) error {
	doc, err := json.MarshalIndent(m.snapshot(), "", " ")
	if err != nil {
		return err
	}
	if m.saved != nil && bytes.Equal(doc, m.saved) {
		return nil
	}
	if err := m.cfg.Store.Save(ctx, doc); err != nil {
		return err
	}
	m.saved = doc
	return nil
}

// restore loads the persisted document into the fresh tree. A document that
// does not parse is an error naming the store; values the schema no longer
// knows or accepts are skipped with a warning.
func (m *Model) restore(ctx context.Context) error {
	doc, err := m.cfg.Store.Load(ctx)
	if err != nil {
		return err
	}
	if doc == nil {
		return nil
	}
	var st state
	if err := json.Unmarshal(doc, &st); err != nil {
		return fmt.Errorf("datamodel: corrupt state in %s: %w", storeName(m.cfg.Store), err)
	}
	if st.Format != stateFormat || st.Version != stateVersion {
		return fmt.Errorf("datamodel: corrupt state in %s: format %q version %d, want %q version %d",
			storeName(m.cfg.Store), st.Format, st.Version, stateFormat, stateVersion)
	}
	r := &reader{ctx: ctx, root: m.root}
	tpaths := make([]string, 0, len(st.Tables))
	for p := range st.Tables {
		tpaths = append(tpaths, p)
	}
	// Parents before children: a shorter path never lies below a longer.
	sort.Slice(tpaths, func(i, j int) bool {
		di, dj := strings.Count(tpaths[i], "."), strings.Count(tpaths[j], ".")
		return di < dj || di == dj && tpaths[i] < tpaths[j]
	})
	for _, tp := range tpaths {
		t := m.lookupTable(r, tp)
		if t == nil || !t.def.Persistent {
			m.log.Warn("restore: skipping unknown table", "table", tp)
			continue
		}
		ts := st.Tables[tp]
		for _, inst := range ts.Rows {
			if inst == 0 || t.find(inst) != nil {
				return fmt.Errorf("datamodel: corrupt state in %s: table %s: bad or repeated row %d", storeName(m.cfg.Store), tp, inst)
			}
			t.insert(t.newRow(inst))
		}
		if ts.Next > t.next {
			t.next = ts.Next
		}
	}
	for pp, v := range st.Params {
		m.restoreParam(r, pp, v)
	}
	// What is in the store now, as save would write it: an unchanged
	// model is not written again.
	if m.saved, err = json.MarshalIndent(m.snapshot(), "", " "); err != nil {
		m.saved = nil
	}
	return nil
}

func (m *Model) lookupTable(r *reader, tp string) *table {
	p, err := path.Parse(tp)
	if err != nil || p.Kind != path.Object || p.IsSearch() {
		return nil
	}
	res, err := r.objects(p)
	if err != nil || !res.table || len(res.curs) != 1 {
		return nil
	}
	return res.curs[0].t
}

func (m *Model) restoreParam(r *reader, pp, v string) {
	p, err := path.Parse(pp)
	if err == nil && (p.Kind != path.Param || p.IsSearch()) {
		err = fmt.Errorf("not a parameter path")
	}
	var res *resolved
	if err == nil {
		res, err = r.objects(p)
	}
	if err == nil && (res.table || len(res.curs) != 1) {
		err = fmt.Errorf("not one object")
	}
	var pd *ParamDef
	if err == nil {
		if pd = res.curs[0].n.def.paramIdx[p.Leaf]; pd == nil || pd.countOf != nil || pd.Provider != nil {
			err = fmt.Errorf("no stored parameter %s", p.Leaf)
		}
	}
	if err == nil {
		v, err = value.Validate(pd.Type, &pd.Constraint, v)
	}
	if err != nil {
		m.log.Warn("restore: skipping value", "param", pp, "err", err)
		return
	}
	res.curs[0].n.values[pd.index] = v
}

func storeName(s Store) string {
	if f, ok := s.(FileStore); ok {
		return f.Path
	}
	return fmt.Sprintf("%T", s)
}
