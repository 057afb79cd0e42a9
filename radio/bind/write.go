package bind

import (
	"context"
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// writer makes the binding's internal writes within one transaction and
// keeps the first error.
type writer struct {
	b   *Binding
	tx  *datamodel.Txn
	err error
}

// write runs fn in one internal transaction and commits it unless fn
// failed.
func (b *Binding) write(ctx context.Context, fn func(w *writer)) error {
	b.mu.Lock()
	m := b.model
	b.mu.Unlock()
	if m == nil {
		return fmt.Errorf("bind: not started")
	}
	tx := m.Begin(b.internal(ctx))
	defer tx.Rollback()
	w := &writer{b: b, tx: tx}
	fn(w)
	if w.err != nil {
		return w.err
	}
	return tx.Commit()
}

var internalWrite = datamodel.WriteOptions{Internal: true}

// object returns the one object at p.
func (w *writer) object(p string) (datamodel.Object, bool) {
	pp, err := path.Parse(p)
	if err != nil {
		w.fail(err)
		return datamodel.Object{}, false
	}
	objs, err := w.tx.Objects(pp)
	if err != nil || len(objs) != 1 {
		w.fail(fmt.Errorf("%s: %d objects: %w", p, len(objs), err))
		return datamodel.Object{}, false
	}
	return objs[0], true
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// update sets kv of the object at objPath. Values the schema refuses are
// skipped and logged; they do not fail the write.
func (w *writer) update(objPath string, kv params) {
	if w.err != nil || len(kv) == 0 {
		return
	}
	o, ok := w.object(objPath)
	if !ok {
		return
	}
	res, err := w.tx.Update(o, kv, internalWrite)
	if err != nil {
		w.fail(err)
		return
	}
	w.logSkipped(objPath, res.ParamErrs)
}

// add creates a row in the table at tablePath and returns its path (with
// trailing dot).
func (w *writer) add(tablePath string, kv params) string {
	if w.err != nil {
		return ""
	}
	pp, err := path.Parse(tablePath)
	if err != nil {
		w.fail(err)
		return ""
	}
	tabs, err := w.tx.Tables(pp)
	if err != nil || len(tabs) != 1 {
		w.fail(fmt.Errorf("%s: %d tables: %w", tablePath, len(tabs), err))
		return ""
	}
	res, err := w.tx.Add(tabs[0], kv, internalWrite)
	if err != nil {
		w.fail(err)
		return ""
	}
	w.logSkipped(res.Path, res.ParamErrs)
	return res.Path
}

// delete removes the row at rowPath.
func (w *writer) delete(rowPath string) {
	if o, ok := w.object(rowPath); ok {
		if _, err := w.tx.Delete(o, internalWrite); err != nil {
			w.fail(err)
		}
	}
}

// values returns, for each row of the table at tablePath, the value of
// param: row path (with trailing dot) → value.
func (w *writer) values(tablePath, param string) map[string]string {
	out := map[string]string{}
	if w.err != nil {
		return out
	}
	pp, err := path.Parse(tablePath + "*." + param)
	if err != nil {
		w.fail(err)
		return out
	}
	ovs, err := w.tx.Get(pp, 0)
	if err != nil {
		w.fail(err)
		return out
	}
	for _, ov := range ovs {
		if len(ov.Params) == 1 {
			out[ov.Path] = ov.Params[0].Value
		}
	}
	return out
}

func (w *writer) logSkipped(objPath string, errs []datamodel.ParamError) {
	for _, pe := range errs {
		w.b.log.Debug("value not written", "path", objPath+pe.Param, "code", pe.Code, "err", pe.Msg)
	}
}

// params is an ordered list of parameter updates.
type params []datamodel.ParamUpdate

func (p *params) set(name, v string) { *p = append(*p, datamodel.ParamUpdate{Param: name, Value: v}) }

// ref turns a row path into a reference value (no trailing dot).
func ref(rowPath string) string { return strings.TrimSuffix(rowPath, ".") }
