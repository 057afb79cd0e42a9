package node

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// lockedBuffer is a bytes.Buffer safe for a logger and a test to share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBulkDataBadInput: over USP, an unsupported encoding or protocol is
// refused with 7012; an invalid reference, a collector answering 500 and
// URLs with credentials leave the node running and say so in the
// profile's status; no password reaches a status or the node's log.
func TestBulkDataBadInput(t *testing.T) {
	var logs lockedBuffer
	n := startNode(t, baseConfig(t), Deps{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	c := dialNode(t, n, testCtl, testPSK)
	ctx := context.Background()
	for _, kv := range [][2]string{{"EncodingType", "XML"}, {"Protocol", "CoAP"}, {"JSONEncoding.ReportFormat", "Flat"}, {"CSVEncoding.RowTimestamp", "Julian"}} {
		_, err := c.client.Add(ctx, c.agent, false, &uspmsg.Add_CreateObject{ObjPath: "Device.BulkData.Profile.",
			ParamSettings: []*uspmsg.Add_CreateParamSetting{{Param: kv[0], Value: kv[1], Required: true}}})
		if !invalidValue(err, kv[0]) {
			t.Fatalf("Add with %s %s: %v, want 7012", kv[0], kv[1], err)
		}
	}

	var mu sync.Mutex
	code := http.StatusInternalServerError
	bodies := make(chan string, 8)
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		w.WriteHeader(code)
		mu.Unlock()
		bodies <- string(b)
	}))
	t.Cleanup(col.Close)
	row := addProfile(t, c, map[string]string{"ReportingInterval": "86400", "HTTP.URL": col.URL + "/r", "NumberOfRetainedFailedReports": "1",
		"JSONEncoding.ReportFormat": "NameValuePair"}, "Device.DeviceInfo.SerialNumber", "Device.NoSuch.Thing")
	status := func() (string, string) {
		return get(t, n, row+"X_USPMESH_Status"), get(t, n, row+"X_USPMESH_StatusMessage")
	}
	waitFor(t, 10*time.Second, "the profile enabled", func() bool { s, _ := status(); return s == "Enabled" })
	for i := 1; i <= 2; i++ {
		force(t, c, row)
		select {
		case b := <-bodies:
			if !strings.Contains(b, `"Device.DeviceInfo.SerialNumber":"`+n.cfg.SerialNumber+`"`) {
				t.Fatalf("report %s", b)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no report")
		}
		waitFor(t, 10*time.Second, "the 500 in the status", func() bool {
			s, m := status()
			return s == "Error" && strings.Contains(m, "collector answered 500 Internal Server Error; 1 retained")
		})
	}
	mu.Lock()
	code = http.StatusOK
	mu.Unlock()
	force(t, c, row)
	if b := <-bodies; strings.Count(b, "CollectionTime") != 2 {
		t.Fatalf("after two 500s with NumberOfRetainedFailedReports 1: %s, want one retained report and the new one", b)
	}
	waitFor(t, 10*time.Second, "the invalid reference in the status", func() bool {
		s, m := status()
		return s == "Error" && strings.Contains(m, `Device.NoSuch.Thing`) && strings.Contains(m, "the rest delivered")
	})

	for _, url := range []string{"https://ops:s3cret@127.0.0.1:1/r", "https://ops:s3c/ret@127.0.0.1:1/r"} {
		bad := addProfile(t, c, map[string]string{"ReportingInterval": "86400", "HTTP.URL": url}, "Device.DeviceInfo.SerialNumber")
		waitFor(t, 10*time.Second, "the refused URL", func() bool {
			return get(t, n, bad+"X_USPMESH_Status") == "Error" && strings.Contains(get(t, n, bad+"X_USPMESH_StatusMessage"), "credentials in the URL are refused")
		})
		if m := get(t, n, bad+"X_USPMESH_StatusMessage"); strings.Contains(m, "s3c") {
			t.Fatalf("status shows the password: %s", m)
		}
	}
	// A password where it belongs, to a collector that is down: the
	// failure is logged and shown without it.
	pw := addProfile(t, c, map[string]string{"ReportingInterval": "86400", "HTTP.URL": "https://127.0.0.1:1/r",
		"HTTP.Username": "ops", "HTTP.Password": "s3cret-pw"}, "Device.DeviceInfo.SerialNumber")
	waitFor(t, 10*time.Second, "the profile enabled", func() bool { return get(t, n, pw+"X_USPMESH_Status") == "Enabled" })
	force(t, c, pw)
	waitFor(t, 10*time.Second, "the failure", func() bool { return strings.Contains(get(t, n, pw+"X_USPMESH_StatusMessage"), "not delivered") })
	waitFor(t, 10*time.Second, "the failure logged", func() bool { return strings.Contains(logs.String(), "bulk data report not delivered") })
	if strings.Contains(logs.String(), "s3c") || strings.Contains(get(t, n, pw+"X_USPMESH_StatusMessage"), "s3c") {
		t.Fatalf("a password reached the log or the status:\n%s", logs.String())
	}
	if get(t, n, "Device.BulkData.Status") != "Enabled" {
		t.Fatal("bulk data stopped")
	}
}
