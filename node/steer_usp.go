package node

import (
	"context"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/datamodel/value"
	"github.com/uspmesh/uspmesh/leader"
)

// steerActionRows bounds Device.X_USPMESH_Mesh.Steering.Action.{i}.: the
// latest actions are kept, the oldest deleted.
const steerActionRows = 32

// steerStats are the counters of Device.X_USPMESH_Mesh.Steering. on the
// node that led the steering (they count since the node started).
type steerStats struct {
	attempts, accepted, rejected, noAnswer, refusals, errors atomic.Uint64
	mu                                                       sync.Mutex // serialises Action row writes
	seq                                                      uint64
}

// wifiHooks are the binding's hooks with the steering commands added.
func (n *Node) wifiHooks() tr181.WiFiHooks {
	h := n.wifi.Hooks()
	h.Steer, h.Deny = n.steer.steerCommand, n.steer.denyCommand
	return h
}

// steerRefresh is how often the Agent refreshes its stations' steering
// parameters and asks for beacon reports: as often as the binding
// refreshes the stations in the fast profile (2 s), every 10 s
// otherwise.
func (n *Node) steerRefresh() time.Duration {
	if n.cfg.Profile == "fast" {
		return 2 * time.Second
	}
	return 10 * time.Second
}

// steeringConfig is the leader's steering configuration. The fast
// profile (virtual homes, tests) runs a round every 2 s, lets a client be
// steered 10 s after it associated (not 20) and backs off 5 s after a
// first failure (not 1 min, doubling to 2 min, not 30), so that a test
// sees the policy's bounds within minutes; the hourly limit (4) and the
// ping-pong window (30 min) stay the default policy's.
func (n *Node) steeringConfig() leader.SteeringConfig {
	sc := leader.SteeringConfig{Enabled: !n.cfg.NoSteering}
	if n.cfg.Profile == "fast" {
		sc.Period = 2 * time.Second
		sc.Policy.MinDwell = 10 * time.Second
		sc.Policy.BackoffBase = 5 * time.Second
		sc.Policy.BackoffMax = 2 * time.Minute
	}
	return sc
}

// attachSteering lays out Device.X_USPMESH_Mesh.Steering.: whether this
// node steers as leader, counters of the steering actions it executed
// as leader (Attempts; their outcomes Accepted, Rejected, NoAnswer and,
// for legacy clients, Refusals; Errors for commands that failed) and of
// transition responses its own radios received unasked
// (UnsolicitedResponses, ignored), and the table Action.{i}. of the
// latest steerActionRows actions.
func (n *Node) attachSteering(s *datamodel.Schema) {
	st := s.Root().Child("X_USPMESH_Mesh").Object("Steering")
	st.Param("Enabled", value.Boolean).Def(strconv.FormatBool(!n.cfg.NoSteering))
	count := func(name string, get func() uint64) {
		st.Param(name, value.UnsignedLong).Counter().Live(func(context.Context, datamodel.Row) (string, error) {
			return strconv.FormatUint(get(), 10), nil
		})
	}
	stats := &n.steerStats
	count("Attempts", stats.attempts.Load)
	count("Accepted", stats.accepted.Load)
	count("Rejected", stats.rejected.Load)
	count("NoAnswer", stats.noAnswer.Load)
	count("Refusals", stats.refusals.Load)
	count("Errors", stats.errors.Load)
	count("UnsolicitedResponses", func() uint64 {
		if n.steer == nil {
			return 0
		}
		return n.steer.unsolicited.Load()
	})
	a := st.Table("Action", []string{"Seq"})
	a.Access = datamodel.ObjReadOnly
	a.Param("Seq", value.UnsignedLong)
	a.Param("Time", value.DateTime)
	a.Param("Term", value.UnsignedLong)
	for _, p := range []string{"Station", "From", "To"} {
		a.Param(p, value.String).MaxLen(17)
	}
	a.Param("Agent", value.String).MaxLen(64)
	a.Param("Method", value.String).Constraint.Enum = []string{"btm", "deny"}
	a.Param("Reason", value.String).MaxLen(32)
	a.Param("Outcome", value.String).Constraint.Enum = []string{"Accepted", "Rejected", "NoAnswer", "Refused", "Error"}
	a.Param("BTMStatus", value.Int)
	a.Param("Message", value.String).MaxLen(256)
	// The policy's estimates of the client's throughput at From and at
	// To, Mb/s: why the leader moved it.
	a.Param("CurrentThroughput", value.UnsignedInt)
	a.Param("ExpectedThroughput", value.UnsignedInt)
}

// steerReport records the leader's steering actions in the node's model.
type steerReport struct{ n *Node }

// Steered counts ev and adds it to the Action table, deleting the oldest
// rows beyond steerActionRows.
func (r steerReport) Steered(ctx context.Context, ev leader.SteerEvent) {
	n := r.n
	st := &n.steerStats
	st.attempts.Add(1)
	switch ev.Outcome {
	case "Accepted":
		st.accepted.Add(1)
	case "Rejected":
		st.rejected.Add(1)
	case "NoAnswer":
		st.noAnswer.Add(1)
	case "Refused":
		st.refusals.Add(1)
	default:
		st.errors.Add(1)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.seq++
	const table = meshRoot + "Steering.Action."
	values := map[string]string{"Time": tr106Time(ev.Time), "Term": strconv.FormatUint(ev.Term, 10),
		"Station": ev.Station, "From": ev.From, "To": ev.To, "Agent": string(ev.FromAgent), "Method": ev.Method,
		"Reason": ev.Reason, "Outcome": ev.Outcome, "BTMStatus": strconv.Itoa(ev.BTMStatus), "Message": clipUTF8(ev.Message, 256),
		"CurrentThroughput": mbpsParam(ev.CurrentMbps), "ExpectedThroughput": mbpsParam(ev.ExpectedMbps)}
	if err := upsertRow(ctx, n.model, table, "Seq", strconv.FormatUint(st.seq, 10), values); err != nil {
		n.log.Warn("steering action row", "err", err)
		return
	}
	if st.seq > steerActionRows {
		old := st.seq - steerActionRows
		if _, err := deleteRows(ctx, n.model, table+"[Seq<="+strconv.FormatUint(old, 10)+"]."); err != nil {
			n.log.Warn("steering action rows", "err", err)
		}
	}
}

// mbpsParam is an estimate in Mb/s as an unsignedInt parameter: rounded,
// 0 for anything not a positive number, capped at the type's
// maximum.
func mbpsParam(v float64) string {
	if !(v > 0) {
		return "0"
	}
	return strconv.FormatUint(uint64(min(math.Round(v), math.MaxUint32)), 10)
}

// clipUTF8 cuts s to at most max bytes on a character boundary.
func clipUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && s[max]&0xc0 == 0x80 {
		max--
	}
	return s[:max]
}
