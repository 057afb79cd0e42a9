package usp

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/backoff"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// outgoing is one Notify on its way to a recipient, with its retry state.
type outgoing struct {
	to      EndpointID
	ctrlRow string
	msg     *uspmsg.Msg
	retry   bool
	// expires is the end of the retry window (zero: none).
	expires time.Time
	attempt int
	stop    func() bool
	// seq orders the notifications of a recipient.
	seq uint64
}

func (o *outgoing) stopTimer() {
	if o.stop != nil {
		o.stop()
	}
}

// Stats reports how many notifications were queued and dropped (queue
// full) since the Notifier started.
func (n *Notifier) Stats() (queued, dropped uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.queued, n.dropped
}

// enqueue wraps nt for subscription s and puts it on the recipient's queue.
func (n *Notifier) enqueue(s *subscription, nt *uspmsg.Notify) {
	nt.SubscriptionId, nt.SendResp = s.id, s.retry
	o := &outgoing{to: s.recipient, ctrlRow: s.ctrlRow, retry: s.retry}
	if s.retry && s.expiration > 0 {
		o.expires = n.cfg.Clock.Now().Add(s.expiration)
	}
	n.push(o, nt)
}

func (n *Notifier) push(o *outgoing, nt *uspmsg.Notify) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.seq++
	o.seq = n.seq
	id := "notify-" + n.prefix + "-" + strconv.FormatUint(n.seq, 10)
	o.msg = NewRequest(id, &uspmsg.Request{ReqType: &uspmsg.Request_Notify{Notify: nt}})
	if o.retry {
		n.pending[id] = o
	}
	q := n.queues[o.to]
	if q == nil {
		q = make(chan *outgoing, n.cfg.QueueLen)
		n.queues[o.to] = q
		n.wg.Add(1)
		go n.drain(q)
	}
	select {
	case q <- o:
		n.queued++
	default:
		if o.retry && n.holdLocked(o) {
			n.queued++
			return
		}
		n.dropped++
		delete(n.pending, id)
		n.log.Warn("notification queue full: notification dropped", "to", o.to, "msg_id", id)
	}
}

// drain sends one recipient's notifications in order.
func (n *Notifier) drain(q chan *outgoing) {
	defer n.wg.Done()
	for o := range q {
		n.send(o)
	}
}

// send transmits o once and, if it awaits a NotifyResp, arms its retry.
func (n *Notifier) send(o *outgoing) {
	rec, err := NewRecord(o.to, n.cfg.Agent, o.msg)
	if err == nil {
		var b []byte
		if b, err = EncodeRecord(rec); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err = n.cfg.Transport.SendRecord(ctx, o.to, b)
			cancel()
		}
	}
	if err != nil {
		n.log.Info("notify not delivered", "to", o.to, "msg_id", o.msg.GetHeader().GetMsgId(), "err", err)
	}
	if o.retry {
		n.armRetry(o)
	}
}

// armRetry schedules the next attempt of o: attempt n waits a random time
// in [m·(k/1000)^(n−1), m·(k/1000)^n] seconds with m and k from the
// recipient's Controller row (USPNotifRetryMinimumWaitInterval,
// USPNotifRetryIntervalMultiplier; 5 and 2000 by default), n capped at 10;
// no attempt starts after the retry window ends.
func (n *Notifier) armRetry(o *outgoing) {
	m, k := n.retryParams(o.ctrlRow)
	n.mu.Lock()
	defer n.mu.Unlock()
	id := o.msg.GetHeader().GetMsgId()
	if n.closed || n.pending[id] != o {
		return // answered, dropped or closed meanwhile
	}
	o.attempt++
	wait := backoff.Wait(time.Duration(m*float64(time.Second)), k/1000, min(o.attempt, 10), n.cfg.Rand(), 0)
	if !o.expires.IsZero() && n.cfg.Clock.Now().Add(wait).After(o.expires) {
		delete(n.pending, id)
		n.log.Info("notify retries expired", "to", o.to, "msg_id", id)
		return
	}
	o.stop = n.cfg.Clock.AfterFunc(wait, func() { n.resend(o) })
}

// resend puts o back on its recipient's queue unless it was answered or
// the Notifier closed meanwhile; a full queue ends its retries.
func (n *Notifier) resend(o *outgoing) {
	n.mu.Lock()
	defer n.mu.Unlock()
	id := o.msg.GetHeader().GetMsgId()
	if n.closed || n.pending[id] != o {
		return
	}
	select {
	case n.queues[o.to] <- o:
	default:
		if n.holdLocked(o) {
			return
		}
		delete(n.pending, id)
		n.dropped++
		n.log.Warn("notification queue full: retry dropped", "to", o.to, "msg_id", id)
	}
}

// retryParams reads m (seconds) and k of a Controller row.
func (n *Notifier) retryParams(ctrlRow string) (m, k float64) {
	m, k = 5, 2000
	ctx := context.Background()
	for _, pr := range []struct {
		name string
		dst  *float64
	}{{"USPNotifRetryMinimumWaitInterval", &m}, {"USPNotifRetryIntervalMultiplier", &k}} {
		p, err := path.Parse(ctrlRow + "." + pr.name)
		if err != nil {
			continue
		}
		if res, err := n.cfg.Model.Get(ctx, p, 0, nil); err == nil && len(res) == 1 {
			if v, err := strconv.ParseFloat(res[0].Params[0].Value, 64); err == nil && v > 0 {
				*pr.dst = v
			}
		}
	}
	return m, k
}

// holdBackoff is how long a NotifRetry notification that found its
// recipient's queue full waits before it tries the queue again (plus up
// to as much jitter). It is local back-pressure, not a TR-369 retry: the
// notification was not sent.
const holdBackoff = time.Second

