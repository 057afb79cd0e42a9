package mqtt

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/eclipse/paho.golang/paho"

	"github.com/uspmesh/uspmesh/lograte"
)

// records is a slog.Handler keeping every record, for tests that check
// what was logged.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// count counts records with msg at level (any level when level is nil).
func (r *records) count(msg string, level *slog.Level) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.recs {
		if rec.Message == msg && (level == nil || rec.Level == *level) {
			n++
		}
	}
	return n
}

func TestInboundFilter(t *testing.T) {
	var got []Message
	c := &Client{
		cfg: Config{MaxPayload: 8, Handler: func(_ context.Context, m Message) { got = append(got, m) }},
		ctx: context.Background(),
	}
	c.drops = lograte.New(nil, nil, 0)
	publish := func(ct string, payload []byte) {
		_, _ = c.onPublish(paho.PublishReceived{Packet: &paho.Publish{
			Topic: "t", Payload: payload,
			Properties: &paho.PublishProperties{ContentType: ct, ResponseTopic: "r"},
		}})
	}
	publish(ContentType, []byte("12345678"))
	publish(ContentTypeMIME, []byte("mime"))
	publish("", []byte("none"))
	publish(ContentType, []byte("123456789")) // oversized
	publish(ContentType, nil)                 // empty
	publish("usp.error", []byte("err"))       // not a Record
	publish("application/json", []byte("{}")) // not USP
	_, _ = c.onPublish(paho.PublishReceived{Packet: &paho.Publish{Topic: "t", Payload: []byte("noprops")}})
	var payloads [][]byte
	for _, m := range got {
		payloads = append(payloads, m.Payload)
	}
	want := [][]byte{[]byte("12345678"), []byte("mime"), []byte("none"), []byte("noprops")}
	if len(payloads) != len(want) {
		t.Fatalf("handled %q, want %q", payloads, want)
	}
	for i := range want {
		if !bytes.Equal(payloads[i], want[i]) {
			t.Errorf("message %d = %q, want %q", i, payloads[i], want[i])
		}
	}
	if got[0].ResponseTopic != "r" || got[0].ContentType != ContentType || got[0].Topic != "t" {
		t.Errorf("message 0 = %+v", got[0])
	}
	if s := c.Stats(); s.Dropped != 4 || s.MessagesReceived != 8 {
		t.Errorf("stats = %+v, want 4 dropped of 8", s)
	}
}
