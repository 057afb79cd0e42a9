package usp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Transport sends the bytes of one Record to an Endpoint. The MTP layer
// implements it and knows where each Endpoint is reachable.
type Transport interface {
	SendRecord(ctx context.Context, to EndpointID, record []byte) error
}

// NotifyPermissions are the "n" rights the Notifier checks before sending
// a notification. A Permissions value that also implements it is asked;
// one that does not allows every notification.
type NotifyPermissions interface {
	NotifyValueChange(objPath string, p *datamodel.ParamDef) bool
	NotifyObjCreation(tablePath string, t *datamodel.ObjectDef) bool
	NotifyObjDeletion(rowPath string, t *datamodel.ObjectDef) bool
	NotifyCommandEvent(objPath string, name string) bool
}

// TR-181 paths the Notifier reads and writes.
const (
	subscriptionTable = "Device.LocalAgent.Subscription."
	controllerPrefix  = "Device.LocalAgent.Controller."
)

// NotifierConfig configures a Notifier.
type NotifierConfig struct {
	// Agent is the Agent's Endpoint ID, the from_id of notifications.
	Agent EndpointID
	// Model holds Device.LocalAgent.Subscription and .Controller.
	Model *datamodel.Model
	// Transport sends the Notify Records.
	Transport Transport
	// Access, when set, decides which notifications each recipient may
	// receive (its NotifyPermissions).
	Access AccessControl
	// Clock times retries and TimeToLive; nil means clock.System.
	Clock clock.Clock
	// Rand returns a number in [0, 1) for retry jitter; nil uses
	// math/rand/v2.
	Rand func() float64
	// QueueLen bounds each recipient's outbound queue (default 256); a
	// notification that finds the queue full is dropped and logged.
	QueueLen int
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// Notifier turns data-model events and operation completions into Notify
// messages for the Controllers subscribed to them
// (Device.LocalAgent.Subscription.{i}), delivers them through the
// Transport, retries those with NotifRetry until a NotifyResp or
// NotifExpiration, and expires subscriptions by TimeToLive.
type Notifier struct {
	cfg    NotifierConfig
	log    *slog.Logger
	remove func()

	mu      sync.Mutex
	subs    []*subscription // nil when the index must be rebuilt
	ttl     map[string]func() bool
	queues  map[EndpointID]chan *outgoing
	pending map[string]*outgoing // by msg_id, awaiting NotifyResp
	seq     uint64
	prefix  string
	closed  bool
	wg      sync.WaitGroup
	// Stats for tests and status: notifications queued and dropped.
	queued, dropped uint64
}

// subscription is one enabled Subscription row, parsed.
type subscription struct {
	row        string // "Device.LocalAgent.Subscription.3."
	id         string
	recipient  EndpointID
	ctrlRow    string // Recipient value: the Controller row, no dot
	notifType  string
	refs       []*path.Path
	retry      bool
	expiration time.Duration
}

// NewNotifier starts a Notifier on cfg.Model. It first deletes the
// Subscriptions that are not Persistent (they do not survive a restart of
// the Agent), so call it once at start-up before serving Controllers.
func NewNotifier(ctx context.Context, cfg NotifierConfig) (*Notifier, error) {
	if cfg.Model == nil || cfg.Transport == nil {
		return nil, errors.New("usp: new notifier: model and transport are required")
	}
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 256
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{cfg: cfg, log: log, ttl: map[string]func() bool{}, queues: map[EndpointID]chan *outgoing{},
		pending: map[string]*outgoing{}, prefix: strconv.FormatInt(cfg.Clock.Now().Unix(), 36)}
	if err := n.dropVolatile(ctx); err != nil {
		return nil, err
	}
	n.remove = cfg.Model.Listen(n.onEvent)
	n.mu.Lock()
	n.rebuildLocked(ctx)
	n.mu.Unlock()
	return n, nil
}

// Close stops the Notifier: no more notifications, retries or expiries.
// It is idempotent.
func (n *Notifier) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	n.remove()
	for _, stop := range n.ttl {
		stop()
	}
	for _, o := range n.pending {
		o.stopTimer()
	}
	for _, q := range n.queues {
		close(q)
	}
	n.mu.Unlock()
	n.wg.Wait()
}

