package node

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// meshConfig is a mesh node on loopback: the given ports for its Agent,
// Controller and gossip, the fast profile, no PSK of its own.
func meshConfig(t testing.TB, secret string, ports []int, priority int, seeds ...string) Config {
	return Config{StateDir: t.TempDir(), Listen: fmt.Sprintf("127.0.0.1:%d", ports[0]), ControllerPort: ports[1],
		GossipPort: ports[2], MeshSecretFile: secret, Profile: "fast", Priority: priority, Seeds: seeds}
}

// meshConfigs returns the configurations of n nodes on loopback seeded
// with each other's gossip ports, priorities 10, 9, ... so that the
// first is the rule's preferred leader.
func meshConfigs(t testing.TB, secret string, n int) []Config {
	ports := freePorts(t, 3*n)
	var seeds []string
	for i := range n {
		seeds = append(seeds, fmt.Sprintf("127.0.0.1:%d", ports[3*i+2]))
	}
	cfgs := make([]Config, n)
	for i := range cfgs {
		cfgs[i] = meshConfig(t, secret, ports[3*i:3*i+3], 10-i, seeds...)
	}
	return cfgs
}

// TestMeshDegradesAndRetries: a mesh that cannot start at boot (its
// gossip port is taken) leaves the Agent serving alone, says why in
// Device.X_USPMESH_Mesh.Status and StatusMessage, and starts once the
// port is free.
func TestMeshDegradesAndRetries(t *testing.T) {
	ports := freePorts(t, 3)
	busy, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ports[2]))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	clk := clock.NewFake(time.Now())
	ds := &discoverers{}
	n := startNode(t, meshConfig(t, writeSecret(t, t.TempDir()), ports, 1), Deps{Clock: clk, Discover: ds.discover})
	waitFor(t, 10*time.Second, "the mesh to report Degraded", func() bool {
		return get(t, n, "Device.X_USPMESH_Mesh.Status") == "Degraded"
	})
	if msg := get(t, n, "Device.X_USPMESH_Mesh.StatusMessage"); !strings.Contains(msg, "gossip_port") {
		t.Fatalf("StatusMessage %q does not name the gossip port", msg)
	}
	if n.meshNow() != nil {
		t.Fatal("a mesh is running on a taken gossip port")
	}
	busy.Close()
	if !clk.WaitTimers(1, 10*time.Second) {
		t.Fatal("no retry scheduled")
	}
	clk.Advance(meshRetry)
	waitFor(t, 20*time.Second, "the mesh to start on retry", func() bool { return n.meshNow() != nil })
	if got := get(t, n, "Device.X_USPMESH_Mesh.StatusMessage"); got != "" {
		t.Fatalf("StatusMessage %q once the mesh runs", got)
	}
	if st := get(t, n, "Device.X_USPMESH_Mesh.Status"); st == "Degraded" {
		t.Fatalf("Status still %s once the mesh runs", st)
	}
}

// TestMeshWaitsForAddress: a node with a mesh secret but no address to
// be reached at serves as a lone Agent and keeps trying.
func TestMeshWaitsForAddress(t *testing.T) {
	cfg := Config{StateDir: t.TempDir(), Listen: ":0", Insecure: true, MeshSecretFile: writeSecret(t, t.TempDir()),
		Interfaces: []string{"no-such-if0"}}
	clk := clock.NewFake(time.Now())
	n := startNode(t, cfg, Deps{Clock: clk})
	waitFor(t, 10*time.Second, "Degraded", func() bool { return get(t, n, "Device.X_USPMESH_Mesh.Status") == "Degraded" })
	if msg := get(t, n, "Device.X_USPMESH_Mesh.StatusMessage"); !strings.Contains(msg, "no IPv4 address") {
		t.Fatalf("StatusMessage %q", msg)
	}
	if !clk.WaitTimers(1, 10*time.Second) {
		t.Fatal("no retry scheduled")
	}
	clk.Advance(meshRetry)
	if !clk.WaitTimers(1, 10*time.Second) {
		t.Fatal("no second retry scheduled")
	}
	if n.meshNow() != nil {
		t.Fatal("mesh started without an address")
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestControllerRecordBeforeListen: a Record that reaches the mesh
// Controller's endpoint the moment it listens (before Listen even
// returns) is handled, not a nil dereference.
func TestControllerRecordBeforeListen(t *testing.T) {
	delivered := make(chan error, 1)
	listen := func(ctx context.Context, cfg coap.Config, h coap.Handler) (Endpoint, error) {
		ep, err := coap.Listen(ctx, cfg, h)
		if err != nil || cfg.Role != coap.Controller {
			return ep, err
		}
		nt := usp.NewRequest("n1", &uspmsg.Request{ReqType: &uspmsg.Request_Notify{Notify: &uspmsg.Notify{
			SubscriptionId: "s", Notification: &uspmsg.Notify_Event_{Event: &uspmsg.Notify_Event{ObjPath: "Device.", EventName: "Boot!"}}}}})
		rec, _ := usp.NewRecord(usp.EndpointID(cfg.PSK.Identity), "proto::early-agent", nt)
		b, _ := usp.EncodeRecord(rec)
		delivered <- h(ctx, coap.Inbound{Record: b, Peer: "proto::early-agent"})
		return ep, nil
	}
	ports := freePorts(t, 3)
	ds := &discoverers{}
	n := startNode(t, meshConfig(t, writeSecret(t, t.TempDir()), ports, 1), Deps{Listen: listen, Discover: ds.discover})
	select {
	case err := <-delivered:
		if err != nil {
			t.Fatalf("early Record: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the mesh Controller never listened")
	}
	waitFor(t, 10*time.Second, "the mesh to start", func() bool { return n.meshNow() != nil })
}

// TestLogScopes: every log line carries one "sub" scope: the caller
// scopes, libraries add none of their own.
func TestLogScopes(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ports := freePorts(t, 3)
	ds := &discoverers{}
	n := startNode(t, meshConfig(t, writeSecret(t, t.TempDir()), ports, 1), Deps{Logger: log, Discover: ds.discover})
	waitFor(t, 20*time.Second, "a leader", func() bool { return get(t, n, "Device.X_USPMESH_Mesh.Status") == "Leader" })
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	sub := regexp.MustCompile(`\bsub=`)
	subs := map[string]bool{}
	for _, line := range strings.Split(buf.String(), "\n") {
		if k := len(sub.FindAllString(line, -1)); k > 1 {
			t.Errorf("%d scopes in %q", k, line)
		}
		if m := regexp.MustCompile(`\bsub=(\S+)`).FindStringSubmatch(line); m != nil {
			subs[m[1]] = true
		}
	}
	for _, want := range []string{"coap", "coap-ctl", "mesh", "election"} {
		if !subs[want] {
			t.Errorf("no log line scoped sub=%s (scopes seen: %v)", want, subs)
		}
	}
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}
