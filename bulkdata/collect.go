package bulkdata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Reader is the read right of a profile's owner: the Param "r" right on
// each parameter, as the USP Agent checks it for a Get (*access.Set is
// one). A Reader that also has Secured() bool sees secured parameters
// (passwords) in clear only when it returns true; others see them as "".
type Reader interface {
	ReadParam(objPath string, p *datamodel.ParamDef) bool
}

type secretReader interface{ Secured() bool }

// MaxItems bounds the parameters of one report, whatever its wildcards
// expand to.
const MaxItems = 20000

// ErrTooLarge is returned when a report would exceed MaxItems.
var ErrTooLarge = errors.New("bulkdata: report has too many parameters")

// RefError says that a Parameter row's Reference could not be read.
type RefError struct {
	Row, Reference string
	Err            error
}

func (e *RefError) Error() string {
	return fmt.Sprintf("%sReference %q: %v", e.Row, e.Reference, e.Err)
}

func (e *RefError) Unwrap() error { return e.Err }

// Collect reads params from m as r may read them, at now, and returns
// the report. Excluded references remove what they name from the others.
// A reference that cannot be read (bad syntax, not in the supported
// model, a missing instance) is left out and reported in refErrs; the
// rest are still collected. A nil r reads nothing: a profile without an
// owner reports no parameter.
func Collect(ctx context.Context, m *datamodel.Model, r Reader, params []Parameter, now time.Time) (rep Report, refErrs []error, err error) {
	rep.Time = now
	if r == nil {
		return rep, nil, nil
	}
	secured := true
	if s, ok := r.(secretReader); ok {
		secured = s.Secured()
	}
	type key struct{ obj, name string }
	defs := map[key]*datamodel.ParamDef{}
	filter := func(objPath string, pd *datamodel.ParamDef) bool {
		if !r.ReadParam(objPath, pd) {
			return false
		}
		defs[key{objPath, pd.Name}] = pd
		return true
	}
	var excluded map[string]bool
	for _, pa := range params {
		if !pa.Exclude {
			continue
		}
		res, _, err := get(ctx, m, pa.Reference, filter)
		if err != nil {
			refErrs = append(refErrs, &RefError{pa.Row, pa.Reference, err})
			continue
		}
		if excluded == nil {
			excluded = map[string]bool{}
		}
		for _, ov := range res {
			for _, pv := range ov.Params {
				excluded[ov.Path+pv.Name] = true
			}
		}
	}
	for _, pa := range params {
		if pa.Exclude {
			continue
		}
		res, p, err := get(ctx, m, pa.Reference, filter)
		if err != nil {
			refErrs = append(refErrs, &RefError{pa.Row, pa.Reference, err})
			continue
		}
		for _, ov := range res {
			for _, pv := range ov.Params {
				full := ov.Path + pv.Name
				if excluded[full] {
					continue
				}
				if len(rep.Items) >= MaxItems {
					return rep, refErrs, ErrTooLarge
				}
				pd := defs[key{ov.Path, pv.Name}]
				v := pv.Value
				if pv.Secured && !secured {
					v = ""
				}
				it := Item{Name: full, Path: full, Value: v}
				if pd != nil {
					it.Type = pd.Type
					if pd.Constraint.List {
						it.Type = value.String // lists are strings in reports
					}
				}
				if pa.Name != "" {
					it.Name = Label(p, pa.Name, full)
				}
				rep.Items = append(rep.Items, it)
			}
		}
	}
	return rep, refErrs, nil
}

// get parses ref and reads what it names through filter.
func get(ctx context.Context, m *datamodel.Model, ref string, filter datamodel.ReadFilter) ([]datamodel.ObjectValues, *path.Path, error) {
	p, err := ParseReference(ref)
	if err != nil {
		return nil, nil, err
	}
	res, err := m.Get(ctx, p, 0, filter)
	return res, p, err
}

// ParseReference parses a Parameter row's Reference: a parameter or
// object path, with instance numbers, wildcards or searches, but no
// reference following ("+"), which would break the labels' instance
// numbering.
func ParseReference(ref string) (*path.Path, error) {
	if ref == "" {
		return nil, errors.New("empty")
	}
	p, err := path.Parse(ref)
	if err != nil {
		return nil, err
	}
	if p.Kind != path.Param && p.Kind != path.Object {
		return nil, errors.New("names a command or event, not parameters")
	}
	for _, s := range p.Segs {
		if s.Kind == path.Reference {
			return nil, errors.New("reference following (+) is not supported in bulk data")
		}
	}
	return p, nil
}

// Label is the name a parameter at full path gets in a report when the
// Parameter row whose Reference ref resolved to it has Name name: the
// name, then the instance numbers its wildcards and searches matched,
// then, for an object reference, the rest of the path.
// ("Assoc", Device.WiFi.AccessPoint.*.AssociatedDevice.*.BytesSent,
// ...AccessPoint.1.AssociatedDevice.10.BytesSent → "Assoc.1.10";
// "AP1", Device.WiFi.AccessPoint.1., ...AccessPoint.1.Status → "AP1.Status".)
func Label(ref *path.Path, name, full string) string {
	var b strings.Builder
	b.WriteString(name)
	rest := full
	for _, s := range ref.Segs {
		tok, after, _ := strings.Cut(rest, ".")
		rest = after
		if s.Kind == path.Wildcard || s.Kind == path.Filter {
			b.WriteByte('.')
			b.WriteString(tok)
		}
	}
	if ref.Kind == path.Object && rest != "" {
		b.WriteByte('.')
		b.WriteString(rest)
	}
	return b.String()
}
