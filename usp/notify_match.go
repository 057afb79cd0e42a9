package usp

import (
	"context"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// onEvent is the Model listener: it matches each event against the
// subscriptions and queues the notifications.
func (n *Notifier) onEvent(e datamodel.Event) {
	ctx := context.Background()
	touchesIndex := strings.HasPrefix(e.Path, subscriptionTable) || strings.HasPrefix(e.Path, controllerPrefix)
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	if n.subs == nil {
		n.rebuildLocked(ctx)
	}
	subs := n.subs
	if touchesIndex {
		n.subs = nil // rebuilt on the next event, after this one is matched
	}
	n.mu.Unlock()
	if e.Kind == datamodel.ObjectDeleted && strings.HasPrefix(e.Path, controllerPrefix) && strings.Count(e.Path, ".") == 4 {
		n.cascade(ctx, subs, strings.TrimSuffix(e.Path, "."))
	}
	for _, s := range subs {
		if nt := n.match(ctx, s, e); nt != nil {
			n.enqueue(s, nt)
		}
	}
	if touchesIndex {
		n.mu.Lock()
		if n.subs == nil && !n.closed {
			n.rebuildLocked(ctx)
		}
		n.mu.Unlock()
	}
}

// cascade deletes the Subscriptions of a deleted Controller (TP 1.78). It
// runs on its own goroutine: a listener must not write.
func (n *Notifier) cascade(ctx context.Context, subs []*subscription, ctrlRow string) {
	var rows []string
	for _, s := range subs {
		if s.ctrlRow == ctrlRow {
			rows = append(rows, s.row)
		}
	}
	if len(rows) > 0 {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); n.deleteRows(ctx, rows) }()
	}
}

// match returns the notification s wants for e, or nil.
func (n *Notifier) match(ctx context.Context, s *subscription, e datamodel.Event) *uspmsg.Notify {
	perm, np := n.notifyPerms(ctx, s.recipient)
	switch e.Kind {
	case datamodel.ValueChanged:
		if s.notifType != "ValueChange" || !n.anyRef(ctx, s, func(r *path.Path, raw string) bool { return refCoversParam(ctx, n.cfg.Model, r, raw, e.Path) }) {
			return nil
		}
		if np != nil && !np.NotifyValueChange(objOf(e.Path), e.Param) {
			return nil
		}
		v := e.Value
		if e.Param != nil && e.Param.Secured && perm != nil && !canSeeSecrets(perm) {
			v = "" // as a Get would show it (TP-469 2.27)
		}
		return &uspmsg.Notify{Notification: &uspmsg.Notify_ValueChange_{ValueChange: &uspmsg.Notify_ValueChange{ParamPath: e.Path, ParamValue: v}}}
	case datamodel.ObjectCreated:
		table := tableOf(e.Path)
		if s.notifType != "ObjectCreation" || !n.anyRef(ctx, s, func(r *path.Path, raw string) bool { return refCoversObject(ctx, n.cfg.Model, r, raw, table) }) {
			return nil
		}
		if np != nil && !np.NotifyObjCreation(table, e.Object) {
			return nil
		}
		return &uspmsg.Notify{Notification: &uspmsg.Notify_ObjCreation{ObjCreation: &uspmsg.Notify_ObjectCreation{ObjPath: e.Path, UniqueKeys: readableKeys(perm, e)}}}
	case datamodel.ObjectDeleted:
		if s.notifType != "ObjectDeletion" || !n.anyRef(ctx, s, func(r *path.Path, raw string) bool { return refCoversDeleted(r, raw, e.Path) }) {
			return nil
		}
		if np != nil && !np.NotifyObjDeletion(e.Path, e.Object) {
			return nil
		}
		return &uspmsg.Notify{Notification: &uspmsg.Notify_ObjDeletion{ObjDeletion: &uspmsg.Notify_ObjectDeletion{ObjPath: e.Path}}}
	case datamodel.EventRaised:
		name := e.Name + "!"
		if s.notifType != "Event" || !n.anyRef(ctx, s, func(r *path.Path, raw string) bool {
			return refCoversItem(ctx, n.cfg.Model, r, raw, e.Path, name, path.Event)
		}) {
			return nil
		}
		if np != nil && !np.NotifyCommandEvent(e.Path, name) {
			return nil
		}
		return &uspmsg.Notify{Notification: &uspmsg.Notify_Event_{Event: &uspmsg.Notify_Event{ObjPath: e.Path, EventName: name, Params: e.Args}}}
	}
	return nil
}

