package mqtt

import (
	"strings"
	"testing"
)

func TestParseBrokerURL(t *testing.T) {
	tests := []struct {
		in   string
		want BrokerURL
		err  string // substring of the error; empty means success
	}{
		{in: "mqtt://broker.example:1884", want: BrokerURL{"broker.example", 1884, false}},
		{in: "mqtt://broker.example", want: BrokerURL{"broker.example", 1883, false}},
		{in: "mqtt://broker.example/", want: BrokerURL{"broker.example", 1883, false}},
		{in: "tcp://10.0.0.1", want: BrokerURL{"10.0.0.1", 1883, false}},
		{in: "mqtts://broker.example", want: BrokerURL{"broker.example", 8883, true}},
		{in: "MQTTS://broker.example:443", want: BrokerURL{"broker.example", 443, true}},
		{in: "ssl://[fd00::1]", want: BrokerURL{"fd00::1", 8883, true}},
		{in: "tls://[fd00::1]:9000", want: BrokerURL{"fd00::1", 9000, true}},
		{in: "mqtt://[::1]:1883", want: BrokerURL{"::1", 1883, false}},
		{in: "broker.example:1883", err: "scheme"},
		{in: "", err: "no scheme"},
		{in: "http://broker.example", err: "unknown scheme"},
		{in: "wss://broker.example", err: "WebSocket"},
		{in: "mqtt://", err: "no host"},
		{in: "mqtt://:1883", err: "no host"},
		{in: "mqtt://h:0", err: "port"},
		{in: "mqtt://h:65536", err: "port"},
		{in: "mqtt://h:x", err: "port"},
		{in: "mqtt://h:", err: "empty port"},
		{in: "mqtt://user:pw@h", err: "user information"},
		{in: "mqtt://h/usp", err: "path"},
		{in: "mqtt://h?x=1", err: "query"},
		{in: "mqtt://h#f", err: "fragment"},
		{in: "mqtt:h", err: "want scheme://"},
		{in: "mqtt://fd00::1", err: ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBrokerURL(tt.in)
			if tt.in == "mqtt://fd00::1" { // an unbracketed IPv6 literal must not pass as host "fd00:" port ":1"
				if err == nil && got.Host != "fd00::1" {
					t.Errorf("ParseBrokerURL(%q) = %+v, want an error or host fd00::1", tt.in, got)
				}
				return
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseBrokerURL(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseBrokerURL(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
	if got := (BrokerURL{"fd00::1", 8883, true}).Addr(); got != "[fd00::1]:8883" {
		t.Errorf("Addr = %q", got)
	}
}

func FuzzParseBrokerURL(f *testing.F) {
	for _, s := range []string{"mqtt://h:1", "mqtts://[fd00::1]:8883", "tcp://10.0.0.1", "mqtt://h/", "ssl://a.b.c", "mqtt://[::1%25eth0]:1", "mqtt://a@b", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBrokerURL(s)
		if err != nil {
			return
		}
		if b.Host == "" || b.Port < 1 || b.Port > 65535 {
			t.Fatalf("ParseBrokerURL(%q) = %+v: bad host or port", s, b)
		}
		again, err := ParseBrokerURL(b.String())
		if err != nil || again != b {
			t.Fatalf("round trip of %q via %q: %+v, %v; want %+v", s, b.String(), again, err, b)
		}
		cfg := Config{Broker: b.Addr()}.withDefaults()
		if err := cfg.validate(); err != nil {
			t.Fatalf("Config{Broker: %q} from %q: %v", b.Addr(), s, err)
		}
	})
}
