package election

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// MemberState says whether a member is part of the cluster.
type MemberState int

const (
	// StateAlive is a member memberlist lists: alive, or suspected and
	// not yet declared dead (memberlist does not tell these apart,
	// hashicorp/memberlist#266).
	StateAlive MemberState = iota
	// StateGone is a member that failed or left (memberlist does not tell
	// which). It is listed until it returns or the Cluster closes.
	StateGone
)

// String returns "alive" or "gone".
func (s MemberState) String() string {
	if s == StateGone {
		return "gone"
	}
	return "alive"
}

// maxGone bounds how many gone members are remembered; the oldest is
// forgotten first.
const maxGone = 64

// Member is one node of the cluster as this node sees it.
type Member struct {
	// View is the member's advertised election state. Its Since is when
	// this node saw the member join, or, for a gone member, leave.
	View
	// Addr is the gossip address the member advertises.
	Addr netip.AddrPort
	// State is StateAlive or StateGone.
	State MemberState
	// Meta is what the member advertises about its USP endpoints.
	Meta NodeMeta
	// Valid is false when the member's metadata could not be decoded (an
	// incompatible version); such a member takes no part in the election.
	Valid bool
}

// delegate receives memberlist's callbacks. The event callbacks run with
// memberlist's node lock held: they only update the member table and wake
// the election loop, and never call back into memberlist.
type delegate struct {
	c *Cluster
}

var (
	_ memberlist.Delegate      = delegate{}
	_ memberlist.EventDelegate = delegate{}
)

// NodeMeta returns this node's current encoded metadata.
func (d delegate) NodeMeta(limit int) []byte {
	d.c.mu.Lock()
	defer d.c.mu.Unlock()
	if len(d.c.meta) > limit {
		return nil // cannot happen: Config validation reserves the room
	}
	return slices.Clone(d.c.meta)
}

// NotifyMsg ignores user messages: the election uses metadata only.
func (delegate) NotifyMsg([]byte) {}

// GetBroadcasts has no user broadcasts to send.
func (delegate) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState has no user state for push/pull.
func (delegate) LocalState(bool) []byte { return nil }

// MergeRemoteState ignores remote user state.
func (delegate) MergeRemoteState([]byte, bool) {}

// NotifyJoin records a member that became alive.
func (d delegate) NotifyJoin(n *memberlist.Node) { d.c.observe(n, StateAlive) }

// NotifyUpdate records a member whose metadata changed.
func (d delegate) NotifyUpdate(n *memberlist.Node) { d.c.observe(n, StateAlive) }

// NotifyLeave records a member that failed or left.
func (d delegate) NotifyLeave(n *memberlist.Node) { d.c.observe(n, StateGone) }

// observe updates the member table from a memberlist callback and wakes
// the election loop.
func (c *Cluster) observe(n *memberlist.Node, state MemberState) {
	addr, _ := netip.AddrFromSlice(n.Addr)
	m := Member{
		View:  View{Name: n.Name, Since: time.Now()},
		Addr:  netip.AddrPortFrom(addr.Unmap(), n.Port),
		State: state,
	}
	wm, err := decodeMeta(n.Name, n.Meta)
	if err == nil {
		m.Priority, m.Term, m.Leader, m.Claim = wm.Priority, wm.Vote.Term, wm.Vote.Leader, wm.Claim
		m.Withdrawn = wm.Withdrawn
		m.Meta, m.Valid = wm.Node, true
	} else if state == StateAlive {
		c.log.Warn("member metadata ignored", "member", n.Name, "err", err)
	}
	c.mu.Lock()
	if state == StateAlive {
		if old, ok := c.alive[n.Name]; ok {
			m.Since = old.Since
		}
		c.alive[n.Name] = m
		delete(c.gone, n.Name)
	} else {
		if old, ok := c.alive[n.Name]; ok {
			m.View, m.Meta, m.Valid = old.View, old.Meta, old.Valid
			m.Since = time.Now()
		}
		delete(c.alive, n.Name)
		c.gone[n.Name] = m
		c.trimGoneLocked()
	}
	c.mu.Unlock()
	wake(c.kick)
}

// trimGoneLocked forgets the oldest gone members beyond maxGone.
func (c *Cluster) trimGoneLocked() {
	for len(c.gone) > maxGone {
		var oldest string
		for name, m := range c.gone {
			if oldest == "" || m.Since.Before(c.gone[oldest].Since) {
				oldest = name
			}
		}
		delete(c.gone, oldest)
	}
}

// selfViewLocked is this node's own view, from its current state rather
// than from memberlist's copy of its metadata, which may lag.
func (c *Cluster) selfViewLocked() View {
	withdrawn := c.persistFail != nil
	return View{
		Name:      c.cfg.Name,
		Priority:  c.cfg.Priority,
		Term:      c.persisted.Term,
		Leader:    c.persisted.Leader,
		Claim:     c.decision.Claim && !withdrawn,
		Withdrawn: withdrawn,
		Since:     c.start,
	}
}

// viewsLocked returns the views of the alive members with valid
// metadata, this node's own view included.
func (c *Cluster) viewsLocked() []View {
	views := make([]View, 0, len(c.alive)+1)
	views = append(views, c.selfViewLocked())
	for name, m := range c.alive {
		if name != c.cfg.Name && m.Valid {
			views = append(views, m.View)
		}
	}
	return views
}

// Members returns the members this node knows, alive ones first, each
// group sorted by name. This node is always among them.
func (c *Cluster) Members() []Member {
	c.mu.Lock()
	out := make([]Member, 0, len(c.alive)+len(c.gone)+1)
	self, ok := c.alive[c.cfg.Name]
	if !ok {
		self = Member{Addr: c.advertise, Valid: true}
	}
	self.View, self.Meta, self.State = c.selfViewLocked(), c.cfg.Meta, StateAlive
	out = append(out, self)
	for name, m := range c.alive {
		if name != c.cfg.Name {
			out = append(out, m)
		}
	}
	for _, m := range c.gone {
		out = append(out, m)
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b Member) int {
		if a.State != b.State {
			return int(a.State) - int(b.State)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// wake sends a non-blocking signal on a channel of capacity one.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
