package history

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

// node5x20 returns a sample of a node with 5 radios and 20 clients at t,
// the values varying with i.
func node5x20(t time.Time, i int) Sample {
	s := Sample{Time: t}
	for r := range 5 {
		s.Radios = append(s.Radios, RadioSample{Radio: fmt.Sprintf("radio%d", r), Channel: 36 + 4*r, BusyPct: (i + r) % 100,
			OwnPct: (i * r) % 50, NoiseDBm: -95 + r, Clients: 4})
	}
	for c := range 20 {
		s.Clients = append(s.Clients, ClientSample{Radio: fmt.Sprintf("radio%d", c%5), MAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(c)},
			RSSI: -40 - (i+c)%50, TxRateMbps: 100 + c*50, RxRateMbps: 50 + c*20, RetryPct: (i + c) % 30})
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	h, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	mac := net.HardwareAddr{0x02, 0xaa, 0, 0, 0, 1}
	must(t, h.AddSample(Sample{Time: t0,
		Radios:  []RadioSample{{Radio: "radio0", Channel: 149, BusyPct: 37, OwnPct: 12, NoiseDBm: -92, Clients: 1}},
		Clients: []ClientSample{{Radio: "radio0", MAC: mac, RSSI: -67, TxRateMbps: 866, RxRateMbps: 400, RetryPct: 9}}}))
	must(t, h.AddEvent(Event{Time: t0.Add(time.Second), Kind: EventChannelSwitched, Radio: "radio0", Channel: 36}))
	must(t, h.AddEvent(Event{Time: t0.Add(2 * time.Second), Kind: EventLeaderChanged, Subject: "os::012345-AP2"}))
	got := h.Query(Query{})
	if len(got) != 4 {
		t.Fatalf("%d records, want 4: %+v", len(got), got)
	}
	want := []Record{
		{Time: t0, Kind: KindRadio, Radio: "radio0", Channel: 149, BusyPct: 37, OwnPct: 12, NoiseDBm: -92, Clients: 1},
		{Time: t0, Kind: KindClient, Radio: "radio0", MAC: "02:aa:00:00:00:01", RSSI: -67, TxRateMbps: got[1].TxRateMbps,
			RxRateMbps: got[1].RxRateMbps, RetryPct: 9},
		{Time: t0.Add(time.Second), Kind: KindEvent, Radio: "radio0", Channel: 36, Event: EventChannelSwitched},
		{Time: t0.Add(2 * time.Second), Kind: KindEvent, Event: EventLeaderChanged, Subject: "os::012345-AP2"},
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) {
			t.Errorf("record %d time %v, want %v", i, got[i].Time, want[i].Time)
		}
		got[i].Time = want[i].Time
		if got[i] != want[i] {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	// Rates are quantised to 3.5 % steps.
	for _, c := range []struct{ got, want int }{{got[1].TxRateMbps, 866}, {got[1].RxRateMbps, 400}} {
		if d := float64(c.got-c.want) / float64(c.want); d > 0.018 || d < -0.018 {
			t.Errorf("rate %d, want %d ±1.8 %%", c.got, c.want)
		}
	}
}

func TestQuantisationClamps(t *testing.T) {
	for _, c := range []struct{ in, want int }{{-200, -128}, {-67, -67}, {0, 0}, {200, 127}} {
		if got := int(int8(dbm8(c.in))); got != c.want {
			t.Errorf("dbm8(%d) = %d, want %d", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want int }{{-5, 0}, {50, 50}, {150, 100}} {
		if got := int(pct(c.in)); got != c.want {
			t.Errorf("pct(%d) = %d, want %d", c.in, got, c.want)
		}
	}
	for _, mbps := range []int{1, 6, 54, 300, 1200, 2402, 4804} {
		got := rateMbps(rateCode(mbps))
		if d := float64(got-mbps) / float64(mbps); d > 0.5 || d < -0.5 || (mbps > 20 && (d > 0.025 || d < -0.025)) {
			t.Errorf("rate %d → %d", mbps, got)
		}
	}
	if rateMbps(rateCode(0)) != 0 || rateMbps(rateCode(-3)) != 0 {
		t.Error("zero rate not kept")
	}
}

func TestQuerySelects(t *testing.T) {
	h, _ := Open(Config{})
	for i := range 10 {
		must(t, h.AddSample(node5x20(t0.Add(time.Duration(i)*10*time.Second), i)))
	}
	must(t, h.AddEvent(Event{Time: t0.Add(45 * time.Second), Kind: EventRadar, Radio: "radio1", Channel: 52}))
	cases := []struct {
		name string
		q    Query
		want int
	}{
		{"all", Query{}, 10*25 + 1},
		{"range", Query{From: t0.Add(20 * time.Second), To: t0.Add(40 * time.Second)}, 3 * 25},
		{"events", Query{Kinds: []Kind{KindEvent}}, 1},
		{"radios", Query{Kinds: []Kind{KindRadio}, From: t0.Add(90 * time.Second)}, 5},
		{"one client", Query{Kinds: []Kind{KindClient}, MAC: "02:00:00:00:00:0A"}, 10},
		{"limit", Query{Kinds: []Kind{KindClient}, MAC: "02:00:00:00:00:0a", Limit: 3}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := h.Query(c.q)
			if len(got) != c.want {
				t.Fatalf("%d records, want %d", len(got), c.want)
			}
			for i, r := range got {
				if !c.q.within(r.Time) || !c.q.wants(r.Kind) || (i > 0 && r.Time.Before(got[i-1].Time)) {
					t.Fatalf("record %d out of the query or order: %+v", i, r)
				}
			}
			if c.q.Limit > 0 && !got[len(got)-1].Time.Equal(t0.Add(90*time.Second)) {
				t.Errorf("limit kept %v last, want the newest", got[len(got)-1].Time)
			}
		})
	}
}

// TestRingBounded: the ring never holds more than MemoryBytes and keeps
// the newest samples.
func TestRingBounded(t *testing.T) {
	h, _ := Open(Config{MemoryBytes: 32 << 10, ChunkBytes: 8 << 10})
	for i := range 2000 {
		must(t, h.AddSample(node5x20(t0.Add(time.Duration(i)*10*time.Second), i)))
		if st := h.Stats(); st.MemoryBytes > 32<<10 {
			t.Fatalf("after %d samples the ring holds %d bytes", i+1, st.MemoryBytes)
		}
	}
	st := h.Stats()
	last := t0.Add(1999 * 10 * time.Second)
	if !st.Newest.Equal(last) || st.Entries < 100 || !st.Oldest.After(t0) {
		t.Fatalf("stats %+v", st)
	}
	got := h.Query(Query{Kinds: []Kind{KindRadio}})
	if len(got) != 5*st.Entries || !got[len(got)-1].Time.Equal(last) || !got[0].Time.Equal(st.Oldest) {
		t.Fatalf("%d radio records for %d samples, %v..%v", len(got), st.Entries, got[0].Time, got[len(got)-1].Time)
	}
}

// TestFlashRoundTrip: reopened, the history holds the flash's thinned
// samples (one a minute) and every event; writes happen only when due.
func TestFlashRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, FlashEvery: time.Minute, FlushInterval: 5 * time.Minute}
	h, err := Open(cfg)
	must(t, err)
	for i := range 60 { // 10 minutes at 10 s
		tm := t0.Add(time.Duration(i) * 10 * time.Second)
		must(t, h.AddSample(node5x20(tm, i)))
		if i == 2 {
			must(t, h.AddEvent(Event{Time: tm, Kind: EventNodeLost, Subject: "os::012345-AP3"}))
		}
		if i < 30 && h.Stats().FlashWritten != 0 {
			t.Fatalf("flash written at sample %d, before FlushInterval", i)
		}
	}
	if h.Stats().FlashWritten == 0 {
		t.Fatal("nothing written after FlushInterval")
	}
	must(t, h.Close())
	must(t, h.Close()) // idempotent
	if err := h.AddSample(node5x20(t0, 0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("add after Close: %v", err)
	}
	h2, err := Open(cfg)
	must(t, err)
	radios := h2.Query(Query{Kinds: []Kind{KindRadio}, Limit: 0})
	if len(radios) != 10*5 {
		t.Fatalf("%d radio records after reopen, want 50 (10 minutes, one a minute)", len(radios))
	}
	for i := 0; i < len(radios); i += 5 {
		if want := t0.Add(time.Duration(i/5) * time.Minute); !radios[i].Time.Equal(want) {
			t.Fatalf("record %d at %v, want %v", i, radios[i].Time, want)
		}
	}
	ev := h2.Query(Query{Kinds: []Kind{KindEvent}})
	if len(ev) != 1 || ev[0].Subject != "os::012345-AP3" || ev[0].Event != EventNodeLost {
		t.Fatalf("events after reopen: %+v", ev)
	}
	must(t, h2.AddEvent(Event{Time: t0.Add(time.Hour), Kind: EventNodeFound, Subject: "os::012345-AP3"}))
	must(t, h2.Close())
	if segs, _ := segments(dir); len(segs) != 2 {
		t.Fatalf("segments %v, want the first run's and the second's", segs)
	}
}

// TestFlashRotates: segments rotate at SegmentBytes and at most
// MaxSegments stay.
func TestFlashRotates(t *testing.T) {
	dir := t.TempDir()
	h, err := Open(Config{Dir: dir, FlashEvery: time.Second, FlushInterval: time.Minute, SegmentBytes: 4 << 10, MaxSegments: 3})
	must(t, err)
	for i := range 500 {
		must(t, h.AddSample(node5x20(t0.Add(time.Duration(i)*10*time.Second), i)))
	}
	must(t, h.Close())
	segs, _ := segments(dir)
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	var total int64
	for _, s := range segs {
		st, err := os.Stat(filepath.Join(dir, s))
		must(t, err)
		if st.Size() > 4<<10+2<<10 {
			t.Errorf("segment %s is %d bytes", s, st.Size())
		}
		total += st.Size()
	}
	if got := h.Stats().FlashBytes; got != total {
		t.Errorf("Stats.FlashBytes %d, files %d", got, total)
	}
}

// TestDamagedSegment: a segment cut short or with a flipped byte is read
// up to its last good frame, with a warning naming it; Open succeeds.
func TestDamagedSegment(t *testing.T) {
	for _, damage := range []string{"truncated", "flipped", "garbage"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			h, err := Open(Config{Dir: dir, FlashEvery: time.Second})
			must(t, err)
			for i := range 6 {
				must(t, h.AddSample(node5x20(t0.Add(time.Duration(i)*10*time.Second), i)))
			}
			must(t, h.Close())
			segs, _ := segments(dir)
			p := filepath.Join(dir, segs[0])
			data, err := os.ReadFile(p)
			must(t, err)
			// Find the start of the fourth sample frame.
			ens, _ := decode(data[len(magic):])
			if len(ens) != 6 {
				t.Fatalf("%d entries written", len(ens))
			}
			cut := len(data) - 3*(frameOverhead+7+25*recordBytes)
			switch damage {
			case "truncated":
				data = data[:cut+10]
			case "flipped":
				data[cut+20] ^= 0x40
			case "garbage":
				data = append(data[:cut], bytes.Repeat([]byte{0xff}, 100)...)
			}
			must(t, os.WriteFile(p, data, 0o644))
			var logs syncBuffer
			h2, err := Open(Config{Dir: dir, FlashEvery: time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			must(t, err)
			defer h2.Close()
			if got := len(h2.Query(Query{Kinds: []Kind{KindRadio}})); got != 3*5 {
				t.Errorf("%d radio records recovered, want the first 3 samples' 15", got)
			}
			if l := logs.String(); !strings.Contains(l, "damaged") || !strings.Contains(l, segs[0]) || !strings.Contains(l, "records=3") {
				t.Errorf("log does not name the damage: %s", l)
			}
		})
	}
}

func TestNotASegment(t *testing.T) {
	if _, err := decodeSegment([]byte("hello world")); err == nil {
		t.Fatal("no error for a file without the magic")
	}
	var ce *CorruptError
	_, err := decodeSegment(append(append([]byte{}, magic...), 0, 3, 'S', 0, 0, 0, 0, 0, 0))
	if !errors.As(err, &ce) || ce.Offset != len(magic) {
		t.Fatalf("err %v, want a CorruptError at %d", err, len(magic))
	}
}

func TestConcurrentQuery(t *testing.T) {
	h, _ := Open(Config{MemoryBytes: 64 << 10, ChunkBytes: 4 << 10})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 1000 {
			_ = h.AddSample(node5x20(t0.Add(time.Duration(i)*time.Second), i))
		}
	})
	for range 50 {
		for _, r := range h.Query(Query{Kinds: []Kind{KindRadio}}) {
			if r.Radio == "" {
				t.Fatal("radio record without a radio")
			}
		}
	}
	wg.Wait()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestFlashWriteFailure: a failed write is returned, its frames are
