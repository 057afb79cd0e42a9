package steer

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Reason says which rule an action follows.
type Reason int

// The reasons.
const (
	// Throughput: another BSS on the same band gives clearly better
	// expected throughput and a stronger signal (hysteresis).
	Throughput Reason = iota + 1
	// BandUp: a higher band (5 or 6 GHz) is strong enough and faster.
	BandUp
	// BandDown: the current signal is very poor and a lower band is
	// clearly faster.
	BandDown
)

// String names the reason.
func (r Reason) String() string {
	switch r {
	case Throughput:
		return "throughput"
	case BandUp:
		return "band-up"
	case BandDown:
		return "band-down"
	}
	return "invalid reason"
}

// Action is one steering decision: move Client from BSS From to BSS To.
type Action struct {
	Client   string // MAC, lower case
	From, To string // BSSIDs, lower case
	Method   Method
	Reason   Reason
	// CurrentMbps and ExpectedMbps are the estimated throughput at From
	// and at To.
	CurrentMbps, ExpectedMbps float64
	// ToDBm is the client's signal at To that the decision used.
	ToDBm float64
	// Candidates is the BTM candidate list, best first (To first).
	Candidates []string
	// DenyFor is, for Method Deny, how long From refuses the client.
	DenyFor time.Duration
}

// Result is the outcome of one round.
type Result struct {
	Actions []Action
	// Memory is the state for the next round.
	Memory Memory
	// Problems are the input rows ignored, each an *InputError.
	Problems []error
}

// ErrTimeWentBack is returned when a round's Now is before the
// memory's: the hourly limit could not be kept.
var ErrTimeWentBack = errors.New("steer: round time before the previous round's")

// hour is the window of Config.MaxPerHour.
const hour = time.Hour

// view is a validated BSS with its normalised BSSID.
type view struct {
	BSS
	id string
}

// node is the key of v's node: its Node, or its BSSID when Node is
// empty (a BSS of an unnamed node is a node of its own).
func (v *view) node() string {
	if v.Node == "" {
		return "bssid " + v.id
	}
	return "node " + v.Node
}

// nodeView is what the round knows of one mesh node: its backhaul
// (Mb/s, 0 for no limit) and the active clients of all its BSSs.
type nodeView struct {
	backhaul float64
	active   int
}

// round holds one Decide call's working state.
type round struct {
	cfg      Config
	now      time.Time
	bsss     map[string]*view
	nodes    map[string]nodeView
	load     map[string]contention // per BSSID, its listed active clients
	mem      Memory
	problems []error
}

// Decide runs one round of the policy: it updates the memory with the
// round's measurements and BTM responses and returns the actions to take.
// Malformed or unknown rows are ignored and listed in Result.Problems;
// an error is returned only for an invalid Config or a round time before
// the memory's (and then the memory is unchanged). The work is
// O(clients × BSSs) plus the input's size; mem is not modified.
func Decide(cfg Config, in Input, mem Memory) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{Memory: mem}, err
	}
	if in.Now.IsZero() {
		return Result{Memory: mem}, errors.New("steer: round without a time")
	}
	if in.Now.Before(mem.Now) {
		return Result{Memory: mem}, fmt.Errorf("%w: %v < %v", ErrTimeWentBack, in.Now, mem.Now)
	}
	r := &round{cfg: cfg, now: in.Now, mem: mem.clone()}
	r.mem.Now = in.Now
	r.indexBSSs(in.BSSs)
	clients := r.validClients(in.Clients)
	r.indexContention(clients)
	r.applyResponses(in.Responses)
	var actions []Action
	for i := range clients {
		c := &clients[i]
		h := r.observe(c)
		if a, ok := r.decide(c, &h); ok {
			h.Attempts = append(h.Attempts, Attempt{At: r.now, From: a.From, To: a.To, ToDBm: a.ToDBm, Method: a.Method, Status: -1})
			actions = append(actions, a)
		}
		h.prune(r.now, max(hour, cfg.PingPongWindow))
		r.mem.Clients[c.MAC] = h
	}
	r.mem.forget(cfg)
	return Result{Actions: actions, Memory: r.mem, Problems: r.problems}, nil
}

// indexBSSs validates the BSSs. A BSSID given twice is dropped
// altogether, even if one of its rows is malformed: which one is meant
// cannot be known.
func (r *round) indexBSSs(bs []BSS) {
	count := make(map[string]int, len(bs))
	for _, b := range bs {
		if id, ok := normMAC(b.BSSID); ok {
			count[id]++
		}
	}
	r.bsss = make(map[string]*view, len(bs))
	for _, b := range bs {
		id, ok := normMAC(b.BSSID)
		why := checkBSS(b)
		switch {
		case !ok:
			r.problems = append(r.problems, problem("bss", b.BSSID, "not a MAC address"))
		case count[id] > 1:
			r.problems = append(r.problems, problem("bss", b.BSSID, "duplicate BSSID"))
		case why != "":
			r.problems = append(r.problems, problem("bss", b.BSSID, "%s", why))
		default:
			r.bsss[id] = &view{BSS: b, id: id}
		}
	}
	r.nodes = make(map[string]nodeView, len(r.bsss))
	for _, v := range r.bsss {
		n := r.nodes[v.node()]
		n.active += v.Active
		if v.BackhaulMbps > 0 && (n.backhaul == 0 || v.BackhaulMbps < n.backhaul) {
			n.backhaul = v.BackhaulMbps
		}
		r.nodes[v.node()] = n
	}
}

