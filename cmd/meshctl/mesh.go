package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/uspmesh/uspmesh/discovery"
	"github.com/uspmesh/uspmesh/usp"
)

// browseFor collects the USP endpoints DNS-SD finds during wait (any
// cluster, any vendor), stopping early when done says so.
func browseFor(ctx context.Context, kinds []discovery.Kind, wait time.Duration, done func([]discovery.Peer) bool) ([]discovery.Peer, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	b, err := discovery.Browse(ctx, discovery.BrowseConfig{Kinds: kinds, AnyCluster: true, Interval: time.Second, MaxInterval: time.Second})
	if err != nil {
		return nil, fmt.Errorf("DNS-SD: %w", err)
	}
	defer b.Close()
	for {
		select {
		case <-ctx.Done():
			return b.Snapshot(), nil
		case _, ok := <-b.Peers():
			if !ok {
				return b.Snapshot(), nil
			}
			if done != nil && done(b.Snapshot()) {
				return b.Snapshot(), nil
			}
		}
	}
}

// lookupAgent finds the USP URI of the Agent id by DNS-SD.
func lookupAgent(ctx context.Context, id string, wait time.Duration) (string, error) {
	find := func(ps []discovery.Peer) string {
		for _, p := range ps {
			if p.EndpointID == id && p.Kind == discovery.Agent {
				return p.URL()
			}
		}
		return ""
	}
	ps, err := browseFor(ctx, []discovery.Kind{discovery.Agent}, wait, func(ps []discovery.Peer) bool { return find(ps) != "" })
	if err != nil {
		return "", err
	}
	if u := find(ps); u != "" {
		return u, nil
	}
	return "", fmt.Errorf("agent %s not found by DNS-SD within %s (give -url)", id, wait)
}

// endpoint is a USP endpoint DNS-SD found.
type endpoint struct {
	Kind       string `json:"kind"`
	EndpointID string `json:"endpoint_id"`
	URL        string `json:"url"`
	Name       string `json:"name"`
	Cluster    string `json:"cluster"`
	Encrypt    bool   `json:"encrypt"`
	Gossip     int    `json:"gossip,omitempty"`
}

// text is one row of discover's table.
func (e endpoint) text(w io.Writer) {
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.Kind, e.EndpointID, e.URL, dash(e.Name), dash(e.Cluster))
}

// cmdDiscover lists the USP endpoints advertised on the LAN.
func cmdDiscover(ctx context.Context, o options, _ *cmdFlags, _ []string, r *report) error {
	ps, err := browseFor(ctx, []discovery.Kind{discovery.Agent, discovery.Controller}, o.wait, nil)
	if err != nil {
		return err
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Kind != ps[j].Kind {
			return ps[i].Kind < ps[j].Kind
		}
		return ps[i].EndpointID < ps[j].EndpointID
	})
	for _, p := range ps {
		r.add(endpoint{p.Kind.String(), p.EndpointID, p.URL(), p.Name, p.Cluster, p.Encrypt, p.Gossip})
	}
	if r.json {
		return nil
	}
	out := r.out
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tENDPOINT ID\tURL\tNAME\tCLUSTER")
	r.out = tw
	err = r.flush()
	r.out = out
	if err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d endpoint(s) in %s\n", len(ps), o.wait)
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nodeStatus is one node's view of the mesh.
type nodeStatus struct {
	EndpointID string   `json:"endpoint_id"`
	URL        string   `json:"url"`
	Status     string   `json:"status,omitempty"`
	Leader     string   `json:"leader,omitempty"`
	Term       string   `json:"term,omitempty"`
	Members    []string `json:"members,omitempty"`
	// Error is why the node did not answer, reported in "errors" (with
	// Code, the USP error code, when the node gave one).
	Error string `json:"-"`
	Code  uint32 `json:"-"`
}

