package access

import (
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
)

// Set is the effective rights of one Controller for one message, from
// Evaluator.For. Search Targets were resolved when the Set was made, so a
// Set sees the model as it was then; take a new Set for each message. A
// Set is safe for concurrent use. Its methods take instantiated paths
// (instance numbers, trailing dot); a nil *Set allows nothing.
//
// Secured parameters: a Set allows or denies reading a parameter whether
// or not it is secured. A caller that returns a secured parameter's value
// (ParamDef.Secured, ParamValue.Secured) to a Set that is not Secured
// returns "" in its place (TP-469 2.27); the USP Agent does so for any
// Permissions with a Secured method:
//
//	if pv.Secured && !set.Secured() {
//		pv.Value = ""
//	}
type Set struct {
	pol   *policy
	found []*resolved // by rule.sid
}

// ReadParam reports the Param "r" right: Get the parameter, see it in
// GetSupportedDM, in unique keys and in Set/Add results.
func (s *Set) ReadParam(objPath string, p *datamodel.ParamDef) bool {
	return s.param(objPath, p, rightR)
}

// WriteParam reports the Param "w" right: Set the parameter, or give it in
// an Add.
func (s *Set) WriteParam(objPath string, p *datamodel.ParamDef) bool {
	return s.param(objPath, p, rightW)
}

// NotifyValueChange reports the Param "n" right: be sent ValueChange
// notifications of the parameter.
func (s *Set) NotifyValueChange(objPath string, p *datamodel.ParamDef) bool {
	return s.param(objPath, p, rightN)
}

// AddRow reports the Obj "w" right on the table at tablePath: Add a row.
// t is the table's definition; nil means the one tablePath names.
func (s *Set) AddRow(tablePath string, t *datamodel.ObjectDef) bool {
	return s.object(s.tables(), kTable, tablePath, t, catObj, rightW)
}

// NotifyObjCreation reports the Obj "n" right on the table at tablePath:
// be sent ObjectCreation notifications of its rows. t may be nil.
func (s *Set) NotifyObjCreation(tablePath string, t *datamodel.ObjectDef) bool {
	return s.object(s.tables(), kTable, tablePath, t, catObj, rightN)
}

// DeleteRow reports the InstantiatedObj "w" right on the row at rowPath:
// Delete it. t is its table's definition; nil means the one rowPath names.
func (s *Set) DeleteRow(rowPath string, t *datamodel.ObjectDef) bool {
	return s.object(s.rows(), kRow, rowPath, t, catInst, rightW)
}

// ListRow reports the InstantiatedObj "r" right on the row at rowPath: see
// it in GetInstances. t may be nil.
func (s *Set) ListRow(rowPath string, t *datamodel.ObjectDef) bool {
	return s.object(s.rows(), kRow, rowPath, t, catInst, rightR)
}

// NotifyObjDeletion reports the InstantiatedObj "n" right on the row at
// rowPath: be sent its ObjectDeletion notification. t may be nil.
func (s *Set) NotifyObjDeletion(rowPath string, t *datamodel.ObjectDef) bool {
	return s.object(s.rows(), kRow, rowPath, t, catInst, rightN)
}

// Operate reports the CommandEvent "x" right: run command c of the object
// at objPath.
func (s *Set) Operate(objPath string, c *datamodel.CommandDef) bool {
	if s == nil || c == nil {
		return false
	}
	v, ok := s.pol.commands[c]
	return ok && s.check(&v, kCommand, c.Name, objPath, catCmd, rightX)
}

// NotifyCommandEvent reports the CommandEvent "n" right: be sent the
// OperationComplete notifications of command name of the object at
// objPath ("ScheduleTimer()"), or its event name ("Boot!"). A name
// without "()" or "!" is looked up among commands, then events.
func (s *Set) NotifyCommandEvent(objPath string, name string) bool {
	if s == nil {
		return false
	}
	o := s.pol.idx.objectOf(objPath)
	if o == nil {
		return false
	}
	bare := strings.TrimSuffix(strings.TrimSuffix(name, "()"), "!")
	if c := o.CommandByName(bare); c != nil && !strings.HasSuffix(name, "!") {
		v, ok := s.pol.commands[c]
		return ok && s.check(&v, kCommand, bare, objPath, catCmd, rightN)
	}
	if e := o.EventByName(bare); e != nil && !strings.HasSuffix(name, "()") {
		v, ok := s.pol.events[e]
		return ok && s.check(&v, kEvent, bare, objPath, catCmd, rightN)
	}
	return false
}

// SupportedObj reports the Obj "r" right on a supported object: see it in
// GetSupportedDM. GetSupportedDM knows no instances, so every Target counts
// for the object it names, whatever rows it selects ("Device.WiFi.SSID.1."
// counts for Device.WiFi.SSID.{i}.), except Targets that follow a
// reference, which count for nothing here.
func (s *Set) SupportedObj(o *datamodel.ObjectDef) bool {
	if s == nil || o == nil {
		return false
	}
	return s.pol.supported[o].has(catObj, rightR)
}

// Secured reports whether the Controller holds one of the Roles listed in
// Device.LocalAgent.ControllerTrust.SecuredRoles: it may read the values
// of secured parameters; other Controllers read them as "".
func (s *Set) Secured() bool { return s != nil && s.pol.secured }

func (s *Set) param(objPath string, p *datamodel.ParamDef, right int) bool {
	if s == nil || p == nil {
		return false
	}
	v, ok := s.pol.params[p]
	return ok && s.check(&v, kParam, p.Name, objPath, catParam, right)
}

func (s *Set) tables() map[*datamodel.ObjectDef]verdict {
	if s == nil {
		return nil
	}
	return s.pol.tables
}

func (s *Set) rows() map[*datamodel.ObjectDef]verdict {
	if s == nil {
		return nil
	}
	return s.pol.rows
}

func (s *Set) object(m map[*datamodel.ObjectDef]verdict, k itemKind, p string, t *datamodel.ObjectDef, cat, right int) bool {
	if s == nil {
		return false
	}
	if t == nil {
		t = s.pol.idx.objectOf(p)
	}
	v, ok := m[t]
	return ok && s.check(&v, k, "", p, cat, right)
}

// check reports whether v grants right of category cat on the item.
func (s *Set) check(v *verdict, k itemKind, name, objPath string, cat, right int) bool {
	if v.static.has(cat, right) {
		return true
	}
	if len(v.roles) == 0 {
		return false
	}
	q := query{kind: k, name: name, path: objPath}
	for _, c := range v.roles {
		if c.eval(&q, s.found).has(cat, right) {
			return true
		}
	}
	return false
}
