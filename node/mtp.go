package node

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/usp"
)

// parseMTP checks a coap:// or coaps:// USP URI.
func parseMTP(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "coap" && u.Scheme != "coaps") || u.Hostname() == "" {
		return nil, errNoURL
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("bad port %q", p)
		}
	}
	return u, nil
}

// addressBook remembers where each Controller is reachable: the reply-to
// of its last request, which answers it and, when its Controller row has
// no MTP, carries its Notify.
type addressBook struct {
	mu   sync.Mutex
	seen map[usp.EndpointID]string
}

func (a *addressBook) learn(id usp.EndpointID, replyTo string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = map[usp.EndpointID]string{}
	}
	a.seen[id] = replyTo
}

func (a *addressBook) lookup(id usp.EndpointID) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[id]
}

// transport is the node's usp.Transport: Records to an Endpoint go to its
// Controller row's CoAP MTP, else to the reply-to it last used.
type transport struct {
	n *Node
}

// SendRecord implements usp.Transport.
func (t transport) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	u := t.n.controllerMTP(ctx, to)
	if u == "" {
		u = t.n.book.lookup(to)
	}
	if u == "" {
		return fmt.Errorf("no MTP address known for %s", to)
	}
	return t.n.ep.Send(coap.WithPeer(ctx, string(to)), u, rec)
}

// controllerMTP reads the first enabled CoAP MTP of the Controller row of
// id, as a coap[s]:// URI, or "".
func (n *Node) controllerMTP(ctx context.Context, id usp.EndpointID) string {
	p, err := path.Parse(`Device.LocalAgent.Controller.[EndpointID==` + path.Quote(string(id)) + `].MTP.[Enable==true&&Protocol=="CoAP"].CoAP.`)
	if err != nil {
		return ""
	}
	res, err := n.model.Get(ctx, p, 0, nil)
	if err != nil || len(res) == 0 {
		return ""
	}
	v := map[string]string{}
	for _, pv := range res[0].Params {
		v[pv.Name] = pv.Value
	}
	if v["Host"] == "" {
		return ""
	}
	scheme := "coaps"
	if v["EnableEncryption"] == "false" {
		scheme = "coap"
	}
	host := v["Host"]
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + v["Port"] + "/" + strings.TrimPrefix(v["Path"], "/")
}
