//go:build linux

package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/uspmesh/uspmesh/coap"
)

// How the harness reaches the nodes from its own namespace.
//
// The harness's Controller must live in <prefix>-ctl, attached to the
// bridge, but a Go process cannot move itself into a network namespace:
// setns(2) changes one OS thread only, and the coap package opens a new
// UDP socket for every peer it dials, lazily, on whichever thread its
// goroutine runs. So the CoAP endpoint runs in a child, the "ctl relay":
// this same executable re-run as `ip netns exec <prefix>-ctl <self>
// ctl-relay …` (with $VHOME_CTL_RELAY=1). Every socket of the child is in
// the namespace. The usp.Client stays in the harness: its Transport hands
// each Record to the relay, which posts it with coap.Endpoint.Send, and
// the relay hands back every Record it receives. They talk JSON frames,
// one a line, over the child's stdin and stdout; when the harness goes
// away its stdin ends and the relay exits.

// Environment of the relay child.
const (
	relayEnv    = "VHOME_CTL_RELAY" // "1" in the relay child
	relayPSKEnv = "VHOME_CTL_PSK"   // the run's PSK, hex
	relayPath   = "usp-ctl"         // the relay's CoAP resource
	relayWait   = 10 * time.Second  // bounds the relay's start and stop
)

// frame is one relay message: "ready" (child: URL or Err), "send" (parent:
// ID, URL, Rec, TimeoutMS), "sent" (child: ID, Err, TimedOut), "in"
// (child: Peer, Rec).
type frame struct {
	Kind      string `json:"k"`
	ID        uint64 `json:"id,omitempty"`
	URL       string `json:"url,omitempty"`
	Peer      string `json:"peer,omitempty"`
	Rec       []byte `json:"rec,omitempty"`
	TimeoutMS int64  `json:"timeout_ms,omitempty"`
	Err       string `json:"err,omitempty"`
	TimedOut  bool   `json:"timed_out,omitempty"`
}

// SendError is a Record the harness's Controller could not deliver, as
// its relay reported it. It unwraps to coap.ErrTimeout when the node
// stayed silent.
type SendError struct {
	URL, Msg string
	TimedOut bool
}

// Error implements error.
func (e *SendError) Error() string { return "vhome: relay: " + e.Msg }

// Unwrap returns coap.ErrTimeout for a timeout.
func (e *SendError) Unwrap() error {
	if e.TimedOut {
		return coap.ErrTimeout
	}
	return nil
}

var errRelayGone = errors.New("vhome: the Controller's relay is gone")

// maybeRunRelay runs the relay and exits when this process was started as
// one; main and TestMain call it first.
func maybeRunRelay() {
	if os.Getenv(relayEnv) == "1" && len(os.Args) > 1 && os.Args[1] == "ctl-relay" {
		os.Exit(runRelay(os.Args[2:]))
	}
}

// relayCoAP is the relay endpoint's configuration: fast timers, for a LAN.
func relayCoAP(listen string, key []byte, log *slog.Logger) coap.Config {
	return coap.Config{Listen: listen, Path: relayPath, Role: coap.Controller, Logger: log,
		PSK:              &coap.PSK{Identity: string(ControllerID), Key: func(string) ([]byte, error) { return key, nil }},
		HandshakeTimeout: 3 * time.Second, ACKTimeout: 500 * time.Millisecond, KeepAlive: 5 * time.Second, SendTimeout: 30 * time.Second}
}

// runRelay is the relay child's main.
func runRelay(args []string) int {
	fs := flag.NewFlagSet("ctl-relay", flag.ContinueOnError)
	listen := fs.String("listen", "", "UDP address of the Controller's endpoint")
	fs.String("run", "", "the run's prefix (for ps)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var mu sync.Mutex
	enc := json.NewEncoder(os.Stdout)
	write := func(f frame) {
		mu.Lock()
		defer mu.Unlock()
		if err := enc.Encode(f); err != nil {
			stop() // the harness is gone
		}
	}
	key, err := hex.DecodeString(os.Getenv(relayPSKEnv))
	if err != nil || len(key) < 16 {
		write(frame{Kind: "ready", Err: "no PSK in $" + relayPSKEnv})
		return 1
	}
	ep, err := coap.Listen(ctx, relayCoAP(*listen, key, log), func(_ context.Context, in coap.Inbound) error {
		write(frame{Kind: "in", Peer: in.Peer, Rec: in.Record})
		return nil
	})
	if err != nil {
		write(frame{Kind: "ready", Err: err.Error()})
		return 1
	}
	defer ep.Close()
	write(frame{Kind: "ready", URL: ep.URL()})
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		dec := json.NewDecoder(os.Stdin)
		for {
			var f frame
			if err := dec.Decode(&f); err != nil {
				return
			}
			if f.Kind == "send" {
				go func() { write(relaySend(ctx, ep, f)) }()
			}
		}
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	}
	return 0
}

