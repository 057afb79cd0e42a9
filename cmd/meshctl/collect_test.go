package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestCollectorHandler: collect's endpoint takes POST and PUT reports,
// gzip or not, stores each in -dir by its content type, and refuses
// other methods and broken gzip with a clear status.
func TestCollectorHandler(t *testing.T) {
	dir := t.TempDir()
	got := make(chan collected, 4)
	srv := httptest.NewServer(collector(collectFlags{dir: dir}, got))
	t.Cleanup(srv.Close)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("ReportTimestamp,Device.DeviceInfo.SerialNumber\r\n1,SN1\r\n"))
	_ = zw.Close()
	for _, tc := range []struct {
		method, typ, enc string
		body             []byte
		want             int
		stored, ext      string
	}{
		{"POST", "text/csv; charset=UTF-8; header=present", "gzip", gz.Bytes(), http.StatusNoContent, "1,SN1", ".csv"},
		{"PUT", "application/json; charset=UTF-8", "", []byte(`{"Report":[]}`), http.StatusNoContent, `{"Report":[]}`, ".json"},
		{"GET", "", "", nil, http.StatusMethodNotAllowed, "", ""},
		{"POST", "text/csv", "gzip", []byte("not gzip"), http.StatusBadRequest, "", ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+"/home1?sn=SN1", bytes.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.typ)
		req.Header.Set("BBF-Report-Format", "ParameterPerColumn")
		if tc.enc != "" {
			req.Header.Set("Content-Encoding", tc.enc)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("%s %s: %d, want %d", tc.method, tc.typ, resp.StatusCode, tc.want)
		}
		if tc.stored == "" {
			continue
		}
		c := <-got
		b, err := os.ReadFile(c.File)
		if err != nil || !strings.HasSuffix(c.File, tc.ext) || !strings.Contains(string(b), tc.stored) || c.Body != string(b) ||
			c.URL != "/home1?sn=SN1" || c.Format != "ParameterPerColumn" || c.Method != tc.method {
			t.Fatalf("%s: %+v, stored %q (%v)", tc.method, c, b, err)
		}
	}
	if len(got) != 0 {
		t.Fatalf("%d refused requests were reported", len(got))
	}
}

// TestBulkDataTargetAndTLSFlags: a TARGET that is not an http(s) URL,
// mqtt:TOPIC or event, and -tls-cert without -tls-key, are usage
// errors found before anything is sent or served.
func TestBulkDataTargetAndTLSFlags(t *testing.T) {
	var ue *usageError
	for _, target := range []string{"ftp://c.example/r", "mqtt", "mqtt:", "events", ""} {
		err := createProfile(context.Background(), nil, collectFlags{encoding: "JSON", interval: 300}, []string{target, "Device.DeviceInfo."}, &report{})
		if !errors.As(err, &ue) || !strings.Contains(ue.msg, "TARGET") {
			t.Errorf("TARGET %q: %v, want a usage error", target, err)
		}
	}
	if err := runCollect(context.Background(), collectFlags{listen: "127.0.0.1:0", cert: "c.pem"}, 0, &report{}); !errors.As(err, &ue) {
		t.Errorf("-tls-cert alone: %v, want a usage error", err)
	}
}
