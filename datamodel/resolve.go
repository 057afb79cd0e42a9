package datamodel

import (
	"context"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// maxRefDepth bounds nested reference following ("+" inside a referenced
// path), so that reference cycles end.
const maxRefDepth = 8

// cursor is a place a path's object part reached: an object or row (n), or
// a whole table (t) when the path ended at a table's name.
type cursor struct {
	n *node
	t *table
}

// reader resolves paths over a tree whose lock the caller holds.
type reader struct {
	ctx   context.Context
	root  *node
	depth int
}

// resolved is what the object part of a path names.
type resolved struct {
	curs []cursor
	// def is the object every cursor is an instance of, when known
	// statically (always, unless a reference was followed and matched
	// nothing); table reports that the cursors are whole tables.
	def   *ObjectDef
	table bool
	// search is true when the path has a wildcard, filter or reference.
	search bool
}

func (r *reader) value(n *node, p *ParamDef) (string, error) {
	switch {
	case p.countOf != nil:
		return strconv.Itoa(len(n.tables[p.countOf.index].rows)), nil
	case p.Provider != nil:
		return p.Provider(r.ctx, n.row())
	}
	return n.values[p.index], nil
}

func invalidPath(p string, format string, args ...any) *Error {
	return errorf(CodeInvalidPath, p, format, args...)
}

// objects resolves p's object part.
func (r *reader) objects(p *path.Path) (*resolved, error) {
	segs := p.Segs
	if len(segs) == 0 || segs[0].Kind != path.Name || segs[0].Name != r.root.def.Name {
		return nil, invalidPath(p.String(), "path does not start with %s.", r.root.def.Name)
	}
	return r.walk(p, &resolved{curs: []cursor{{n: r.root}}, def: r.root.def}, segs[1:])
}

// walk applies segs to res, in place.
func (r *reader) walk(p *path.Path, res *resolved, segs []path.Segment) (*resolved, error) {
	for i, s := range segs {
		switch s.Kind {
		case path.Name:
			if res.table {
				return nil, invalidPath(p.String(), "%s is a table: an instance must follow it", res.def.SupportedPath())
			}
			c := res.def.childIdx[s.Name]
			if c == nil {
				return nil, invalidPath(p.String(), "%s has no object %s", res.def.SupportedPath(), s.Name)
			}
			for j, cur := range res.curs {
				if c.Multi {
					res.curs[j] = cursor{t: cur.n.tables[c.index]}
				} else {
					res.curs[j] = cursor{n: cur.n.objs[c.index]}
				}
			}
			res.def, res.table = c, c.Multi
		case path.Instance, path.Wildcard, path.Filter:
			if !res.table {
				return nil, invalidPath(p.String(), "%s is not a table", res.def.SupportedPath())
			}
			if err := r.selectRows(p, res, s); err != nil {
				return nil, err
			}
		case path.Reference:
			return r.follow(p, res, s, segs[i+1:])
		default:
			return nil, invalidPath(p.String(), "unexpected segment in an instantiated path")
		}
	}
	return res, nil
}

// selectRows replaces res's table cursors by the rows s selects.
func (r *reader) selectRows(p *path.Path, res *resolved, s path.Segment) error {
	var conds []cond
	if s.Kind == path.Filter {
		var err error
		if conds, err = compile(p, res.def, s.Filter); err != nil {
			return err
		}
	}
	out := make([]cursor, 0, len(res.curs))
	for _, cur := range res.curs {
		t := cur.t
		switch s.Kind {
		case path.Instance:
			row := t.find(s.Instance)
			if row == nil {
				if !res.search {
					return errorf(CodeObjectNotFound, t.path+strconv.FormatUint(uint64(s.Instance), 10)+".", "object does not exist")
				}
				continue
			}
			out = append(out, cursor{n: row})
		case path.Wildcard:
			for _, row := range t.rows {
				out = append(out, cursor{n: row})
			}
		case path.Filter:
			for _, row := range t.rows {
				ok, err := r.match(p, row, conds)
				if err != nil {
					return err
				}
				if ok {
					out = append(out, cursor{n: row})
				}
			}
		}
	}
	res.curs, res.table = out, false
	if s.Kind != path.Instance {
		res.search = true
	}
	return nil
}

// follow resolves a reference segment s and the segments after it.
func (r *reader) follow(p *path.Path, res *resolved, s path.Segment, rest []path.Segment) (*resolved, error) {
	if res.table {
		return nil, invalidPath(p.String(), "%s is a table: an instance must follow it", res.def.SupportedPath())
	}
	pd := res.def.paramIdx[s.Name]
	if pd == nil || !pd.Reference {
		return nil, invalidPath(p.String(), "%s%s is not a reference parameter", res.def.SupportedPath(), s.Name)
	}
	if r.depth >= maxRefDepth {
		return nil, errorf(CodeResourcesExceeded, p.String(), "references nested deeper than %d", maxRefDepth)
	}
	out := &resolved{search: true}
	for _, cur := range res.curs {
		targets, err := r.deref(cur.n, pd, s.RefIndex)
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			sub, err := r.walk(p, &resolved{curs: []cursor{{n: t}}, def: t.def, search: true}, rest)
			if err != nil {
				return nil, err
			}
			out.curs = append(out.curs, sub.curs...)
			out.def, out.table = sub.def, sub.table
		}
	}
	return out, nil
}

// deref returns the objects the reference parameter pd of n names: the
// first (idx 0 or 1), the idx-th, or all (path.RefAll). Empty and dangling
// references name nothing.
func (r *reader) deref(n *node, pd *ParamDef, idx int) ([]*node, error) {
	v, err := r.value(n, pd)
	if err != nil {
		return nil, nil //nolint:nilerr // an unreadable reference names nothing
	}
	refs := value.SplitList(v)
	switch {
	case idx == path.RefAll:
	case idx <= 1 && len(refs) > 0:
		refs = refs[:1]
	case idx > 1 && idx <= len(refs):
		refs = refs[idx-1 : idx]
	default:
		return nil, nil
	}
	sub := &reader{ctx: r.ctx, root: r.root, depth: r.depth + 1}
	var out []*node
	for _, ref := range refs {
		if !strings.HasSuffix(ref, ".") {
			ref += "."
		}
		rp, err := path.Parse(ref)
		if err != nil || rp.Kind != path.Object {
			continue
		}
		res, err := sub.objects(rp)
		if err != nil || res.table {
			continue
		}
		for _, c := range res.curs {
			out = append(out, c.n)
		}
	}
	return out, nil
}
