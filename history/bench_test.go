package history

import (
	"runtime"
	"testing"
	"time"
)

// The figures for one node of a 5-node home, 5 radios and 20
// clients, at the default settings (10 s samples, flash thinned to one
// sample a minute):
//   - memory held by one day of history (target ≤ 2 MiB per node);
//   - flash bytes written per hour (target ≤ 64 KiB/h per node, history
//     and bulk data together; bulk data writes nothing to flash).

const defaultPeriod = 10 * time.Second

// dayFigures fills a memory-only and a flash-backed History with a day
// of samples and returns the ring's bytes for the day and the flash bytes
// written per hour.
func dayFigures(tb testing.TB) (memBytes int, encodedBytes int, flashPerHour float64) {
	tb.Helper()
	h, err := Open(Config{MemoryBytes: 64 << 20})
	must(tb, err)
	f, err := Open(DefaultConfig(tb.TempDir()))
	must(tb, err)
	n := int(24 * time.Hour / defaultPeriod)
	for i := range n {
		s := node5x20(t0.Add(time.Duration(i)*defaultPeriod), i)
		must(tb, h.AddSample(s))
		must(tb, f.AddSample(s))
	}
	must(tb, f.Close())
	h.mu.Lock()
	for _, c := range h.chunks {
		encodedBytes += len(c.buf)
	}
	h.mu.Unlock()
	return h.Stats().MemoryBytes, encodedBytes, float64(f.Stats().FlashWritten) / 24
}

// heapOfDay is the Go heap a History holding a day of samples keeps
// alive, measured after garbage collection.
func heapOfDay(tb testing.TB) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h, err := Open(Config{MemoryBytes: 64 << 20})
	must(tb, err)
	for i := range int(24 * time.Hour / defaultPeriod) {
		must(tb, h.AddSample(node5x20(t0.Add(time.Duration(i)*defaultPeriod), i)))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(h)
	return after.HeapAlloc - before.HeapAlloc
}

// TestDayFigures asserts the targets and logs the figures (go test -v
// -run DayFigures ./history/).
func TestDayFigures(t *testing.T) {
	mem, enc, flash := dayFigures(t)
	heap := heapOfDay(t)
	t.Logf("one day, 5 radios + 20 clients at %v: ring holds %d bytes (%.2f MiB; %d encoded; Go heap kept %d bytes, %.2f MiB); flash %.0f bytes/h (%.1f KiB/h)",
		defaultPeriod, mem, float64(mem)/(1<<20), enc, heap, float64(heap)/(1<<20), flash, flash/1024)
	if heap > 2<<20 {
		t.Errorf("a day keeps %d bytes of heap, target ≤ 2 MiB", heap)
	}
	if mem > 2<<20 {
		t.Errorf("a day takes %d bytes of memory, target ≤ 2 MiB", mem)
	}
	if flash > 64<<10 {
		t.Errorf("%.0f flash bytes per hour, target ≤ 64 KiB", flash)
	}
	if DefaultConfig("").MemoryBytes < mem {
		t.Errorf("the default ring (%d bytes) does not hold a day (%d)", DefaultConfig("").MemoryBytes, mem)
	}
}

// BenchmarkDay reports the bytes of a day of history of a 5-radio,
// 20-client node and the flash bytes written per hour.
func BenchmarkDay(b *testing.B) {
	var mem, enc int
	var flash float64
	for b.Loop() {
		mem, enc, flash = dayFigures(b)
	}
	b.ReportMetric(float64(mem), "mem-bytes/day")
	b.ReportMetric(float64(enc), "encoded-bytes/day")
	b.ReportMetric(flash, "flash-bytes/h")
}

// BenchmarkAddSample is the cost of recording one 5-radio, 20-client
// sample.
func BenchmarkAddSample(b *testing.B) {
	h, _ := Open(Config{})
	s := node5x20(t0, 1)
	i := 0
	for b.Loop() {
		s.Time = t0.Add(time.Duration(i) * defaultPeriod)
		i++
		_ = h.AddSample(s)
	}
}

// BenchmarkQueryHour is the cost of reading an hour of one client's
// records from a full day.
func BenchmarkQueryHour(b *testing.B) {
	h, _ := Open(Config{})
	for i := range int(24 * time.Hour / defaultPeriod) {
		_ = h.AddSample(node5x20(t0.Add(time.Duration(i)*defaultPeriod), i))
	}
	q := Query{From: t0.Add(12 * time.Hour), To: t0.Add(13 * time.Hour), MAC: "02:00:00:00:00:05", Kinds: []Kind{KindClient}}
	for b.Loop() {
		if len(h.Query(q)) != 361 {
			b.Fatal("wrong count")
		}
	}
}
