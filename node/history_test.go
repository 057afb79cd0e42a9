package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/history"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// dipMAC is the client of dipHome whose signal dips.
const dipMAC = "02:d1:00:00:00:01"

// dipHome is homes/flat.json with one more 5 GHz client beside ap1,
// whose signal drops 20 dB for 2 s of every 4 s.
func dipHome(t testing.TB) (*sim.Home, *sim.Dip) {
	t.Helper()
	home, err := sim.LoadHome(filepath.Join("..", "homes", "flat.json"))
	if err != nil {
		t.Fatal(err)
	}
	ap1, _ := home.AP("ap1")
	dip := &sim.Dip{PeriodS: 4, DurationS: 2, DepthDB: 20}
	home.Clients = append(home.Clients, sim.Client{MAC: dipMAC, Pos: sim.Pos{X: ap1.Pos.X + 2, Y: ap1.Pos.Y}, Band: radio.Band5G,
		Load: 0.05, Dip: dip})
	return home, dip
}

// openSim opens node name of home on a fresh air, closed at cleanup.
func openSim(t testing.TB, home *sim.Home, name, air string) *sim.Backend {
	t.Helper()
	sc := sim.TestConfig()
	sc.Home, sc.Node, sc.AirDir, sc.CACTime, sc.Logger = home, name, air, time.Second, testLogger(t)
	b, err := sim.Open(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// operate runs command on n as c and returns its output arguments, or
// the failure's code and message as an error.
func operate(t testing.TB, c *controller, command string, in map[string]string) (map[string]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.client.Operate(ctx, c.agent, command, "", in)
	if err != nil {
		return nil, err
	}
	for _, r := range resp.GetOperationResults() {
		if f := r.GetCmdFailure(); f != nil {
			return nil, fmt.Errorf("%d %s", f.GetErrCode(), f.GetErrMsg())
		}
		return r.GetReqOutputArgs().GetOutputArgs(), nil
	}
	return nil, fmt.Errorf("no result")
}

func decodeRecords(t testing.TB, out map[string]string) []history.Record {
	t.Helper()
	var recs []history.Record
	if err := json.Unmarshal([]byte(out["Records"]), &recs); err != nil {
		t.Fatalf("Records: %v", err)
	}
	if n, _ := strconv.Atoi(out["Count"]); n != len(recs) {
		t.Fatalf("Count %s for %d records", out["Count"], len(recs))
	}
	return recs
}

// TestHistoryOverUSP: a node on sim radios samples every second; over
// USP, History.Query() returns its radios and clients, the dipping
// client low in its dips and high between them, Client.{i}. shows it,
// bad arguments and a read-only Controller are refused, and after a
// restart the history read back from flash is still there.
func TestHistoryOverUSP(t *testing.T) {
	home, dip := dipHome(t)
	cfg := baseConfig(t)
	cfg.HistoryPeriod, cfg.HistoryFlashEvery = Duration(time.Second), Duration(time.Second)
	cfg.Controllers = append(cfg.Controllers, ControllerConfig{EndpointID: "proto::reader", Role: "read"})
	air := t.TempDir()
	n := startNode(t, cfg, Deps{Radios: openSim(t, home, "ap1", air)})
	c := dialNode(t, n, testCtl, testPSK)
	var recs []history.Record
	waitFor(t, 20*time.Second, "two dips of the client in the history", func() bool {
		out, err := operate(t, c, historyRoot+"Query()", map[string]string{"MAC": dipMAC, "Kind": "Client"})
		if err != nil {
			t.Fatal(err)
		}
		recs = decodeRecords(t, out)
		return len(recs) >= 9
	})
	high := slices.MaxFunc(recs, func(a, b history.Record) int { return a.RSSI - b.RSSI }).RSSI
	var lows, highs int
	for _, r := range recs {
		if r.Kind != history.KindClient || r.MAC != dipMAC || r.Radio == "" {
			t.Fatalf("record %+v", r)
		}
		// The sample's time is whole seconds and read a few ms before
		// the radio: a record within a second of a dip's edge may be
		// either.
		in, edge := dip.InDip(r.Time), dip.InDip(r.Time.Add(-time.Second)) != dip.InDip(r.Time.Add(time.Second))
		switch {
		case r.RSSI <= high-18:
			lows++
			if !in && !edge {
				t.Errorf("RSSI %d at %v, outside a dip", r.RSSI, r.Time)
			}
		case r.RSSI >= high-2:
			highs++
			if in && !edge {
				t.Errorf("RSSI %d at %v, inside a dip", r.RSSI, r.Time)
			}
		default:
			t.Errorf("RSSI %d at %v: neither the dip nor the normal level (%d)", r.RSSI, r.Time, high)
		}
	}
	if lows == 0 || highs == 0 {
		t.Fatalf("%d low and %d high samples of %d", lows, highs, len(recs))
	}

	out, err := operate(t, c, historyRoot+"Query()", map[string]string{"Kind": "Radio", "Limit": "2"})
	if err != nil {
		t.Fatal(err)
	}
	radios := decodeRecords(t, out)
	if len(radios) != 2 || radios[1].Channel == 0 || radios[1].Clients == 0 && radios[0].Clients == 0 {
		t.Errorf("radio records %+v", radios)
	}
	row := historyRoot + `Client.[MAC=="` + dipMAC + `"].`
	if rssi, minRSSI := get(t, n, row+"RSSI"), get(t, n, row+"MinRSSI"); minRSSI != strconv.Itoa(high-20) && minRSSI > rssi {
		t.Errorf("Client row RSSI %s MinRSSI %s, want the dip's %d", rssi, minRSSI, high-20)
	}
	if e, _ := strconv.Atoi(get(t, n, historyRoot+"Entries")); e < 9 || get(t, n, historyRoot+"Period") != "1" {
		t.Errorf("Entries %d, Period %s", e, get(t, n, historyRoot+"Period"))
	}

	// A bulk data profile naming History.Client.*.MinRSSI reports it.
	reports := make(chan string, 4)
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case reports <- string(b):
		default:
		}
	}))
	t.Cleanup(col.Close)
	prof := addProfile(t, c, map[string]string{"Protocol": "HTTP", "HTTP.URL": col.URL + "/h", "ReportingInterval": "60",
		"JSONEncoding.ReportFormat": "NameValuePair"}, historyRoot+"Client.*.MinRSSI")
	if _, err := operate(t, c, prof+"ForceCollection()", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case body := <-reports:
		if !regexp.MustCompile(`"Device\.X_USPMESH_Mesh\.History\.Client\.\d+\.MinRSSI":-\d+`).MatchString(body) {
			t.Errorf("report without the clients' MinRSSI: %s", body)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no bulk data report")
	}

	// Sampling writes nothing to flash but the history: the data model
	// file is not rewritten.
	dm := filepath.Join(cfg.StateDir, "datamodel.json")
	st0, err := os.Stat(dm)
	if err != nil {
		t.Fatal(err)
	}
	e0, _ := strconv.Atoi(get(t, n, historyRoot+"Entries"))
	waitFor(t, 10*time.Second, "three more samples", func() bool {
		e, _ := strconv.Atoi(get(t, n, historyRoot+"Entries"))
		return e >= e0+3
	})
	if st, err := os.Stat(dm); err != nil || !st.ModTime().Equal(st0.ModTime()) || st.Size() != st0.Size() {
		t.Errorf("datamodel.json rewritten while sampling: %v → %v (%v)", st0.ModTime(), st.ModTime(), err)
	}

	for _, bad := range []map[string]string{{"Kind": "Bogus"}, {"Limit": "0"}, {"From": "yesterday"}} {
		if _, err := operate(t, c, historyRoot+"Query()", bad); err == nil || err.Error()[:4] != "7027" {
			t.Errorf("Query(%v): %v, want 7027 Invalid command arguments", bad, err)
		}
	}
	reader := dialNode(t, n, "proto::reader", testPSK)
	if _, err := operate(t, reader, historyRoot+"Query()", nil); err == nil {
		t.Error("a read-only Controller ran Query()")
	}
	if _, err := operate(t, c, meshRoot+"Timeline()", nil); err == nil {
		t.Error("Timeline() on a node without a mesh succeeded")
	}

	before := len(recs)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(cfg.StateDir, "history", "seg-*.hst"))
	if len(segs) != 1 {
		t.Fatalf("segments %v", segs)
	}
	n2 := startNode(t, cfg, Deps{Radios: openSim(t, home, "ap1", t.TempDir())})
	got := n2.hist.Load().h.Query(history.Query{MAC: dipMAC, Kinds: []history.Kind{history.KindClient}})
	if len(got) < before {
		t.Errorf("%d records of the client after a restart, %d before", len(got), before)
	}
}

