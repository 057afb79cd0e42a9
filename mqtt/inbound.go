package mqtt

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// Reasons an inbound PUBLISH is dropped, as logged.
const (
	dropOversized   = "oversized"
	dropEmpty       = "empty payload"
	dropContentType = "not a USP content type"
	dropNoHandler   = "no handler"
)

// dropLogInterval is the least time between two log lines for one reason.
const dropLogInterval = time.Minute

// dropLog logs dropped messages at most once per interval per reason,
// counting the drops it did not log.
type dropLog struct {
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration

	mu      sync.Mutex
	reasons map[string]*dropReason
}

type dropReason struct {
	last       time.Time
	suppressed int
}

func newDropLog(log *slog.Logger, now func() time.Time) *dropLog {
	return &dropLog{log: log, now: now, interval: dropLogInterval, reasons: make(map[string]*dropReason)}
}

// drop records one dropped message and reports whether it was logged.
func (d *dropLog) drop(ctx context.Context, reason string, attrs ...slog.Attr) bool {
	now := d.now()
	d.mu.Lock()
	r := d.reasons[reason]
	if r == nil {
		r = &dropReason{}
		d.reasons[reason] = r
	}
	if !r.last.IsZero() && now.Sub(r.last) < d.interval {
		r.suppressed++
		d.mu.Unlock()
		return false
	}
	suppressed := r.suppressed
	r.last, r.suppressed = now, 0
	d.mu.Unlock()
	attrs = append(attrs, slog.String("reason", reason), slog.Int("suppressed", suppressed))
	d.log.LogAttrs(ctx, slog.LevelWarn, "mqtt: inbound PUBLISH dropped", attrs...)
	return true
}

// onPublish is the paho callback for every inbound PUBLISH.
func (c *Client) onPublish(pr paho.PublishReceived) (bool, error) {
	p := pr.Packet
	c.msgsIn.Add(1)
	var m Message
	m.Topic, m.Payload = p.Topic, p.Payload
	if p.Properties != nil {
		m.ResponseTopic, m.ContentType = p.Properties.ResponseTopic, p.Properties.ContentType
	}
	reason := ""
	switch {
	case len(m.Payload) > c.cfg.MaxPayload:
		reason = dropOversized
	case len(m.Payload) == 0:
		reason = dropEmpty
	case m.ContentType != "" && m.ContentType != ContentType && m.ContentType != ContentTypeMIME:
		reason = dropContentType
	case c.cfg.Handler == nil:
		reason = dropNoHandler
	}
	if reason != "" {
		c.dropped.Add(1)
		c.drops.drop(c.ctx, reason,
			slog.String("topic", m.Topic),
			slog.String("content_type", m.ContentType),
			slog.Int("bytes", len(m.Payload)),
			slog.Int("max_payload", c.cfg.MaxPayload))
		return true, nil
	}
	c.cfg.Handler(c.ctx, m)
	return true, nil
}
