package node

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/mqtt"
	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// limitedCtl may create profiles but not read Device.DeviceInfo.
const limitedCtl = "proto::limited-ctl"

type received struct {
	path, contentType, format string
	body                      []byte
}

// httpsCollector is a real HTTPS collector with a certificate from the
// test CA; it answers with its current code.
type httpsCollector struct {
	srv  *httptest.Server
	got  chan received
	mu   sync.Mutex
	code int
}

func newHTTPSCollector(t *testing.T, certFile, keyFile string) *httpsCollector {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c := &httpsCollector{got: make(chan received, 32), code: 200}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rd io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			rd = zr
		}
		b, _ := io.ReadAll(rd)
		c.mu.Lock()
		code := c.code
		c.mu.Unlock()
		w.WriteHeader(code)
		c.got <- received{r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("BBF-Report-Format"), b}
	}))
	c.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	c.srv.StartTLS()
	t.Cleanup(c.srv.Close)
	return c
}

func (c *httpsCollector) answer(code int) { c.mu.Lock(); c.code = code; c.mu.Unlock() }

// take returns the next n reports by path.
func (c *httpsCollector) take(t *testing.T, n int) map[string]received {
	t.Helper()
	out := map[string]received{}
	for range n {
		select {
		case r := <-c.got:
			out[r.path] = r
		case <-time.After(15 * time.Second):
			t.Fatalf("collector got %d of %d reports", len(out), n)
		}
	}
	return out
}

// addProfile creates a profile as ctl, its Parameters, then enables it.
func addProfile(t *testing.T, ctl *controller, params map[string]string, refs ...string) string {
	t.Helper()
	ctx := context.Background()
	co := &uspmsg.Add_CreateObject{ObjPath: "Device.BulkData.Profile."}
	for k, v := range params {
		co.ParamSettings = append(co.ParamSettings, &uspmsg.Add_CreateParamSetting{Param: k, Value: v, Required: true})
	}
	row := added(t, ctl, co)
	for _, ref := range refs {
		added(t, ctl, &uspmsg.Add_CreateObject{ObjPath: row + "Parameter.",
			ParamSettings: []*uspmsg.Add_CreateParamSetting{{Param: "Reference", Value: ref, Required: true}}})
	}
	if _, err := ctl.client.Set(ctx, ctl.agent, false, &uspmsg.Set_UpdateObject{ObjPath: row,
		ParamSettings: []*uspmsg.Set_UpdateParamSetting{{Param: "Enable", Value: "true", Required: true}}}); err != nil {
		t.Fatalf("enable %s: %v", row, err)
	}
	return row
}

func added(t *testing.T, ctl *controller, co *uspmsg.Add_CreateObject) string {
	t.Helper()
	resp, err := ctl.client.Add(context.Background(), ctl.agent, false, co)
	if err != nil {
		t.Fatalf("add %s: %v", co.ObjPath, err)
	}
	ok := resp.GetCreatedObjResults()[0].GetOperStatus().GetOperSuccess()
	if ok == nil {
		t.Fatalf("add %s: %v", co.ObjPath, resp)
	}
	return ok.GetInstantiatedPath()
}

