package election

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConfigValidation(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	base := Config{Name: "a", BindAddr: "127.0.0.1", SecretKey: key}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no name", func(c *Config) { c.Name = "" }, "Name is required"},
		{"long name", func(c *Config) { c.Name = strings.Repeat("x", 129) }, "Name is 129 bytes"},
		{"no key", func(c *Config) { c.SecretKey = nil }, "SecretKey is 0 bytes"},
		{"short key", func(c *Config) { c.SecretKey = key[:16] }, "SecretKey is 16 bytes"},
		{"key and insecure", func(c *Config) { c.Insecure = true }, "exclude"},
		{"all interfaces without advertise", func(c *Config) { c.BindAddr = "" }, "AdvertiseAddr is required"},
		{"bad bind", func(c *Config) { c.BindAddr = "home" }, "BindAddr"},
		{"unspecified advertise", func(c *Config) { c.AdvertiseAddr = "0.0.0.0" }, "AdvertiseAddr"},
		{"bad port", func(c *Config) { c.BindPort = 70000 }, "BindPort"},
		{"long label", func(c *Config) { c.Label = strings.Repeat("l", 256) }, "Label"},
		{"meta too big", func(c *Config) { c.Meta.CoAP = strings.Repeat("u", 400) }, "Meta needs"},
		{"too many capabilities", func(c *Config) { c.Meta.Capabilities = make([]string, 33) }, "capabilities"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mutate(&cfg)
			_, err := Start(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := Config{Name: "a", BindAddr: "0.0.0.0", AdvertiseAddr: "192.0.2.1", Insecure: true}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Profile != DefaultProfile() || cfg.StartupWait != DefaultStartupWait || cfg.Logger == nil {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
	// A partial profile takes the rest from DefaultProfile.
	cfg, _ = Config{Name: "a", BindAddr: "127.0.0.1", Insecure: true, Profile: Profile{ProbeInterval: time.Second / 3}}.withDefaults()
	want := DefaultProfile()
	want.ProbeInterval = time.Second / 3
	if cfg.Profile != want || cfg.AdvertiseAddr != "127.0.0.1" {
		t.Fatalf("partial profile: %+v", cfg.Profile)
	}
}

// captureHandler records slog records.
type captureHandler struct {
	mu      sync.Mutex
	records []slog.Record
	attrs   []slog.Attr
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.AddAttrs(h.attrs...)
	h.records = append(h.records, r)
	return nil
}
func (h *captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &shared{h, append(append([]slog.Attr(nil), h.attrs...), as...)}
}
func (h *captureHandler) WithGroup(string) slog.Handler { return h }

// shared is a captureHandler view with extra attributes, recording into
// the same list.
type shared struct {
	*captureHandler
	attrs []slog.Attr
}

func (s *shared) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(s.attrs...)
	return s.captureHandler.Handle(ctx, r)
}
func (s *shared) WithAttrs(as []slog.Attr) slog.Handler {
	return &shared{s.captureHandler, append(append([]slog.Attr(nil), s.attrs...), as...)}
}

// find returns the first record whose "sub" attribute is sub and whose
// message contains msg, and whether there was one.
func (h *captureHandler) find(key, val, msg string) (slog.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		match := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == key && a.Value.String() == val {
				match = true
			}
			return true
		})
		if match && strings.Contains(r.Message, msg) {
			return r, true
		}
	}
	return slog.Record{}, false
}

// Memberlist's own log lines arrive through the Config's slog.Logger, at
// their level, tagged from=memberlist (the caller's own "sub" scope is
// left as given).
func TestMemberlistLogsGoToSlog(t *testing.T) {
	capture := &captureHandler{}
	h := newHarness(t, FastProfile())
	h.logger = slog.New(capture).With("sub", "election")
	a := h.start(h.config("a", 0, 0))
	b := h.start(h.config("b", 0, 0))
	if _, err := b.c.Join([]string{a.c.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, func() (bool, string) {
		_, ok := capture.find("from", "memberlist", "push/pull sync")
		return ok, "no memberlist log line"
	})
	r, _ := capture.find("from", "memberlist", "push/pull sync")
	if r.Level != slog.LevelDebug || strings.HasPrefix(r.Message, "[") {
		t.Fatalf("memberlist line as %v %q", r.Level, r.Message)
	}
	if r, ok := capture.find("sub", "election", "cluster started"); !ok {
		t.Fatal("no election log line")
	} else if n := countAttr(r, "sub"); n != 1 {
		t.Fatalf("%d sub scopes on the election's line, want the caller's one", n)
	}
}

func countAttr(r slog.Record, key string) int {
	n := 0
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			n++
		}
		return true
	})
	return n
}

func TestSlogWriterLevels(t *testing.T) {
	capture := &captureHandler{}
	w := slogWriter{log: slog.New(capture)}
	for _, line := range []string{
		"[DEBUG] memberlist: d\n", "[INFO] memberlist: i\n", "[WARN] memberlist: w\n", "[ERR] memberlist: e\n", "plain\n",
	} {
		if n, err := w.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatal(n, err)
		}
	}
	want := []struct {
		level slog.Level
		msg   string
	}{{slog.LevelDebug, "d"}, {slog.LevelInfo, "i"}, {slog.LevelWarn, "w"}, {slog.LevelError, "e"}, {slog.LevelInfo, "plain"}}
	if len(capture.records) != len(want) {
		t.Fatalf("%d records", len(capture.records))
	}
	for i, r := range capture.records {
		if r.Level != want[i].level || r.Message != want[i].msg {
			t.Errorf("record %d: %v %q, want %v %q", i, r.Level, r.Message, want[i].level, want[i].msg)
		}
	}
}