// dropped, and later frames go to a new segment, never after the failed
// one; both read back.
func TestFlashWriteFailure(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, FlashEvery: time.Second, FlushInterval: time.Minute}
	h, err := Open(cfg)
	must(t, err)
	must(t, h.AddSample(node5x20(t0, 0)))
	must(t, h.Flush())
	must(t, h.flash.file.Close()) // the next write fails
	must(t, h.AddSample(node5x20(t0.Add(10*time.Second), 1)))
	if err := h.Flush(); err == nil {
		t.Fatal("no error from a failed write")
	}
	must(t, h.AddSample(node5x20(t0.Add(20*time.Second), 2)))
	must(t, h.Close())
	segs, _ := segments(dir)
	if len(segs) != 2 {
		t.Fatalf("segments %v, want a new one after the failure", segs)
	}
	h2, err := Open(cfg)
	must(t, err)
	defer h2.Close()
	var got []time.Time
	for _, r := range h2.Query(Query{Kinds: []Kind{KindRadio}}) {
		if r.Radio == "radio0" {
			got = append(got, r.Time)
		}
	}
	if len(got) != 2 || !got[0].Equal(t0) || !got[1].Equal(t0.Add(20*time.Second)) {
		t.Fatalf("samples read back at %v, want the first and the third", got)
	}
}
