package mqtt

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDialRefusesMQTT311(t *testing.T) {
	c, err := Dial(t.Context(), Config{Broker: "127.0.0.1:1883", ProtocolVersion: "3.1.1", Topics: []string{"a"}})
	if c != nil {
		_ = c.Close()
	}
	if !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("Dial(3.1.1) error = %v, want ErrUnsupportedVersion", err)
	}
	if !strings.Contains(err.Error(), "MQTT 3.1.1 is not supported; use 5.0") {
		t.Errorf("error %q does not say what to do", err)
	}
}

func TestDialValidates(t *testing.T) {
	ok := Config{Broker: "127.0.0.1:1883", Topics: []string{"usp/agent/a"}}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no broker", func(c *Config) { c.Broker = "" }, "Broker is empty"},
		{"broker without port", func(c *Config) { c.Broker = "broker.example" }, "want host:port"},
		{"broker without host", func(c *Config) { c.Broker = ":1883" }, "both parts"},
		{"version 4", func(c *Config) { c.ProtocolVersion = "6.0" }, "only \"5.0\""},
		{"keep alive too long", func(c *Config) { c.KeepAlive = 70000 * time.Second }, "65535"},
		{"qos 3", func(c *Config) { c.QoS = 3 }, "QoS 3"},
		{"negative payload", func(c *Config) { c.MaxPayload = -1 }, "MaxPayload"},
		{"multiplier below 1000", func(c *Config) { c.Retry.Multiplier = 999 }, "Multiplier"},
		{"negative wait", func(c *Config) { c.Retry.MinWait = -time.Second }, "MinWait"},
		{"bad topic", func(c *Config) { c.Topics = []string{"usp/#/x"} }, "'#'"},
		{"empty topic", func(c *Config) { c.Topics = []string{""} }, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			c, err := Dial(context.Background(), cfg)
			if c != nil {
				_ = c.Close()
				t.Fatal("Dial returned a client for a bad config")
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Dial error = %v, want ErrInvalidConfig mentioning %q", err, tt.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{Broker: "h:1"}.withDefaults()
	if c.ProtocolVersion != "5.0" || c.KeepAlive != 60*time.Second || c.MaxPayload != 64<<10 || c.QoS != 1 {
		t.Errorf("defaults = %+v", c)
	}
	if c.Retry != (Retry{MinWait: 5 * time.Second, Multiplier: 2000, MaxInterval: 30720 * time.Second}) {
		t.Errorf("retry defaults = %+v", c.Retry)
	}
	if q := (Config{QoSAtMostOnce: true}).withDefaults().QoS; q != 0 {
		t.Errorf("QoSAtMostOnce gives QoS %d", q)
	}
}
