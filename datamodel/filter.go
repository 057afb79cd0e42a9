package datamodel

import (
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// cond is a search-expression component compiled against a table's schema.
type cond struct {
	// kids are the child-object indexes from the row to the parameter's
	// object, when the relative path holds no reference.
	kids []int
	// param is the compared parameter, when known statically.
	param *ParamDef
	// rel is kept for relative paths that follow references.
	rel []path.Segment
	op  path.Op
	val string
}

// compile checks a filter's relative parameter paths against the table def.
func compile(p *path.Path, def *ObjectDef, conds []path.Condition) ([]cond, error) {
	out := make([]cond, len(conds))
	for i, c := range conds {
		out[i] = cond{op: c.Op, val: c.Value}
		o := def
		for j, s := range c.Rel {
			last := j == len(c.Rel)-1
			if s.Kind == path.Reference {
				if pd := o.paramIdx[s.Name]; pd == nil || !pd.Reference {
					return nil, invalidPath(p.String(), "%s%s is not a reference parameter", o.SupportedPath(), s.Name)
				}
				out[i].rel = c.Rel[j:]
				break
			}
			if last {
				pd := o.paramIdx[s.Name]
				if pd == nil {
					return nil, invalidPath(p.String(), "%s has no parameter %s", o.SupportedPath(), s.Name)
				}
				if !orderOK(pd, c.Op) {
					return nil, errorf(CodeInvalidPathSyntax, p.String(), "operator %s does not apply to %s parameter %s", c.Op, pd.Type, s.Name)
				}
				out[i].param = pd
				break
			}
			child := o.childIdx[s.Name]
			if child == nil || child.Multi {
				return nil, invalidPath(p.String(), "%s has no single-instance object %s", o.SupportedPath(), s.Name)
			}
			out[i].kids = append(out[i].kids, child.index)
			o = child
		}
	}
	return out, nil
}

func orderOK(pd *ParamDef, op path.Op) bool {
	switch op {
	case path.Lt, path.Gt, path.Le, path.Ge:
		return !pd.Constraint.List && value.Ordered(pd.Type)
	}
	return true
}

// match reports whether row satisfies every condition.
func (r *reader) match(p *path.Path, row *node, conds []cond) (bool, error) {
	for i := range conds {
		c := &conds[i]
		n := row
		for _, k := range c.kids {
			n = n.objs[k]
		}
		if c.rel != nil {
			ok, err := r.matchRef(p, n, c, c.rel)
			if err != nil || !ok {
				return false, err
			}
			continue
		}
		v, err := r.value(n, c.param)
		if err != nil || !compare(c.param, v, c.op, c.val) {
			return false, nil //nolint:nilerr // an unreadable value matches nothing
		}
	}
	return true, nil
}

// matchRef evaluates a condition whose relative path follows references:
// it holds when it holds for any referenced object.
func (r *reader) matchRef(p *path.Path, n *node, c *cond, rel []path.Segment) (bool, error) {
	s := rel[0]
	if s.Kind == path.Name {
		if len(rel) == 1 {
			pd := n.def.paramIdx[s.Name]
			if pd == nil {
				return false, nil
			}
			if !orderOK(pd, c.op) {
				return false, errorf(CodeInvalidPathSyntax, p.String(), "operator %s does not apply to %s parameter %s", c.op, pd.Type, s.Name)
			}
			v, err := r.value(n, pd)
			return err == nil && compare(pd, v, c.op, c.val), nil
		}
		child := n.def.childIdx[s.Name]
		if child == nil || child.Multi {
			return false, nil
		}
		return r.matchRef(p, n.objs[child.index], c, rel[1:])
	}
	pd := n.def.paramIdx[s.Name]
	if pd == nil || !pd.Reference || r.depth >= maxRefDepth {
		return false, nil
	}
	targets, _ := r.deref(n, pd, s.RefIndex)
	for _, t := range targets {
		ok, err := r.matchRef(p, t, c, rel[1:])
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// compare applies op to a parameter value and a search constant, typed by
// the parameter's type; a constant that is not a value of the type matches
// nothing.
func compare(pd *ParamDef, v string, op path.Op, lit string) bool {
	if op == path.Contains {
		ok, err := value.ListContains(pd.Type, v, lit)
		return err == nil && ok
	}
	if pd.Constraint.List && op != path.Eq && op != path.Ne {
		return false
	}
	c, err := value.Compare(pd.Type, v, lit)
	if err != nil {
		return false
	}
	switch op {
	case path.Eq:
		return c == 0
	case path.Ne:
		return c != 0
	case path.Lt:
		return c < 0
	case path.Gt:
		return c > 0
	case path.Le:
		return c <= 0
	case path.Ge:
		return c >= 0
	}
	return false
}
