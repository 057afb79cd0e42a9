//go:build linux

package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// What the mesh tests and the mesh benchmark read of the nodes.

// meshView is what one node's Device.X_USPMESH_Mesh. says.
type meshView struct {
	Status, Leader string
	Term           uint64
	// Nodes are the Node rows by Endpoint ID: Status and Address.
	Nodes map[string]nodeRow
}

type nodeRow struct{ Status, Address string }

var nodeRowParam = regexp.MustCompile(`^Device\.X_USPMESH_Mesh\.Node\.(\d+)\.(EndpointID|Status|Address)$`)

// readMesh Gets node i's view of the mesh, bounded by a few seconds.
func readMesh(h *Home, i int) (meshView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	vals, err := h.Get(ctx, i, "Device.X_USPMESH_Mesh.")
	if err != nil {
		return meshView{}, err
	}
	v := meshView{Status: vals["Device.X_USPMESH_Mesh.Status"], Leader: vals["Device.X_USPMESH_Mesh.Leader"], Nodes: map[string]nodeRow{}}
	v.Term, _ = strconv.ParseUint(vals["Device.X_USPMESH_Mesh.Term"], 10, 64)
	rows := map[string]map[string]string{}
	for k, val := range vals {
		if m := nodeRowParam.FindStringSubmatch(k); m != nil {
			if rows[m[1]] == nil {
				rows[m[1]] = map[string]string{}
			}
			rows[m[1]][m[2]] = val
		}
	}
	for _, r := range rows {
		v.Nodes[r["EndpointID"]] = nodeRow{Status: r["Status"], Address: r["Address"]}
	}
	return v, nil
}

// agreed checks that the nodes idx all answer, follow one leader in one
// term, and that the leader is one of them and says so; it returns the
// leader and term.
func agreed(h *Home, idx []int) (string, uint64, error) {
	var leader string
	var term uint64
	ids := map[string]int{}
	for _, i := range idx {
		n, _ := h.Node(i)
		ids[string(n.AgentID)] = i
	}
	for k, i := range idx {
		v, err := readMesh(h, i)
		if err != nil {
			return "", 0, fmt.Errorf("node %d: %w", i, err)
		}
		if v.Leader == "" {
			return "", 0, fmt.Errorf("node %d follows no leader (status %s)", i, v.Status)
		}
		if k == 0 {
			leader, term = v.Leader, v.Term
		} else if v.Leader != leader || v.Term != term {
			return "", 0, fmt.Errorf("node %d follows %s term %d, node %d %s term %d", i, v.Leader, v.Term, idx[0], leader, term)
		}
	}
	li, ok := ids[leader]
	if !ok {
		return "", 0, fmt.Errorf("leader %s is not one of nodes %v", leader, idx)
	}
	if v, err := readMesh(h, li); err != nil || v.Status != "Leader" {
		return "", 0, fmt.Errorf("leader node %d says status %q (%v)", li, v.Status, err)
	}
	return leader, term, nil
}

// awaitAgreed polls agreed until it holds for nodes idx, bounded by d
// and ctx, and returns the leader and term.
func awaitAgreed(ctx context.Context, h *Home, idx []int, d time.Duration) (string, uint64, error) {
	deadline := time.Now().Add(d)
	for {
		leader, term, err := agreed(h, idx)
		if err == nil {
			return leader, term, nil
		}
		if time.Now().After(deadline) {
			return "", 0, fmt.Errorf("no agreement on a leader within %v: %w", d, err)
		}
		select {
		case <-ctx.Done():
			return "", 0, ctx.Err()
		case <-time.After(agreePoll):
		}
	}
}

// agreePoll is how often awaitAgreed asks the nodes.
const agreePoll = 100 * time.Millisecond

// indexOf returns the index of the node whose Agent is agentID, or -1.
func indexOf(h *Home, agentID string) int {
	for _, n := range h.Nodes() {
		if string(n.AgentID) == agentID {
			return n.Index
		}
	}
	return -1
}

// seq returns from, from+1, …, to-1.
func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// controllerView is what node i says of one Controller: its role names
// and the IDs of its subscriptions.
type controllerView struct {
	Roles         []string
	Subscriptions []string
}

var (
	ctrlParam = regexp.MustCompile(`^Device\.LocalAgent\.Controller\.(\d+)\.(EndpointID|AssignedRole)$`)
	roleName  = regexp.MustCompile(`^(Device\.LocalAgent\.ControllerTrust\.Role\.\d+)\.Name$`)
	subParam  = regexp.MustCompile(`^Device\.LocalAgent\.Subscription\.(\d+)\.(Recipient|ID)$`)
)

// readControllers returns node i's Controllers by Endpoint ID.
func readControllers(h *Home, i int) (map[string]controllerView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	vals, err := h.Get(ctx, i, "Device.LocalAgent.Controller.", "Device.LocalAgent.ControllerTrust.Role.", "Device.LocalAgent.Subscription.")
	if err != nil {
		return nil, err
	}
	roles := map[string]string{}
	ctrls := map[string]map[string]string{}
	subs := map[string]map[string]string{}
	for k, v := range vals {
		if m := roleName.FindStringSubmatch(k); m != nil {
			roles[m[1]] = v
		}
		if m := ctrlParam.FindStringSubmatch(k); m != nil {
			row := "Device.LocalAgent.Controller." + m[1]
			if ctrls[row] == nil {
				ctrls[row] = map[string]string{}
			}
			ctrls[row][m[2]] = v
		}
		if m := subParam.FindStringSubmatch(k); m != nil {
			if subs[m[1]] == nil {
				subs[m[1]] = map[string]string{}
			}
			subs[m[1]][m[2]] = v
		}
	}
	out := map[string]controllerView{}
	for row, c := range ctrls {
		var cv controllerView
		for _, r := range strings.Split(c["AssignedRole"], ",") {
			if r = strings.TrimSuffix(strings.TrimSpace(r), "."); r != "" {
				cv.Roles = append(cv.Roles, roles[r])
			}
		}
		for _, s := range subs {
			if strings.TrimSuffix(s["Recipient"], ".") == row {
				cv.Subscriptions = append(cv.Subscriptions, s["ID"])
			}
		}
		out[c["EndpointID"]] = cv
	}
	return out, nil
}

// controllerOf is the mesh Controller's Endpoint ID of the node whose
// Agent is agentID ("os::OUI-SERIAL" → "self::ctrl-OUI-SERIAL").
func controllerOf(agentID string) string {
	return "self::ctrl-" + strings.TrimPrefix(agentID, "os::")
}
