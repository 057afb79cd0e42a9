package datamodel

import (
	"context"
	"fmt"

	"github.com/uspmesh/uspmesh/datamodel/path"
)

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	// ValueChanged: Path is the parameter's path, Value its new value.
	ValueChanged EventKind = iota + 1
	// ObjectCreated: Path is the new row's path, Keys its unique keys.
	ObjectCreated
	// ObjectDeleted: Path is the deleted row's path.
	ObjectDeleted
	// EventRaised: Path is the object's path, Name the event without "!",
	// Args its arguments.
	EventRaised
)

// Event is a change in the model, delivered to listeners after the write
// that caused it commits (or at once, for Changed and Raise).
type Event struct {
	Kind  EventKind
	Path  string
	Value string
	Name  string
	Keys  map[string]string
	Args  map[string]string
	// Param is the changed parameter's definition (ValueChanged).
	Param *ParamDef
	// Object is the row's or the event's object definition.
	Object *ObjectDef
}

// Listen registers fn to receive every event, synchronously, in commit
// order, from the goroutine that committed. fn must not start a write
// transaction itself (it would wait for itself); reads are fine. The
// returned func removes the listener.
func (m *Model) Listen(fn func(Event)) (remove func()) {
	m.lmu.Lock()
	defer m.lmu.Unlock()
	id := m.nextL
	m.nextL++
	m.listeners[id] = fn
	return func() {
		m.lmu.Lock()
		delete(m.listeners, id)
		m.lmu.Unlock()
	}
}

func (m *Model) deliver(evs []Event) {
	if len(evs) == 0 {
		return
	}
	m.lmu.Lock()
	fns := make([]func(Event), 0, len(m.listeners))
	for i := 0; i < m.nextL; i++ {
		if fn, ok := m.listeners[i]; ok {
			fns = append(fns, fn)
		}
	}
	m.lmu.Unlock()
	for _, e := range evs {
		for _, fn := range fns {
			fn(e)
		}
	}
}

// Changed reports that the live value of a provider-backed parameter
// changed (the engine cannot see such changes itself). paramPath must name
// one existing parameter.
func (m *Model) Changed(ctx context.Context, paramPath, v string) error {
	p, err := path.Parse(paramPath)
	if err != nil {
		return err
	}
	m.mu.RLock()
	r := &reader{ctx: ctx, root: m.root}
	res, err := r.objects(p)
	var pd *ParamDef
	if err == nil && (p.Kind != path.Param || res.table || len(res.curs) != 1 || res.curs[0].n.def.paramIdx[p.Leaf] == nil) {
		err = invalidPath(paramPath, "not one existing parameter")
	}
	if err == nil {
		pd = res.curs[0].n.def.paramIdx[p.Leaf]
	}
	m.emitMu.Lock()
	m.mu.RUnlock()
	defer m.emitMu.Unlock()
	if err != nil {
		return err
	}
	m.deliver([]Event{{Kind: ValueChanged, Path: res.curs[0].n.path + pd.Name, Value: v, Param: pd}})
	return nil
}

// Raise delivers the event name (without "!") of the object at objPath
// with its arguments. The event must be in the schema.
func (m *Model) Raise(ctx context.Context, objPath, name string, args map[string]string) error {
	p, err := path.Parse(objPath)
	if err != nil {
		return err
	}
	m.mu.RLock()
	r := &reader{ctx: ctx, root: m.root}
	res, err := r.objects(p)
	if err == nil && (p.Kind != path.Object || res.table || len(res.curs) != 1) {
		err = invalidPath(objPath, "not one existing object")
	}
	var ev Event
	if err == nil {
		n := res.curs[0].n
		if n.def.eventIdx[name] == nil {
			err = invalidPath(objPath+name+"!", "no such event")
		} else {
			ev = Event{Kind: EventRaised, Path: n.path, Name: name, Args: args, Object: n.def}
		}
	}
	m.emitMu.Lock()
	m.mu.RUnlock()
	defer m.emitMu.Unlock()
	if err != nil {
		return fmt.Errorf("datamodel: raise %s%s!: %w", objPath, name, err)
	}
	m.deliver([]Event{ev})
	return nil
}