// TestBulkDataReports: a node sends its profiles' reports on schedule
// to a real HTTPS collector (JSON and CSV; the limited Controller's
// report without what it cannot read), through Mosquitto, and as Push!
// events to the subscribed Controller; a collector down for three
// intervals gets the two retained reports, in order, with the next one;
// a URL with credentials is refused in the profile's status.
func TestBulkDataReports(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile, err := mqtttest.NewCA(dir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	col := newHTTPSCollector(t, certFile, keyFile)
	b := mqtttest.Start(t, mqtttest.Options{})
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	cfg := baseConfig(t)
	cfg.MQTT = &MQTTConfig{Broker: "mqtt://" + b.Addr(), CAFile: caFile, RetryMin: Duration(100 * time.Millisecond), RetryMax: Duration(time.Second)}
	cfg.Roles = []RoleConfig{{Name: "NoDeviceInfo", Permissions: []PermissionConfig{
		{Targets: []string{"Device."}, Param: "rw-n", Obj: "rw-n", InstantiatedObj: "rw-n", CommandEvent: "r-xn"},
		{Targets: []string{"Device.DeviceInfo."}, Param: "----", Obj: "----", InstantiatedObj: "----", CommandEvent: "----"}}}}
	cfg.Controllers = append(cfg.Controllers, ControllerConfig{EndpointID: limitedCtl, Role: "NoDeviceInfo"})
	n := startNode(t, cfg, Deps{Clock: clk})
	waitFor(t, 10*time.Second, "the node's MQTT session", func() bool { return get(t, n, "Device.MQTT.Client.1.Status") == "Connected" })
	full := dialNode(t, n, testCtl, testPSK)
	limited := dialNode(t, n, limitedCtl, testPSK)

	reports := make(chan []byte, 16)
	sub, err := mqtt.Dial(context.Background(), mqtt.Config{Broker: b.Addr(), ClientID: "collector", Topics: []string{"bulk/home1"},
		Handler: func(_ context.Context, m mqtt.Message) { reports <- m.Payload }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sub.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}

	base := clk.Timers()
	common := map[string]string{"ReportingInterval": "60", "TimeReference": "2025-01-01T00:00:00Z"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	a := addProfile(t, full, with("Protocol", "HTTP", "HTTP.URL", col.srv.URL+"/a", "NumberOfRetainedFailedReports", "2",
		"JSONEncoding.ReportFormat", "NameValuePair"), "Device.DeviceInfo.SerialNumber", "Device.LocalAgent.EndpointID")
	addProfile(t, limited, with("Protocol", "HTTP", "HTTP.URL", col.srv.URL+"/b", "EncodingType", "CSV",
		"CSVEncoding.ReportFormat", "ParameterPerRow", "HTTP.Compression", "GZIP"), "Device.DeviceInfo.", "Device.LocalAgent.EndpointID")
	addProfile(t, full, with("Protocol", "MQTT", "MQTT.Reference", "Device.MQTT.Client.1", "MQTT.PublishTopic", "bulk/home1"),
		"Device.DeviceInfo.SerialNumber")
	d := addProfile(t, full, with("Protocol", "USPEventNotif"), "Device.DeviceInfo.SerialNumber")
	if _, _, err := full.client.Subscribe(context.Background(), n.AgentID(), usp.Subscription{NotifType: "Event",
		ReferenceList: []string{d + "Push!"}}); err != nil {
		t.Fatal(err)
	}
	bad := addProfile(t, full, with("Protocol", "HTTP", "HTTP.URL", "https://user:pw@127.0.0.1:1/x"), "Device.DeviceInfo.SerialNumber")
	waitFor(t, 10*time.Second, "the refused URL", func() bool {
		return get(t, n, bad+"X_USPMESH_Status") == "Error" && strings.Contains(get(t, n, bad+"X_USPMESH_StatusMessage"), "credentials")
	})
	tick := func() {
		t.Helper()
		if !clk.WaitTimers(base+4, 10*time.Second) {
			t.Fatalf("%d timers wait, want %d", clk.Timers(), base+4)
		}
		clk.Advance(time.Minute)
	}

	tick()
	got := col.take(t, 2)
	if ra := got["/a"]; ra.format != "NameValuePair" || !strings.Contains(string(ra.body), `"Device.DeviceInfo.SerialNumber":"`+n.cfg.SerialNumber+`"`) {
		t.Fatalf("full Controller's report: %+v %s", ra, ra.body)
	}
	rb := got["/b"]
	if rb.contentType != "text/csv; charset=UTF-8; header=present" || !strings.Contains(string(rb.body), "Device.LocalAgent.EndpointID,"+string(n.AgentID())) {
		t.Fatalf("limited Controller's report: %+v %q", rb, rb.body)
	}
	if strings.Contains(string(rb.body), "DeviceInfo") {
		t.Fatalf("the limited Controller's report holds what it cannot read:\n%s", rb.body)
	}
	select {
	case p := <-reports:
		if !strings.Contains(string(p), n.cfg.SerialNumber) {
			t.Fatalf("MQTT report %s", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no MQTT report")
	}
	select {
	case nt := <-full.notes:
		ev := nt.GetEvent()
		if ev.GetEventName() != "Push!" || ev.GetObjPath() != d || !strings.Contains(ev.GetParams()["Data"], n.cfg.SerialNumber) {
			t.Fatalf("notification %v", nt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no Push! event")
	}

	// The collector is down for three intervals, then back.
	col.answer(500)
	for range 3 {
		tick()
		col.take(t, 2)
	}
	waitFor(t, 10*time.Second, "two retained reports", func() bool { return n.bulk.Load().Retained(a) == 2 })
	col.answer(200)
	tick()
	got = col.take(t, 2)
	var doc struct{ Report []map[string]any }
	if err := json.Unmarshal(got["/a"].body, &doc); err != nil {
		t.Fatalf("%s: %v", got["/a"].body, err)
	}
	var times []int64
	for _, r := range doc.Report {
		f, _ := r["CollectionTime"].(float64)
		times = append(times, int64(f))
	}
	want := []int64{start.Add(3 * time.Minute).Unix(), start.Add(4 * time.Minute).Unix(), start.Add(5 * time.Minute).Unix()}
	if len(times) != 3 || times[0] != want[0] || times[1] != want[1] || times[2] != want[2] {
		t.Fatalf("report times %v, want %v", times, want)
	}
	waitFor(t, 10*time.Second, "the status", func() bool { return get(t, n, a+"X_USPMESH_Status") == "Enabled" })
}
