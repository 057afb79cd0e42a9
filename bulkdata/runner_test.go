package bulkdata

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/datamodel"
)

// collector is an HTTPS collector that records what it receives and
// answers with its current status code.
type collector struct {
	srv  *httptest.Server
	got  chan *http.Request
	body chan []byte
	mu   sync.Mutex
	code int
	hang bool
}

func newCollector(t *testing.T) *collector {
	c := &collector{got: make(chan *http.Request, 16), body: make(chan []byte, 16), code: 200}
	quit := make(chan struct{})
	c.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		code, hang := c.code, c.hang
		c.mu.Unlock()
		if hang {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-quit:
			}
			return
		}
		var rd io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			rd = zr
		}
		b, _ := io.ReadAll(rd)
		w.WriteHeader(code)
		c.got <- r
		c.body <- b
	}))
	t.Cleanup(c.srv.Close)
	t.Cleanup(func() { close(quit) }) // runs first: hanging handlers end
	return c
}

func (c *collector) answer(code int, hang bool) {
	c.mu.Lock()
	c.code, c.hang = code, hang
	c.mu.Unlock()
}

// next returns the next request and its (decompressed) body.
func (c *collector) next(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	select {
	case r := <-c.got:
		return r, <-c.body
	case <-time.After(10 * time.Second):
		t.Fatal("no report at the collector")
	}
	return nil, nil
}

type env struct {
	m   *datamodel.Model
	clk *clock.Fake
	r   *Runner
	col *collector
}