// relaySend posts one Record for the harness and says how it went.
func relaySend(ctx context.Context, ep *coap.Endpoint, f frame) frame {
	timeout := time.Duration(f.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := frame{Kind: "sent", ID: f.ID}
	if err := ep.Send(ctx, f.URL, f.Rec); err != nil {
		out.Err = err.Error()
		out.TimedOut = errors.Is(err, coap.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
	}
	return out
}

// relay is the harness's side of the ctl relay.
type relay struct {
	p        *proc
	url      string
	onRecord func(peer string, rec []byte)
	gone     chan struct{} // closed when the relay's stdout ends
	handlers sync.WaitGroup

	mu      sync.Mutex
	enc     *json.Encoder
	next    uint64
	pending map[uint64]chan frame
}

// startRelay starts the relay in namespace ns, listening on listen, and
// waits (bounded) until it serves. onRecord gets every Record it receives.
func startRelay(ctx context.Context, self, ns, listen, pskHex, prefix, logPath string, onRecord func(string, []byte)) (*relay, error) {
	r := &relay{onRecord: onRecord, gone: make(chan struct{}), pending: map[uint64]chan frame{}}
	ready := make(chan frame, 1)
	p, err := startProc(procSpec{ns: ns, logPath: logPath, stdin: true,
		argv: []string{self, "ctl-relay", "-listen", listen, "-run", prefix},
		env:  []string{relayEnv + "=1", relayPSKEnv + "=" + pskHex},
		stdout: func(rd io.Reader, _ io.Writer) {
			defer close(r.gone)
			r.read(rd, ready)
		}})
	if err != nil {
		return nil, err
	}
	r.p, r.enc = p, json.NewEncoder(p.stdin)
	timer := time.NewTimer(relayWait)
	defer timer.Stop()
	var why string
	select {
	case f := <-ready:
		if f.Err == "" {
			r.url = f.URL
			return r, nil
		}
		why = f.Err
	case <-r.gone:
		why = "exited"
	case <-timer.C:
		why = fmt.Sprintf("not ready within %v", relayWait)
	case <-ctx.Done():
		why = ctx.Err().Error()
	}
	r.close()
	return nil, fmt.Errorf("vhome: Controller relay in %s: %s; log %s:\n%s", ns, why, logPath, tail(logPath, 10))
}

// read dispatches the relay's frames until its stdout ends.
func (r *relay) read(rd io.Reader, ready chan<- frame) {
	dec := json.NewDecoder(rd)
	for {
		var f frame
		if err := dec.Decode(&f); err != nil {
			return
		}
		switch f.Kind {
		case "ready":
			ready <- f
		case "sent":
			r.mu.Lock()
			ch := r.pending[f.ID]
			delete(r.pending, f.ID)
			r.mu.Unlock()
			if ch != nil {
				ch <- f
			}
		case "in":
			r.handlers.Go(func() { r.onRecord(f.Peer, f.Rec) })
		}
	}
}

// send posts rec to url through the relay, bounded by ctx (30 s when it
// has no deadline).
func (r *relay) send(ctx context.Context, url string, rec []byte) error {
	timeout := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		return fmt.Errorf("vhome: relay: send to %s: %w", url, context.DeadlineExceeded)
	}
	ch := make(chan frame, 1)
	r.mu.Lock()
	r.next++
	id := r.next
	r.pending[id] = ch
	err := r.enc.Encode(frame{Kind: "send", ID: id, URL: url, Rec: rec, TimeoutMS: timeout.Milliseconds()})
	r.mu.Unlock()
	forget := func() {
		r.mu.Lock()
		delete(r.pending, id)
		r.mu.Unlock()
	}
	if err != nil {
		forget()
		return fmt.Errorf("%w: %w", errRelayGone, err)
	}
	select {
	case f := <-ch:
		if f.Err != "" {
			return &SendError{URL: url, Msg: f.Err, TimedOut: f.TimedOut}
		}
		return nil
	case <-ctx.Done():
		forget()
		return fmt.Errorf("vhome: relay: send to %s: %w", url, ctx.Err())
	case <-r.gone:
		return errRelayGone
	}
}

// close ends the relay (its stdin first, SIGKILL if it lingers) and waits,
// bounded, for the Record handlers.
func (r *relay) close() {
	_ = r.p.stdin.Close()
	select {
	case <-r.p.exited:
	case <-time.After(relayWait):
		_ = r.p.kill()
	}
	done := make(chan struct{})
	go func() {
		r.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(relayWait):
	}
}
