package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
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

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
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

// TestCollectStopKeepsReportInFlight: a report whose upload is under way
// when collect is told to stop is still answered and printed; the Agent
// that gets 204 must not lose it.
func TestCollectStopKeepsReportInFlight(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runCollect(ctx, collectFlags{listen: addr}, 0, &report{command: "collect", out: out})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "collecting at") {
		if time.Now().After(deadline) {
			t.Fatal("collect did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"Report":[{"CollectionTime":1}]}`
	if _, err := fmt.Fprintf(conn, "POST /r HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body)); err != nil {
		t.Fatal(err)
	}
	// "100 Continue" comes when the handler starts reading the body: the
	// report is being uploaded. Stop collect now, then send the body.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "100") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the empty line ending it
		t.Fatal(err)
	}
	cancel()
	if _, err := conn.Write([]byte(body)); err != nil {
		t.Fatalf("collect closed a report's upload on stop: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a report uploaded while collect stopped: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("collect did not return after stop")
	}
	if !strings.Contains(out.String(), "CollectionTime") {
		t.Fatalf("the acknowledged report was not printed:\n%s", out.String())
	}
}