// validClients returns the well-formed clients with normalised MACs and
// BSSIDs, at most MaxClients; a MAC given twice is dropped altogether.
func (r *round) validClients(cs []Client) []Client {
	count := make(map[string]int, len(cs))
	for _, c := range cs {
		if mac, ok := normMAC(c.MAC); ok {
			count[mac]++
		}
	}
	out := make([]Client, 0, min(len(cs), r.cfg.MaxClients))
	for _, c := range cs {
		mac, ok := normMAC(c.MAC)
		bssid, known := normMAC(c.BSSID)
		known = known && r.bsss[bssid] != nil
		why := checkClient(c)
		switch {
		case !ok:
			r.problems = append(r.problems, problem("client", c.MAC, "not a MAC address"))
		case count[mac] > 1:
			r.problems = append(r.problems, problem("client", c.MAC, "duplicate MAC"))
		case !known:
			r.problems = append(r.problems, problem("client", c.MAC, "unknown BSS %q", c.BSSID))
		case why != "":
			r.problems = append(r.problems, problem("client", c.MAC, "%s", why))
		case len(out) == r.cfg.MaxClients:
			r.problems = append(r.problems, problem("client", c.MAC, "more than %d clients", r.cfg.MaxClients))
		default:
			c.MAC, c.BSSID = mac, bssid
			out = append(out, c)
		}
	}
	return out
}

// applyResponses records BTM responses on the pending attempts.
func (r *round) applyResponses(rs []Response) {
	for _, resp := range rs {
		mac, ok := normMAC(resp.MAC)
		h, known := r.mem.Clients[mac]
		var a *Attempt
		if ok && known {
			a = h.last()
		}
		if a == nil || a.Outcome != Pending || a.Method != Transition || a.Status >= 0 {
			r.problems = append(r.problems, problem("response", resp.MAC, "no BTM request awaits an answer"))
			continue
		}
		a.Status = resp.Status
		if resp.Status != 0 {
			a.Outcome = Rejected
			h.Failures++
		}
		r.mem.Clients[mac] = h
	}
}

// observe updates a client's history with this round: association time,
// last seen, and the outcome of its pending attempt.
func (r *round) observe(c *Client) History {
	h := r.mem.Clients[c.MAC]
	if h.BSSID != c.BSSID || h.Associated.IsZero() {
		h.BSSID, h.Associated = c.BSSID, r.now
	}
	if c.ConnectedFor > 0 {
		h.Associated = r.now.Add(-c.ConnectedFor)
	}
	h.LastSeen = r.now
	if a := h.last(); a != nil && a.Outcome == Pending {
		switch {
		case c.BSSID != a.From:
			a.Outcome, h.Failures = Accepted, 0
		case r.now.Sub(a.At) >= r.cfg.AttemptTimeout:
			a.Outcome = TimedOut
			if a.Status == 0 {
				a.Outcome = Ignored
			}
			h.Failures++
		}
	}
	return h
}

// mayAttempt applies the dwell, back-off and hourly limits.
func (r *round) mayAttempt(h *History) bool {
	if r.now.Sub(h.Associated) < r.cfg.MinDwell {
		return false
	}
	if a := h.last(); a != nil {
		if a.Outcome == Pending || r.now.Sub(a.At) < r.cfg.MinDwell {
			return false
		}
		if h.Failures > 0 && r.now.Sub(a.At) < r.backoff(h.Failures) {
			return false
		}
	}
	return h.attemptsSince(r.now.Add(-hour)) < r.cfg.MaxPerHour
}

// backoff is the wait after n consecutive failures.
func (r *round) backoff(n int) time.Duration {
	d := r.cfg.BackoffBase
	for i := 1; i < n && d < r.cfg.BackoffMax; i++ {
		d *= 2
	}
	return min(d, r.cfg.BackoffMax)
}

// candidate is a BSS a client could move to.
type candidate struct {
	id string
	move
	dbm    float64 // the client's signal there
	reason Reason
}

