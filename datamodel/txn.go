package datamodel

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel/path"
)

// Object is a handle on one instantiated object or row, valid until the
// transaction that produced it ends.
type Object struct{ n *node }

// Path returns the object's path with instance numbers and trailing dot.
func (o Object) Path() string { return o.n.path }

// Def returns the object's schema definition.
func (o Object) Def() *ObjectDef { return o.n.def }

// Table is a handle on one table under one parent instance, valid until the
// transaction that produced it ends.
type Table struct{ t *table }

// Path returns the table's path with trailing dot.
func (t Table) Path() string { return t.t.path }

// Def returns the table's schema definition.
func (t Table) Def() *ObjectDef { return t.t.def }

// WriteFilter decides whether a writer may set parameter p of the object at
// objPath. Nil allows everything.
type WriteFilter func(objPath string, p *ParamDef) bool

// WriteOptions qualify a write.
type WriteOptions struct {
	// CanWrite filters writable parameters (access control); a refusal is
	// a 7006 parameter error.
	CanWrite WriteFilter
	// Internal writes come from the Agent itself: they may set read-only
	// parameters and add or delete rows of read-only tables.
	Internal bool
}

// ParamUpdate is one parameter to set, by path relative to the object
// written (it may pass through single-instance children: "HTTP.URL").
type ParamUpdate struct {
	Param string
	Value string
	// Required makes the parameter's failure fail the whole object.
	Required bool
}

// UpdateResult is a successful write of one object or row.
type UpdateResult struct {
	// Path is the object or row written.
	Path string
	// Updated holds every parameter set, relative name → canonical value
	// (set even when the value did not change).
	Updated []ParamValue
	// ParamErrs holds the non-required parameters that failed.
	ParamErrs []ParamError
}

// AddResult is a successful creation of one row.
type AddResult struct {
	UpdateResult
	// Keys holds every unique-key parameter of the new row.
	Keys map[string]string
}

// Txn is a write transaction: it holds the model's write lock until Commit
// or Rollback, sees its own writes, and applies all of them or none.
// Events of its writes are delivered to listeners after Commit, in order.
type Txn struct {
	m       *Model
	ctx     context.Context
	r       *reader
	undo    []func()
	events  []Event
	persist bool
	done    bool
}

// Begin starts a write transaction. The caller must end it with Commit or
// Rollback.
func (m *Model) Begin(ctx context.Context) *Txn {
	m.mu.Lock()
	return &Txn{m: m, ctx: ctx, r: &reader{ctx: ctx, root: m.root}}
}

// Objects resolves an object, row or search path to the objects it names
// (never whole tables: a path ending at a table's name is 7026).
func (t *Txn) Objects(p *path.Path) ([]Object, error) {
	if p.Kind != path.Object {
		return nil, invalidPath(p.String(), "an object path is required")
	}
	res, err := t.r.objects(p)
	if err != nil {
		return nil, err
	}
	if res.table {
		return nil, invalidPath(p.String(), "%s is a table: name its rows", res.def.SupportedPath())
	}
	out := make([]Object, len(res.curs))
	for i, c := range res.curs {
		out[i] = Object{c.n}
	}
	return out, nil
}

// Tables resolves a table path (whose parent part may search) to the
// tables it names. A path to anything else is 7018 (not a table) or 7026.
func (t *Txn) Tables(p *path.Path) ([]Table, error) {
	if p.Kind != path.Object {
		return nil, invalidPath(p.String(), "a table path is required")
	}
	res, err := t.r.objects(p)
	if err != nil {
		return nil, err
	}
	if !res.table {
		if res.def != nil && res.def.Multi {
			return nil, errorf(CodeNotTable, p.String(), "a row path is not a table path")
		}
		return nil, errorf(CodeNotTable, p.String(), "%s is not a table", p.String())
	}
	out := make([]Table, len(res.curs))
	for i, c := range res.curs {
		out[i] = Table{c.t}
	}
	return out, nil
}

// Get reads p like Model.Get, seeing this transaction's writes.
func (t *Txn) Get(p *path.Path, maxDepth uint32) ([]ObjectValues, error) {
	return getLocked(t.r, p, maxDepth, nil)
}

// Commit makes the transaction's writes durable (when any persistent value
// changed and the model has a Store), releases the lock and delivers its
// events. If saving fails, the writes are rolled back and the error
// (code 7003) returned.
func (t *Txn) Commit() error {
	if t.done {
		return errors.New("datamodel: transaction already ended")
	}
	t.done = true
	if t.persist && t.m.cfg.Store != nil {
		if err := t.m.save(t.ctx); err != nil {
			t.revert()
			t.m.mu.Unlock()
			return &Error{Code: CodeInternal, Msg: fmt.Sprintf("persist: %v", err)}
		}
	}
	events := t.events
	ticket := t.m.takeTicket()
	t.m.mu.Unlock()
	t.m.deliverInTurn(ticket, events)
	return nil
}

// Rollback undoes the transaction's writes and releases the lock. It is a
// no-op after Commit, so `defer tx.Rollback()` is safe.
func (t *Txn) Rollback() {
	if t.done {
		return
	}
	t.done = true
	t.revert()
	t.m.mu.Unlock()
}

func (t *Txn) revert() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo, t.events = nil, nil
}

// Savepoint marks the current point so that RollbackTo can undo what came
// after it while keeping what came before (allow_partial writes).
type Savepoint struct{ undo, events int }

// Savepoint returns a mark of the transaction's current state.
func (t *Txn) Savepoint() Savepoint { return Savepoint{len(t.undo), len(t.events)} }

// RollbackTo undoes every write made after sp.
func (t *Txn) RollbackTo(sp Savepoint) {
	for i := len(t.undo) - 1; i >= sp.undo; i-- {
		t.undo[i]()
	}
	t.undo, t.events = t.undo[:sp.undo], t.events[:sp.events]
}

// target is one parameter of a write, located below the written object.
type target struct {
	n   *node
	pd  *ParamDef
	rel string
	val string
}

// locate finds the parameter rel (possibly "Child.Param") below n.
func locate(n *node, rel string) (*node, *ParamDef) {
	for {
		i := strings.IndexByte(rel, '.')
		if i < 0 {
			return n, n.def.paramIdx[rel]
		}
		c := n.def.childIdx[rel[:i]]
		if c == nil || c.Multi {
			return n, nil
		}
		n, rel = n.objs[c.index], rel[i+1:]
	}
}