func newEnv(t *testing.T, mod func(*Config)) *env {
	e := &env{m: newModel(t), clk: clock.NewFake(t0), col: newCollector(t)}
	cfg := Config{Model: e.m, Clock: e.clk, Rand: func() float64 { return 0 },
		Identity: Identity{OUI: "00D09E", ProductClass: "AP", SerialNumber: "SN1", EndpointID: "os::00D09E-SN1"},
		Access:   func(context.Context, string) (Reader, error) { return allowAll{}, nil },
		HTTPClient: &http.Client{Transport: e.col.srv.Client().Transport, Timeout: 2 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		AttemptTimeout: 500 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	e.r = r
	return e
}

// profile adds an enabled hourly profile of two parameters, set up
// before it is enabled; params
// override its settings.
func (e *env) profile(t *testing.T, params map[string]string, refs ...string) string {
	p := map[string]string{"Protocol": "HTTP", "EncodingType": "JSON", "ReportingInterval": "3600",
		"TimeReference": "2025-01-01T00:00:00Z", "HTTP.URL": e.col.srv.URL + "/reports?home=7"}
	for k, v := range params {
		p[k] = v
	}
	row := addRow(t, e.m, "Device.BulkData.Profile.", p)
	addRow(t, e.m, row+"Parameter.", map[string]string{"Reference": "Device.DeviceInfo.SerialNumber"})
	addRow(t, e.m, row+"Parameter.", map[string]string{"Name": "Ch", "Reference": "Device.WiFi.Radio.*.Channel"})
	for _, ref := range refs {
		addRow(t, e.m, row+"Parameter.", map[string]string{"Reference": ref})
	}
	// Enabled last, so that one worker starts, with the whole profile.
	set(t, e.m, row, map[string]string{"Enable": "true"})
	return row
}

func (e *env) status(row string) (string, string) {
	s, _ := e.r.State(row, "X_USPMESH_Status")
	m, _ := e.r.State(row, "X_USPMESH_StatusMessage")
	return s, m
}

// tick moves the clock to the next collection, once the worker waits.
func (e *env) tick(t *testing.T) { t.Helper(); e.tickN(t, 1) }

// tickN is tick for n workers.
func (e *env) tickN(t *testing.T, n int) {
	t.Helper()
	if !e.clk.WaitTimers(n, 10*time.Second) {
		t.Fatal("no worker waits for its collection")
	}
	e.clk.Advance(time.Hour)
}

// TestHTTPReportsOnSchedule: a JSON report reaches the collector at each
// collection time with TR-369's URL and headers.
func TestHTTPReportsOnSchedule(t *testing.T) {
	e := newEnv(t, nil)
	row := e.profile(t, map[string]string{"HTTP.Compression": "GZIP", "HTTP.Method": "PUT", "JSONEncoding.ReportFormat": "NameValuePair"})
	waitFor(t, "the profile to start", func() bool { s, _ := e.status(row); return s == StatusEnabled })
	for i := 1; i <= 2; i++ {
		e.tick(t)
		req, body := e.col.next(t)
		if req.Method != "PUT" || req.URL.Path != "/reports" || req.URL.RawQuery != "home=7&oui=00D09E&pc=AP&sn=SN1" {
			t.Fatalf("%s %s", req.Method, req.URL)
		}
		if req.Header.Get("Content-Type") != "application/json; charset=UTF-8" || req.Header.Get("BBF-Report-Format") != NameValuePair ||
			req.Header.Get("Date") != t0.Add(time.Duration(i)*time.Hour).Format(http.TimeFormat) {
			t.Fatalf("headers %v", req.Header)
		}
		var doc struct{ Report []map[string]any }
		if err := json.Unmarshal(body, &doc); err != nil || len(doc.Report) != 1 {
			t.Fatalf("body %s: %v", body, err)
		}
		r := doc.Report[0]
		if r["CollectionTime"] != float64(t0.Add(time.Duration(i)*time.Hour).Unix()) || r["Device.DeviceInfo.SerialNumber"] != "SN1" {
			t.Fatalf("report %v", r)
		}
		if _, ok := r["Ch.1"].(float64); !ok {
			t.Fatalf("Ch.1 not a number: %v", r)
		}
	}
	waitFor(t, "the status", func() bool { s, m := e.status(row); return s == StatusEnabled && strings.Contains(m, "delivered") })
}

// TestRetainedReportsDeliveredInOrder: a collector down for three
// intervals gets the retained reports, oldest first, with the next one;
// only NumberOfRetainedFailedReports are kept.
func TestRetainedReportsDeliveredInOrder(t *testing.T) {
	e := newEnv(t, nil)
	row := e.profile(t, map[string]string{"NumberOfRetainedFailedReports": "2", "EncodingType": "CSV",
		"CSVEncoding.ReportFormat": "ParameterPerRow"})
	e.col.answer(500, false)
	for range 3 {
		e.tick(t)
		e.col.next(t)
	}
	waitFor(t, "two retained reports", func() bool { return e.r.Retained(row) == 2 })
	if s, m := e.status(row); s != StatusError || !strings.Contains(m, "500") || !strings.Contains(m, "2 retained") {
		t.Fatalf("status %s %q", s, m)
	}
	e.col.answer(200, false)
	e.tick(t)
	_, body := e.col.next(t)
	var stamps []string
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\r\n")[1:] {
		if f := strings.Split(line, ","); f[1] == "Device.DeviceInfo.SerialNumber" {
			stamps = append(stamps, f[0])
		}
	}
	want := []string{unix(t0.Add(2 * time.Hour)), unix(t0.Add(3 * time.Hour)), unix(t0.Add(4 * time.Hour))}
	if strings.Join(stamps, " ") != strings.Join(want, " ") {
		t.Fatalf("report times %v, want %v\n%s", stamps, want, body)
	}
	waitFor(t, "retained cleared", func() bool { return e.r.Retained(row) == 0 })
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// TestHTTPRetries: with RetryEnable, a failed attempt is retried after
// the minimum wait and then the multiplied wait, within the interval.
func TestHTTPRetries(t *testing.T) {
	e := newEnv(t, nil)
	row := e.profile(t, map[string]string{"HTTP.RetryEnable": "true", "HTTP.RetryMinimumWaitInterval": "10",
		"HTTP.RetryIntervalMultiplier": "3000"})
	e.col.answer(503, false)
	e.tick(t)
	e.col.next(t)
	waitFor(t, "a retry", func() bool { _, m := e.status(row); return strings.Contains(m, "retrying in 10s") })
	e.clk.WaitTimers(1, 10*time.Second)
	e.clk.Advance(10 * time.Second)
	e.col.next(t)
	waitFor(t, "a second retry", func() bool { _, m := e.status(row); return strings.Contains(m, "retrying in 30s") })
	e.col.answer(200, false)
	e.clk.WaitTimers(1, 10*time.Second)
	e.clk.Advance(30 * time.Second)
	req, _ := e.col.next(t)
	if req.Header.Get("Date") != t0.Add(time.Hour+40*time.Second).Format(http.TimeFormat) {
		t.Fatalf("Date %s", req.Header.Get("Date"))
	}
	waitFor(t, "delivered", func() bool { s, _ := e.status(row); return s == StatusEnabled })
}

// TestBadInput: configuration errors show in the profile's status and
// stop only that profile; a hanging collector times out and the report
// is retained.
func TestBadInput(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MinInterval = time.Hour })
	for _, tc := range []struct {
		params map[string]string
		want   string
	}{
		{map[string]string{"HTTP.URL": "https://user:secret@collector.example/r"}, "credentials in the URL are refused"},
		{map[string]string{"HTTP.URL": "ftp://collector.example/r"}, `scheme "ftp"`},
		{map[string]string{"HTTP.URL": ""}, "HTTP.URL: empty"},
		{map[string]string{"HTTP.URL": "http://collector.example/r", "HTTP.Username": "u"}, "need an https:// URL"},
		{map[string]string{"ReportingInterval": "60"}, "below MinReportingInterval 3600"},
		{map[string]string{"CSVEncoding.FieldSeparator": "&#13;&#10;", "EncodingType": "CSV"}, "must differ"},
		{map[string]string{"Protocol": "MQTT", "MQTT.Reference": "Device.MQTT.Client.1", "MQTT.PublishTopic": "r"}, "not available on this node"},
		{map[string]string{"Protocol": "USPEventNotif"}, "needs the profile's Controller"},
	} {
		row := e.profile(t, tc.params)
		waitFor(t, tc.want, func() bool { s, m := e.status(row); return s == StatusError && strings.Contains(m, tc.want) })
		if err := e.r.Force(context.Background(), row); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("ForceCollection of a profile in error: %v", err)
		}
	}
	// An invalid reference: the rest is still delivered.
	row := e.profile(t, nil, "Device.WiFi.Radio.*.NoSuch")
	waitFor(t, "the profile to start", func() bool { s, _ := e.status(row); return s == StatusEnabled })
	if err := e.r.Force(context.Background(), row); err != nil {
		t.Fatal(err)
	}
	_, body := e.col.next(t)
	if !strings.Contains(string(body), `"SerialNumber":"SN1"`) {
		t.Fatalf("body %s", body)
	}
	waitFor(t, "the reference error", func() bool {
		s, m := e.status(row)
		return s == StatusError && strings.Contains(m, `Reference "Device.WiFi.Radio.*.NoSuch"`)
	})
	// A collector that hangs: the attempt times out, the report is kept.
	set(t, e.m, row, map[string]string{"NumberOfRetainedFailedReports": "-1"})
	waitFor(t, "the profile to restart", func() bool { s, _ := e.status(row); return s == StatusEnabled })
	e.col.answer(200, true)
	if err := e.r.Force(context.Background(), row); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the timeout", func() bool { return e.r.Retained(row) == 1 })
	if s, m := e.status(row); s != StatusError || !strings.Contains(m, "not delivered") {
		t.Fatalf("status %s %q", s, m)
	}
}

