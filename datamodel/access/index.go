package access

import (
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
)

// TR-181 paths the Evaluator reads and listens to.
const (
	trustPath      = "Device.LocalAgent.ControllerTrust."
	rolePath       = trustPath + "Role."
	controllerPath = "Device.LocalAgent.Controller."
)

// schemaIndex finds the definitions behind instantiated paths, and holds
// the objects of the trust model.
type schemaIndex struct {
	root *datamodel.ObjectDef
	// byPath maps supported paths ("Device.WiFi.SSID.{i}.") and table
	// paths in {i} notation ("Device.WiFi.SSID.") to their definitions.
	byPath map[string]*datamodel.ObjectDef
	trust  *datamodel.ObjectDef // ControllerTrust.
	role   *datamodel.ObjectDef // ControllerTrust.Role.{i}.
	perm   *datamodel.ObjectDef // ControllerTrust.Role.{i}.Permission.{i}.
	ctrl   *datamodel.ObjectDef // Controller.{i}.
}

func newSchemaIndex(s *datamodel.Schema) (*schemaIndex, error) {
	x := &schemaIndex{root: s.Root(), byPath: map[string]*datamodel.ObjectDef{}}
	x.root.Walk(func(o *datamodel.ObjectDef) bool {
		sp := o.SupportedPath()
		x.byPath[sp] = o
		if o.Multi {
			x.byPath[strings.TrimSuffix(sp, "{i}.")] = o
		}
		return true
	})
	x.trust = x.byPath[trustPath]
	x.role = x.byPath[rolePath+"{i}."]
	x.perm = x.byPath[rolePath+"{i}.Permission.{i}."]
	x.ctrl = x.byPath[controllerPath+"{i}."]
	if x.trust == nil || x.role == nil || x.perm == nil || x.ctrl == nil {
		return nil, fmt.Errorf("access: the schema lacks %s or %s{i}.", trustPath, controllerPath)
	}
	for _, name := range []string{"UntrustedRole", "BannedRole", "SecuredRoles"} {
		if x.trust.ParamByName(name) == nil {
			return nil, fmt.Errorf("access: the schema lacks %s%s", trustPath, name)
		}
	}
	return x, nil
}

// objectOf returns the definition of the object, row or table at p (an
// instantiated path with trailing dot), or nil.
func (x *schemaIndex) objectOf(p string) *datamodel.ObjectDef {
	if o, ok := x.byPath[p]; ok {
		return o
	}
	var b strings.Builder
	b.Grow(len(p) + 8)
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] != '.' {
			continue
		}
		if _, ok := posnum(p[start:i]); ok {
			b.WriteString("{i}")
		} else {
			b.WriteString(p[start:i])
		}
		b.WriteByte('.')
		start = i + 1
	}
	if start != len(p) {
		return nil
	}
	return x.byPath[b.String()]
}
