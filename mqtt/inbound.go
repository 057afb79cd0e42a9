package mqtt

import (
	"log/slog"

	"github.com/eclipse/paho.golang/paho"
)

// Reasons an inbound PUBLISH is dropped, as logged.
const (
	dropOversized   = "oversized"
	dropEmpty       = "empty payload"
	dropContentType = "not a USP content type"
	dropNoHandler   = "no handler"
)

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
		c.drops.Log(c.ctx, slog.LevelWarn, reason, "mqtt: inbound PUBLISH dropped", "reason", reason,
			"topic", m.Topic, "content_type", m.ContentType, "bytes", len(m.Payload), "max_payload", c.cfg.MaxPayload)
		return true, nil
	}
	c.cfg.Handler(c.ctx, m)
	return true, nil
}
