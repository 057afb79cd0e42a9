package webui

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler(Config{AgentID: "os::000000-AB", Path: "/usp"})
	for _, tc := range []struct {
		method, path string
		wantCode     int
		wantType     string
		wantBody     string // a substring
	}{
		{"GET", "/ui/", 200, "text/html; charset=utf-8", `<script src="app.js">`},
		{"GET", "/ui/index.html", 200, "text/html; charset=utf-8", "uspmesh status"},
		{"GET", "/ui/app.js", 200, "text/javascript; charset=utf-8", "class Peer"},
		{"GET", "/ui/usp.js", 200, "text/javascript; charset=utf-8", "encodeRecord"},
		{"GET", "/ui/style.css", 200, "text/css; charset=utf-8", "svg.chart"},
		{"HEAD", "/ui/app.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/ui/config.json", 200, "application/json", `"agent":"os::000000-AB","path":"/usp","controller":"proto::ui","certificate":false`},
		{"GET", "/", 302, "", ""},
		{"GET", "/ui", 302, "", ""},
		{"GET", "/ui/nothing.js", 404, "", ""},
		{"GET", "/ui/static/app.js", 404, "", ""},
		{"GET", "/other", 404, "", ""},
		{"POST", "/ui/", 405, "", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.wantCode {
				t.Fatalf("code %d, want %d", rec.Code, tc.wantCode)
			}
			if tc.wantType != "" && rec.Header().Get("Content-Type") != tc.wantType {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tc.wantType)
			}
			if !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("body lacks %q:\n%.300s", tc.wantBody, rec.Body.String())
			}
			if tc.wantCode == 200 && !strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src 'self'") {
				t.Errorf("no CSP: %v", rec.Header())
			}
			if tc.wantCode == 302 && rec.Header().Get("Location") != Prefix {
				t.Errorf("redirect to %q", rec.Header().Get("Location"))
			}
		})
	}
}

// The Controller of a verified client certificate is the page's.
func TestConfigFromCertificate(t *testing.T) {
	h := Handler(Config{AgentID: "os::a", Path: "/usp", Controller: "proto::lab"})
	u, _ := url.Parse("urn:bbf:usp:id:proto::phone")
	req := httptest.NewRequest("GET", "/ui/config.json", nil)
	req.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{URIs: []*url.URL{u}}}}}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var pc pageConfig
	if err := json.NewDecoder(rec.Body).Decode(&pc); err != nil {
		t.Fatal(err)
	}
	if want := (pageConfig{Agent: "os::a", Path: "/usp", Controller: "proto::phone", Certificate: true}); pc != want {
		t.Fatalf("config %+v, want %+v", pc, want)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/config.json", nil))
	b, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(b), `"controller":"proto::lab","certificate":false`) {
		t.Fatalf("without a certificate: %s", b)
	}
}

// Nothing of the page comes from elsewhere: no absolute URL in its files.
func TestNoExternalResources(t *testing.T) {
	for _, name := range []string{"index.html", "app.js", "usp.js", "style.css"} {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			s := strings.ReplaceAll(string(b), "http://www.w3.org/2000/svg", "")
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}
