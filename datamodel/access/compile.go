package access

import (
	"sort"
	"strconv"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// choice is how one Role decides on one item of the schema: the static
// winner (the highest-Order covering rule that covers every instance) and
// the conditional rules that may beat it for some instances, by descending
// Order.
type choice struct {
	order  int64 // the static winner's Order; -1 when there is none
	static perms
	conds  []*rule
}

// roleRights is one Role compiled against the schema: its choice for every
// item that some of its rules cover (an absent item gets no right).
type roleRights struct {
	params    map[*datamodel.ParamDef]choice
	commands  map[*datamodel.CommandDef]choice
	events    map[*datamodel.EventDef]choice
	tables    map[*datamodel.ObjectDef]choice
	rows      map[*datamodel.ObjectDef]choice
	supported map[*datamodel.ObjectDef]perms
	// searches are the search rules some choice depends on.
	searches []*rule
}

// permRow is one Permission row as read from the model.
type permRow struct {
	enable  bool
	order   string
	targets string
	strs    [4]string // Param, Obj, InstantiatedObj, CommandEvent
}

// rules compiles the enabled Permissions of a Role into rules. A
// Permission whose Order is not a number is skipped, as are Targets that
// name nothing of the schema.
func rules(root *datamodel.ObjectDef, ps []permRow) []*rule {
	var out []*rule
	for _, p := range ps {
		if !p.enable {
			continue
		}
		order, err := strconv.ParseUint(p.order, 10, 32)
		if err != nil {
			continue
		}
		pm := parsePerms(p.strs)
		for _, t := range value.SplitList(p.targets) {
			if r, ok := compileTarget(root, t); ok {
				r.order, r.perms = int64(order), pm
				out = append(out, r)
			}
		}
	}
	return out
}

// compileRole decides, for every item of the schema below root, which of
// rs may apply to it and how.
func compileRole(root *datamodel.ObjectDef, rs []*rule) *roleRights {
	w := &walker{
		rr: &roleRights{
			params:    map[*datamodel.ParamDef]choice{},
			commands:  map[*datamodel.CommandDef]choice{},
			events:    map[*datamodel.EventDef]choice{},
			tables:    map[*datamodel.ObjectDef]choice{},
			rows:      map[*datamodel.ObjectDef]choice{},
			supported: map[*datamodel.ObjectDef]perms{},
		},
		objRules:  map[*datamodel.ObjectDef][]*rule{},
		leafRules: map[*datamodel.ObjectDef][]*rule{},
	}
	if len(rs) == 0 {
		return w.rr
	}
	for _, r := range rs {
		switch {
		case r.def == nil:
			w.floating = append(w.floating, r)
		case r.leaf == leafNone:
			w.objRules[r.def] = append(w.objRules[r.def], r)
		default:
			w.leafRules[r.def] = append(w.leafRules[r.def], r)
		}
	}
	w.object(root, nil)
	for _, r := range rs {
		if r.used && r.search != nil {
			w.rr.searches = append(w.rr.searches, r)
		}
	}
	return w.rr
}

// walker holds a Role's rules by the object they are attached to while
// compileRole walks the schema.
type walker struct {
	rr        *roleRights
	objRules  map[*datamodel.ObjectDef][]*rule // object and table Targets
	leafRules map[*datamodel.ObjectDef][]*rule // parameter, command, event Targets
	floating  []*rule                          // Targets behind a reference
}

// object decides on o and everything below it; above holds the object
// rules of o's ancestors.
func (w *walker) object(o *datamodel.ObjectDef, above []*rule) {
	own := w.objRules[o]
	if o.Multi {
		var tableOwn []*rule
		for _, r := range own {
			if !r.rows {
				tableOwn = append(tableOwn, r)
			}
		}
		put(w.rr.tables, o, kTable, "", above, tableOwn, w.floating)
		put(w.rr.rows, o, kRow, "", above, own, w.floating)
	}
	below := append(above[:len(above):len(above)], own...)
	if p, ok := supportedWinner(below); ok {
		w.rr.supported[o] = p
	}
	leaves := w.leafRules[o]
	for _, p := range o.Params() {
		put(w.rr.params, p, kParam, p.Name, below, leaves, w.floating)
	}
	for _, c := range o.Commands() {
		put(w.rr.commands, c, kCommand, c.Name, below, leaves, w.floating)
	}
	for _, e := range o.Events() {
		put(w.rr.events, e, kEvent, e.Name, below, leaves, w.floating)
	}
	for _, c := range o.Children() {
		w.object(c, below)
	}
}

// put records in m the choice for item key, when some rule may cover it.
func put[K comparable](m map[K]choice, key K, k itemKind, name string, lists ...[]*rule) {
	if c, ok := choose(k, name, lists...); ok {
		m[key] = c
	}
}

// choose makes the choice among the rules of lists that may cover an item
// of kind k named name: the static winner is the highest-Order rule that
// covers every instance (rules of equal Order are OR-ed); the conditional
// rules of at least its Order may beat it and are kept, highest first.
func choose(k itemKind, name string, lists ...[]*rule) (choice, bool) {
	c := choice{order: -1}
	found := false
	for _, l := range lists {
		for _, r := range l {
			if !r.appliesTo(k, name) {
				continue
			}
			found = true
			switch {
			case r.conditional():
			case r.order > c.order:
				c.order, c.static = r.order, r.perms
			case r.order == c.order:
				c.static |= r.perms
			}
		}
	}
	if !found {
		return c, false
	}
	for _, l := range lists {
		for _, r := range l {
			if r.conditional() && r.order >= c.order && r.appliesTo(k, name) {
				c.conds = append(c.conds, r)
				r.used = true
			}
		}
	}
	sort.SliceStable(c.conds, func(i, j int) bool { return c.conds[i].order > c.conds[j].order })
	return c, true
}

// supportedWinner is a Role's decision on a supported object (for
// GetSupportedDM, which knows no instances): the highest-Order object rule
// of the object or an ancestor, whatever rows it selects.
func supportedWinner(rs []*rule) (perms, bool) {
	var p perms
	order := int64(-1)
	for _, r := range rs {
		switch {
		case r.order > order:
			order, p = r.order, r.perms
		case r.order == order:
			p |= r.perms
		}
	}
	return p, order >= 0
}

// eval returns the rights c grants to the item q: those of the highest
// conditional rule that covers q (OR-ed with rules of equal Order), else
// the static winner's.
func (c *choice) eval(q *query, found []*resolved) perms {
	for i := 0; i < len(c.conds); {
		o := c.conds[i].order
		var got perms
		hit := false
		for ; i < len(c.conds) && c.conds[i].order == o; i++ {
			if r := c.conds[i]; r.matches(q, found) {
				got |= r.perms
				hit = true
			}
		}
		if hit {
			if o == c.order {
				got |= c.static
			}
			return got
		}
	}
	return c.static
}
