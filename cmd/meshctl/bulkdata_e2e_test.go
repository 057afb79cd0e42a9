package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
)

// collectedReport is one report line of "meshctl -json collect".
type collectedReport struct {
	Time   string `json:"time"`
	Method string `json:"method"`
	URL    string `json:"url"`
	Format string `json:"format"`
	Type   string `json:"content_type"`
	Bytes  int    `json:"bytes"`
	File   string `json:"file"`
	Body   string `json:"body"`
}

// collectProc is a running "meshctl -json collect".
type collectProc struct {
	cmd     *exec.Cmd
	url     string
	reports chan collectedReport
	done    chan struct{}
	stderr  *strings.Builder
}

// startCollect runs meshctl collect over HTTPS on addr, storing reports
// in dir, and waits (bounded) for its "collecting at" line.
func startCollect(t *testing.T, addr, cert, key, dir string) *collectProc {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "meshctl"), "-json", "collect", "-addr", addr, "-tls-cert", cert, "-tls-key", key, "-dir", dir)
	return runCollectCmd(t, cmd)
}

// runCollectCmd starts cmd, a "meshctl -json collect", and waits
// (bounded) for its "collecting at" line.
func runCollectCmd(t *testing.T, cmd *exec.Cmd) *collectProc {
	t.Helper()
	c := &collectProc{cmd: cmd, reports: make(chan collectedReport, 64), done: make(chan struct{}), stderr: &strings.Builder{}}
	cmd.Stderr = c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		defer close(c.done)
		defer close(c.reports)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var env struct{ Results []json.RawMessage }
			if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
				t.Errorf("collect printed %q: %v", sc.Text(), err)
				continue
			}
			for _, raw := range env.Results {
				var r collectedReport
				var l struct{ URL string }
				if json.Unmarshal(raw, &r) == nil && r.Method != "" {
					c.reports <- r
				} else if json.Unmarshal(raw, &l) == nil && l.URL != "" {
					urls <- l.URL
				}
			}
		}
	}()
	t.Cleanup(func() { c.stop(t) })
	select {
	case c.url = <-urls:
	case <-c.done:
		_ = cmd.Wait()
		t.Fatalf("meshctl collect did not start: %s", c.stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("meshctl collect did not say where it collects: %s", c.stderr)
	}
	return c
}

// stop interrupts collect and waits (bounded) for it to exit cleanly.
func (c *collectProc) stop(t *testing.T) {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	exited := make(chan error, 1)
	go func() { <-c.done; exited <- c.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("meshctl collect exit: %v\n%s", err, c.stderr)
		}
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		t.Errorf("meshctl collect did not stop within 10 s")
	}
}

// takeReports returns the next n reports whose URL starts with each
// prefix of want (n each), in the order received per prefix.
func (c *collectProc) takeReports(t *testing.T, want map[string]int) map[string][]collectedReport {
	t.Helper()
	got := map[string][]collectedReport{}
	deadline := time.After(30 * time.Second)
	for {
		done := true
		for p, n := range want {
			if len(got[p]) < n {
				done = false
			}
		}
		if done {
			return got
		}
		select {
		case r, ok := <-c.reports:
			if !ok {
				t.Fatalf("meshctl collect exited: %s", c.stderr)
			}
			for p, n := range want {
				if strings.HasPrefix(r.URL, p) && len(got[p]) < n {
					got[p] = append(got[p], r)
				}
			}
		case <-deadline:
			t.Fatalf("collector got %v of %v reports", lens(got), want)
		}
	}
}

func lens(m map[string][]collectedReport) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