// TestHistoryConfig: the knobs' defaults and refusals.
func TestHistoryConfig(t *testing.T) {
	cfg := baseConfig(t)
	cfg.applyDefaults()
	if time.Duration(cfg.HistoryPeriod) != DefaultHistoryPeriod || time.Duration(cfg.HistoryFlashEvery) != DefaultHistoryFlashEvery {
		t.Fatalf("defaults %v %v", cfg.HistoryPeriod, cfg.HistoryFlashEvery)
	}
	for _, c := range []struct {
		period, every time.Duration
		field         string
	}{{500 * time.Millisecond, time.Minute, "history_period"}, {1500 * time.Millisecond, time.Minute, "history_period"},
		{time.Minute, time.Second, "history_flash_every"}} {
		cfg.HistoryPeriod, cfg.HistoryFlashEvery = Duration(c.period), Duration(c.every)
		var ce *ConfigError
		if err := cfg.Validate(); err == nil || !asConfigError(err, &ce) || ce.Field != c.field {
			t.Errorf("period %v every %v: %v, want a %s error", c.period, c.every, err, c.field)
		}
	}
}

func asConfigError(err error, ce **ConfigError) bool {
	e, ok := err.(*ConfigError)
	*ce = e
	return ok
}

// TestHistoryMeshEvents: leader changes and nodes lost and found are
// recorded from Device.X_USPMESH_Mesh. as the samples find it.
func TestHistoryMeshEvents(t *testing.T) {
	n := startNode(t, baseConfig(t), Deps{})
	s := n.hist.Load()
	ctx := context.Background()
	t0 := time.Now()
	step := func(i int, leader string, nodes map[string]string) {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(setParams(ctx, n.model, meshRoot, map[string]string{"Leader": leader}))
		for id, st := range nodes {
			must(upsertRow(ctx, n.model, meshRoot+"Node.", "EndpointID", id, map[string]string{"Status": st}))
		}
		s.meshEvents(ctx, t0.Add(time.Duration(i)*time.Second))
	}
	step(0, "os::000000-A", map[string]string{"os::000000-A": "Leader", "os::000000-B": "Member"})
	step(1, "os::000000-A", map[string]string{"os::000000-B": "Lost"})
	step(2, "os::000000-C", map[string]string{"os::000000-B": "Member", "os::000000-C": "Leader"})
	var got []string
	for _, r := range s.h.Query(history.Query{Kinds: []history.Kind{history.KindEvent}}) {
		got = append(got, fmt.Sprintf("%d %s %s", r.Time.Unix()-t0.Unix(), r.Event, r.Subject))
	}
	want := []string{"0 LeaderChanged os::000000-A", "1 NodeLost os::000000-B", "2 LeaderChanged os::000000-C",
		"2 NodeFound os::000000-B", "2 NodeFound os::000000-C"}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %q\nwant %q", got, want)
	}
}