// decide returns the action for one client, if any.
func (r *round) decide(c *Client, h *History) (Action, bool) {
	cur := r.bsss[c.BSSID]
	if c.Signal.Age > r.cfg.MaxAge || !r.mayAttempt(h) {
		return Action{}, false
	}
	bands := c.Caps.Bands | Bands(cur.Band)
	// A client its node's backhaul holds below what its link gives may
	// move to a weaker signal (see better).
	limited := r.backhaulShare(c, cur) < r.access(c, cur, c.Signal.DBm, true)
	reserve := h.attemptsSince(r.now.Add(-hour)) >= r.cfg.ReserveAfter
	if a := h.last(); reserve && a != nil && r.now.Sub(a.At) < r.cfg.ReserveSpacing {
		return Action{}, false
	}
	l := r.leave(c, cur, c.Signal.DBm)
	var cands []candidate
	for _, o := range r.freshest(c) {
		t := r.bsss[o.id]
		if t.Closed || !bands.Has(t.Band) || r.pingPong(h, c.BSSID, o.id, c.Signal.DBm) {
			continue
		}
		m := r.assess(c, l, t, o.DBm)
		low := r.assess(c, l, t, o.DBm-r.cfg.HysteresisDB)
		reason, ok := r.better(cur, t, c.Signal.DBm, o.DBm, m, low, limited)
		if ok && reserve && m.gain < r.cfg.ReserveGain {
			ok = false
		}
		if ok {
			cands = append(cands, candidate{o.id, m, o.DBm, reason})
		}
	}
	if len(cands) == 0 {
		return Action{}, false
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		if c := cmp.Compare(b.gain, a.gain); c != 0 {
			return c
		}
		if c := cmp.Compare(b.exp, a.exp); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	a := Action{Client: c.MAC, From: c.BSSID, To: cands[0].id, Method: Transition, Reason: cands[0].reason,
		CurrentMbps: cands[0].cur, ExpectedMbps: cands[0].exp, ToDBm: cands[0].dbm}
	if !c.Caps.BTM {
		a.Method, a.DenyFor = Deny, r.cfg.DenyFor
		return a, true
	}
	for _, k := range cands[:min(len(cands), r.cfg.Candidates)] {
		a.Candidates = append(a.Candidates, k.id)
	}
	return a, true
}

// seen is a usable observation of a client at another BSS.
type seen struct {
	id  string
	DBm float64
}

// freshest returns, per known BSS other than the client's own, its
// freshest valid observation no older than MaxAge.
func (r *round) freshest(c *Client) []seen {
	best := map[string]Observation{}
	var order []string
	for _, o := range c.Seen {
		id, ok := normMAC(o.BSSID)
		switch {
		case !ok || r.bsss[id] == nil:
			r.problems = append(r.problems, problem("observation", o.BSSID, "unknown BSS (client %s)", c.MAC))
			continue
		case !validSignal(o.Signal):
			r.problems = append(r.problems, problem("observation", o.BSSID, "signal %v dBm, age %v (client %s)", o.DBm, o.Age, c.MAC))
			continue
		case id == c.BSSID || o.Age > r.cfg.MaxAge:
			continue
		}
		if p, ok := best[id]; !ok || o.Age < p.Age {
			if !ok {
				order = append(order, id)
			}
			best[id] = o
		}
	}
	out := make([]seen, 0, len(order))
	for _, id := range order {
		out = append(out, seen{id, best[id].DBm})
	}
	return out
}

// pingPong reports whether moving from → to would reverse an attempt
// to → from within the ping-pong window. An attempt does not count when
// the client's signal at from (dbm, now) is MovedDB or more below what
// it was when the attempt sent it there: the client has walked away
// from from since, and going back is no ping-pong.
func (r *round) pingPong(h *History, from, to string, dbm float64) bool {
	cut := r.now.Add(-r.cfg.PingPongWindow)
	for _, a := range h.Attempts {
		if a.From == to && a.To == from && a.At.After(cut) && !(a.ToDBm != 0 && dbm <= a.ToDBm-r.cfg.MovedDB) {
			return true
		}
	}
	return false
}

// better applies the gain, hysteresis and band rules to a move from cur
// (signal sc) to t (signal st) assessed as m; low is the same move with
// t's signal HysteresisDB lower. A move is clearly better when its gain
// (assess: the client's own, times what it does to the other clients of
// both BSSs) is at least MinGain, the client itself expects no less at
// t, and the client or cur's other clients together gain MinGainMbps.
// When limited (cur's node's backhaul holds the client below what its
// link there gives) a move within the band or down a band needs no
// stronger signal, only the gain rule to hold at low: the gain comes
// from the backhaul, not the signal, and low keeps measurement noise
// from passing the rule.
func (r *round) better(cur, t *view, sc, st float64, m, low move, limited bool) (Reason, bool) {
	cfg := r.cfg
	clearly := func(x move) bool {
		return x.gain >= cfg.MinGain && x.exp >= x.cur && (x.exp-x.cur >= cfg.MinGainMbps || x.freed >= cfg.MinGainMbps)
	}
	switch {
	case t.Band == cur.Band:
		return Throughput, clearly(m) && (st >= sc+cfg.HysteresisDB || limited && clearly(low))
	case t.Band > cur.Band:
		return BandUp, st >= cfg.BandUpMinDBm && m.gain >= cfg.BandUpGain && m.exp > m.cur
	default:
		return BandDown, clearly(m) && (sc < cfg.BandDownMaxDBm || limited && clearly(low))
	}
}
