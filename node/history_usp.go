package node

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
	"github.com/uspmesh/uspmesh/history"
)

// Device.X_USPMESH_Mesh.History. serves the node's history:
//
//   - Period, Entries, Oldest, Newest, MemoryBytes, FlashBytes,
//     FlashWritten: what it holds (live);
//   - Client.{i}.: each client of the last sample, keyed by MAC: Radio,
//     RSSI, MinRSSI (the lowest over the last minute), TxRate, RxRate
//     (Mb/s), RetryPct, LastSample. A bulk data profile can name these
//     (e.g. Device.X_USPMESH_Mesh.History.Client.*.MinRSSI): a report
//     every minute then shows each dip;
//   - Query(From, To, Kind, MAC, Limit): the records, as a JSON array in
//     the output argument Records (history.Record's fields), newest
//     Limit of them (default 1000, at most 10000) that fit in 512 KiB of
//     JSON, Count, and Truncated when older ones were left out for size.
//
// Device.X_USPMESH_Mesh.Timeline(From, To, Kind, MAC, Limit), on the
// leader, merges every node's Query by time (history_timeline.go).
//
// They follow the model's access control: reading needs read rights on
// the object, the commands need the right to operate them (the full and
// mesh-leader roles have it, read-only roles do not).

// Query limits.
const (
	historyDefaultLimit = 1000
	historyMaxLimit     = 10000
	// clientWindowSpan is the window of History.Client.{i}.MinRSSI.
	clientWindowSpan = time.Minute
)

// historyKinds are the values of Query()'s Kind (a list; empty: all).
var historyKinds = []string{string(history.KindRadio), string(history.KindClient), string(history.KindEvent)}

// queryArgs are the input arguments of Query() and Timeline().
var queryArgs = []datamodel.Arg{
	{Name: "From", Type: value.DateTime},
	{Name: "To", Type: value.DateTime},
	{Name: "Kind", Type: value.String, Constraint: value.Constraint{Enum: historyKinds, List: true}},
	{Name: "MAC", Type: value.String},
	{Name: "Limit", Type: value.UnsignedInt, Default: strconv.Itoa(historyDefaultLimit),
		Constraint: value.Constraint{Ranges: []value.Range{{Min: "1", Max: strconv.Itoa(historyMaxLimit)}}}},
}

// attachHistory lays out Device.X_USPMESH_Mesh.History. and Timeline()
// in s, before the model is built.
func (n *Node) attachHistory(s *datamodel.Schema) {
	mesh := s.Root().Child("X_USPMESH_Mesh")
	h := mesh.Object("History")
	stat := func(name string, t value.Type, get func(history.Stats) string) {
		h.Param(name, t).Counter().Live(func(context.Context, datamodel.Row) (string, error) {
			if sp := n.hist.Load(); sp != nil {
				return get(sp.h.Stats()), nil
			}
			return get(history.Stats{}), nil
		})
	}
	h.Param("Period", value.UnsignedInt).Def(strconv.Itoa(int(time.Duration(n.cfg.HistoryPeriod) / time.Second)))
	stat("Entries", value.UnsignedInt, func(st history.Stats) string { return strconv.Itoa(st.Entries) })
	stat("Oldest", value.DateTime, func(st history.Stats) string { return tr106Time(st.Oldest) })
	stat("Newest", value.DateTime, func(st history.Stats) string { return tr106Time(st.Newest) })
	stat("MemoryBytes", value.UnsignedInt, func(st history.Stats) string { return strconv.Itoa(st.MemoryBytes) })
	stat("FlashBytes", value.UnsignedLong, func(st history.Stats) string { return strconv.FormatInt(st.FlashBytes, 10) })
	stat("FlashWritten", value.UnsignedLong, func(st history.Stats) string { return strconv.FormatInt(st.FlashWritten, 10) })

	c := h.Table("Client", []string{"MAC"})
	c.Access = datamodel.ObjReadOnly
	c.Param("MAC", value.String).MaxLen(17)
	c.Param("Radio", value.String).MaxLen(64)
	for _, p := range []string{"RSSI", "MinRSSI"} {
		c.Param(p, value.Int)
	}
	for _, p := range []string{"TxRate", "RxRate", "RetryPct"} {
		c.Param(p, value.UnsignedInt)
	}
	c.Param("LastSample", value.DateTime)

	q := h.Command("Query", false, n.historyQuery)
	q.Inputs = queryArgs
	q.Outputs = []datamodel.Arg{{Name: "Records", Type: value.String}, {Name: "Count", Type: value.UnsignedInt},
		{Name: "Truncated", Type: value.Boolean}}
	tl := mesh.Command("Timeline", false, n.timeline)
	tl.Inputs = queryArgs
	tl.Outputs = []datamodel.Arg{{Name: "Records", Type: value.String}, {Name: "Count", Type: value.UnsignedInt},
		{Name: "Truncated", Type: value.Boolean}, {Name: "Nodes", Type: value.String}, {Name: "Failed", Type: value.String}}
}