// holdLocked keeps o, a NotifRetry notification that found its
// recipient's queue full, and tries the queue again after holdBackoff,
// unless its retry window has ended or the recipient already has
// holdFactor×QueueLen notifications waiting (the bound on what a
// Controller that cannot keep up may cost). It reports whether o was
// kept. The caller holds n.mu.
func (n *Notifier) holdLocked(o *outgoing) bool {
	wait := holdBackoff + time.Duration(float64(holdBackoff)*n.cfg.Rand())
	if !o.expires.IsZero() && n.cfg.Clock.Now().Add(wait).After(o.expires) {
		return false
	}
	waiting := 0
	for _, p := range n.pending {
		if p.to == o.to {
			waiting++
		}
	}
	if waiting > holdFactor*n.cfg.QueueLen {
		return false
	}
	o.stop = n.cfg.Clock.AfterFunc(wait, func() { n.resend(o) })
	return true
}

// holdFactor bounds a recipient's waiting NotifRetry notifications to
// this many times its queue length.
const holdFactor = 16

// Resume retries at once, in the order they were first sent, the
// notifications to Controller to that wait for their next retry: call it
// when an MTP to that Controller comes up (a reconnect), so that what
// queued while it was down is delivered now rather than at the end of a
// back-off. It returns at once; the retries run on a goroutine of the
// Notifier (Close waits for it), beside the recipient's queue, so newer
// notifications may overtake them. Notifications without NotifRetry were
// never kept.
func (n *Notifier) Resume(to EndpointID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	var due []*outgoing
	for _, o := range n.pending {
		if o.to == to && o.stop != nil && o.stop() {
			o.stop = nil // the timer had not fired: this retry is ours
			due = append(due, o)
		}
	}
	if len(due) == 0 {
		return
	}
	slices.SortFunc(due, func(a, b *outgoing) int { return cmp.Compare(a.seq, b.seq) })
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for _, o := range due {
			if !n.stillPending(o) {
				continue
			}
			n.send(o)
		}
	}()
}

// stillPending reports whether o still awaits its NotifyResp and the
// Notifier is open.
func (n *Notifier) stillPending(o *outgoing) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.closed && n.pending[o.msg.GetHeader().GetMsgId()] == o
}

// HandleResponse takes a Response message a Controller sent to the Agent:
// a NotifyResp stops the retries of the Notify it answers (R-NOT.10).
func (n *Notifier) HandleResponse(from EndpointID, msgID string, resp *uspmsg.Response) {
	if resp.GetNotifyResp() == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if o := n.pending[msgID]; o != nil && o.to == from {
		o.stopTimer()
		delete(n.pending, msgID)
	}
}

// OperationComplete notifies the OperationComplete subscribers of an
// asynchronous command's end; wire it with Agent.OnOperationComplete.
func (n *Notifier) OperationComplete(oc OperationComplete) {
	ctx := context.Background()
	n.mu.Lock()
	if n.subs == nil {
		n.rebuildLocked(ctx)
	}
	subs := n.subs
	n.mu.Unlock()
	for _, s := range subs {
		if s.notifType != "OperationComplete" || !n.anyRef(ctx, s, func(r *path.Path, raw string) bool {
			return refCoversItem(ctx, n.cfg.Model, r, raw, oc.ObjPath, oc.CommandName, path.Command)
		}) {
			continue
		}
		if _, np := n.notifyPerms(ctx, s.recipient); np != nil && !np.NotifyCommandEvent(oc.ObjPath, oc.CommandName) {
			continue
		}
		c := &uspmsg.Notify_OperationComplete{ObjPath: oc.ObjPath, CommandName: oc.CommandName, CommandKey: oc.CommandKey}
		if oc.Err != nil {
			c.OperationResp = &uspmsg.Notify_OperationComplete_CmdFailure{CmdFailure: &uspmsg.Notify_OperationComplete_CommandFailure{
				ErrCode: uint32(commandCode(oc.Err)), ErrMsg: oc.Err.Error()}}
		} else {
			c.OperationResp = &uspmsg.Notify_OperationComplete_ReqOutputArgs{ReqOutputArgs: &uspmsg.Notify_OperationComplete_OutputArgs{OutputArgs: oc.Output}}
		}
		n.enqueue(s, &uspmsg.Notify{Notification: &uspmsg.Notify_OperComplete{OperComplete: c}})
	}
}

// OnBoardInfo is what an OnBoardRequest tells a Controller of the device.
type OnBoardInfo struct {
	OUI, ProductClass, SerialNumber string
}

// SendOnBoardRequest sends an OnBoardRequest to the Controller of row
// ctrlRow (path without trailing dot): subscription_id "", send_resp
// true, retried until a NotifyResp arrives, never expiring.
func (n *Notifier) SendOnBoardRequest(ctx context.Context, ctrlRow string, info OnBoardInfo) error {
	to := n.controllerID(ctx, strings.TrimSuffix(ctrlRow, "."))
	if to == "" {
		return Errorf(ErrInvalidArguments, "no Controller with an EndpointID at %s", ctrlRow)
	}
	n.push(&outgoing{to: to, ctrlRow: strings.TrimSuffix(ctrlRow, "."), retry: true}, &uspmsg.Notify{SendResp: true,
		Notification: &uspmsg.Notify_OnBoardReq{OnBoardReq: &uspmsg.Notify_OnBoardRequest{
			Oui: info.OUI, ProductClass: info.ProductClass, SerialNumber: info.SerialNumber, AgentSupportedProtocolVersions: SupportedVersions}}})
	return nil
}
