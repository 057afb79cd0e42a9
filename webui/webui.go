// Package webui is meshd's status page: static files embedded in the
// binary (index.html, app.js, usp.js, style.css; no CDN) that run in the
// browser as a USP Controller over the Agent's WebSocket MTP (subprotocol
// v1.usp, binary frames, Records with no_session_context).
//
// Data enters the page only through USP: the node that served it gives
// the mesh's nodes and leader (Device.X_USPMESH_Mesh.), and the page
// opens a session to every node's WebSocket server (the addresses of the
// Node rows, the page's own port and path) for its radios, clients and
// neighbour scans, and to the leader's for the channel plan. Subscriptions
// keep it live. The page authenticates like any Controller: its Endpoint
// ID must be configured on every node with a role (read is enough), and
// the WebSocket server checks it: from the browser's client certificate
// (wss) or, with an insecure server (labs), from the eid query parameter.
//
// Handler serves the files under Prefix and config.json, the facts the page
// cannot learn over USP before its first Record: the Agent's Endpoint ID
// (the to_id), the MTP path and the Controller Endpoint ID to use.
package webui

import (
	"bytes"
	"crypto/x509"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is the path the page is served under.
const Prefix = "/ui/"

// DefaultController is the Controller Endpoint ID the page uses when
// neither its URL (?eid=) nor a client certificate names one.
const DefaultController = "proto::ui"

//go:embed static
var static embed.FS

// Config is what Handler tells the page. It is not changed after Handler.
type Config struct {
	// AgentID is the Endpoint ID of the Agent whose server serves the
	// page: the to_id of its first session's Records.
	AgentID string
	// Path is the WebSocket MTP's resource path, e.g. "/usp"; every node
	// of the home is assumed to serve the same path on the same port.
	Path string
	// Controller is the Endpoint ID the page connects as when the request
	// has no client certificate naming one; "" means DefaultController.
	Controller string
}

// pageConfig is config.json.
type pageConfig struct {
	Agent      string `json:"agent"`
	Path       string `json:"path"`
	Controller string `json:"controller"`
	// Certificate: the browser presented a verified client certificate
	// naming Controller; the page then sends no eid (the server takes the
	// certificate's).
	Certificate bool `json:"certificate"`
}

// contentTypes are the types of the files served.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// securityHeaders keep the page to its own files: scripts and styles from
// the node only, WebSocket connections to the home's nodes, no framing.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"Cache-Control":          "no-cache",
}

// Handler serves the page: "/" and "/ui" redirect to Prefix, Prefix is
// index.html, Prefix+"config.json" the page's configuration and the
// other embedded files by name. Only GET and HEAD are served.
func Handler(cfg Config) http.Handler {
	if cfg.Controller == "" {
		cfg.Controller = DefaultController
	}
	files, _ := fs.Sub(static, "static")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/" || r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			http.Redirect(w, r, Prefix, http.StatusFound)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range securityHeaders {
			w.Header().Set(k, v)
		}
		switch name {
		case "config.json":
			serveConfig(w, r, cfg)
			return
		case "":
			name = "index.html"
		}
		ctype, known := contentTypes[path.Ext(name)]
		b, err := fs.ReadFile(files, name)
		if !known || err != nil || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}

// serveConfig writes config.json for r: the Controller is the one its
// verified client certificate names, if any.
func serveConfig(w http.ResponseWriter, r *http.Request, cfg Config) {
	pc := pageConfig{Agent: cfg.AgentID, Path: cfg.Path, Controller: cfg.Controller}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		if id := certEndpointID(r.TLS.VerifiedChains[0][0]); id != "" {
			pc.Controller, pc.Certificate = id, true
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(pc)
}

// certEndpointID is the Endpoint ID a certificate's SAN URI
// urn:bbf:usp:id:<EID> names (TR-369 R-SEC.4), or "".
func certEndpointID(c *x509.Certificate) string {
	for _, u := range c.URIs {
		if id, ok := strings.CutPrefix(u.String(), "urn:bbf:usp:id:"); ok {
			return id
		}
	}
	return ""
}
