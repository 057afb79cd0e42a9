package bulkdata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/datamodel"
)

// Publisher publishes a report through one of the node's MQTT clients.
type Publisher interface {
	// Publish sends body to topic through the client of the
	// Device.MQTT.Client.{i} row clientRow (no trailing dot).
	Publish(ctx context.Context, clientRow, topic string, qos int, body []byte) error
}

// Config configures a Runner. The zero value of each limit takes the
// default given beside it; Model is required.
type Config struct {
	// Model holds Device.BulkData.
	Model *datamodel.Model
	// Identity names the device in HTTP collectors' URLs.
	Identity Identity
	// Access returns the read rights of the Controller whose
	// Device.LocalAgent.Controller.{i} row is controllerRow (no trailing
	// dot): a profile's owner. An error (the row is gone) stops that
	// profile's reports. Nil: every profile reads nothing.
	Access func(ctx context.Context, controllerRow string) (Reader, error)
	// HTTPClient sends HTTP reports (nil: NewHTTPClient(nil,
	// AttemptTimeout), the system's roots).
	HTTPClient *http.Client
	// Publisher sends MQTT reports (nil: MQTT profiles are in error).
	Publisher Publisher
	// Clock schedules collections and retries (nil: clock.System).
	Clock clock.Clock
	// Rand returns a number in [0, 1) for retry jitter (nil: math/rand).
	Rand func() float64
	// MinInterval is Device.BulkData.MinReportingInterval: profiles with
	// a shorter ReportingInterval are in error (default 60 s).
	MinInterval time.Duration
	// MaxRetainedBytes bounds each profile's retained failed reports
	// (default 1 MiB).
	MaxRetainedBytes int
	// MaxRetainedTotal bounds the retained failed reports of all
	// profiles together; the oldest go first (default 2 MiB).
	MaxRetainedTotal int
	// MaxBodyBytes bounds one delivery's encoded body (default 4 MiB).
	MaxBodyBytes int
	// AttemptTimeout bounds one HTTP or MQTT attempt (default 30 s).
	AttemptTimeout time.Duration
	// Logger receives diagnostics (nil: discarded).
	Logger *slog.Logger
}

// DefaultConfig is the configuration of a home AP, without Model.
func DefaultConfig() Config {
	return Config{MinInterval: time.Minute, MaxRetainedBytes: 1 << 20, MaxRetainedTotal: 2 << 20, MaxBodyBytes: 4 << 20, AttemptTimeout: 30 * time.Second}
}

func (c *Config) applyDefaults() {
	d := DefaultConfig()
	c.Clock = clock.Or(c.Clock)
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.MinInterval <= 0 {
		c.MinInterval = d.MinInterval
	}
	if c.MaxRetainedBytes <= 0 {
		c.MaxRetainedBytes = d.MaxRetainedBytes
	}
	if c.MaxRetainedTotal <= 0 {
		c.MaxRetainedTotal = d.MaxRetainedTotal
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = d.AttemptTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = NewHTTPClient(nil, c.AttemptTimeout)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Runner runs the enabled profiles of a model, each on its schedule, and
// follows their changes. It is safe for concurrent use.
type Runner struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	reload chan struct{}
	remove func()
	done   chan struct{}

	// applyMu serialises apply, so that a later apply always reads the
	// model no older than an earlier one did.
	applyMu sync.Mutex
	mu      sync.Mutex
	enabled bool
	workers map[string]*worker
	states  map[string]state
	kept    map[string]*retained
	once    sync.Once
}

// state is a profile's X_USPMESH_Status and StatusMessage.
type state struct{ status, msg string }

// Profile statuses.
const (
	StatusEnabled  = "Enabled"
	StatusDisabled = "Disabled"
	StatusError    = "Error"
)

// Start reads the profiles of cfg.Model, starts the enabled ones and
// follows the model's changes until Close.
func Start(cfg Config) (*Runner, error) {
	if cfg.Model == nil {
		return nil, errors.New("bulkdata: start: a model is required")
	}
	cfg.applyDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel, reload: make(chan struct{}, 1), done: make(chan struct{}),
		workers: map[string]*worker{}, states: map[string]state{}, kept: map[string]*retained{}}
	r.remove = cfg.Model.Listen(r.onEvent)
	if err := r.apply(); err != nil {
		r.remove()
		cancel()
		return nil, err
	}
	go r.loop()
	return r, nil
}

