package node

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/websocket"
	"github.com/uspmesh/uspmesh/webui"
)

// wsMTP is the Agent's WebSocket MTP: a server for in-home apps and
// browsers (when configured), and one Link per Controller whose MTP is a
// ws[s]:// URI (the Agent connects out to the Controller's server).
type wsMTP struct {
	n      *Node
	server *websocket.Server // nil without a websocket section
	// clientTLS is the TLS of the Links (wss): the Controllers' CA and
	// the node's own certificate, when the websocket section names them.
	clientTLS *tls.Config
	mtpRow    string

	mu     sync.Mutex
	closed bool
	links  map[usp.EndpointID]*wsLink
}

// wsLink is the Agent's session to one Controller's server.
type wsLink struct {
	url  string
	link *websocket.Link
}

// startWebSocket starts the server (if configured) and the Links of the
// configured Controllers with a ws[s]:// MTP.
func (n *Node) startWebSocket(ctx context.Context) error {
	w := &wsMTP{n: n, links: map[usp.EndpointID]*wsLink{}}
	if c := n.cfg.WebSocket; c != nil {
		sc := websocket.ServerConfig{Listen: c.Listen, Path: c.Path, EndpointID: string(n.agentID),
			KeepAlive: time.Duration(c.KeepAlive), MaxRecord: c.MaxRecord, Handler: w.accept,
			OnSession: w.session, Logger: n.log.With("sub", "websocket")}
		if c.UI {
			sc.HTTP = webui.Handler(webui.Config{AgentID: string(n.agentID), Path: c.Path, Controller: c.UIController})
		}
		if !c.Insecure {
			srv, cli, err := wsTLS(c)
			if err != nil {
				return err
			}
			sc.TLS, sc.RequireCert, w.clientTLS = srv, true, cli
		}
		var err error
		if w.server, err = websocket.Listen(n.base, sc); err != nil {
			return &ConfigError{"websocket.listen", c.Listen, err.Error()}
		}
		if w.mtpRow, err = provisionRow(ctx, n.model, "Device.LocalAgent.MTP.", "Alias", mtpAliasWS, [][2]string{
			{"Enable", "true"}, {"Protocol", mtpWebSocket}, {"EnableMDNS", "true"},
			{"WebSocket.Port", strconv.Itoa(int(w.server.Addr().Port()))}, {"WebSocket.Path", c.Path},
			{"WebSocket.EnableEncryption", strconv.FormatBool(!c.Insecure)},
			{"WebSocket.KeepAliveInterval", secs(time.Duration(c.KeepAlive), 30)},
		}); err != nil {
			_ = w.server.Close()
			return fmt.Errorf("provision WebSocket MTP row: %w", err)
		}
		n.log.Info("websocket mtp serving", "url", n.reachable(w.server.URL()), "client_certs", !c.Insecure)
		if c.UI {
			n.log.Info("status page serving", "url", w.pageURL(), "controller", cmp.Or(c.UIController, webui.DefaultController))
		}
	}
	n.ws.Store(w)
	for _, ctl := range n.cfg.Controllers {
		if u, err := url.Parse(ctl.MTP); err == nil && (u.Scheme == "ws" || u.Scheme == "wss") {
			if _, err := w.linkTo(usp.EndpointID(ctl.EndpointID), ctl.MTP); err != nil {
				return &ConfigError{"controllers.mtp", ctl.MTP, err.Error()}
			}
		}
	}
	return nil
}

// wsTLS reads the websocket section's certificate and Controllers' CA:
// the server's TLS (client certificates required) and the Links' TLS.
func wsTLS(c *WebSocketConfig) (server, client *tls.Config, err error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, nil, &ConfigError{"websocket.cert_file", c.CertFile, err.Error()}
	}
	pool, err := readPool("websocket.client_ca_file", c.ClientCAFile)
	if err != nil {
		return nil, nil, err
	}
	server = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	client = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, RootCAs: pool}
	return server, client, nil
}