// fakePublisher records MQTT reports.
type fakePublisher struct{ got chan string }

func (f fakePublisher) Publish(_ context.Context, client, topic string, qos int, body []byte) error {
	f.got <- client + " " + topic + " " + string(body)
	return nil
}

// TestMQTTAndPushEvent: an MQTT profile publishes through the
// Publisher; a USPEventNotif profile raises its Push! event.
func TestMQTTAndPushEvent(t *testing.T) {
	pub := fakePublisher{got: make(chan string, 4)}
	e := newEnv(t, func(c *Config) { c.Publisher = pub })
	events := make(chan datamodel.Event, 4)
	remove := e.m.Listen(func(ev datamodel.Event) {
		if ev.Kind == datamodel.EventRaised {
			events <- ev
		}
	})
	defer remove()
	mq := e.profile(t, map[string]string{"Protocol": "MQTT", "MQTT.Reference": "Device.MQTT.Client.1", "MQTT.PublishTopic": "home/7/report"})
	ev := e.profile(t, map[string]string{"Protocol": "USPEventNotif", "Controller": "Device.LocalAgent.Controller.1"})
	waitFor(t, "both profiles", func() bool {
		a, _ := e.status(mq)
		b, _ := e.status(ev)
		return a == StatusEnabled && b == StatusEnabled
	})
	e.tickN(t, 2)
	select {
	case got := <-pub.got:
		if !strings.HasPrefix(got, "Device.MQTT.Client.1 home/7/report {\"Report\":[") {
			t.Fatalf("published %s", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing published")
	}
	select {
	case got := <-events:
		if got.Path != ev || got.Name != "Push" || !strings.Contains(got.Args["Data"], `"SerialNumber":"SN1"`) {
			t.Fatalf("event %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no Push! event")
	}
}

// TestRetainedTotalBounded: profiles failing together keep at most
// MaxRetainedTotal bytes of reports between them, dropping the oldest
// first, whatever each profile's own limit allows.
func TestRetainedTotalBounded(t *testing.T) {
	kept := func(e *env) (n, bytes int, oldest time.Time) {
		e.r.mu.Lock()
		defer e.r.mu.Unlock()
		for _, q := range e.r.kept {
			n += len(q.reports)
			bytes += q.bytes
			if len(q.reports) > 0 && (oldest.IsZero() || q.reports[0].Time.Before(oldest)) {
				oldest = q.reports[0].Time
			}
		}
		return n, bytes, oldest
	}
	// The size of one report, as the cap counts it.
	e := newEnv(t, nil)
	e.profile(t, map[string]string{"NumberOfRetainedFailedReports": "10"})
	e.col.answer(500, false)
	e.tick(t)
	e.col.next(t)
	waitFor(t, "one retained report", func() bool { n, _, _ := kept(e); return n == 1 })
	_, size, _ := kept(e)

	e = newEnv(t, func(c *Config) { c.MaxRetainedTotal = 3*size + size/2 })
	e.profile(t, map[string]string{"NumberOfRetainedFailedReports": "10"})
	e.profile(t, map[string]string{"NumberOfRetainedFailedReports": "10"})
	e.col.answer(500, false)
	for range 4 {
		e.tickN(t, 2)
		e.col.next(t)
		e.col.next(t)
	}
	waitFor(t, "every failure handled", func() bool {
		e.r.mu.Lock()
		defer e.r.mu.Unlock()
		dropped, n := 0, 0
		for _, q := range e.r.kept {
			dropped += q.dropped
			n += len(q.reports)
		}
		return dropped+n == 8
	})
	n, bytes, oldest := kept(e)
	if n != 3 || bytes > 3*size+size/2 {
		t.Fatalf("kept %d reports, %d bytes; want 3 within %d", n, bytes, 3*size+size/2)
	}
	// Eight reports of the hours 1-4 (two per hour): the three newest are
	// of hours 3 (one) and 4 (two).
	if want := t0.Add(3 * time.Hour); oldest.Before(want) {
		t.Fatalf("oldest kept report of %v, want none before %v", oldest, want)
	}
}

// TestForceRightAfterEnable: a Controller that enables a profile and at
// once calls ForceCollection() gets the report, not "profile is not
// enabled" because the runner had not yet applied its own write (the
// node's TestHistoryOverUSP met this under load). Each of 20 profiles is
// forced the instant its Enable is written.
func TestForceRightAfterEnable(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MinInterval = time.Hour })
	for i := range 20 {
		row := e.profile(t, nil)
		if err := e.r.Force(context.Background(), row); err != nil {
			t.Fatalf("profile %d: ForceCollection right after Enable: %v", i, err)
		}
		if _, body := e.col.next(t); !strings.Contains(string(body), `"SerialNumber":"SN1"`) {
			t.Fatalf("profile %d: body %s", i, body)
		}
		set(t, e.m, row, map[string]string{"Enable": "false"})
	}
}
