package bulkdata

import (
	"hash/fnv"
	"time"
)

// NextCollection returns the first collection time after now of a
// profile that collects every interval: TimeReference plus a whole
// number of intervals when ref is known (not zero); otherwise the Unix
// epoch plus phase, phase being spread over the interval so that the
// homes of a fleet with the same profile and no TimeReference collect
// at different moments (see Phase). interval must be positive.
func NextCollection(now, ref time.Time, interval, phase time.Duration) time.Time {
	if ref.IsZero() {
		ref = time.Unix(0, 0).Add(phase % interval)
	}
	d := now.Sub(ref)
	k := d / interval
	if d >= 0 {
		k++
	}
	// For d < 0, k (rounded towards zero) already lands after now, or on
	// ref itself when now is less than an interval before it.
	next := ref.Add(k * interval)
	if !next.After(now) {
		next = next.Add(interval)
	}
	return next
}

// Phase is a device's stable offset within a collection interval: a hash
// of its Endpoint ID and the profile's row, so that the homes of a fleet
// do not all collect in the same second, and each home keeps its moment
// across restarts.
func Phase(endpointID, row string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(endpointID))
	h.Write([]byte{0})
	h.Write([]byte(row))
	secs := int64(interval / time.Second)
	if secs <= 1 {
		return 0
	}
	return time.Duration(h.Sum64()%uint64(secs)) * time.Second
}
