package node

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/coap"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/discovery"
	"github.com/uspmesh/uspmesh/meshkey"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// The node tests run real nodes on loopback: real UDP sockets and DTLS
// handshakes, real memberlist, the real data model. What needs root or a
// LAN (mDNS multicast, network namespaces) is replaced through Deps:
// discovery by a static list of peers, and, where a test must control
// the MTP, the listen function.

// testPSK is the PSK of the test Controller.
var testPSK = bytes.Repeat([]byte{0x42}, 16)

// testCtl is the Endpoint ID of the test Controller, configured "full".
const testCtl = "proto::test-ctl"

// baseConfig is a lone node on loopback with a PSK for testCtl.
func baseConfig(t testing.TB) Config {
	return Config{StateDir: t.TempDir(), Listen: "127.0.0.1:0", PSKHex: hex.EncodeToString(testPSK),
		Controllers: []ControllerConfig{{EndpointID: testCtl, Role: "full"}}}
}

// startNode starts a node and closes it at the end of the test.
func startNode(t testing.TB, cfg Config, deps Deps) *Node {
	t.Helper()
	if deps.Logger == nil {
		deps.Logger = testLogger(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := New(ctx, cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// testLogger logs to the test's output when -v is given, else nowhere.
func testLogger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// controller is a USP Controller on its own CoAP endpoint, talking to
// one node's Agent; notifications arrive on notes.
type controller struct {
	client *usp.Client
	ep     *coap.Endpoint
	agent  usp.EndpointID
	notes  chan *uspmsg.Notify
}

// dialNode opens a Controller with identity id and PSK key to n's Agent.
func dialNode(t testing.TB, n *Node, id string, key []byte) *controller {
	t.Helper()
	c := &controller{agent: n.AgentID(), notes: make(chan *uspmsg.Notify, 64)}
	to := n.URL()
	tr := transportFunc(func(ctx context.Context, _ usp.EndpointID, rec []byte) error { return c.ep.Send(ctx, to, rec) })
	client, err := usp.NewClient(usp.ClientConfig{EndpointID: usp.EndpointID(id), Transport: tr, Timeout: 10 * time.Second,
		OnNotify: func(_ usp.EndpointID, nt *uspmsg.Notify) {
			select {
			case c.notes <- nt:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	c.client = client
	cc := coap.TestConfig()
	cc.Listen, cc.Role = "127.0.0.1:0", coap.Controller
	cc.PSK = &coap.PSK{Identity: id, Key: func(string) ([]byte, error) { return key, nil }}
	ep, err := coap.Listen(context.Background(), cc, func(ctx context.Context, in coap.Inbound) error {
		return client.HandleRecord(ctx, usp.EndpointID(in.Peer), in.Record)
	})
	if err != nil {
		t.Fatal(err)
	}
	c.ep = ep
	t.Cleanup(func() { _ = ep.Close() })
	return c
}

type transportFunc func(ctx context.Context, to usp.EndpointID, rec []byte) error

func (f transportFunc) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	return f(ctx, to, rec)
}

// get returns the value of one parameter of n's model.
func get(t testing.TB, n *Node, param string) string {
	t.Helper()
	p, err := path.Parse(param)
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Model().Get(context.Background(), p, 0, nil)
	if err != nil || len(res) != 1 || len(res[0].Params) != 1 {
		t.Fatalf("get %s: %v, %v", param, res, err)
	}
	return res[0].Params[0].Value
}

// rows counts the rows a table path names in n's model.
func rows(t testing.TB, n *Node, table string) int {
	t.Helper()
	p, err := path.Parse(table)
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Model().Get(context.Background(), p, 1, nil)
	if err != nil {
		t.Fatalf("get %s: %v", table, err)
	}
	count := 0
	for _, r := range res {
		if r.Path != table {
			count++
		}
	}
	return count
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeSecret writes a new mesh secret file and returns its name.
func writeSecret(t testing.TB, dir string) string {
	t.Helper()
	s, err := meshkey.MintSecret()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "mesh.secret")
	if err := os.WriteFile(name, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// freePorts returns n distinct free ports on 127.0.0.1, free for UDP
// and TCP when they were picked.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var out []int
	var hold []func()
	defer func() {
		for _, h := range hold {
			h()
		}
	}()
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			_ = l.Close()
			continue
		}
		hold = append(hold, func() { _ = l.Close(); _ = u.Close() })
		out = append(out, port)
	}
	return out
}

// fakeDiscovery is a Discovery that finds only the peers a test feeds
// it and remembers what the node advertised.
type fakeDiscovery struct {
	peers     chan discovery.Peer
	advertise discovery.AdvertiseConfig
	once      sync.Once
}

func (d *fakeDiscovery) Peers() <-chan discovery.Peer { return d.peers }
func (d *fakeDiscovery) Close()                       { d.once.Do(func() { close(d.peers) }) }

// discoverers hands out fake discoveries and keeps them for the test.
type discoverers struct {
	mu   sync.Mutex
	made []*fakeDiscovery
}

func (ds *discoverers) discover(_ context.Context, adv discovery.AdvertiseConfig, _ discovery.BrowseConfig) (Discovery, error) {
	d := &fakeDiscovery{peers: make(chan discovery.Peer, 16), advertise: adv}
	ds.mu.Lock()
	ds.made = append(ds.made, d)
	ds.mu.Unlock()
	return d, nil
}
