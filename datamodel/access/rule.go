package access

import (
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// perms holds the rights of one Permission row: four categories (Param,
// Obj, InstantiatedObj, CommandEvent) of four rights (r, w, x, n); right r
// of category c is bit 4*c+r.
type perms uint16

// Permission categories, in the order of tr181.PermissionParams.
const (
	catParam = iota
	catObj
	catInst
	catCmd
)

// Rights, in the order of the letters of a permission string.
const (
	rightR = iota
	rightW
	rightX
	rightN
)

// rightLetters are the letters of a granted right, by position.
const rightLetters = "rwxn"

func (p perms) has(cat, right int) bool { return p>>(4*cat+right)&1 != 0 }

// parsePerms reads the four permission strings of a Permission row
// leniently: position i grants its right only when it holds the letter
// "rwxn"[i]; anything else, or a missing position, denies it.
func parsePerms(strs [4]string) perms {
	var p perms
	for c, s := range strs {
		for r := 0; r < len(rightLetters) && r < len(s); r++ {
			if s[r] == rightLetters[r] {
				p |= 1 << (4*c + r)
			}
		}
	}
	return p
}

// leafKind is what a Target names below its object.
type leafKind uint8

const (
	leafNone    leafKind = iota // the object or table and everything below
	leafParam                   // one parameter
	leafCommand                 // one command
	leafEvent                   // one event
)

// itemKind is the kind of thing a right is asked about.
type itemKind uint8

const (
	kParam itemKind = iota + 1
	kCommand
	kEvent
	kTable // a table itself (Obj rights: add rows, creation notifications)
	kRow   // a row (InstantiatedObj rights)
)

// rule is one Target of one enabled Permission, compiled against the
// schema.
type rule struct {
	order int64
	perms perms
	// def is the object the Target names or whose item it names; nil when
	// a reference in the Target hides it until the Target is resolved.
	def *datamodel.ObjectDef
	// rows is set when def is a table and the Target names its rows
	// ("Table.1.", "Table.*.") rather than the table ("Table.").
	rows bool
	leaf leafKind
	name string // the leaf's name
	// sels are the instance numbers the Target requires of each table on
	// the way to def (0: any row).
	sels []uint32
	// fixed is set when some sel is not 0.
	fixed bool
	// search is set for Targets with a search expression or a reference:
	// they are resolved against the live model for each message.
	search *searchTarget
	// used is set when some item's decision depends on this conditional
	// rule (so that a search is resolved only when it can matter).
	used bool
	// sid numbers the search rules of one version of the trust data, to
	// index the resolutions of a Set.
	sid int
}

// conditional reports whether r covers an item depends on the
// item's instance numbers or on live values.
func (r *rule) conditional() bool { return r.fixed || r.search != nil }

// appliesTo reports whether r, found among the rules of an item's object
// or of one of its ancestors, may cover an item of kind k named name.
func (r *rule) appliesTo(k itemKind, name string) bool {
	switch r.leaf {
	case leafNone:
		return true
	case leafParam:
		return k == kParam && r.name == name
	case leafCommand:
		return k == kCommand && r.name == name
	case leafEvent:
		return k == kEvent && r.name == name
	}
	return false
}

// parseTarget parses one Targets item. Besides instantiated-model paths
// it accepts supported-DM paths ("Device.WiFi.SSID.{i}.", {i} reads as
// "*") and object paths without their trailing dot.
func parseTarget(s string) (*path.Path, bool) {
	if p, err := path.Parse(s); err == nil {
		return p, true
	}
	if p, err := path.ParseSupported(s); err == nil {
		return p, true
	}
	if s != "" && !strings.HasSuffix(s, ".") {
		return parseTarget(s + ".")
	}
	return nil, false
}

// compileTarget compiles one Targets item against the schema whose root is
// root. ok is false for a Target that names nothing of the schema; such a
// Target covers nothing.
func compileTarget(root *datamodel.ObjectDef, s string) (r *rule, ok bool) {
	p, ok := parseTarget(s)
	if !ok || len(p.Segs) == 0 || p.Segs[0].Kind != path.Name || p.Segs[0].Name != root.Name {
		return nil, false
	}
	r = &rule{}
	o, atTable := root, false
walk:
	for _, sg := range p.Segs[1:] {
		switch sg.Kind {
		case path.Name:
			c := o.Child(sg.Name)
			if atTable || c == nil {
				return nil, false
			}
			o, atTable = c, c.Multi
		case path.Instance, path.Wildcard, path.Placeholder, path.Filter:
			if !atTable {
				return nil, false
			}
			n := uint32(0)
			if sg.Kind == path.Instance {
				n, r.fixed = sg.Instance, true
			}
			r.sels, atTable = append(r.sels, n), false
			if sg.Kind == path.Filter {
				r.search = &searchTarget{}
			}
		case path.Reference:
			if pd := o.ParamByName(sg.Name); atTable || pd == nil || !pd.Reference {
				return nil, false
			}
			r.search, o = &searchTarget{}, nil
			break walk
		default:
			return nil, false
		}
	}
	if !r.setLeaf(p, o, atTable) {
		return nil, false
	}
	if r.search != nil {
		r.search = newSearch(s, p)
	}
	return r, true
}

// setLeaf completes r with what p names below o (nil when hidden behind a
// reference): its leaf, or, for "Device.WiFi" written without its dot, the
// child object.
func (r *rule) setLeaf(p *path.Path, o *datamodel.ObjectDef, atTable bool) bool {
	r.name = p.Leaf
	switch p.Kind {
	case path.Param:
		r.leaf = leafParam
	case path.Command:
		r.leaf = leafCommand
	case path.Event:
		r.leaf = leafEvent
	}
	if o == nil {
		return true
	}
	if r.leaf != leafNone && atTable {
		return false
	}
	switch r.leaf {
	case leafParam:
		if o.ParamByName(p.Leaf) != nil {
			break
		}
		c := o.Child(p.Leaf)
		if c == nil {
			return false
		}
		r.leaf, r.name, o, atTable = leafNone, "", c, c.Multi
	case leafCommand:
		if o.CommandByName(p.Leaf) == nil {
			return false
		}
	case leafEvent:
		if o.EventByName(p.Leaf) == nil {
			return false
		}
	}
	r.def, r.rows = o, o.Multi && !atTable
	return true
}
