package bulkdata

// retained holds a profile's reports that could not be delivered, oldest
// first, bounded in count and bytes: the oldest go first when a new one
// does not fit. Its owner serialises access.
type retained struct {
	reports []Report
	bytes   int
	dropped int // reports dropped to the bounds, for the status
}

// add keeps r after the others within limit reports (-1: only the byte
// cap bounds them; 0: none is kept) and maxBytes.
func (q *retained) add(r Report, limit, maxBytes int) {
	if limit == 0 {
		q.dropped++
		return
	}
	size := r.size()
	if size > maxBytes {
		q.dropped++
		return
	}
	q.reports = append(q.reports, r)
	q.bytes += size
	for len(q.reports) > 0 && (limit > 0 && len(q.reports) > limit || q.bytes > maxBytes) {
		q.bytes -= q.reports[0].size()
		q.reports[0] = Report{}
		q.reports = q.reports[1:]
		q.dropped++
	}
}

// trim applies a (new) limit to what is kept.
func (q *retained) trim(limit, maxBytes int) {
	for len(q.reports) > 0 && (limit >= 0 && len(q.reports) > limit || q.bytes > maxBytes) {
		q.bytes -= q.reports[0].size()
		q.reports[0] = Report{}
		q.reports = q.reports[1:]
		q.dropped++
	}
}

// clear forgets every report (they were delivered).
func (q *retained) clear() {
	q.reports, q.bytes = nil, 0
}

// with returns the retained reports followed by r, for one delivery.
func (q *retained) with(r Report) []Report {
	out := make([]Report, 0, len(q.reports)+1)
	out = append(out, q.reports...)
	return append(out, r)
}

// trimTotal drops the oldest retained reports, whichever profile holds
// them, until all of kept together hold at most maxBytes: a node's
// memory for undelivered reports is bounded however many profiles fail.
func trimTotal(kept map[string]*retained, maxBytes int) {
	total := 0
	for _, q := range kept {
		total += q.bytes
	}
	for total > maxBytes {
		var oldest *retained
		for _, q := range kept {
			if len(q.reports) > 0 && (oldest == nil || q.reports[0].Time.Before(oldest.reports[0].Time)) {
				oldest = q
			}
		}
		if oldest == nil {
			return
		}
		size := oldest.reports[0].size()
		oldest.bytes -= size
		total -= size
		oldest.reports[0] = Report{}
		oldest.reports = oldest.reports[1:]
		oldest.dropped++
	}
}