// jsonTimes returns the CollectionTime of each report of a JSON
// (ObjectHierarchy) body and checks each holds serial.
func jsonTimes(t *testing.T, r collectedReport, serial string) []int64 {
	t.Helper()
	var doc struct {
		Report []struct {
			CollectionTime int64
			Device         struct {
				DeviceInfo struct{ SerialNumber string }
				LocalAgent struct{ EndpointID string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatalf("JSON report %q: %v", r.Body, err)
	}
	var times []int64
	for _, rep := range doc.Report {
		if rep.Device.DeviceInfo.SerialNumber != serial || rep.Device.LocalAgent.EndpointID == "" {
			t.Fatalf("JSON report without its parameters: %s", r.Body)
		}
		times = append(times, rep.CollectionTime)
	}
	return times
}

// csvTimes returns the ReportTimestamp of each row of a CSV
// (ParameterPerColumn) body and checks each holds serial.
func csvTimes(t *testing.T, r collectedReport, serial string) []int64 {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.Body, "\r\n"), "\r\n")
	if lines[0] != "ReportTimestamp,Device.DeviceInfo.SerialNumber" {
		t.Fatalf("CSV header %q", lines[0])
	}
	var times []int64
	for _, l := range lines[1:] {
		ts, val, _ := strings.Cut(l, ",")
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || val != serial {
			t.Fatalf("CSV row %q", l)
		}
		times = append(times, n)
	}
	return times
}

// consecutive fails unless times step by exactly interval seconds.
func consecutive(t *testing.T, what string, times []int64, interval int64) {
	t.Helper()
	for i := 1; i < len(times); i++ {
		if times[i]-times[i-1] != interval {
			t.Fatalf("%s: collection times %v do not step by %d s", what, times, interval)
		}
	}
}

var notDelivered = regexp.MustCompile(`report of (\S+) not delivered: .*; (\d+) retained`)

// failedSince returns the time of the last failed collection of the
// profile at row and how many reports it retains, read with meshctl.
func failedSince(t *testing.T, d *daemon, sec []string, row string) (time.Time, int) {
	t.Helper()
	out, errOut, code := meshctl(t, d, sec, "get", row+"X_USPMESH_StatusMessage")
	if code != 0 {
		t.Fatalf("get status: %d %s", code, errOut)
	}
	m := notDelivered.FindStringSubmatch(out)
	if m == nil {
		return time.Time{}, 0
	}
	ts, err := time.Parse(time.RFC3339, m[1])
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(m[2])
	return ts, n
}

// TestBulkDataFromMeshd: the real meshd sends the reports of profiles
// that "meshctl bulkdata" creates in one command each to the real
// "meshctl collect" over HTTPS (a test CA, given to meshd with -ca): JSON
// and gzipped CSV reports arrive on schedule, one interval apart, and
// are stored; the collector stops for three intervals and, started
// again on the same address, receives the retained reports in order
// with the next one, and no more than NumberOfRetainedFailedReports.
func TestBulkDataFromMeshd(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile, err := mqtttest.NewCA(dir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	store := filepath.Join(dir, "reports")
	col := startCollect(t, addr, certFile, keyFile, store)

	// meshd in certificate mode: its -ca trust store, a bundle of the
	// DTLS CA and the collector's CA, verifies Controllers and
	// collectors alike.
	const serial, interval = "BULK01", 2
	dtlsCA, err := coap.NewCA("uspmesh test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	collectorCA, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "trust.pem")
	if err := os.WriteFile(bundle, append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: dtlsCA.Cert.Raw}), collectorCA...), 0o600); err != nil {
		t.Fatal(err)
	}
	agentCert, agentKey := issueFiles(t, dtlsCA, dir, "os::000000-"+serial, "agent")
	ctlCert, ctlKey := issueFiles(t, dtlsCA, dir, "proto::meshctl", "ctl")
	d := startMeshd(t, filepath.Join(dir, "state"), "-cert", agentCert, "-key", agentKey, "-ca", bundle,
		"-controller", "proto::meshctl=full", "-serial", serial, "-bulkdata-min-interval", "1s")
	sec := []string{"-cert", ctlCert, "-key", ctlKey, "-ca", bundle}
	iv := strconv.Itoa(interval)
	profiles := map[string]string{}
	for _, p := range []struct {
		key    string
		args   []string
		params int
	}{
		{"json", []string{"-retain", "2", col.url + "json", "Device.DeviceInfo.SerialNumber", "Device.LocalAgent.EndpointID"}, 2},
		{"csv", []string{"-retain", "3", "-encoding", "CSV", "-gzip", col.url + "csv", "Device.DeviceInfo.SerialNumber"}, 1},
	} {
		out, errOut, code := meshctl(t, d, sec, append([]string{"-json", "bulkdata", "-interval", iv}, p.args...)...)
		var env struct {
			Results []struct {
				Path       string
				Parameters int
			}
		}
		if code != 0 || json.Unmarshal([]byte(out), &env) != nil || len(env.Results) != 1 || env.Results[0].Parameters != p.params {
			t.Fatalf("meshctl bulkdata %v: %d %s %s", p.args, code, out, errOut)
		}
		profiles[p.key] = env.Results[0].Path
	}
	jsonRow, csvRow := profiles["json"], profiles["csv"]

	// On schedule: three reports each, one interval apart, received
	// within seconds of their collection time, and stored.
	got := col.takeReports(t, map[string]int{"/json?": 3, "/csv?": 3})
	var lastJSON, lastCSV int64
	var jt, ct []int64
	for _, r := range got["/json?"] {
		times := jsonTimes(t, r, serial)
		if len(times) != 1 || r.Format != "ObjectHierarchy" || !strings.HasPrefix(r.Type, "application/json") {
			t.Fatalf("JSON report %+v", r)
		}
		onTime(t, r, times[0])
		stored(t, r, ".json")
		jt = append(jt, times...)
	}
	for _, r := range got["/csv?"] {
		times := csvTimes(t, r, serial)
		if len(times) != 1 || r.Format != "ParameterPerColumn" || r.Type != "text/csv; charset=UTF-8; header=present" {
			t.Fatalf("CSV report %+v", r)
		}
		onTime(t, r, times[0])
		stored(t, r, ".csv")
		ct = append(ct, times...)
	}
	consecutive(t, "JSON", jt, interval)
	consecutive(t, "CSV", ct, interval)
	if !strings.Contains(got["/json?"][0].URL, "&sn="+serial) {
		t.Fatalf("report URL %s without the device's identity", got["/json?"][0].URL)
	}

	// The collector is down for three intervals.
	col.stop(t)
	lastJSON, lastCSV = jt[len(jt)-1], ct[len(ct)-1]
	for r := range col.reports {
		if strings.HasPrefix(r.URL, "/json?") {
			lastJSON = jsonTimes(t, r, serial)[0]
		} else {
			lastCSV = csvTimes(t, r, serial)[0]
		}
	}
	down := time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tj, nj := failedSince(t, d, sec, jsonRow)
		tc, _ := failedSince(t, d, sec, csvRow)
		if tj.Unix() >= lastJSON+3*interval && tc.Unix() >= lastCSV+3*interval {
			if nj != 2 {
				t.Fatalf("JSON profile retains %d reports, want its NumberOfRetainedFailedReports 2", nj)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no three failed collections since %d and %d (last %v, %v)", lastJSON, lastCSV, tj, tc)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("collector down for %v", time.Since(down).Round(time.Millisecond))

	// Back on the same address: the retained reports, oldest first,
	// with the next collection; the JSON profile kept only two.
	col = startCollect(t, addr, certFile, keyFile, store)
	got = col.takeReports(t, map[string]int{"/json?": 1, "/csv?": 1})
	jt = jsonTimes(t, got["/json?"][0], serial)
	ct = csvTimes(t, got["/csv?"][0], serial)
	t.Logf("after the outage: JSON %v (last before %d), CSV %v (last before %d)", jt, lastJSON, ct, lastCSV)
	if len(jt) != 3 || jt[0] < lastJSON+2*interval {
		t.Fatalf("JSON delivery after the outage holds %v; want 2 retained and the new one, the first failed (%d) dropped", jt, lastJSON+interval)
	}
	if len(ct) != 4 || ct[0] < lastCSV+interval {
		t.Fatalf("CSV delivery after the outage holds %v; want 3 retained and the new one", ct)
	}
	consecutive(t, "JSON after the outage", jt, interval)
	consecutive(t, "CSV after the outage", ct, interval)
	onTime(t, got["/json?"][0], jt[len(jt)-1])
	stored(t, got["/csv?"][0], ".csv")
}

// onTime fails unless r was received within 3 s of its collection time
// (seconds granularity; 2 s intervals).
func onTime(t *testing.T, r collectedReport, collected int64) {
	t.Helper()
	at, err := time.Parse(time.RFC3339, r.Time)
	if err != nil {
		t.Fatal(err)
	}
	if d := at.Unix() - collected; d < -1 || d > 3 {
		t.Fatalf("report collected at %d received at %d", collected, at.Unix())
	}
}

// stored fails unless collect stored r's body in a file ending in ext.
func stored(t *testing.T, r collectedReport, ext string) {
	t.Helper()
	b, err := os.ReadFile(r.File)
	if err != nil || !strings.HasSuffix(r.File, ext) || string(b) != r.Body {
		t.Fatalf("stored %s (%v): %q, want %q", r.File, err, b, r.Body)
	}
}

// issueFiles issues a certificate for the Endpoint ID id from ca and
// writes it and its key as dir/name.crt and dir/name.key.
func issueFiles(t *testing.T, ca *coap.CA, dir, id, name string) (certFile, keyFile string) {
	t.Helper()
	c, err := ca.Issue(id)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestBulkDataRefusedLeavesNoProfile: "meshctl bulkdata" whose
// Parameter the Agent refuses (a Reference over 256 characters) fails
// with the Agent's error and leaves no half-made profile behind; a
// ReportingInterval below meshd's -bulkdata-min-interval is refused
// with 7012.
func TestBulkDataRefusedLeavesNoProfile(t *testing.T) {
	d := startMeshd(t, t.TempDir(), "-psk-hex", testPSK, "-controller", "proto::meshctl=full", "-bulkdata-min-interval", "30s")
	sec := []string{"-psk-hex", testPSK}
	long := "Device.DeviceInfo." + strings.Repeat("X", 300)
	_, errOut, code := meshctl(t, d, sec, "bulkdata", "-interval", "60", "http://127.0.0.1:1/r", "Device.DeviceInfo.SerialNumber", long)
	if code == 0 || !strings.Contains(errOut, "Reference") {
		t.Fatalf("a 300-character Reference: exit %d, %s", code, errOut)
	}
	_, errOut, code = meshctl(t, d, sec, "bulkdata", "-interval", "10", "http://127.0.0.1:1/r", "Device.DeviceInfo.SerialNumber")
	if code == 0 || !strings.Contains(errOut, "7012") || !strings.Contains(errOut, "ReportingInterval") {
		t.Fatalf("ReportingInterval 10 below 30: exit %d, %s", code, errOut)
	}
	out, errOut, code := meshctl(t, d, sec, "get", "Device.BulkData.MinReportingInterval", "Device.BulkData.Profile.")
	if code != 0 || !strings.Contains(out, "MinReportingInterval => 30") || strings.Contains(out, "Profile.") {
		t.Fatalf("after the refusals: exit %d\n%s%s", code, out, errOut)
	}
}

// TestBulkDataRoleFilteringFromMeshd: two Controllers of the real meshd
// create the same profile with "meshctl bulkdata"; the one whose role
// (from meshd's -config) cannot read Device.DeviceInfo. never sees it
// in its reports at "meshctl collect", the other does.
func TestBulkDataRoleFilteringFromMeshd(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "meshd.json")
	if err := os.WriteFile(conf, []byte(`{"roles": [{"name": "NoDeviceInfo", "permissions": [
		{"targets": ["Device."], "param": "rw-n", "obj": "rw-n", "instantiated_obj": "rw-n", "command_event": "r-xn"},
		{"targets": ["Device.DeviceInfo."], "param": "----", "obj": "----", "instantiated_obj": "----", "command_event": "----"}]}],
		"controllers": [{"endpoint_id": "proto::meshctl", "role": "full"}, {"endpoint_id": "proto::limited", "role": "NoDeviceInfo"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	col := startCollectHTTP(t, filepath.Join(dir, "reports"))
	const serial = "ROLE01"
	d := startMeshd(t, filepath.Join(dir, "state"), "-config", conf, "-psk-hex", testPSK, "-serial", serial, "-bulkdata-min-interval", "1s")
	for _, id := range []string{"proto::meshctl", "proto::limited"} {
		sec := []string{"-psk-hex", testPSK, "-id", id}
		if _, errOut, code := meshctl(t, d, sec, "bulkdata", "-interval", "1", "-encoding", "CSV", "-format", "ParameterPerRow",
			col.url+strings.TrimPrefix(id, "proto::"), "Device.DeviceInfo.", "Device.LocalAgent.EndpointID"); code != 0 {
			t.Fatalf("%s: meshctl bulkdata: %s", id, errOut)
		}
	}
	got := col.takeReports(t, map[string]int{"/meshctl?": 2, "/limited?": 2})
	for _, r := range got["/meshctl?"] {
		if !strings.Contains(r.Body, ",Device.DeviceInfo.SerialNumber,"+serial+",") || !strings.Contains(r.Body, ",Device.LocalAgent.EndpointID,") {
			t.Fatalf("full Controller's report:\n%s", r.Body)
		}
	}
	for _, r := range got["/limited?"] {
		if strings.Contains(r.Body, "DeviceInfo") || strings.Contains(r.Body, "SerialNumber") || !strings.Contains(r.Body, ",Device.LocalAgent.EndpointID,"+d.agentID) {
			t.Fatalf("the limited Controller's report holds what its role cannot read, or lacks what it can:\n%s", r.Body)
		}
	}
}

// startCollectHTTP is startCollect over plain HTTP on a free port.
func startCollectHTTP(t *testing.T, dir string) *collectProc {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "meshctl"), "-json", "collect", "-addr", "127.0.0.1:0", "-dir", dir)
	return runCollectCmd(t, cmd)
}
