package coap

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestCheckReplyTo(t *testing.T) {
	v4 := netip.MustParseAddrPort("192.0.2.7:40000")
	v6 := netip.MustParseAddrPort("[2001:db8::7]:40000")
	ll := netip.MustParseAddrPort("[fe80::7%eth0]:40000")
	tests := []struct {
		raw    string
		src    netip.AddrPort
		secure bool
		want   string // "" means refused
	}{
		{"coaps://192.0.2.7:5684/usp", v4, true, "coaps://192.0.2.7:5684/usp"},
		{"coaps://192.0.2.7/usp", v4, true, "coaps://192.0.2.7:5684/usp"},
		{"coap://192.0.2.7/a/b", v4, false, "coap://192.0.2.7:5683/a/b"},
		{"coap://192.0.2.7:9/", v4, false, "coap://192.0.2.7:9/"},
		{"coaps://[2001:db8::7]:6000/ctl", v6, true, "coaps://[2001:db8::7]:6000/ctl"},
		{"coaps://[fe80::7%25eth0]:6000/ctl", ll, true, "coaps://[fe80::7%25eth0]:6000/ctl"},
		{"coaps://[::ffff:192.0.2.7]:6000/ctl", v4, true, "coaps://192.0.2.7:6000/ctl"},
		{"coap://192.0.2.7:5683/usp", v4, true, ""},    // clear text to a DTLS endpoint
		{"coaps://192.0.2.7:5684/usp", v4, false, ""},  // DTLS to a NoSec endpoint
		{"coaps://192.0.2.8:5684/usp", v4, true, ""},   // not the source
		{"coaps://agent.local:5684/usp", v4, true, ""}, // DNS names are refused
		{"coaps://192.0.2.7:0/usp", v4, true, ""},
		{"coaps://192.0.2.7:70000/usp", v4, true, ""},
		{"coaps://u@192.0.2.7/usp", v4, true, ""},
		{"coaps://192.0.2.7/usp?x=1", v4, true, ""},
		{"http://192.0.2.7/usp", v4, true, ""},
		{"", v4, true, ""},
		{"coaps:///usp", v4, true, ""},
	}
	for _, tc := range tests {
		got, err := checkReplyTo(tc.raw, tc.src, tc.secure)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("checkReplyTo(%q, %v, %v) = %q, %v; want %q", tc.raw, tc.src, tc.secure, got, err, tc.want)
		}
	}
}

// TestReplyToUnspecifiedListen: an endpoint listening on all addresses
// puts the local address towards each peer in reply-to.
func TestReplyToUnspecifiedListen(t *testing.T) {
	checkLeaks(t)
	sb := newSink()
	b := listen(t, nosecConfig(), sb.handle)
	a := listen(t, nosecConfig(), newSink().handle)
	a.clients.bindIP = netip.Addr{} // as if listening on 0.0.0.0
	if err := a.Send(context.Background(), b.URL(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if in := sb.next(t); in.ReplyTo != a.URL() {
		t.Fatalf("reply-to %q, want %q", in.ReplyTo, a.URL())
	}
}

// TestListenContext: cancelling Listen's context closes the endpoint.
func TestListenContext(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithCancel(context.Background())
	e, err := Listen(ctx, nosecConfig(), newSink().handle)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	waitFor(t, 2*time.Second, "the endpoint to close", func() bool {
		return errors.Is(e.Send(context.Background(), "coap://127.0.0.1:9/usp", nil), ErrClosed)
	})
	_ = e.Close()
}

func TestConfigChecks(t *testing.T) {
	bad := []Config{
		{},                            // no security mode
		{Insecure: true, PSK: &PSK{}}, // two modes
		{PSK: &PSK{Identity: "x"}},    // no key
		{Cert: &CertConfig{}},         // no certificate
		{Insecure: true, Path: "/.well-known/core/"},
	}
	for i, c := range bad {
		if _, err := Listen(context.Background(), c, newSink().handle); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	c, err := Config{Insecure: true, MaxRetransmit: -1, KeepAlive: -1}.withDefaults()
	if err != nil || c.Listen != ":5683" || c.Path != "usp" || c.MaxRetransmit != 0 || c.KeepAlive != -1 || c.ACKTimeout != 2*time.Second {
		t.Fatalf("defaults: %+v %v", c, err)
	}
}
