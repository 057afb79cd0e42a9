package datamodel

import (
	"context"

	"github.com/uspmesh/uspmesh/datamodel/path"
)

// Supported is what a supported-data-model path names: an object (Param,
// Command and Event nil) or one item of it.
type Supported struct {
	Object  *ObjectDef
	Param   *ParamDef
	Command *CommandDef
	Event   *EventDef
}

// Lookup finds what a supported-DM path (from path.ParseSupported) names.
// Table rows may be written as {i} or as instance numbers; the trailing
// "{i}." of a table is optional. Anything not in the schema is 7026.
func (s *Schema) Lookup(p *path.Path) (Supported, error) {
	segs := p.Segs
	if len(segs) == 0 || segs[0].Kind != path.Name || segs[0].Name != s.root.Name {
		return Supported{}, invalidPath(p.String(), "path does not start with %s.", s.root.Name)
	}
	o := s.root
	for _, sg := range segs[1:] {
		switch sg.Kind {
		case path.Name:
			c := o.childIdx[sg.Name]
			if c == nil {
				return Supported{}, invalidPath(p.String(), "%s has no object %s", o.supPath, sg.Name)
			}
			o = c
		case path.Placeholder, path.Instance:
			if !o.Multi {
				return Supported{}, invalidPath(p.String(), "%s is not a table", o.supPath)
			}
		default:
			return Supported{}, invalidPath(p.String(), "not a supported-DM path")
		}
	}
	out := Supported{Object: o}
	switch p.Kind {
	case path.Param:
		if out.Param = o.paramIdx[p.Leaf]; out.Param == nil {
			return Supported{}, invalidPath(p.String(), "%s has no parameter %s", o.supPath, p.Leaf)
		}
	case path.Command:
		if out.Command = o.cmdIdx[p.Leaf]; out.Command == nil {
			return Supported{}, invalidPath(p.String(), "%s has no command %s()", o.supPath, p.Leaf)
		}
	case path.Event:
		if out.Event = o.eventIdx[p.Leaf]; out.Event == nil {
			return Supported{}, invalidPath(p.String(), "%s has no event %s!", o.supPath, p.Leaf)
		}
	}
	return out, nil
}

// CommandTarget is one command on one object, for Operate.
type CommandTarget struct {
	Row Row
	Def *CommandDef
}

// Commands resolves a command path (possibly a search) to the objects that
// carry the command, in order. A command the schema lacks is 7026.
func (m *Model) Commands(ctx context.Context, p *path.Path) ([]CommandTarget, error) {
	if p.Kind != path.Command {
		return nil, invalidPath(p.String(), "a command path is required")
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := &reader{ctx: ctx, root: m.root}
	res, err := r.objects(p)
	if err != nil {
		return nil, err
	}
	if res.table {
		return nil, invalidPath(p.String(), "%s is a table: commands belong to its rows", res.def.supPath)
	}
	if res.def != nil && res.def.cmdIdx[p.Leaf] == nil {
		return nil, invalidPath(p.String(), "%s has no command %s()", res.def.supPath, p.Leaf)
	}
	out := make([]CommandTarget, 0, len(res.curs))
	for _, c := range res.curs {
		if cd := c.n.def.cmdIdx[p.Leaf]; cd != nil {
			out = append(out, CommandTarget{Row: c.n.row(), Def: cd})
		}
	}
	return out, nil
}
