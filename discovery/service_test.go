package discovery

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		k           Kind
		typ, String string
	}{
		{Agent, "_usp-agt-coap._udp", "agent"},
		{Controller, "_usp-ctr-coap._udp", "controller"},
		{AgentWebSocket, "_usp-agt-ws._tcp", "agent-ws"},
		{0, "", "kind(0)"},
		{9, "", "kind(9)"},
	} {
		if tc.k.ServiceType() != tc.typ || tc.k.String() != tc.String {
			t.Errorf("Kind %d: %q %q", tc.k, tc.k.ServiceType(), tc.k.String())
		}
	}
	for in, want := range map[string]Kind{"_usp-agt-coap._udp": Agent, "_USP-CTR-COAP._udp.": Controller, "_usp-agt-ws._tcp.": AgentWebSocket} {
		if k, ok := kindOfService(in); !ok || k != want {
			t.Errorf("kindOfService(%q) = %v, %v", in, k, ok)
		}
	}
	if _, ok := kindOfService("_http._tcp"); ok {
		t.Error("kindOfService(_http._tcp) ok")
	}
}

func TestServiceTXT(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Service
		want []string
	}{
		{"agent, all keys", Service{Kind: Agent, Path: "/usp", FriendlyName: "AP 1", Encrypt: true,
			Cluster: "c1", Gossip: 7946, Extra: map[string]string{"zz": "2", "prio": "1"}},
			[]string{"path=/usp", "name=AP 1", "encrypt", "cluster=c1", "gossip=7946", "prio=1", "zz=2"}},
		{"controller sends no name", Service{Kind: Controller, Path: "/c", FriendlyName: "ignored"},
			[]string{"path=/c"}},
		{"empty extra value", Service{Kind: Agent, Path: "/", Extra: map[string]string{"x": ""}},
			[]string{"path=/", "x="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.txtStrings()
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("txtStrings = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestServicePrepare(t *testing.T) {
	good := Service{Kind: Agent, EndpointID: "os::00256D-ap1.lab", Port: 5684, Path: "/usp",
		Extra: map[string]string{"q": `a\b`}}
	r, err := good.prepare()
	if err != nil {
		t.Fatal(err)
	}
	if r.instance != `os::00256D-ap1\.lab` || !slices.Equal(r.txt, []string{"path=/usp", `q=a\\b`}) {
		t.Errorf("prepare = %+v", r)
	}

	long63 := "oui:123456789:" + strings.Repeat("a", 49) // 63 bytes
	if _, err := (Service{Kind: Agent, EndpointID: long63, Port: 1, Path: "/"}).prepare(); err != nil {
		t.Errorf("63-byte Endpoint ID: %v", err)
	}

	for _, tc := range []struct {
		name   string
		modify func(*Service)
		want   error
	}{
		{"64-byte Endpoint ID", func(s *Service) { s.EndpointID = long63 + "a" }, ErrLabelTooLong},
		{"not an Endpoint ID", func(s *Service) { s.EndpointID = "ap1" }, ErrEndpointID},
		{"no kind", func(s *Service) { s.Kind = 0 }, ErrService},
		{"port 0", func(s *Service) { s.Port = 0 }, ErrService},
		{"port 65536", func(s *Service) { s.Port = 65536 }, ErrService},
		{"gossip -1", func(s *Service) { s.Gossip = -1 }, ErrService},
		{"no path", func(s *Service) { s.Path = "" }, ErrService},
		{"reserved extra key", func(s *Service) { s.Extra = map[string]string{"Cluster": "x"} }, ErrTXT},
		{"extra key with =", func(s *Service) { s.Extra = map[string]string{"a=b": "x"} }, ErrTXT},
		{"extra key too long", func(s *Service) { s.Extra = map[string]string{"tenletters": "x"} }, ErrTXT},
		{"extra keys differing in case", func(s *Service) { s.Extra = map[string]string{"ab": "1", "AB": "2"} }, ErrTXT},
		{"string over 255 bytes", func(s *Service) { s.Path = strings.Repeat("p", 251) }, ErrTXT},
		{"record over 1300 bytes", func(s *Service) {
			s.Extra = map[string]string{}
			for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
				s.Extra[k] = strings.Repeat("v", 240)
			}
		}, ErrTXT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.modify(&s)
			_, err := s.prepare()
			var se *ServiceError
			if !errors.As(err, &se) || !errors.Is(err, tc.want) {
				t.Fatalf("prepare = %v, want a *ServiceError wrapping %v", err, tc.want)
			}
			if se.EndpointID != s.EndpointID || se.Kind != s.Kind {
				t.Errorf("ServiceError = %+v", se)
			}
		})
	}
}
