package node

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/uspmesh/uspmesh/election"
	"github.com/uspmesh/uspmesh/leader"
	"github.com/uspmesh/uspmesh/usp"
)

// Role names of the mesh roles in mesh.roles.
const (
	meshRoleLeader = "leader"
	meshRolePeer   = "peer"
)

// discoveryLoop turns DNS-SD sightings into candidates, which it proves
// by gossip with the mesh key before they count (see proofs): a proven
// peer gets a Node row and becomes a gossip seed; the others are tried a
// few times, at most proofParallel at once, and given up.
func (m *mesh) discoveryLoop(ctx context.Context) {
	defer m.wg.Done()
	pl := m.newProofLoop()
	defer pl.close()
	for {
		select {
		case <-ctx.Done():
			return
		case p, ok := <-m.disc.Peers():
			if !ok {
				return
			}
			pl.onPeer(ctx, p)
		case r := <-pl.results:
			pl.onResult(ctx, r)
		case <-pl.wake:
			pl.onWake(ctx)
		}
		pl.step(ctx)
	}
}

// aliveAgents lists the Agents of the alive members, this node's last:
// the leader loop's Members.
func (m *mesh) aliveAgents() []usp.EndpointID {
	m.mu.Lock()
	defer m.mu.Unlock()
	self := string(m.n.agentID)
	var out []usp.EndpointID
	for name, mem := range m.members {
		if mem.Valid && mem.State == election.StateAlive && name != self {
			out = append(out, usp.EndpointID(name))
		}
	}
	slices.Sort(out)
	return append(out, m.n.agentID)
}

// electionLoop follows leader changes: the fence, the mesh status, the
// roles, and the leader loop's term.
func (m *mesh) electionLoop(ctx context.Context) {
	defer m.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-m.cluster.Events():
			if !ok {
				return
			}
			m.onLeaderChange(ctx, ev)
			m.refreshMembers(ctx)
			select {
			case m.terms <- leader.Term{Term: ev.Term, Leading: ev.IsLeader}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// refreshLoop writes the member table into the model and the mesh roles
// every refresh period: memberlist reports no member changes as events.
func (m *mesh) refreshLoop(ctx context.Context) {
	defer m.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.n.deps.Clock.After(m.prof.refresh):
			m.refreshMembers(ctx)
		}
	}
}

// onLeaderChange persists the term followed (the fence), publishes the
// leader and term, and moves the mesh-leader role. While the election
// cannot write its state file, the mesh says Degraded and why.
func (m *mesh) onLeaderChange(ctx context.Context, ev election.LeaderChange) {
	m.mu.Lock()
	m.leader = ev.Leader
	m.mu.Unlock()
	fence := m.n.fence
	if ev.Leader != "" {
		if err := fence.Raise(ev.Term); err != nil {
			m.log.Error("fence", "err", err)
		}
	}
	status, msg := "Follower", ""
	switch {
	case ev.PersistErr != nil:
		// The election logged the failure once; it retries by itself.
		status, msg = "Degraded", truncate("cannot persist the leader term, not a candidate: "+ev.PersistErr.Error(), 256)
	case ev.Leader == "":
		status = "Electing"
	case ev.IsLeader:
		status = "Leader"
	}
	m.log.Info("leader", "leader", ev.Leader, "term", ev.Term, "self", ev.IsLeader)
	if err := setParams(ctx, m.n.model, meshRoot, map[string]string{"Leader": ev.Leader,
		"Term": strconv.FormatUint(max(ev.Term, fence.Term()), 10), "Status": status, "StatusMessage": msg}); err != nil {
		m.log.Warn("mesh params", "err", err)
	}
}

// refreshMembers writes the member table into Node rows and keeps each
// member Controller's role: mesh-leader for the leader followed, the
// read-only mesh role for the others. On a follower a row's Reachable is
// what gossip says of the node (the leader's loop writes it from its USP
// keep-alives while this node leads). A row whose node has been lost for
// LostNodeExpiry is removed.
func (m *mesh) refreshMembers(ctx context.Context) {
	members := m.cluster.Members()
	now := m.n.deps.Clock.Now()
	m.mu.Lock()
	leader := m.leader
	m.members = make(map[string]election.Member, len(members))
	for _, mem := range members {
		m.members[mem.Name] = mem
		if mem.Valid && mem.Meta.CoAP != "" {
			m.urls[usp.EndpointID(mem.Name)] = mem.Meta.CoAP
		}
	}
	m.mu.Unlock()
	following := leader != string(m.n.agentID)
	listed := map[string]bool{}
	for _, mem := range members {
		if !mem.Valid {
			continue
		}
		listed[mem.Name] = true
		alive := mem.State == election.StateAlive
		status := "Lost"
		if alive {
			status = "Member"
			if mem.Name == leader {
				status = "Leader"
			}
		}
		if m.expired(ctx, mem.Name, !alive, now) {
			continue
		}
		vals := map[string]string{"ControllerEndpointID": mem.Meta.ControllerID, "Status": status,
			"Priority": strconv.Itoa(max(mem.Priority, 0))}
		if following {
			vals["Reachable"] = strconv.FormatBool(alive)
		}
		if u, err := url.Parse(mem.Meta.CoAP); err == nil && u.Port() != "" {
			vals["Address"], vals["Port"] = u.Hostname(), u.Port()
		} else if mem.Addr.IsValid() {
			vals["Address"] = mem.Addr.Addr().String()
		}
		if err := upsertRow(ctx, m.n.model, meshRoot+"Node.", "EndpointID", mem.Name, vals); err != nil {
			m.log.Warn("node row", "member", mem.Name, "err", err)
		}
		if mem.Meta.ControllerID == "" || !alive {
			continue
		}
		role := meshRolePeer
		if mem.Name == leader {
			role = meshRoleLeader
		}
		m.assign(ctx, mem.Meta.ControllerID, role)
	}
	m.refreshUnlisted(ctx, listed, following, now)
	// A leader that is no longer followed loses its role even when it is
	// gone from the member table.
	m.mu.Lock()
	var demote []string
	for ctrl, role := range m.roles {
		if role == meshRoleLeader && !m.leads(ctrl, leader) {
			demote = append(demote, ctrl)
		}
	}
	m.mu.Unlock()
	for _, ctrl := range demote {
		m.assign(ctx, ctrl, meshRolePeer)
	}
}