// text is one row of status's table.
func (r nodeStatus) text(w io.Writer) {
	st := r.Status
	if r.Error != "" {
		st = "(" + r.Error + ")"
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", r.EndpointID, dash(st), dash(r.Leader), dash(r.Term), len(r.Members))
}

// cmdStatus asks every node of the mesh for its view: the nodes are those
// the first Agent lists under Device.X_USPMESH_Mesh.Node (or, without
// -agent, those DNS-SD finds), and the mesh agrees when every node
// answers, follows the same leader and term, and sees the same members.
func cmdStatus(ctx context.Context, o options, _ *cmdFlags, _ []string, r *report) error {
	targets := map[string]string{} // Endpoint ID → URL
	if o.agent == "" {
		ps, err := browseFor(ctx, []discovery.Kind{discovery.Agent}, o.wait, nil)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return fmt.Errorf("no Agent found by DNS-SD within %s (give -agent and -url)", o.wait)
		}
		for _, p := range ps {
			targets[p.EndpointID] = p.URL()
		}
		for id := range targets {
			o.agent = id
			o.url = targets[id]
			break
		}
	}
	if o.url == "" && o.wsListen == "" {
		// dial finds -agent's coap[s]:// URI by DNS-SD.
	} else if t, err := resolveTarget(o); err != nil {
		return err
	} else if t.kind != mtpCoAP {
		return fmt.Errorf("status works over CoAP only (the mesh's nodes answer at their coap[s]:// URIs): give a coap[s]:// -url or none")
	}
	s, err := dial(ctx, o, io.Discard)
	if err != nil {
		return err
	}
	defer s.Close()
	targets[string(s.to)] = s.opts.url
	first := queryStatus(ctx, s, string(s.to), s.opts.url)
	for id, url := range first.nodeURLs {
		if _, ok := targets[id]; !ok {
			targets[id] = url
		}
	}
	ids := make([]string, 0, len(targets))
	for id := range targets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	res := make([]nodeStatus, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		if id == string(s.to) {
			res[i] = first.nodeStatus
			continue
		}
		s.routes.add(usp.EndpointID(id), targets[id])
		wg.Go(func() { res[i] = queryStatus(ctx, s, id, targets[id]).nodeStatus })
	}
	wg.Wait()
	agree := agreement(res)
	if r.json {
		for _, n := range res {
			r.add(n)
			if n.Error != "" {
				r.fail(pathError{Agent: n.EndpointID, Path: statusPath, Code: n.Code, Message: n.Error})
			}
		}
		if !agree {
			r.fail(pathError{Message: "the nodes do not agree"})
		}
		return nil
	}
	out := r.out
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tSTATUS\tLEADER\tTERM\tMEMBERS")
	for _, n := range res {
		n.text(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if agree {
		fmt.Fprintf(out, "agree: yes (%d %s)\n", len(res), plural(len(res), "node", "nodes"))
		return nil
	}
	fmt.Fprintf(out, "agree: no\n")
	return fmt.Errorf("the nodes do not agree")
}

func plural(n int, one, more string) string {
	if n == 1 {
		return one
	}
	return more
}

// statusPath is the object status Gets of every node.
const statusPath = "Device.X_USPMESH_Mesh."

type statusResult struct {
	nodeStatus
	nodeURLs map[string]string
}

// queryStatus Gets Device.X_USPMESH_Mesh. of one node.
func queryStatus(ctx context.Context, s *session, id, url string) statusResult {
	r := statusResult{nodeStatus: nodeStatus{EndpointID: id, URL: url}, nodeURLs: map[string]string{}}
	cctx, cancel := context.WithTimeout(ctx, s.opts.timeout)
	defer cancel()
	resp, err := s.client.Get(cctx, usp.EndpointID(id), 0, statusPath)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	scheme := "coaps"
	if strings.HasPrefix(url, "coap:") {
		scheme = "coap"
	}
	for _, rr := range resp.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			r.Error, r.Code = rr.GetErrMsg(), rr.GetErrCode()
			return r
		}
		for _, res := range rr.GetResolvedPathResults() {
			p, v := res.GetResolvedPath(), res.GetResultParams()
			switch {
			case p == "Device.X_USPMESH_Mesh.":
				r.Status, r.Leader, r.Term = v["Status"], v["Leader"], v["Term"]
			case strings.HasPrefix(p, "Device.X_USPMESH_Mesh.Node.") && strings.Count(p, ".") == 4:
				if v["Status"] == "Member" || v["Status"] == "Leader" {
					r.Members = append(r.Members, v["EndpointID"])
				}
				if a, err := netip.ParseAddr(v["Address"]); err == nil && v["Port"] != "" && v["Port"] != "0" {
					r.nodeURLs[v["EndpointID"]] = fmt.Sprintf("%s://%s:%s/usp", scheme, a, v["Port"])
				}
			}
		}
	}
	slices.Sort(r.Members)
	return r
}

// agreement says whether every node answered with the same leader, term
// and member set; a node alone (it knows no other, as on a node without
// a mesh secret, or before its first election) agrees with itself.
func agreement(res []nodeStatus) bool {
	if len(res) == 0 {
		return false
	}
	if len(res) == 1 {
		return res[0].Error == ""
	}
	for _, r := range res {
		if r.Error != "" || r.Leader == "" || r.Leader != res[0].Leader || r.Term != res[0].Term ||
			!slices.Equal(r.Members, res[0].Members) {
			return false
		}
	}
	return true
}
