package access

import (
	"github.com/uspmesh/uspmesh/datamodel"
)

// verdict is the union, over a Controller's Roles, of their choices on one
// item: the rights granted whatever the instance, and the choices of the
// Roles whose decision depends on the instance.
type verdict struct {
	static perms
	roles  []*choice
}

// policy is the compiled rights of one set of Roles, shared by every
// Controller that holds exactly those Roles, until the trust data changes.
type policy struct {
	idx       *schemaIndex
	params    map[*datamodel.ParamDef]verdict
	commands  map[*datamodel.CommandDef]verdict
	events    map[*datamodel.EventDef]verdict
	tables    map[*datamodel.ObjectDef]verdict
	rows      map[*datamodel.ObjectDef]verdict
	supported map[*datamodel.ObjectDef]perms
	// searches are the search rules to resolve for each message; nsid
	// is one more than their highest sid.
	searches []*rule
	nsid     int
	secured  bool
	// shared is the Set of every message when there is no search to
	// resolve.
	shared *Set
}

// newPolicy ORs the rights of roles.
func newPolicy(idx *schemaIndex, roles []*roleRights, secured bool) *policy {
	p := &policy{idx: idx, secured: secured, supported: map[*datamodel.ObjectDef]perms{}}
	p.params = union(roles, func(r *roleRights) map[*datamodel.ParamDef]choice { return r.params })
	p.commands = union(roles, func(r *roleRights) map[*datamodel.CommandDef]choice { return r.commands })
	p.events = union(roles, func(r *roleRights) map[*datamodel.EventDef]choice { return r.events })
	p.tables = union(roles, func(r *roleRights) map[*datamodel.ObjectDef]choice { return r.tables })
	p.rows = union(roles, func(r *roleRights) map[*datamodel.ObjectDef]choice { return r.rows })
	seen := map[*rule]bool{}
	for _, r := range roles {
		for o, pm := range r.supported {
			p.supported[o] |= pm
		}
		for _, s := range r.searches {
			if !seen[s] {
				seen[s] = true
				p.searches = append(p.searches, s)
				p.nsid = max(p.nsid, s.sid+1)
			}
		}
	}
	p.shared = &Set{pol: p}
	return p
}

// union ORs the choices that field picks from each of roles, item by item.
func union[K comparable](roles []*roleRights, field func(*roleRights) map[K]choice) map[K]verdict {
	out := map[K]verdict{}
	for _, r := range roles {
		for k, c := range field(r) {
			v := out[k]
			if len(c.conds) == 0 {
				v.static |= c.static
			} else {
				c := c
				v.roles = append(v.roles, &c)
			}
			out[k] = v
		}
	}
	return out
}

// denyAll is the policy of banned, disabled and unknown-role Controllers.
func denyAll(idx *schemaIndex) *policy { return newPolicy(idx, nil, false) }

// query is one item a right is asked about.
type query struct {
	kind itemKind
	name string // parameter, command or event name
	path string // the object, row or table path, with instance numbers
	// ns[:n] are path's instance numbers once parsed (more, beyond 8).
	ns     [8]uint32
	n      int
	more   []uint32
	parsed bool
}

// instance returns the i-th instance number in q.path, outermost first,
// and whether there is one.
func (q *query) instance(i int) (uint32, bool) {
	if !q.parsed {
		q.parse()
	}
	switch {
	case i < q.n:
		return q.ns[i], true
	case i-len(q.ns) < len(q.more) && i >= len(q.ns):
		return q.more[i-len(q.ns)], true
	}
	return 0, false
}

func (q *query) parse() {
	q.parsed = true
	start := 0
	for i := 0; i < len(q.path); i++ {
		if q.path[i] != '.' {
			continue
		}
		if v, ok := posnum(q.path[start:i]); ok {
			if q.n < len(q.ns) {
				q.ns[q.n] = v
				q.n++
			} else {
				q.more = append(q.more, v)
			}
		}
		start = i + 1
	}
}

// posnum parses an instance number: decimal digits, no sign, at most
// 4294967295, not 0.
func posnum(s string) (uint32, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return uint32(n), n != 0 && n <= 1<<32-1
}

// matches reports whether the conditional rule r covers q: by the instance
// numbers it requires, or by what its search resolved to for this message.
func (r *rule) matches(q *query, found []*resolved) bool {
	if r.search != nil {
		var res *resolved
		if r.sid < len(found) {
			res = found[r.sid]
		}
		if r.leaf != leafNone {
			return r.appliesTo(q.kind, q.name) && res.has(q.path)
		}
		return res.covers(q.path)
	}
	for i, n := range r.sels {
		got, ok := q.instance(i)
		if !ok || (n != 0 && got != n) {
			return false
		}
	}
	return true
}