// eventRadio is a radio.Radio whose only working method is Events.
type eventRadio struct {
	radio.Radio
	events chan radio.Event
}

func (r eventRadio) Events(context.Context) <-chan radio.Event { return r.events }

// TestHistoryChannelSwitchOnce: a channel switch is recorded once,
// whether the radio's event or the next sample finds it first.
func TestHistoryChannelSwitchOnce(t *testing.T) {
	h, err := history.Open(history.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{deps: Deps{}.withDefaults()}
	s := &sampler{n: n, h: h, log: testLogger(t), channel: map[string]int{}}
	er := eventRadio{events: make(chan radio.Event, 4)}
	t0 := time.Now()
	s.channel["radio1"] = 40 // a sample saw the switch to 40 (and recorded it)
	er.events <- radio.Event{Kind: radio.EventChannelSwitched, Radio: "radio1", Channel: 40, Time: t0}
	er.events <- radio.Event{Kind: radio.EventChannelSwitched, Radio: "radio1", Channel: 44, Time: t0.Add(time.Second)}
	er.events <- radio.Event{Kind: radio.EventRadarDetected, Radio: "radio1", Channel: 52, Time: t0.Add(2 * time.Second)}
	close(er.events)
	s.watch(context.Background(), historyRadio{"radio1", er})
	var got []string
	for _, r := range h.Query(history.Query{Kinds: []history.Kind{history.KindEvent}}) {
		got = append(got, fmt.Sprintf("%s %d", r.Event, r.Channel))
	}
	if want := []string{"ChannelSwitched 44", "Radar 52"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestHistoryQueryBounded: a Query for more records than fit in a USP
// Record answers with the newest that fit in 512 KiB, and says so.
func TestHistoryQueryBounded(t *testing.T) {
	n := startNode(t, baseConfig(t), Deps{})
	h := n.hist.Load().h
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range 500 {
		s := history.Sample{Time: t0.Add(time.Duration(i) * time.Second)}
		for c := range 20 {
			s.Clients = append(s.Clients, history.ClientSample{Radio: "radio1", MAC: []byte{2, 0, 0, 0, 0, byte(c)}, RSSI: -50 - c,
				TxRateMbps: 866, RxRateMbps: 433, RetryPct: 3})
		}
		if err := h.AddSample(s); err != nil {
			t.Fatal(err)
		}
	}
	c := dialNode(t, n, testCtl, testPSK)
	out, err := operate(t, c, historyRoot+"Query()", map[string]string{"Kind": "Client", "Limit": "10000"})
	if err != nil {
		t.Fatal(err)
	}
	recs := decodeRecords(t, out)
	if len(out["Records"]) > 512<<10 || out["Truncated"] != "true" || len(recs) < 1000 || len(recs) >= 10000 {
		t.Fatalf("%d records in %d bytes, Truncated %s", len(recs), len(out["Records"]), out["Truncated"])
	}
	if last := recs[len(recs)-1]; !last.Time.Equal(t0.Add(499 * time.Second)) {
		t.Errorf("the newest record kept is of %v, want %v", last.Time, t0.Add(499*time.Second))
	}
}

// TestHistoryDegrades: a state dir whose history/ cannot be made leaves
// the history in memory, with a warning; the node starts.
func TestHistoryDegrades(t *testing.T) {
	cfg := baseConfig(t)
	if err := os.WriteFile(filepath.Join(cfg.StateDir, "history"), []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	n := startNode(t, cfg, Deps{Logger: slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))})
	mu.Lock()
	l := logs.String()
	mu.Unlock()
	if !strings.Contains(l, "history kept in memory only") {
		t.Errorf("no warning: %s", l)
	}
	if err := n.hist.Load().h.AddEvent(history.Event{Time: time.Now(), Kind: history.EventRadar, Radio: "r", Channel: 52}); err != nil {
		t.Fatal(err)
	}
	if got := n.hist.Load().h.Query(history.Query{}); len(got) != 1 {
		t.Errorf("%d records in the memory-only history", len(got))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestHistoryFakeClock: on a fake clock, the sampler's first timer waits
// once New returns, so moving the clock by one period takes a sample.
func TestHistoryFakeClock(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC))
	cfg := baseConfig(t)
	n := startNode(t, cfg, Deps{Clock: clk})
	clk.Advance(DefaultHistoryPeriod)
	waitFor(t, 5*time.Second, "the first sample", func() bool { return get(t, n, historyRoot+"Entries") == "1" })
	if got := get(t, n, historyRoot+"Newest"); got != "2026-12-06T03:00:10Z" {
		t.Errorf("Newest %s, want the fake clock's 03:00:10", got)
	}
}