// onEvent asks for a reload when a write touches Device.BulkData.
func (r *Runner) onEvent(e datamodel.Event) {
	if e.Kind == datamodel.EventRaised || !strings.HasPrefix(e.Path, bulkDataPath) {
		return
	}
	select {
	case r.reload <- struct{}{}:
	default:
	}
}

func (r *Runner) loop() {
	defer close(r.done)
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.reload:
			if err := r.apply(); err != nil {
				r.log.Warn("bulk data profiles not read", "err", err)
			}
		}
	}
}

// apply starts, restarts and stops workers to match the model.
func (r *Runner) apply() error {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	if r.ctx.Err() != nil {
		return nil // closed: start nothing
	}
	enabled, profiles, err := ReadProfiles(r.ctx, r.cfg.Model)
	if err != nil {
		return err
	}
	var stop []*worker
	var start []*worker
	r.mu.Lock()
	r.enabled = enabled
	seen := map[string]bool{}
	for i := range profiles {
		p := profiles[i]
		seen[p.Row] = true
		w := r.workers[p.Row]
		if w != nil && reflect.DeepEqual(w.p, p) && enabled {
			continue
		}
		if w != nil {
			stop = append(stop, w)
			delete(r.workers, p.Row)
		}
		if !enabled || !p.Enable {
			r.states[p.Row] = state{StatusDisabled, ""}
			continue
		}
		nw, err := r.newWorker(p)
		if err != nil {
			r.states[p.Row] = state{StatusError, err.Error()}
			continue
		}
		r.states[p.Row] = state{StatusEnabled, "waiting for the first collection"}
		r.workers[p.Row] = nw
		start = append(start, nw)
	}
	for row, w := range r.workers {
		if !seen[row] {
			stop = append(stop, w)
			delete(r.workers, row)
		}
	}
	for row := range r.states {
		if !seen[row] {
			delete(r.states, row)
			delete(r.kept, row)
		}
	}
	r.mu.Unlock()
	for _, w := range stop {
		w.stop()
	}
	for _, w := range start {
		go w.run()
	}
	return nil
}

// Close stops every profile and stops following the model. In-flight
// deliveries are cancelled. It is idempotent.
func (r *Runner) Close() {
	r.once.Do(func() {
		r.remove()
		r.cancel()
		<-r.done
		r.mu.Lock()
		ws := make([]*worker, 0, len(r.workers))
		for _, w := range r.workers {
			ws = append(ws, w)
		}
		r.workers = map[string]*worker{}
		r.mu.Unlock()
		for _, w := range ws {
			w.stop()
		}
	})
}

// State answers the live parameters of Device.BulkData. (Status,
// MinReportingInterval) and of its profile rows (X_USPMESH_Status,
// X_USPMESH_StatusMessage). It never reads the model, so a
// datamodel.Provider may call it.
func (r *Runner) State(row, param string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if row == bulkDataPath {
		switch param {
		case "Status":
			if r.enabled {
				return StatusEnabled, true
			}
			return StatusDisabled, true
		case "MinReportingInterval":
			return strconv.Itoa(int(r.cfg.MinInterval / time.Second)), true
		}
		return "", false
	}
	st, ok := r.states[row]
	if !ok {
		return "", false
	}
	switch param {
	case "X_USPMESH_Status":
		return st.status, true
	case "X_USPMESH_StatusMessage":
		return st.msg, true
	}
	return "", false
}

// Force collects and sends a report of the profile at row now
// (ForceCollection()); the delivery runs in the background. It first
// applies the model's profiles as they are, so that a write just made
// (Enable, say) counts, though the runner follows writes in the
// background.
func (r *Runner) Force(_ context.Context, row string) error {
	if err := r.apply(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.workers[row]
	if w == nil {
		if st, ok := r.states[row]; ok && st.status == StatusError {
			return fmt.Errorf("profile is in error: %s", st.msg)
		}
		return errors.New("profile is not enabled")
	}
	select {
	case w.force <- struct{}{}:
	default: // one is already pending
	}
	return nil
}

func (r *Runner) setState(row string, st state) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.states[row]; ok {
		r.states[row] = st
	}
}

// keptFor returns the retained reports of row, created on first use.
func (r *Runner) keptFor(row string) *retained {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.kept[row]
	if q == nil {
		q = &retained{}
		r.kept[row] = q
	}
	return q
}

// Retained returns how many failed reports the profile at row keeps.
func (r *Runner) Retained(row string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if q := r.kept[row]; q != nil {
		return len(q.reports)
	}
	return 0
}