// tr106Time spells t as a TR-106 dateTime; the zero time is the
// "unknown time" 0001-01-01T00:00:00Z.
func tr106Time(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// parseQuery reads Query()'s and Timeline()'s input arguments.
func parseQuery(cmd string, in map[string]string) (history.Query, error) {
	bad := func(arg, msg string) error {
		return &datamodel.Error{Code: datamodel.CodeInvalidCmdArgs, Path: cmd, Msg: arg + ": " + msg}
	}
	var q history.Query
	for _, a := range []struct {
		name string
		t    *time.Time
	}{{"From", &q.From}, {"To", &q.To}} {
		v := in[a.name]
		if v == "" || v == "0001-01-01T00:00:00Z" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return q, bad(a.name, "want a dateTime such as 2026-12-06T02:00:00Z")
		}
		*a.t = t
	}
	if k := in["Kind"]; k != "" {
		for _, s := range strings.Split(k, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(historyKinds, s) {
				return q, bad("Kind", fmt.Sprintf("%q: want %s", s, strings.Join(historyKinds, ", ")))
			}
			q.Kinds = append(q.Kinds, history.Kind(s))
		}
	}
	q.MAC = in["MAC"]
	q.Limit = historyDefaultLimit
	if v := in["Limit"]; v != "" {
		l, err := strconv.Atoi(v)
		if err != nil || l < 1 || l > historyMaxLimit {
			return q, bad("Limit", fmt.Sprintf("want 1..%d", historyMaxLimit))
		}
		q.Limit = l
	}
	return q, nil
}

// historyQuery runs Device.X_USPMESH_Mesh.History.Query().
func (n *Node) historyQuery(_ context.Context, _ datamodel.Row, in map[string]string) (map[string]string, error) {
	const cmd = historyRoot + "Query()"
	q, err := parseQuery(cmd, in)
	if err != nil {
		return nil, err
	}
	s := n.hist.Load()
	if s == nil {
		return nil, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: cmd, Msg: "the history is not running"}
	}
	return recordsOut(s.h.Query(q))
}

// maxRecordsJSON bounds the Records output argument, so that a Query's
// answer stays well inside a USP Record (the CoAP MTP's is 1 MiB).
const maxRecordsJSON = 512 << 10

// recordsOut encodes records as the commands' outputs: the newest of
// them that fit in maxRecordsJSON bytes of JSON, their Count, and
// Truncated when older ones were left out.
func recordsOut[T any](recs []T) (map[string]string, error) {
	enc := make([][]byte, 0, len(recs))
	size := 2
	for i := len(recs) - 1; i >= 0; i-- {
		b, err := json.Marshal(recs[i])
		if err != nil {
			return nil, err
		}
		if size+len(b)+1 > maxRecordsJSON {
			break
		}
		size += len(b) + 1
		enc = append(enc, b)
	}
	slices.Reverse(enc)
	out := make([]byte, 0, size)
	out = append(out, '[')
	for i, b := range enc {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
	}
	out = append(out, ']')
	return map[string]string{"Records": string(out), "Count": strconv.Itoa(len(enc)),
		"Truncated": strconv.FormatBool(len(enc) < len(recs))}, nil
}

