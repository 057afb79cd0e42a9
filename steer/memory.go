package steer

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// Method is how a client is asked to move.
type Method int

// The methods.
const (
	// Transition is an 802.11v BSS transition management request.
	Transition Method = iota + 1
	// Deny is a bounded refusal on the source BSS (disassociate and
	// refuse re-association for Config.DenyFor), for legacy clients.
	Deny
)

// String names the method.
func (m Method) String() string {
	switch m {
	case Transition:
		return "btm"
	case Deny:
		return "deny"
	}
	return "invalid method"
}

// Outcome is what became of an attempt.
type Outcome int

// The outcomes.
const (
	// Pending: sent, not yet resolved.
	Pending Outcome = iota
	// Accepted: the client left the source BSS (to the target or,
	// on its own choice, another BSS of the mesh).
	Accepted
	// Rejected: the client answered the BTM request with a reject status.
	Rejected
	// Ignored: the client accepted the BTM request but stayed.
	Ignored
	// TimedOut: no answer and no move within Config.AttemptTimeout.
	TimedOut
)

// String names the outcome.
func (o Outcome) String() string {
	return [...]string{"pending", "accepted", "rejected", "ignored", "timed out"}[min(max(int(o), 0), 4)]
}

// failed reports whether the outcome counts for the back-off.
func (o Outcome) failed() bool { return o == Rejected || o == Ignored || o == TimedOut }

// Attempt is one steering attempt.
type Attempt struct {
	At       time.Time
	From, To string // BSSIDs
	// ToDBm is the client's signal at To when the attempt was decided
	// (0 when unknown); the ping-pong rule compares it with later ones.
	ToDBm   float64
	Method  Method
	Outcome Outcome
	// Status is the BTM response status, -1 when none came.
	Status int
}

// History is the policy's memory of one client.
type History struct {
	// LastSeen is the last round the client was in the input.
	LastSeen time.Time
	// BSSID is where it was then, and Associated when it associated
	// there (from Client.ConnectedFor, or the first round it was seen
	// there).
	BSSID      string
	Associated time.Time
	// Attempts are its recent attempts, oldest first: those of the last
	// hour (and of the ping-pong window) and the latest one.
	Attempts []Attempt
	// Failures counts consecutive failed attempts (for the back-off).
	Failures int
}

// Memory is the policy's state between rounds. The zero Memory is empty.
// Decide never modifies the Memory it is given; it returns the next one.
type Memory struct {
	// Now is the time of the last round.
	Now time.Time
	// Clients maps a client's MAC (lower case) to its history.
	Clients map[string]History
}

// clone returns a deep copy of m, so Decide can update it in place.
func (m Memory) clone() Memory {
	c := Memory{Now: m.Now, Clients: make(map[string]History, len(m.Clients))}
	for k, h := range m.Clients {
		h.Attempts = slices.Clone(h.Attempts)
		c.Clients[k] = h
	}
	return c
}

// last returns the latest attempt, or nil.
func (h *History) last() *Attempt {
	if len(h.Attempts) == 0 {
		return nil
	}
	return &h.Attempts[len(h.Attempts)-1]
}

// attemptsSince counts attempts at or after t (later ones included,
// which keeps the hourly limit a hard bound).
func (h *History) attemptsSince(t time.Time) int {
	n := 0
	for _, a := range h.Attempts {
		if a.At.After(t) {
			n++
		}
	}
	return n
}

// prune drops attempts older than keep, except the latest.
func (h *History) prune(now time.Time, keep time.Duration) {
	if len(h.Attempts) <= 1 {
		return
	}
	cut := now.Add(-keep)
	last := h.Attempts[len(h.Attempts)-1]
	h.Attempts = slices.DeleteFunc(h.Attempts[:len(h.Attempts)-1], func(a Attempt) bool { return !a.At.After(cut) })
	h.Attempts = append(h.Attempts, last)
}

// forget drops clients not seen for cfg.ForgetAfter, then the least
// recently seen beyond cfg.MaxClients.
func (m *Memory) forget(cfg Config) {
	cut := m.Now.Add(-cfg.ForgetAfter)
	maps.DeleteFunc(m.Clients, func(_ string, h History) bool { return h.LastSeen.Before(cut) })
	if len(m.Clients) <= cfg.MaxClients {
		return
	}
	macs := slices.Collect(maps.Keys(m.Clients))
	slices.SortFunc(macs, func(a, b string) int {
		if c := m.Clients[a].LastSeen.Compare(m.Clients[b].LastSeen); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, mac := range macs[:len(macs)-cfg.MaxClients] {
		delete(m.Clients, mac)
	}
}