// notifyPerms returns the recipient's Permissions and their "n" rights;
// both are nil without access control, and np is nil for Permissions
// that do not check notifications.
func (n *Notifier) notifyPerms(ctx context.Context, who EndpointID) (perm Permissions, np NotifyPermissions) {
	if n.cfg.Access == nil {
		return nil, nil
	}
	perm = n.cfg.Access.Permissions(ctx, who)
	np, _ = perm.(NotifyPermissions)
	return perm, np
}

// readableKeys are the unique keys of a created row as its recipient may
// read them: unreadable ones left out, secured ones "" (as a Get shows
// them).
func readableKeys(perm Permissions, e datamodel.Event) map[string]string {
	if perm == nil || e.Object == nil {
		return e.Keys
	}
	secrets := canSeeSecrets(perm)
	out := make(map[string]string, len(e.Keys))
	for k, v := range e.Keys {
		pd := e.Object.ParamByName(k)
		if pd == nil || !perm.ReadParam(e.Path, pd) {
			continue
		}
		if pd.Secured && !secrets {
			v = ""
		}
		out[k] = v
	}
	return out
}

func (n *Notifier) anyRef(ctx context.Context, s *subscription, f func(*path.Path, string) bool) bool {
	for _, r := range s.refs {
		if f(r, r.String()) {
			return true
		}
	}
	return false
}

// objOf returns the object path of a parameter path.
func objOf(param string) string { return param[:strings.LastIndexByte(param, '.')+1] }

// tableOf returns the table path of a row path ("…Sub.3." → "…Sub.").
func tableOf(row string) string {
	t := strings.TrimSuffix(row, ".")
	return t[:strings.LastIndexByte(t, '.')+1]
}

// refCoversParam: a ValueChange reference names param itself, an object
// above it, or a search that resolves to either.
func refCoversParam(ctx context.Context, m *datamodel.Model, r *path.Path, raw, param string) bool {
	switch {
	case r.Kind == path.Param && !r.IsSearch():
		return raw == param
	case r.Kind == path.Object && !r.IsSearch():
		return strings.HasPrefix(param, raw)
	case r.Kind != path.Param && r.Kind != path.Object:
		return false
	}
	objs, err := m.Paths(ctx, r)
	if err != nil {
		return false
	}
	for _, o := range objs {
		if r.Kind == path.Param && o+r.Leaf == param || r.Kind == path.Object && strings.HasPrefix(param, o) {
			return true
		}
	}
	return false
}

// refCoversObject: an ObjectCreation reference names the table (or an
// object above it), directly or by a search.
func refCoversObject(ctx context.Context, m *datamodel.Model, r *path.Path, raw, table string) bool {
	if r.Kind != path.Object {
		return false
	}
	if !r.IsSearch() {
		return strings.HasPrefix(table, raw)
	}
	objs, err := m.Paths(ctx, r)
	if err != nil {
		return false
	}
	for _, o := range objs {
		if strings.HasPrefix(table, o) {
			return true
		}
	}
	return false
}

// refCoversDeleted: an ObjectDeletion reference names the row, its table
// or an object above (rows deleted over time), or a wildcard path whose
// segments match the row's. The row is gone, so search filters cannot be
// evaluated and match nothing.
func refCoversDeleted(r *path.Path, raw, row string) bool {
	if r.Kind != path.Object {
		return false
	}
	if !r.IsSearch() {
		return strings.HasPrefix(row, raw)
	}
	segs := strings.Split(strings.TrimSuffix(row, "."), ".")
	if len(r.Segs) > len(segs) {
		return false
	}
	for i, s := range r.Segs {
		switch s.Kind {
		case path.Name:
			if segs[i] != s.Name {
				return false
			}
		case path.Instance:
			if segs[i] != uitoa(s.Instance) {
				return false
			}
		case path.Wildcard:
			if segs[i] == "" || segs[i][0] < '0' || segs[i][0] > '9' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// refCoversItem: an Event or OperationComplete reference names the item
// (objPath + name), an object at or above objPath, or a search resolving
// to one.
func refCoversItem(ctx context.Context, m *datamodel.Model, r *path.Path, raw, objPath, name string, kind path.Kind) bool {
	switch {
	case r.Kind == kind && !r.IsSearch():
		return raw == objPath+name
	case r.Kind == path.Object && !r.IsSearch():
		return strings.HasPrefix(objPath, raw)
	case r.Kind != kind && r.Kind != path.Object:
		return false
	}
	objs, err := m.Paths(ctx, r)
	if err != nil {
		return false
	}
	leaf := strings.TrimSuffix(strings.TrimSuffix(name, "()"), "!")
	for _, o := range objs {
		if r.Kind == kind && o == objPath && r.Leaf == leaf || r.Kind == path.Object && strings.HasPrefix(objPath, o) {
			return true
		}
	}
	return false
}

func uitoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