// clientWindow keeps each client's RSSI over the last span.
type clientWindow struct {
	span time.Duration
	rssi map[string][]rssiAt
}

type rssiAt struct {
	t    time.Time
	rssi int
}

func newClientWindow(span time.Duration) *clientWindow {
	return &clientWindow{span: span, rssi: map[string][]rssiAt{}}
}

// add records rssi of mac at t and returns the lowest within the span;
// clients not in keep are forgotten.
func (w *clientWindow) add(mac string, t time.Time, rssi int) int {
	l := append(w.rssi[mac], rssiAt{t, rssi})
	for len(l) > 0 && t.Sub(l[0].t) > w.span {
		l = l[1:]
	}
	w.rssi[mac] = l
	low := rssi
	for _, r := range l {
		low = min(low, r.rssi)
	}
	return low
}

func (w *clientWindow) keep(macs map[string]bool) {
	for mac := range w.rssi {
		if !macs[mac] {
			delete(w.rssi, mac)
		}
	}
}

// publishClients writes History.Client.{i}. from smp in one
// transaction: rows of clients gone are deleted.
func (s *sampler) publishClients(ctx context.Context, smp history.Sample) {
	rows := map[string]map[string]string{}
	s.mu.Lock()
	for _, c := range smp.Clients {
		mac := c.MAC.String()
		rows[mac] = map[string]string{"Radio": c.Radio, "RSSI": strconv.Itoa(c.RSSI),
			"MinRSSI": strconv.Itoa(s.clients.add(mac, smp.Time, c.RSSI)), "TxRate": strconv.Itoa(max(c.TxRateMbps, 0)),
			"RxRate": strconv.Itoa(max(c.RxRateMbps, 0)), "RetryPct": strconv.Itoa(max(c.RetryPct, 0)),
			"LastSample": tr106Time(smp.Time)}
	}
	keep := map[string]bool{}
	for mac := range rows {
		keep[mac] = true
	}
	s.clients.keep(keep)
	s.mu.Unlock()
	if err := writeKeyedRows(ctx, s.n.model, historyRoot+"Client.", "MAC", rows); err != nil {
		s.log.Warn("history client rows", "err", err)
	}
}

// writeKeyedRows makes table's rows (keyed by param key) exactly rows,
// in one transaction.
func writeKeyedRows(ctx context.Context, m *datamodel.Model, table, key string, rows map[string]map[string]string) error {
	have, err := keyValues(ctx, m, table+"*.", key)
	if err != nil {
		return err
	}
	tx := m.Begin(ctx)
	defer tx.Rollback()
	row := func(k string) ([]datamodel.Object, error) {
		p, err := path.Parse(table + "[" + key + "==" + path.Quote(k) + "].")
		if err != nil {
			return nil, err
		}
		return tx.Objects(p)
	}
	for _, k := range have {
		if _, ok := rows[k]; ok {
			continue
		}
		objs, err := row(k)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if _, err := tx.Delete(o, internalWrite); err != nil {
				return err
			}
		}
	}
	tp, err := path.Parse(table)
	if err != nil {
		return err
	}
	for k, vals := range rows {
		objs, err := row(k)
		if err != nil {
			return err
		}
		if len(objs) > 0 {
			if ups := changedUpdates(tx, objs[0], vals); len(ups) > 0 {
				if _, err := tx.Update(objs[0], ups, internalWrite); err != nil {
					return err
				}
			}
			continue
		}
		tabs, err := tx.Tables(tp)
		if err != nil || len(tabs) != 1 {
			return fmt.Errorf("table %s: %v", table, err)
		}
		ups := []datamodel.ParamUpdate{{Param: key, Value: k, Required: true}}
		for p, v := range vals {
			ups = append(ups, datamodel.ParamUpdate{Param: p, Value: v, Required: true})
		}
		if _, err := tx.Add(tabs[0], ups, internalWrite); err != nil {
			return err
		}
	}
	return tx.Commit()
}
