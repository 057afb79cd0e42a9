package datamodel

import (
	"context"
	"fmt"
	"strconv"

	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Access is a parameter's access as USP reports it.
type Access uint8

// Parameter access kinds.
const (
	// ReadOnly parameters are written only by the Agent itself.
	ReadOnly Access = iota
	// ReadWrite parameters may be set by Controllers.
	ReadWrite
	// WriteOnce parameters may be given when their row is created and are
	// read-only afterwards (TR-181 writeOnceReadOnly).
	WriteOnce
)

// ObjAccess is a table's access as USP reports it.
type ObjAccess uint8

// Object access kinds.
const (
	// ObjReadOnly rows are created and deleted by the Agent only.
	ObjReadOnly ObjAccess = iota
	// ObjAddDelete rows may be added and deleted by Controllers.
	ObjAddDelete
	// ObjAddOnly rows may be added but not deleted by Controllers.
	ObjAddOnly
	// ObjDeleteOnly rows may be deleted but not added by Controllers.
	ObjDeleteOnly
)

// Row identifies one object instance to providers, hooks and command
// handlers: its path and the instance numbers on the way to it.
type Row struct {
	// Path is the object or row path, with trailing dot.
	Path string
	// Instances are the instance numbers in Path, outermost first.
	Instances []uint32
}

// Provider reads a live parameter value, e.g. from a radio. It runs while
// the model is locked for reading and must not call back into the Model.
type Provider func(ctx context.Context, row Row) (string, error)

// ParamDef is a supported parameter.
type ParamDef struct {
	Name       string
	Type       value.Type
	Constraint value.Constraint
	Access     Access
	// Default is the value of a new row's parameter, canonical for Type.
	Default string
	// Persistent parameters are saved to the state store and restored.
	Persistent bool
	// Secured parameters read as "" unless the reader may see secrets.
	Secured bool
	// ValueChangeIgnored marks parameters whose changes never notify
	// (counters, UpTime): GetSupportedDM reports VALUE_CHANGE_WILL_IGNORE.
	ValueChangeIgnored bool
	// Provider, when set, supplies the live value instead of the tree.
	Provider Provider
	// Reference marks a path-valued parameter that a "+" in a path may
	// follow to the object(s) it names.
	Reference bool
	// AutoValue, when set, gives the value of this parameter in a new row
	// when the Add does not set it (generated unique keys, the creating
	// Controller as Recipient). ctx is the Add's context.
	AutoValue func(ctx context.Context, row Row) string

	owner *ObjectDef
	index int
	// countOf, when set, makes this a derived <Table>NumberOfEntries.
	countOf *ObjectDef
}

// Owner returns the object that holds p.
func (p *ParamDef) Owner() *ObjectDef { return p.owner }

// Arg is an input or output argument of a command or an event.
type Arg struct {
	Name       string
	Type       value.Type
	Constraint value.Constraint
	// Mandatory input arguments must be given (else USP error 7027).
	Mandatory bool
	// Default is used when an optional input argument is omitted.
	Default string
}

// CommandHandler runs a command. For an async command it runs in its own
// goroutine and ctx is cancelled by Request.{i}.Cancel().
type CommandHandler func(ctx context.Context, row Row, in map[string]string) (map[string]string, error)

// CommandDef is a supported command such as "Reboot()".
type CommandDef struct {
	// Name is without the "()".
	Name    string
	Async   bool
	Inputs  []Arg
	Outputs []Arg
	Handler CommandHandler
	owner   *ObjectDef
}

// Owner returns the object that holds c.
func (c *CommandDef) Owner() *ObjectDef { return c.owner }

// EventDef is a supported event such as "Boot!".
type EventDef struct {
	// Name is without the "!".
	Name  string
	Args  []Arg
	owner *ObjectDef
}

// Owner returns the object that holds e.
func (e *EventDef) Owner() *ObjectDef { return e.owner }

// Change is one parameter's change in a commit hook.
type Change struct {
	Param *ParamDef
	Old   string
	New   string
}

// ObjectChange is every change a write makes to one object or row; a
// CommitHook sees them together so that related parameters (a radio's
// Channel and OperatingChannelBandwidth) are checked and applied together.
type ObjectChange struct {
	Row     Row
	Changes []Change
	// Values returns the value the object will have after the change, for
	// any of its stored parameters.
	Values func(name string) string
	// Created is true when the object is being added.
	Created bool
	// Deleted is true when the row is being deleted (Changes is empty).
	Deleted bool
}

// CommitHook checks and applies a change to one object. A non-nil error
// refuses the whole change; a *Error or *WriteError keeps its code,
// anything else is reported as 7020 (object could not be updated).
type CommitHook func(ctx context.Context, ch *ObjectChange) error

// ObjectDef is a supported object or table.
type ObjectDef struct {
	Name  string
	Multi bool
	// Access applies to tables: who may add and delete rows.
	Access ObjAccess
	// UniqueKeys lists the table's unique key sets, each a list of
	// parameter names.
	UniqueKeys [][]string
	// Persistent tables have their rows (numbers and persistent
	// parameters) saved and restored.
	Persistent bool
	// Transient, on a persistent table, leaves out of the saved state
	// the rows it returns true for, given a row's parameter values by
	// name: rows meant to end with the process (a subscription that is
	// not Persistent) are then never written to flash.
	Transient func(value func(param string) string) bool
	// MaxEntries caps the rows of a table (0 = no cap), else 7005.
	MaxEntries int
	// Hook, when set, sees and may refuse every change to this object.
	Hook CommitHook

	parent   *ObjectDef
	supPath  string
	index    int
	params   []*ParamDef
	paramIdx map[string]*ParamDef
	children []*ObjectDef
	childIdx map[string]*ObjectDef
	commands []*CommandDef
	cmdIdx   map[string]*CommandDef
	events   []*EventDef
	eventIdx map[string]*EventDef
	depth    int
}

// Schema is the supported data model. Build it fully before NewModel; it is
// not safe to change afterwards.
type Schema struct {
	root *ObjectDef
	// DataModelURI is reported by GetSupportedDM (data_model_inst_uri).
	DataModelURI string
}

// NewSchema returns a schema whose root object is named root ("Device").
func NewSchema(root string) *Schema {
	o := newObjectDef(root, nil, false)
	return &Schema{root: o, DataModelURI: "urn:broadband-forum-org:tr-181-2-19-0-usp"}
}

// Root returns the root object.
func (s *Schema) Root() *ObjectDef { return s.root }

func newObjectDef(name string, parent *ObjectDef, multi bool) *ObjectDef {
	o := &ObjectDef{
		Name: name, Multi: multi, parent: parent,
		paramIdx: map[string]*ParamDef{}, childIdx: map[string]*ObjectDef{},
		cmdIdx: map[string]*CommandDef{}, eventIdx: map[string]*EventDef{},
	}
	if parent == nil {
		o.supPath = name + "."
		return o
	}
	o.depth = parent.depth + 1
	o.supPath = parent.supPath + name + "."
	if multi {
		o.supPath += "{i}."
	}
	return o
}

// Object adds a single-instance child object and returns it.
func (o *ObjectDef) Object(name string) *ObjectDef { return o.addChild(name, false) }

// Table adds a multi-instance child object (a table) and returns it. Its
// parent gets a derived read-only <name>NumberOfEntries parameter.
func (o *ObjectDef) Table(name string, keys ...[]string) *ObjectDef {
	t := o.addChild(name, true)
	t.UniqueKeys = keys
	p := o.Param(name+"NumberOfEntries", value.UnsignedInt)
	p.countOf = t
	return t
}

func (o *ObjectDef) addChild(name string, multi bool) *ObjectDef {
	o.mustBeNew(name)
	c := newObjectDef(name, o, multi)
	c.index = len(o.children)
	o.children = append(o.children, c)
	o.childIdx[name] = c
	return c
}

func (o *ObjectDef) mustBeNew(name string) {
	if o.childIdx[name] != nil || o.paramIdx[name] != nil {
		panic(fmt.Sprintf("datamodel: schema: %s%s defined twice", o.supPath, name))
	}
}

// Param adds a read-only parameter of type t with the type's default value
// and returns it for further settings.
func (o *ObjectDef) Param(name string, t value.Type) *ParamDef {
	o.mustBeNew(name)
	p := &ParamDef{Name: name, Type: t, Default: value.Default(t), owner: o, index: len(o.params)}
	o.params = append(o.params, p)
	o.paramIdx[name] = p
	return p
}

// Command adds a command (name without "()") and returns it.
func (o *ObjectDef) Command(name string, async bool, h CommandHandler) *CommandDef {
	c := &CommandDef{Name: name, Async: async, Handler: h, owner: o}
	o.commands = append(o.commands, c)
	o.cmdIdx[name] = c
	return c
}

// Event adds an event (name without "!") and returns it.
func (o *ObjectDef) Event(name string, args ...Arg) *EventDef {
	e := &EventDef{Name: name, Args: args, owner: o}
	o.events = append(o.events, e)
	o.eventIdx[name] = e
	return e
}

// RW makes p read-write and returns it.
func (p *ParamDef) RW() *ParamDef { p.Access = ReadWrite; return p }

// Once makes p writeOnceReadOnly and returns it.
func (p *ParamDef) Once() *ParamDef { p.Access = WriteOnce; return p }

// Persist makes p persistent and returns it.
func (p *ParamDef) Persist() *ParamDef { p.Persistent = true; return p }

// Def sets p's default value and returns it.
func (p *ParamDef) Def(v string) *ParamDef { p.Default = v; return p }

// Enum restricts p to the given values and returns it.
func (p *ParamDef) Enum(vals ...string) *ParamDef { p.Constraint.Enum = vals; return p }

// Range restricts p (a numeric parameter) to min..max inclusive and
// returns it; call it again for a further allowed interval.
func (p *ParamDef) Range(min, max int64) *ParamDef {
	p.Constraint.Ranges = append(p.Constraint.Ranges, value.Range{
		Min: strconv.FormatInt(min, 10), Max: strconv.FormatInt(max, 10)})
	return p
}

// MaxLen caps p's length and returns it.
func (p *ParamDef) MaxLen(n int) *ParamDef { p.Constraint.MaxLength = n; return p }

// List makes p a comma-separated list of its type and returns it. A list's
// default is the empty list unless Def set another.
func (p *ParamDef) List() *ParamDef {
	if p.Default == value.Default(p.Type) {
		p.Default = ""
	}
	p.Constraint.List = true
	return p
}

// Ref marks p as a reference (path-valued) parameter and returns it.
func (p *ParamDef) Ref() *ParamDef { p.Reference = true; return p }

// Live makes p's value come from fn and returns it.
func (p *ParamDef) Live(fn Provider) *ParamDef { p.Provider = fn; return p }

// Counter marks p as a parameter whose changes never notify.
func (p *ParamDef) Counter() *ParamDef { p.ValueChangeIgnored = true; return p }

// Secret marks p as secured: it reads as "" for readers without the right.
func (p *ParamDef) Secret() *ParamDef { p.Secured = true; return p }

// Name-based lookups and iteration, for resolution and GetSupportedDM.

// Parent returns the enclosing object, nil for the root.
func (o *ObjectDef) Parent() *ObjectDef { return o.parent }

// SupportedPath returns o's path in {i} notation, e.g.
// "Device.WiFi.SSID.{i}.".
func (o *ObjectDef) SupportedPath() string { return o.supPath }

// Params returns o's parameters in definition order.
func (o *ObjectDef) Params() []*ParamDef { return o.params }

// Children returns o's child objects and tables in definition order.
func (o *ObjectDef) Children() []*ObjectDef { return o.children }

// Commands returns o's commands in definition order.
func (o *ObjectDef) Commands() []*CommandDef { return o.commands }

// Events returns o's events in definition order.
func (o *ObjectDef) Events() []*EventDef { return o.events }

// ParamByName returns the parameter name of o, or nil.
func (o *ObjectDef) ParamByName(name string) *ParamDef { return o.paramIdx[name] }

// Child returns the child object name of o, or nil.
func (o *ObjectDef) Child(name string) *ObjectDef { return o.childIdx[name] }

// CommandByName returns the command name (without "()") of o, or nil.
func (o *ObjectDef) CommandByName(name string) *CommandDef { return o.cmdIdx[name] }

// EventByName returns the event name (without "!") of o, or nil.
func (o *ObjectDef) EventByName(name string) *EventDef { return o.eventIdx[name] }

// IsKey reports whether param is part of one of o's unique key sets.
func (o *ObjectDef) IsKey(param string) bool {
	for _, ks := range o.UniqueKeys {
		for _, k := range ks {
			if k == param {
				return true
			}
		}
	}
	return false
}

// Walk calls fn for o and every object below it, depth first in definition
// order, until fn returns false for an object (its subtree is then skipped).
func (o *ObjectDef) Walk(fn func(*ObjectDef) bool) {
	if !fn(o) {
		return
	}
	for _, c := range o.children {
		c.Walk(fn)
	}
}
