package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/usp"
)

// parseMTP checks a Controller's MTP URI: coap[s]:// or ws[s]://.
func parseMTP(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return nil, errNoURL
	}
	switch u.Scheme {
	case "coap", "coaps", "ws", "wss":
	default:
		return nil, errNoURL
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("bad port %q", p)
		}
	}
	return u, nil
}

// route is one way to a Controller: the MTP and session that carried the
// request that created its subscription.
type route struct {
	mtp, source string
	send        replyFunc
}

type routeKey struct{}

// withRoute records in ctx the way back to the sender of q, for the
// Agent's Subscribed hook.
func withRoute(ctx context.Context, q inbound) context.Context {
	return context.WithValue(ctx, routeKey{}, route{mtp: q.mtp, source: q.source, send: q.reply})
}

// addressBook remembers, per Controller, where it subscribed from: the
// last Add or Set of a Subscription row it sent. That carries its Notify
// when its Controller row names no MTP, so that another process using the
// same Endpoint ID for a one-off request does not steal them.
type addressBook struct {
	mu   sync.Mutex
	seen map[usp.EndpointID]route
}

// subscribed is the Agent's Subscribed hook.
func (a *addressBook) subscribed(ctx context.Context, id usp.EndpointID) {
	r, ok := ctx.Value(routeKey{}).(route)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = map[usp.EndpointID]route{}
	}
	a.seen[id] = r
}

func (a *addressBook) lookup(id usp.EndpointID) (route, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.seen[id]
	return r, ok
}

// transport is the node's usp.Transport for notifications: a Record goes
// to its Controller's enabled MTPs in their Order, else to its live
// WebSocket session with the Agent's server, else where it subscribed
// from.
type transport struct {
	n *Node
}

// errNoRoute: nothing is known of where a Controller listens.
var errNoRoute = errors.New("no MTP known")

// SendRecord implements usp.Transport.
func (t transport) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	n := t.n
	var errs []error
	for _, m := range n.controllerMTPs(ctx, to) {
		err := n.sendMTP(ctx, to, m, rec)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", m.protocol, err))
	}
	if w := n.wsNow(); w != nil && w.server != nil {
		if c := w.server.Session(string(to)); c != nil {
			if err := c.Send(ctx, rec); err == nil {
				return nil
			} else {
				errs = append(errs, fmt.Errorf("WebSocket session: %w", err))
			}
		}
	}
	if r, ok := n.book.lookup(to); ok {
		if err := r.send(ctx, string(to), rec); err != nil {
			return errors.Join(append(errs, fmt.Errorf("%s %s: %w", r.mtp, r.source, err))...)
		}
		return nil
	}
	if len(errs) == 0 {
		return fmt.Errorf("%s: %w", to, errNoRoute)
	}
	return errors.Join(errs...)
}

// ctrlMTP is one enabled Device.LocalAgent.Controller.{i}.MTP.{i} row.
type ctrlMTP struct {
	protocol string
	order    int
	// url is the CoAP or WebSocket URI; topic the MQTT Topic.
	url, topic string
}

// controllerMTPs reads the enabled MTP rows of Controller id, by Order.
func (n *Node) controllerMTPs(ctx context.Context, id usp.EndpointID) []ctrlMTP {
	p, err := path.Parse(`Device.LocalAgent.Controller.[EndpointID==` + path.Quote(string(id)) + `].MTP.[Enable==true].`)
	if err != nil {
		return nil
	}
	res, err := n.model.Get(ctx, p, 0, nil)
	if err != nil {
		return nil
	}
	rows := map[string]map[string]string{}
	var order []string
	for _, r := range res {
		row, sub, _ := splitMTPRow(r.Path)
		if rows[row] == nil {
			rows[row] = map[string]string{}
			order = append(order, row)
		}
		for _, pv := range r.Params {
			rows[row][sub+pv.Name] = pv.Value
		}
	}
	var out []ctrlMTP
	for _, row := range order {
		v := rows[row]
		m := ctrlMTP{protocol: v["Protocol"]}
		m.order, _ = strconv.Atoi(v["Order"])
		switch m.protocol {
		case mtpCoAP:
			m.url = hostURL(v, "CoAP.", "coap")
		case mtpWebSocket:
			m.url = hostURL(v, "WebSocket.", "ws")
		case mtpMQTT:
			m.topic = v["MQTT.Topic"]
		}
		if m.url != "" || m.topic != "" {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b ctrlMTP) int { return cmp.Compare(a.order, b.order) })
	return out
}

// splitMTPRow splits "….MTP.3.CoAP." into the row path "….MTP.3." and
// the sub-object prefix "CoAP.".
func splitMTPRow(p string) (row, sub string, ok bool) {
	i := strings.LastIndex(p, ".MTP.")
	if i < 0 {
		return p, "", false
	}
	rest := p[i+len(".MTP."):]
	j := strings.Index(rest, ".")
	if j < 0 {
		return p, "", false
	}
	return p[:i+len(".MTP.")+j+1], rest[j+1:], true
}

// hostURL builds scheme[s]://host:port/path from a CoAP or WebSocket
// sub-object's Host, Port, Path and EnableEncryption, or "".
func hostURL(v map[string]string, sub, scheme string) string {
	host := v[sub+"Host"]
	if host == "" {
		return ""
	}
	if v[sub+"EnableEncryption"] != "false" {
		scheme += "s"
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + v[sub+"Port"] + "/" + strings.TrimPrefix(v[sub+"Path"], "/")
}

// sendMTP sends rec to Controller to over one of its MTP rows.
func (n *Node) sendMTP(ctx context.Context, to usp.EndpointID, m ctrlMTP, rec []byte) error {
	switch m.protocol {
	case mtpCoAP:
		return n.ep.Send(coap.WithPeer(ctx, string(to)), m.url, rec)
	case mtpMQTT:
		q := n.mqttNow()
		if q == nil {
			return errors.New("no MQTT client configured")
		}
		return q.publish(ctx, m.topic, rec)
	case mtpWebSocket:
		w := n.wsNow()
		if w == nil {
			return errors.New("no WebSocket link")
		}
		return w.sendLink(ctx, to, m.url, rec)
	}
	return fmt.Errorf("MTP %q not supported", m.protocol)
}
