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

// takeTicket reserves the next place in delivery order. The caller holds
// the model lock (read or write) so that tickets follow the order of the
// changes they report.
func (m *Model) takeTicket() uint64 {
	m.tmu.Lock()
	defer m.tmu.Unlock()
	m.ticket++
	return m.ticket
}

// deliverInTurn waits until every earlier ticket is delivered, delivers
// evs, and lets the next ticket go. The caller holds no model lock.
func (m *Model) deliverInTurn(ticket uint64, evs []Event) {
	m.tmu.Lock()
	for m.delivered != ticket-1 {
		m.tcond.Wait()
	}
	m.tmu.Unlock()
	defer func() {
		m.tmu.Lock()
		m.delivered = ticket
		m.tcond.Broadcast()
		m.tmu.Unlock()
	}()
	m.deliver(evs)
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
	ticket := m.takeTicket()
	m.mu.RUnlock()
	var evs []Event
	if err == nil {
		evs = []Event{{Kind: ValueChanged, Path: res.curs[0].n.path + pd.Name, Value: v, Param: pd}}
	}
	m.deliverInTurn(ticket, evs)
	return err
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
	ticket := m.takeTicket()
	m.mu.RUnlock()
	if err != nil {
		m.deliverInTurn(ticket, nil)
		return fmt.Errorf("datamodel: raise %s%s!: %w", objPath, name, err)
	}
	m.deliverInTurn(ticket, []Event{ev})
	return nil
}
