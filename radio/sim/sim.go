// Package sim is a simulated RF world for the radios of a virtual home.
//
// A Home (JSON, see LoadHome and the bundled homes/ directory) places the
// mesh access points, walls, neighbours' networks and clients. Every node
// of the home opens its own Backend with the same Home and the same air
// directory; the air is how the nodes see each other: each node publishes
// its radios' channel, width, power and load there, and reads the others'
// to answer scans (RSSI from a log-distance path-loss model with seeded
// shadowing), surveys (cumulative counters, as a driver's: busy time from
// neighbours' load above the carrier-sense threshold plus the radio's own
// traffic, which is also its receive and transmit time) and station lists (each client associates to
// the strongest radio of its bands, a sticky one stays until its signal
// fails, and may walk a path; its traffic is the radio's load). Radios
// steer clients (radio.Steerer): clients answer BSS transition requests
// as their Steering says, and the air remembers where each one is. Tools and tests steer the air through
// Air: foreign networks and clients appearing at run time, radar and
// channel changes made by another tool.
//
// Everything except timing is a pure function of the Home, its seed and
// the air, so two runs of the same home agree. Data enters as the Home,
// the air files and method calls, and leaves as radio values and events.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/radio"
)

// Config configures one node's simulated radios. The zero value of each
// duration and count means the default given beside it.
type Config struct {
	// Home is the home description; when nil, HomePath is loaded.
	Home     *Home
	HomePath string
	// Node is this node's name in the home (an AP's "node").
	Node string
	// AirDir is the air directory every node of the home shares; it is
	// created when missing. A node that finds its own earlier state there
	// resumes from it (the radio kept beaconing while meshd was away).
	AirDir string
	// Clock times switches, CAC, NOP and polls; nil means clock.System.
	Clock clock.Clock
	// CSAInterval is the beacon interval a channel-switch announcement
	// counts in: 102.4 ms.
	CSAInterval time.Duration
	// CSACount is the number of beacons announcing a switch when the
	// request names none: 5.
	CSACount int
	// CACTime is the channel availability check on DFS channels: 60 s.
	CACTime time.Duration
	// NOPTime is how long a channel with radar stays unusable: 30 min.
	NOPTime time.Duration
	// PollInterval is how often the air is checked for injections,
	// clients and load changes: 200 ms.
	PollInterval time.Duration
	// SurveyWindow is the listening time each Survey read adds to every
	// entry's cumulative ActiveTime: 1 s. Busy, receive and transmit
	// times grow with it at the medium's state at the read.
	SurveyWindow time.Duration
	// Logger receives the backend's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a Config with every default spelled out.
func DefaultConfig() Config {
	return Config{
		CSAInterval:  102400 * time.Microsecond,
		CSACount:     5,
		CACTime:      60 * time.Second,
		NOPTime:      30 * time.Minute,
		PollInterval: 200 * time.Millisecond,
		SurveyWindow: time.Second,
	}
}

// TestConfig returns a Config with fast timers for tests.
func TestConfig() Config {
	c := DefaultConfig()
	c.CSAInterval = time.Millisecond
	c.CACTime = 50 * time.Millisecond
	c.PollInterval = 10 * time.Millisecond
	return c
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.Clock = clock.Or(c.Clock)
	if c.CSAInterval <= 0 {
		c.CSAInterval = d.CSAInterval
	}
	if c.CSACount <= 0 {
		c.CSACount = d.CSACount
	}
	if c.CACTime <= 0 {
		c.CACTime = d.CACTime
	}
	if c.NOPTime <= 0 {
		c.NOPTime = d.NOPTime
	}
	if c.PollInterval <= 0 {
		c.PollInterval = d.PollInterval
	}
	if c.SurveyWindow <= 0 {
		c.SurveyWindow = d.SurveyWindow
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Backend is one node's simulated radios.
type Backend struct {
	cfg    Config
	home   *Home
	ap     AP
	air    *Air
	view   *view
	log    *slog.Logger
	radios []*Radio

	pubMu sync.Mutex // serialises writes of this node's air file

	mu        sync.Mutex // guards shut against wg.Add after Close
	shut      bool
	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
}

var _ radio.Backend = (*Backend)(nil)

// Open starts the simulated radios of cfg.Node and publishes them in the
// air. ctx bounds the opening only.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: open: %w", err)
	}
	cfg = cfg.withDefaults()
	home := cfg.Home
	if home == nil {
		if cfg.HomePath == "" {
			return nil, errors.New("sim: open: neither Home nor HomePath given")
		}
		h, err := LoadHome(cfg.HomePath)
		if err != nil {
			return nil, err
		}
		home = h
	} else if err := home.Validate(); err != nil {
		return nil, fmt.Errorf("sim: open: home %s: %w", home.Name, err)
	}
	ap, ok := home.AP(cfg.Node)
	if !ok {
		return nil, fmt.Errorf("sim: open: node %q is not an AP of home %q (have %v)", cfg.Node, home.Name, home.Nodes())
	}
	air, err := OpenAir(cfg.AirDir)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With("node", cfg.Node)
	b := &Backend{
		cfg: cfg, home: home, ap: ap, air: air, log: log,
		view: newView(air.Dir(), cfg.Node, home, log),
		done: make(chan struct{}),
	}
	for i, rs := range ap.Radios {
		b.radios = append(b.radios, newRadio(b, i, rs))
	}
	b.resume()
	now := cfg.Clock.Now()
	w := b.view.snapshot()
	for _, r := range b.radios {
		r.observeUplink(w)
	}
	b.updateStations(w, now, false)
	if err := b.publish(); err != nil {
		return nil, err
	}
	b.spawn(b.loop)
	log.Info("simulated radios up", "home", home.Name, "radios", len(b.radios), "air", air.Dir())
	return b, nil
}

// Radios returns the node's radios in the home's order.
func (b *Backend) Radios(ctx context.Context) ([]radio.Radio, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]radio.Radio, len(b.radios))
	for i, r := range b.radios {
		out[i] = r
	}
	return out, nil
}

