package history

import (
	"slices"
	"strings"
	"time"
)

// Query selects records.
type Query struct {
	// From and To bound the records' times, inclusive; zero means
	// unbounded.
	From, To time.Time
	// Kinds keeps only these kinds; empty keeps all.
	Kinds []Kind
	// MAC keeps only client records of this client (any spelling case);
	// other kinds are unaffected.
	MAC string
	// Limit keeps the newest Limit records; 0 keeps all.
	Limit int
}

func (q Query) wants(k Kind) bool { return len(q.Kinds) == 0 || slices.Contains(q.Kinds, k) }

func (q Query) within(t time.Time) bool {
	return (q.From.IsZero() || !t.Before(q.From)) && (q.To.IsZero() || !t.After(q.To))
}

// Query returns the records q selects, oldest first.
func (h *History) Query(q Query) []Record {
	h.mu.Lock()
	var bufs [][]byte
	for _, c := range h.chunks {
		if c.n == 0 || (!q.From.IsZero() && c.last.Before(q.From)) || (!q.To.IsZero() && c.first.After(q.To)) {
			continue
		}
		bufs = append(bufs, c.buf[:len(c.buf):len(c.buf)])
	}
	h.mu.Unlock()
	// Frames are immutable once appended, so the chunks decode unlocked.
	var out []Record
	for _, b := range bufs {
		ens, _ := decode(b) // memory chunks are written by encodeEntry only
		for _, en := range ens {
			if q.within(en.time()) {
				out = appendRecords(out, en, q)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.Time.Compare(b.Time) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	return out
}

func appendRecords(out []Record, en entry, q Query) []Record {
	if ev := en.event; ev != nil {
		if q.wants(KindEvent) {
			out = append(out, Record{Time: ev.Time, Kind: KindEvent, Radio: ev.Radio, Channel: ev.Channel, Event: ev.Kind, Subject: ev.Subject})
		}
		return out
	}
	s := en.sample
	if q.wants(KindRadio) {
		for _, r := range s.Radios {
			out = append(out, Record{Time: s.Time, Kind: KindRadio, Radio: r.Radio, Channel: r.Channel, BusyPct: r.BusyPct,
				OwnPct: r.OwnPct, NoiseDBm: r.NoiseDBm, Clients: r.Clients})
		}
	}
	if q.wants(KindClient) {
		for _, c := range s.Clients {
			mac := c.MAC.String()
			if q.MAC != "" && !strings.EqualFold(q.MAC, mac) {
				continue
			}
			out = append(out, Record{Time: s.Time, Kind: KindClient, Radio: c.Radio, MAC: mac, RSSI: c.RSSI,
				TxRateMbps: c.TxRateMbps, RxRateMbps: c.RxRateMbps, RetryPct: c.RetryPct})
		}
	}
	return out
}
