package election

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/memberlist"
)

func TestMetaRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		self string
		m    wireMeta
	}{
		{"empty", "a", wireMeta{}},
		{"claiming self", "os::00D09E-1", wireMeta{Priority: 5, Vote: Vote{42, "os::00D09E-1"}, Claim: true,
			Node: NodeMeta{AgentID: "os::00D09E-1", ControllerID: "self::ctrl-1", CoAP: "coaps://192.0.2.1:5684/usp",
				Capabilities: []string{"wifiopt", "dfs"}}}},
		{"following other", "b", wireMeta{Priority: -3, Vote: Vote{7, "a"}}},
		{"huge term", "b", wireMeta{Vote: Vote{1<<64 - 1, "z"}}},
		{"withdrawn", "b", wireMeta{Priority: 3, Vote: Vote{7, "a"}, Withdrawn: true}},
		{"term floor without leader", "b", wireMeta{Vote: Vote{7, ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeMeta(tc.self, tc.m)
			got, err := decodeMeta(tc.self, b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.m) {
				t.Fatalf("round trip: %+v, want %+v", got, tc.m)
			}
		})
	}
}

// The encoding is compact: a typical node's metadata is well under the
// 512-byte limit.
func TestMetaSize(t *testing.T) {
	m := wireMeta{Priority: 10, Vote: Vote{123456, "os::00D09E-A1B2C3D4E5F6"}, Claim: true,
		Node: NodeMeta{AgentID: "os::00D09E-A1B2C3D4E5F6", ControllerID: "self::ctrl-A1B2C3D4E5F6",
			CoAP: "coaps://192.168.100.200:5684/usp", Capabilities: []string{"wifiopt", "dfs", "6ghz"}}}
	b := encodeMeta("os::00D09E-A1B2C3D4E5F6", m)
	if len(b) > 120 {
		t.Fatalf("typical metadata is %d bytes", len(b))
	}
	t.Logf("typical metadata: %d bytes", len(b))
}

// Golden bytes pin the wire format.
func TestMetaGolden(t *testing.T) {
	b := encodeMeta("n1", wireMeta{Priority: -1, Vote: Vote{3, "n2"}, Node: NodeMeta{AgentID: "n1", Capabilities: []string{"x"}}})
	want := []byte{1, 0, 1, 3, 2, 'n', '2', 2, 'n', '1', 0, 0, 1, 1, 'x'}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded % x\nwant    % x", b, want)
	}
	b = encodeMeta("n1", wireMeta{Priority: 2, Vote: Vote{3, "n1"}, Claim: true})
	want = []byte{1, flagClaim | flagLeaderSelf, 4, 3, 0, 0, 0, 0}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded % x\nwant    % x", b, want)
	}
}

func TestMetaDecodeErrors(t *testing.T) {
	good := encodeMeta("a", wireMeta{Vote: Vote{1, "b"}, Node: NodeMeta{AgentID: "a"}})
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"version", append([]byte{9}, good[1:]...), "version 9"},
		{"truncated", good[:len(good)-1], "truncated"},
		{"trailing", append(bytes.Clone(good), 0), "trailing"},
		{"too many capabilities", append(bytes.Clone(good[:len(good)-1]), 200, 1), "capabilities"},
		{"oversize", make([]byte, memberlist.MetaMaxSize+1), "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeMeta("a", tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzDecodeMeta checks that decoding never panics and that whatever
// decodes re-encodes to the same bytes.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta("a", wireMeta{Priority: 3, Vote: Vote{9, "a"}, Claim: true, Node: NodeMeta{AgentID: "a", Capabilities: []string{"c"}}}))
	f.Add(encodeMeta("a", wireMeta{Vote: Vote{9, "b"}}))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta("a", b)
		if err != nil {
			return
		}
		again, err := decodeMeta("a", encodeMeta("a", m))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("re-decode: %+v, %v; want %+v", again, err, m)
		}
	})
}