// dropVolatile deletes Subscription rows whose Persistent is false.
func (n *Notifier) dropVolatile(ctx context.Context) error {
	p, _ := path.Parse(subscriptionTable + "[Persistent==false].")
	tx := n.cfg.Model.Begin(ctx)
	defer tx.Rollback()
	objs, err := tx.Objects(p)
	if err != nil {
		var de *datamodel.Error
		if errors.As(err, &de) && de.Code == datamodel.CodeInvalidPath {
			return nil // a model without subscriptions
		}
		return fmt.Errorf("usp: notifier: %w", err)
	}
	for _, o := range objs {
		if _, err := tx.Delete(o, datamodel.WriteOptions{Internal: true}); err != nil {
			return fmt.Errorf("usp: notifier: drop %s: %w", o.Path(), err)
		}
	}
	return tx.Commit()
}

// rebuildLocked reads the enabled subscriptions and (re)arms their
// TimeToLive timers. n.mu is held.
func (n *Notifier) rebuildLocked(ctx context.Context) {
	m := n.cfg.Model
	subs := []*subscription{}
	p, _ := path.Parse(subscriptionTable)
	rows, err := m.Get(ctx, p, 0, nil)
	if err != nil {
		n.subs = subs
		return
	}
	seen := map[string]bool{}
	for _, r := range rows {
		v := map[string]string{}
		for _, pv := range r.Params {
			v[pv.Name] = pv.Value
		}
		seen[r.Path] = true
		n.armTTL(r.Path, v)
		if v["Enable"] != "true" {
			continue
		}
		s := &subscription{row: r.Path, id: v["ID"], ctrlRow: v["Recipient"], notifType: v["NotifType"], retry: v["NotifRetry"] == "true"}
		if secs, err := strconv.ParseUint(v["NotifExpiration"], 10, 32); err == nil {
			s.expiration = time.Duration(secs) * time.Second
		}
		s.recipient = n.controllerID(ctx, s.ctrlRow)
		for _, ref := range value.SplitList(v["ReferenceList"]) {
			if rp, err := path.Parse(ref); err == nil {
				s.refs = append(s.refs, rp)
			}
		}
		if s.recipient != "" && len(s.refs) > 0 {
			subs = append(subs, s)
		}
	}
	for row, stop := range n.ttl {
		if !seen[row] {
			stop()
			delete(n.ttl, row)
		}
	}
	n.subs = subs
}

// controllerID returns the EndpointID of the Controller row ctrlRow.
func (n *Notifier) controllerID(ctx context.Context, ctrlRow string) EndpointID {
	if !strings.HasPrefix(ctrlRow, controllerPrefix) {
		return ""
	}
	p, err := path.Parse(ctrlRow + ".EndpointID")
	if err != nil {
		return ""
	}
	res, err := n.cfg.Model.Get(ctx, p, 0, nil)
	if err != nil || len(res) != 1 {
		return ""
	}
	return EndpointID(res[0].Params[0].Value)
}

// armTTL schedules the deletion of a subscription with TimeToLive > 0,
// counted from its CreationDate.
func (n *Notifier) armTTL(row string, v map[string]string) {
	if n.ttl[row] != nil {
		return
	}
	secs, err := strconv.ParseUint(v["TimeToLive"], 10, 32)
	if err != nil || secs == 0 {
		return
	}
	created, err := time.Parse(time.RFC3339, v["CreationDate"])
	if err != nil {
		created = n.cfg.Clock.Now()
	}
	d := max(created.Add(time.Duration(secs)*time.Second).Sub(n.cfg.Clock.Now()), 0)
	n.ttl[row] = n.cfg.Clock.AfterFunc(d, func() { n.deleteRows(context.Background(), []string{row}) })
}

// deleteRows deletes Subscription rows (expired, or of a deleted
// Controller) in a transaction of its own.
func (n *Notifier) deleteRows(ctx context.Context, rows []string) {
	tx := n.cfg.Model.Begin(ctx)
	defer tx.Rollback()
	for _, r := range rows {
		p, err := path.Parse(r)
		if err != nil {
			continue
		}
		if objs, err := tx.Objects(p); err == nil && len(objs) == 1 {
			if _, err := tx.Delete(objs[0], datamodel.WriteOptions{Internal: true}); err != nil {
				n.log.Warn("delete subscription", "row", r, "err", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		n.log.Warn("delete subscriptions", "err", err)
	}
}
