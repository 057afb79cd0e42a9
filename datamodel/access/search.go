package access

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// Search Targets (with a search expression or a reference) name different
// objects as values change, so they are resolved against the live model
// for each message, in Evaluator.For, outside the model's locks: the Set's
// methods run inside model reads and writes (Get's filter, a Txn's
// CanWrite), where resolving would take the model's lock a second time.

// searchTarget is a Target resolved against the live model: prefix, the
// Target's object part up to its last instance selector or reference,
// names the objects to which suffix (object names, "Stats.") is appended.
type searchTarget struct {
	key    string
	prefix *path.Path
	suffix string
}

// newSearch splits the object part of p, a Target with a search
// expression or a reference, into the prefix to resolve and the object
// names after it.
func newSearch(key string, p *path.Path) *searchTarget {
	last := len(p.Segs) - 1
	for last > 0 && p.Segs[last].Kind == path.Name {
		last--
	}
	var suffix strings.Builder
	for _, sg := range p.Segs[last+1:] {
		suffix.WriteString(sg.Name)
		suffix.WriteByte('.')
	}
	return &searchTarget{
		key:    key,
		prefix: &path.Path{Segs: p.Segs[:last+1], Kind: path.Object},
		suffix: suffix.String(),
	}
}

// resolveSearches resolves every search Target of p against m, once per
// distinct Target text, for one message.
func resolveSearches(ctx context.Context, m *datamodel.Model, p *policy) *Set {
	s := &Set{pol: p, found: make([]*resolved, p.nsid)}
	byKey := map[string]*resolved{}
	for _, r := range p.searches {
		res, ok := byKey[r.search.key]
		if !ok {
			res = resolveSearch(ctx, m, r.search)
			byKey[r.search.key] = res
		}
		s.found[r.sid] = res
	}
	return s
}

// resolveSearch returns the objects st names now. A Target the model
// refuses (a search on a parameter that does not exist, say) names
// nothing.
func resolveSearch(ctx context.Context, m *datamodel.Model, st *searchTarget) *resolved {
	deny := func(string, *datamodel.ParamDef) bool { return false }
	var paths []string
	insts, err := m.Instances(ctx, st.prefix, true, deny)
	var de *datamodel.Error
	switch {
	case err == nil:
		for _, in := range insts {
			paths = append(paths, in.Path)
		}
	case errors.As(err, &de) && de.Code == datamodel.CodeNotTable:
		// A reference to single-instance objects: Get visits each of
		// them and shows its path to the filter, which reads nothing.
		last := ""
		capture := func(objPath string, _ *datamodel.ParamDef) bool {
			if objPath != last {
				paths, last = append(paths, objPath), objPath
			}
			return false
		}
		_, _ = m.Get(ctx, st.prefix, 1, capture)
	}
	return newResolved(paths, st.suffix)
}

// resolved is what a search Target names at the time of one message: the
// object, row and table paths (with trailing dot) below which it grants.
type resolved struct {
	// last remembers the latest answer of covers: Get asks about every
	// parameter of an object in turn, with the same path.
	last  atomic.Pointer[memo]
	paths map[string]struct{}
	// depths has bit d set when some path has d dots (d < 64); deep is
	// set when some path has more.
	depths uint64
	deep   bool
}

func newResolved(paths []string, suffix string) *resolved {
	r := &resolved{paths: make(map[string]struct{}, len(paths))}
	for _, p := range paths {
		p += suffix
		r.paths[p] = struct{}{}
		d := 0
		for i := 0; i < len(p); i++ {
			if p[i] == '.' {
				d++
			}
		}
		if d < 64 {
			r.depths |= 1 << d
		} else {
			r.deep = true
		}
	}
	return r
}

// has reports whether p is one of r's paths.
func (r *resolved) has(p string) bool {
	if r == nil {
		return false
	}
	_, ok := r.paths[p]
	return ok
}

// memo is one answer of resolved.covers.
type memo struct {
	path string
	hit  bool
}

// covers reports whether p is one of r's paths or lies below one.
func (r *resolved) covers(p string) bool {
	if r == nil || len(r.paths) == 0 {
		return false
	}
	if m := r.last.Load(); m != nil && m.path == p {
		return m.hit
	}
	hit := r.scan(p)
	r.last.Store(&memo{path: p, hit: hit})
	return hit
}

// scan looks p and every object above it up in r's paths, at the depths
// that some path has.
func (r *resolved) scan(p string) bool {
	d := 0
	for i := 0; i < len(p); i++ {
		if p[i] != '.' {
			continue
		}
		d++
		if (d < 64 && r.depths&(1<<d) != 0) || (d >= 64 && r.deep) {
			if _, ok := r.paths[p[:i+1]]; ok {
				return true
			}
		}
	}
	return false
}