// accept takes one Record from a session with the Agent's server: the
// peer is the Endpoint ID of its verified client certificate (or, with
// websocket.insecure, the one it stated); the answer goes back on the
// same session.
func (w *wsMTP) accept(_ context.Context, c *websocket.Conn, b []byte) {
	peer := c.PeerID()
	if !c.Authenticated() && !w.n.cfg.WebSocket.Insecure {
		peer = "" // cannot happen with RequireCert; never trust a stated ID
	}
	in := inbound{peer: peer, mtp: mtpWebSocket, source: c.Remote(),
		reply: func(ctx context.Context, _ string, rec []byte) error { return c.Send(ctx, rec) }}
	if err := w.n.intake.offer(b, in); err != nil {
		w.n.refusals.Info("ws-record", "websocket record refused", "peer", peer, "remote", c.Remote(), "err", err)
	}
}

// session runs when a Controller's session with the server is up: what
// waited for it is resent.
func (w *wsMTP) session(c *websocket.Conn) {
	if nt := w.n.notifier; nt != nil && c.PeerID() != "" {
		nt.Resume(usp.EndpointID(c.PeerID()))
	}
}

// linkTo returns the Link to Controller id at u, starting it (or
// restarting it when the URI changed).
func (w *wsMTP) linkTo(id usp.EndpointID, u string) (*wsLink, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, errClosing
	}
	if l := w.links[id]; l != nil {
		if l.url == u {
			return l, nil
		}
		_ = l.link.Close()
		delete(w.links, id)
	}
	dc := websocket.DialConfig{URL: u, EndpointID: string(w.n.agentID), PeerID: string(id), TLS: w.clientTLS,
		Logger: w.n.log.With("sub", "websocket", "controller", id)}
	if c := w.n.cfg.WebSocket; c != nil {
		dc.KeepAlive, dc.MaxRecord = time.Duration(c.KeepAlive), c.MaxRecord
	}
	dc.Handler = func(_ context.Context, c *websocket.Conn, b []byte) {
		in := inbound{peer: string(id), mtp: mtpWebSocket, source: u,
			reply: func(ctx context.Context, _ string, rec []byte) error { return c.Send(ctx, rec) }}
		if err := w.n.intake.offer(b, in); err != nil {
			w.n.refusals.Info("ws-link-record", "websocket record refused", "controller", id, "err", err)
		}
	}
	dc.OnUp = func(ctx context.Context, c *websocket.Conn) {
		if b, err := usp.EncodeRecord(usp.NewWebSocketConnect(id, w.n.agentID)); err == nil {
			if err := c.Send(ctx, b); err != nil {
				w.n.log.Info("websocket connect record not sent", "controller", id, "err", err)
			}
		}
		if nt := w.n.notifier; nt != nil {
			nt.Resume(id)
		}
	}
	link, err := websocket.Dial(w.n.base, dc)
	if err != nil {
		return nil, err
	}
	l := &wsLink{url: u, link: link}
	w.links[id] = l
	return l, nil
}

// sendLink sends rec to Controller to over its Link to u.
func (w *wsMTP) sendLink(ctx context.Context, to usp.EndpointID, u string, rec []byte) error {
	l, err := w.linkTo(to, u)
	if err != nil {
		return err
	}
	return l.link.Send(ctx, rec)
}

// state answers MTPState for the WebSocket MTP row.
func (w *wsMTP) state(row, param string) (string, bool) {
	if w.server != nil && row == w.mtpRow && param == "Status" {
		return "Up", true
	}
	return "", false
}

// port is the server's TCP port, or 0.
func (w *wsMTP) port() int {
	if w.server == nil {
		return 0
	}
	return int(w.server.Addr().Port())
}

// pageURL is the status page's address: the server's reachable URL with
// http(s) and the page's path.
func (w *wsMTP) pageURL() string {
	u, err := url.Parse(w.n.reachable(w.server.URL()))
	if err != nil {
		return ""
	}
	u.Scheme = map[string]string{"ws": "http", "wss": "https"}[u.Scheme]
	u.Path = webui.Prefix
	return u.String()
}

// path is the server's resource path without its leading slash.
func (w *wsMTP) path() string { return strings.TrimPrefix(w.n.cfg.WebSocket.Path, "/") }

// close ends every Link and the server.
func (w *wsMTP) close() error {
	w.mu.Lock()
	w.closed = true
	links := w.links
	w.links = nil
	w.mu.Unlock()
	for _, l := range links {
		_ = l.link.Close()
	}
	if w.server != nil {
		return w.server.Close()
	}
	return nil
}
