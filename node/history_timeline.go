package node

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/election"
	"github.com/uspmesh/uspmesh/history"
	"github.com/uspmesh/uspmesh/usp"
)

// timelineTimeout bounds each node's answer to the leader's Query. All
// are asked at once, so a node that does not answer delays Timeline()
// by about this much at worst: inside meshctl's 10 s default timeout.
const timelineTimeout = 5 * time.Second

// TimelineRecord is one record of the home's timeline: a node's history
// record tagged with the node's Agent Endpoint ID.
type TimelineRecord struct {
	Node string `json:"node"`
	history.Record
}

// timeline runs Device.X_USPMESH_Mesh.Timeline() on the leader: it runs
// History.Query() with the same arguments on every live member over the
// mesh Controller's USP sessions (its own history directly), and merges
// the records by time. A node that does not answer is named in Failed;
// the others' records are still returned.
func (n *Node) timeline(ctx context.Context, _ datamodel.Row, in map[string]string) (map[string]string, error) {
	const cmd = meshRoot + "Timeline()"
	q, err := parseQuery(cmd, in)
	if err != nil {
		return nil, err
	}
	fail := func(msg string) error {
		return &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: cmd, Msg: msg}
	}
	m := n.meshNow()
	s := n.hist.Load()
	if m == nil || s == nil {
		return nil, fail("this node is not in a mesh")
	}
	m.mu.Lock()
	leader := m.leader
	var peers []usp.EndpointID
	for id, mem := range m.members {
		if id != string(n.agentID) && mem.Valid && mem.State == election.StateAlive {
			peers = append(peers, usp.EndpointID(id))
		}
	}
	m.mu.Unlock()
	if leader != string(n.agentID) {
		return nil, fail("only the leader assembles the timeline; the leader is " + leader)
	}
	slices.Sort(peers)
	args := maps.Clone(in)
	args["Limit"] = strconv.Itoa(q.Limit)
	var (
		mu     sync.Mutex
		recs   []TimelineRecord
		failed []string
		wg     sync.WaitGroup
	)
	for _, r := range s.h.Query(q) {
		recs = append(recs, TimelineRecord{string(n.agentID), r})
	}
	for _, id := range peers {
		wg.Go(func() {
			got, err := m.queryNode(ctx, id, args)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", id, err))
				return
			}
			for _, r := range got {
				recs = append(recs, TimelineRecord{string(id), r})
			}
		})
	}
	wg.Wait()
	slices.SortStableFunc(recs, func(a, b TimelineRecord) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Node, b.Node)
	})
	if len(recs) > q.Limit {
		recs = recs[len(recs)-q.Limit:]
	}
	out, err := recordsOut(recs)
	if err != nil {
		return nil, err
	}
	slices.Sort(failed)
	ids := []string{string(n.agentID)}
	for _, id := range peers {
		if !slices.ContainsFunc(failed, func(f string) bool { return strings.HasPrefix(f, string(id)+": ") }) {
			ids = append(ids, string(id))
		}
	}
	out["Nodes"], out["Failed"] = strings.Join(ids, ","), strings.Join(failed, "; ")
	return out, nil
}

// queryNode runs History.Query() on the Agent id.
func (m *mesh) queryNode(ctx context.Context, id usp.EndpointID, args map[string]string) ([]history.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, timelineTimeout)
	defer cancel()
	resp, err := m.client.Operate(ctx, id, historyRoot+"Query()", "", args)
	if err != nil {
		return nil, err
	}
	for _, r := range resp.GetOperationResults() {
		if f := r.GetCmdFailure(); f != nil {
			return nil, fmt.Errorf("usp error %d: %s", f.GetErrCode(), f.GetErrMsg())
		}
		if o := r.GetReqOutputArgs(); o != nil {
			var recs []history.Record
			if err := json.Unmarshal([]byte(o.GetOutputArgs()["Records"]), &recs); err != nil {
				return nil, fmt.Errorf("records: %w", err)
			}
			return recs, nil
		}
	}
	return nil, fmt.Errorf("no output arguments")
}
