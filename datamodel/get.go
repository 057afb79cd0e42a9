package datamodel

import (
	"context"

	"github.com/uspmesh/uspmesh/datamodel/path"
)

// ParamValue is one parameter's name, relative to its object, and value.
type ParamValue struct {
	Name  string
	Value string
	// Secured is set for secured parameters (passwords): readers without
	// the right to see secrets must get "" instead of Value.
	Secured bool
}

// ObjectValues is the readable parameters of one object or row.
type ObjectValues struct {
	// Path is the object or row path, with instance numbers and a
	// trailing dot.
	Path   string
	Params []ParamValue
}

// ReadFilter decides whether a reader may see a parameter of the object at
// objPath. Nil allows everything.
type ReadFilter func(objPath string, p *ParamDef) bool

// Get reads what p names. An object path yields each object and row of its
// subtree that has readable parameters, down to maxDepth levels (0 = the
// whole subtree, 1 = the object's own parameters, 2 = and its children's;
// a table and its rows count as one level). A parameter path yields the
// parameter under each object it resolves to. A path outside the supported
// model is a 7026 *Error; a non-search path naming a missing instance is a
// 7016 *Error; a search that matches nothing yields no results and no
// error. Unreadable parameters (by filter) are left out as if absent.
func (m *Model) Get(ctx context.Context, p *path.Path, maxDepth uint32, filter ReadFilter) ([]ObjectValues, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return getLocked(&reader{ctx: ctx, root: m.root}, p, maxDepth, filter)
}

func getLocked(r *reader, p *path.Path, maxDepth uint32, filter ReadFilter) ([]ObjectValues, error) {
	res, err := r.objects(p)
	if err != nil {
		return nil, err
	}
	switch p.Kind {
	case path.Object:
		g := getter{r: r, max: maxDepth, filter: filter}
		for _, c := range res.curs {
			var err error
			if c.t != nil {
				err = g.table(c.t, 1)
			} else {
				err = g.object(c.n, 1)
			}
			if err != nil {
				return nil, err
			}
		}
		return g.out, nil
	case path.Param:
		if res.table {
			return nil, invalidPath(p.String(), "%s is a table, not an object with parameters", res.def.SupportedPath())
		}
		if res.def != nil && res.def.paramIdx[p.Leaf] == nil {
			return nil, invalidPath(p.String(), "%s has no parameter %s", res.def.SupportedPath(), p.Leaf)
		}
		out := make([]ObjectValues, 0, len(res.curs))
		for _, c := range res.curs {
			pd := c.n.def.paramIdx[p.Leaf]
			if pd == nil || (filter != nil && !filter(c.n.path, pd)) {
				continue
			}
			v, err := r.value(c.n, pd)
			if err != nil {
				return nil, errorf(CodeInternal, c.n.path+pd.Name, "read: %v", err)
			}
			out = append(out, ObjectValues{Path: c.n.path, Params: []ParamValue{{pd.Name, v, pd.Secured}}})
		}
		return out, nil
	}
	return nil, invalidPath(p.String(), "Get takes object and parameter paths")
}

// getter collects an object subtree for Get.
type getter struct {
	r      *reader
	max    uint32
	filter ReadFilter
	out    []ObjectValues
}

func (g *getter) object(n *node, level uint32) error {
	if g.max != 0 && level > g.max {
		return nil
	}
	if len(n.def.params) > 0 {
		ov := ObjectValues{Path: n.path, Params: make([]ParamValue, 0, len(n.def.params))}
		for _, pd := range n.def.params {
			if g.filter != nil && !g.filter(n.path, pd) {
				continue
			}
			v, err := g.r.value(n, pd)
			if err != nil {
				return errorf(CodeInternal, n.path+pd.Name, "read: %v", err)
			}
			ov.Params = append(ov.Params, ParamValue{pd.Name, v, pd.Secured})
		}
		if len(ov.Params) > 0 {
			g.out = append(g.out, ov)
		}
	}
	for i := range n.def.children {
		if t := n.tables[i]; t != nil {
			if err := g.table(t, level+1); err != nil {
				return err
			}
			continue
		}
		if err := g.object(n.objs[i], level+1); err != nil {
			return err
		}
	}
	return nil
}

func (g *getter) table(t *table, level uint32) error {
	for _, row := range t.rows {
		if err := g.object(row, level); err != nil {
			return err
		}
	}
	return nil
}

// Instance is one row with its unique keys, for GetInstances.
type Instance struct {
	Path string
	Keys map[string]string
}

// Instances lists the rows p names: a table path (or search over tables)
// gives its rows, a row path gives that row; with firstLevelOnly false the
// rows of every table below them follow. A single-instance object is 7018.
func (m *Model) Instances(ctx context.Context, p *path.Path, firstLevelOnly bool, filter ReadFilter) ([]Instance, error) {
	if p.Kind != path.Object {
		return nil, invalidPath(p.String(), "GetInstances takes object paths")
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := &reader{ctx: ctx, root: m.root}
	res, err := r.objects(p)
	if err != nil {
		return nil, err
	}
	if !res.table && res.def != nil && !res.def.Multi {
		return nil, errorf(CodeNotTable, p.String(), "%s is not a table", res.def.SupportedPath())
	}
	var out []Instance
	var add func(n *node)
	add = func(n *node) {
		out = append(out, Instance{Path: n.path, Keys: r.keys(n, filter)})
		if firstLevelOnly {
			return
		}
		for _, t := range n.tables {
			if t != nil {
				for _, row := range t.rows {
					add(row)
				}
			}
		}
	}
	for _, c := range res.curs {
		if c.t != nil {
			for _, row := range c.t.rows {
				add(row)
			}
			continue
		}
		add(c.n)
	}
	return out, nil
}

// keys returns the values of every unique-key parameter of row n.
func (r *reader) keys(n *node, filter ReadFilter) map[string]string {
	if len(n.def.UniqueKeys) == 0 {
		return nil
	}
	out := make(map[string]string, 2)
	for _, ks := range n.def.UniqueKeys {
		for _, k := range ks {
			pd := n.def.paramIdx[k]
			if pd == nil || (filter != nil && !filter(n.path, pd)) {
				continue
			}
			if v, err := r.value(n, pd); err == nil {
				out[k] = v
			}
		}
	}
	return out
}

// Paths returns the paths p's object part names, in order: objects and
// rows (with trailing dot), or tables when the path ends at a table's
// name. A search naming nothing yields none. Errors are as for Get.
func (m *Model) Paths(ctx context.Context, p *path.Path) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := &reader{ctx: ctx, root: m.root}
	res, err := r.objects(p)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(res.curs))
	for i, c := range res.curs {
		if c.t != nil {
			out[i] = c.t.path
		} else {
			out[i] = c.n.path
		}
	}
	return out, nil
}