// refreshUnlisted marks Lost the Node rows of nodes memberlist no longer
// lists (it forgets dead members after a while) and removes them once
// they have been lost for LostNodeExpiry.
func (m *mesh) refreshUnlisted(ctx context.Context, listed map[string]bool, following bool, now time.Time) {
	ids, err := keyValues(ctx, m.n.model, meshRoot+"Node.", "EndpointID")
	if err != nil {
		m.log.Warn("node rows", "err", err)
		return
	}
	rowed := map[string]bool{}
	for _, id := range ids {
		rowed[id] = true
	}
	m.mu.Lock()
	for id := range m.lostSince {
		if !listed[id] && !rowed[id] {
			delete(m.lostSince, id)
		}
	}
	m.mu.Unlock()
	for _, id := range ids {
		if listed[id] || m.expired(ctx, id, true, now) {
			continue
		}
		vals := map[string]string{"Status": "Lost"}
		if following {
			vals["Reachable"] = "false"
		}
		if err := upsertRow(ctx, m.n.model, meshRoot+"Node.", "EndpointID", id, vals); err != nil {
			m.log.Warn("node row", "member", id, "err", err)
		}
	}
}

// lostNode is when a node was first seen lost, and whether its row has
// been removed for it.
type lostNode struct {
	since     time.Time
	forgotten bool
}

// expired keeps the time each node has been lost since and, once that is
// LostNodeExpiry, removes the node's row (once, saying so). It says
// whether the row is gone.
func (m *mesh) expired(ctx context.Context, id string, lost bool, now time.Time) bool {
	m.mu.Lock()
	ln, ok := m.lostSince[id]
	due := false
	switch {
	case !lost:
		delete(m.lostSince, id)
	case !ok:
		m.lostSince[id] = lostNode{since: now}
	default:
		due = !ln.forgotten && now.Sub(ln.since) >= time.Duration(m.n.cfg.LostNodeExpiry)
	}
	m.mu.Unlock()
	if !due {
		return ok && lost && ln.forgotten
	}
	if err := deleteKeyed(ctx, m.n.model, meshRoot+"Node.", "EndpointID", id); err != nil {
		m.log.Warn("node row", "member", id, "err", err)
		return true
	}
	m.mu.Lock()
	m.lostSince[id] = lostNode{since: ln.since, forgotten: true}
	m.mu.Unlock()
	m.log.Info("lost node forgotten", "node", id, "lost_since", ln.since.UTC().Format(time.RFC3339))
	return true
}

// leads says whether ctrl is the Controller of the member named leader.
// The caller holds m.mu.
func (m *mesh) leads(ctrl, leader string) bool {
	mem, ok := m.members[leader]
	return ok && mem.Meta.ControllerID == ctrl
}

// assign gives a mesh Controller a mesh role, once. A Controller losing
// the mesh-leader role loses its subscriptions too.
func (m *mesh) assign(ctx context.Context, ctrl, role string) {
	m.assignMu.Lock()
	defer m.assignMu.Unlock()
	m.mu.Lock()
	prev, known := m.roles[ctrl]
	m.mu.Unlock()
	if known && prev == role {
		return
	}
	if err := m.n.assignMeshRole(ctx, ctrl, role); err != nil {
		m.log.Warn("mesh role", "controller", ctrl, "role", role, "err", err)
		return
	}
	m.mu.Lock()
	m.roles[ctrl] = role
	m.mu.Unlock()
	m.log.Info("mesh role", "controller", ctrl, "role", role)
	if prev == meshRoleLeader && role != meshRoleLeader {
		n, err := m.n.dropSubscriptions(ctx, ctrl)
		if err != nil {
			m.log.Warn("drop subscriptions", "controller", ctrl, "err", err)
		} else if n > 0 {
			m.log.Info("deposed leader's subscriptions dropped", "controller", ctrl, "count", n)
		}
	}
}

// ensurePeerRole gives a Controller that authenticated with the mesh key
// and has no role yet the read-only mesh role: holding the mesh secret
// makes it part of the home.
func (m *mesh) ensurePeerRole(ctx context.Context, ctrl string) {
	m.mu.Lock()
	_, known := m.roles[ctrl]
	m.mu.Unlock()
	if !known {
		m.assign(ctx, ctrl, meshRolePeer)
	}
}