// Air returns the shared air directory.
func (b *Backend) Air() *Air { return b.air }

// Close stops the radios' background work, fails switches under way with
// radio.ErrDown, publishes the final state and ends every event stream.
// The simulated APs keep beaconing in the air, as a real AP outlives its
// management daemon. Close is idempotent.
func (b *Backend) Close() error {
	var err error
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.shut = true
		b.mu.Unlock()
		close(b.done)
		b.wg.Wait()
		err = b.publish()
		for _, r := range b.radios {
			r.hub.close()
		}
		b.log.Info("simulated radios closed")
	})
	return err
}

func (b *Backend) closed() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// spawn runs f in a goroutine Close waits for, unless the backend is
// closing.
func (b *Backend) spawn(f func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shut {
		return false
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f()
	}()
	return true
}

// sleep waits for d, reporting false when the backend closes first.
func (b *Backend) sleep(d time.Duration) bool {
	select {
	case <-b.done:
		return false
	case <-b.cfg.Clock.After(d):
		return true
	}
}

// resume takes over this node's previous state from the air, radio by
// radio, where it still fits the home.
func (b *Backend) resume() {
	data, err := os.ReadFile(filepath.Join(b.air.Dir(), nodesDir, b.cfg.Node+".json"))
	if err != nil {
		return
	}
	prev, err := DecodeNodeState(data)
	if err != nil {
		b.log.Warn("ignoring own corrupt air file", "err", err)
		return
	}
	for _, ps := range prev.Radios {
		for _, r := range b.radios {
			if r.info.Name == ps.Name && r.resume(ps) {
				b.log.Info("resumed radio state", "radio", ps.Name, "channel", ps.Channel, "width", ps.Width)
			}
		}
	}
}

// states returns this node's radios as published.
func (b *Backend) states() NodeState {
	ns := NodeState{Node: b.cfg.Node, Updated: b.cfg.Clock.Now().UTC()}
	for _, r := range b.radios {
		ns.Radios = append(ns.Radios, r.published())
	}
	return ns
}

// publish writes this node's air file.
func (b *Backend) publish() error {
	b.pubMu.Lock()
	defer b.pubMu.Unlock()
	path := filepath.Join(b.air.Dir(), nodesDir, b.cfg.Node+".json")
	if err := writeJSON(path, b.states()); err != nil {
		return fmt.Errorf("sim: publish: %w", err)
	}
	return nil
}

// publishLogged publishes and logs a failure; the caller's operation has
// happened either way.
func (b *Backend) publishLogged() {
	if err := b.publish(); err != nil {
		b.log.Warn("air not updated", "err", err)
	}
}

// loop polls the air for injections, clients and load changes.
func (b *Backend) loop() {
	for b.sleep(b.cfg.PollInterval) {
		b.injections()
		w := b.view.snapshot()
		for _, r := range b.radios {
			r.observeUplink(w)
		}
		if b.updateStations(w, b.cfg.Clock.Now(), true) {
			b.publishLogged()
		}
	}
}

// updateStations recomputes which clients each radio serves, emitting
// join and leave events when notify is set, and reports whether any
// radio's load changed.
func (b *Backend) updateStations(w world, now time.Time, notify bool) bool {
	nodes := slices.Concat(w.nodes, []NodeState{b.states()})
	assoc, moved := b.home.place(nodes, w.clients, readRoams(b.air.Dir()), now)
	for _, rs := range moved {
		err := updateRoam(b.air.Dir(), rs.MAC, now, func(s *RoamState) { s.Node, s.Radio = rs.Node, rs.Radio })
		if err != nil {
			b.log.Warn("client roam not recorded", "client", rs.MAC, "err", err)
		}
	}
	changed := false
	for _, r := range b.radios {
		if r.setStations(assoc, now, notify) {
			changed = true
		}
	}
	return changed
}
