package mqtt

import (
	"context"
	"strings"
	"testing"
)

func TestMatchTopic(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"usp/agent/a", "usp/agent/a", true},
		{"usp/agent/a", "usp/agent/b", false},
		{"usp/agent/+", "usp/agent/a", true},
		{"usp/agent/+", "usp/agent/a/b", false},
		{"usp/agent/+", "usp/agent/", true},
		{"usp/#", "usp", true},
		{"usp/#", "usp/agent/a", true},
		{"#", "usp/agent/a", true},
		{"#", "$SYS/broker", false},
		{"+/agent", "$SYS/agent", false},
		{"$SYS/#", "$SYS/broker", true},
		{"+/+/a", "usp/agent/a", true},
		{"usp/agent", "usp/agent/a", false},
		{"usp/agent/a/b", "usp/agent/a", false},
	}
	for _, tt := range tests {
		if got := MatchTopic(tt.filter, tt.topic); got != tt.want {
			t.Errorf("MatchTopic(%q, %q) = %v, want %v", tt.filter, tt.topic, got, tt.want)
		}
	}
}

func TestValidTopic(t *testing.T) {
	for _, f := range []string{"a", "a/b", "+", "#", "a/+/b", "a/#", "/", "+/+/x/#"} {
		if err := ValidTopicFilter(f); err != nil {
			t.Errorf("ValidTopicFilter(%q) = %v", f, err)
		}
	}
	for _, f := range []string{"", "a#", "a/#/b", "a+", "a/b+/c", "a\x00b", "\xff"} {
		if err := ValidTopicFilter(f); err == nil {
			t.Errorf("ValidTopicFilter(%q) = nil, want error", f)
		}
	}
	if err := ValidTopicName("a/+"); err == nil {
		t.Error("ValidTopicName(a/+) = nil, want error")
	}
}

func FuzzTopic(f *testing.F) {
	f.Add("usp/agent/+", "usp/agent/a")
	f.Add("#", "$SYS/x")
	f.Add("a/#", "a")
	f.Fuzz(func(t *testing.T, filter, topic string) {
		validFilter := ValidTopicFilter(filter) == nil
		validName := ValidTopicName(topic) == nil
		m := MatchTopic(filter, topic) // must not panic on anything
		if validName && !MatchTopic(topic, topic) {
			t.Fatalf("topic %q does not match itself", topic)
		}
		if validFilter && validName && ValidTopicName(filter) == nil && m != (filter == topic) {
			t.Fatalf("MatchTopic(%q, %q) = %v for a wildcard-free filter", filter, topic, m)
		}
	})
}

func TestSessionFilters(t *testing.T) {
	cfg := Config{Topics: []string{"usp/agent/+", "usp/agent/a"}}.withDefaults()
	c := &Client{cfg: cfg, log: cfg.Logger, ctx: context.Background()}
	tests := []struct {
		name string
		s    Session
		want []string
	}{
		{"configured only", Session{}, []string{"usp/agent/+", "usp/agent/a"}},
		{"subscribe-topic added once", Session{SubscribeTopics: []string{"usp/x/#", "usp/agent/a", "bad/#/x"}}, []string{"usp/agent/+", "usp/agent/a", "usp/x/#"}},
		{"response information covered", Session{ResponseInformation: "usp/agent/b"}, []string{"usp/agent/+", "usp/agent/a"}},
		{"response information added", Session{ResponseInformation: "reply/a"}, []string{"usp/agent/+", "usp/agent/a", "reply/a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.filters(tt.s)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("filters = %q, want %q", got, tt.want)
			}
		})
	}
}
