// Package bind binds a node's radios (radio.Radio) to the TR-181 Wi-Fi
// objects of its data model (package datamodel/tr181).
//
// Data enters from the radios — Info, State, Survey, Stations, Scan and the
// Events stream — and from Controllers: Sets on Device.WiFi.Radio.{i}.
// rows (through the commit hook the binding gives the schema), the vendor
// command Device.WiFi.Radio.{i}.X_USPMESH_Switch() and
// Device.WiFi.NeighboringWiFiDiagnostic(). Data leaves as internal writes
// to the model (one Radio row per radio, one SSID and one AccessPoint row
// per radio's BSS, AssociatedDevice rows per station, the neighbour scan
// Result table, and the survey's smoothed busy and own airtime shares in
// Radio.{i}.Stats.X_USPMESH_*, see airtime.go), whose value changes reach subscribed Controllers as
// notifications, and as radio calls (Switch, SetTxPower).
//
// Construction has two phases because the schema is built before the
// model and the binding needs both:
//
//	b := bind.New(cfg)
//	schemaCfg.WiFi = b.Hooks()
//	model, err := datamodel.NewModel(ctx, tr181.NewSchema(schemaCfg), mcfg)
//	err = b.Start(ctx, model, radios)
//	defer b.Close()
//
// Channel changes. A Set of Channel and/or OperatingChannelBandwidth on a
// Radio row is checked as a pair against the radio's capabilities by the
// row's commit hook (a refused pair fails the Set with 7012 naming the
// parameter at fault), and after the write commits the binding asks the
// radio to switch once. Set does not wait for the switch (a CSA takes
// hundreds of milliseconds, a DFS channel availability check a minute):
// from the commit on, Channel and OperatingChannelBandwidth read the
// requested values, and the binding leaves them alone until the radio
// reports how the switch ended; then they read what the radio reports —
// the requested values on success, the old ones after a failure (a value
// change that notifies subscribers). The switch command instead completes
// only when the radio reports the result, and changes the parameters
// only then.
//
// The owner's settings. A channel a Controller pinned (AutoChannelEnable
// false) and a power it fixed (TransmitPower as a percentage, or
// X_USPMESH_AutoTransmitPower false) are kept in Config.OwnerFile and
// restored at Start, radio and rows alike (owner.go).
package bind

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/radio"
)

// Fence admits mesh-wide writes by leader term. Admit returns nil when
// term is not below the highest term the node has seen, after recording
// term as the highest when it is higher (durably: a restart must never
// lower it), and an error otherwise. It is safe for concurrent use.
type Fence interface {
	Admit(ctx context.Context, term uint64) error
}

// Enabler is a radio that can be enabled and disabled. A radio that does
// not implement it refuses writes of Radio.{i}.Enable.
type Enabler interface {
	SetEnabled(ctx context.Context, enabled bool) error
}

// RegulatoryReporter is a radio that knows its regulatory domain, as
// TR-181 spells it: an ISO 3166 country code and ' ', 'O' or 'I' (e.g.
// "DE "). A radio that does not implement it leaves RegulatoryDomain
// empty.
type RegulatoryReporter interface {
	RegulatoryDomain(ctx context.Context) (string, error)
}

// CodeRequestDenied is the USP error (7002, Request denied) of a switch
// command refused for a stale leader term: the request is well formed but
// this Agent's policy refuses it.
const CodeRequestDenied uint32 = 7002

// DefaultStationRefresh is the default period of the station, survey and
// state refresh.
const DefaultStationRefresh = 10 * time.Second

// Config configures a Binding. The zero value refreshes every
// DefaultStationRefresh, smooths the survey over DefaultSurveySmoothing, scans every enabled channel of each radio's band,
// logs nothing, uses the system clock, and refuses every switch command
// (no Fence: fail closed).
type Config struct {
	// Fence admits the Term of X_USPMESH_Switch(). Nil refuses every
	// switch command with 7002.
	Fence Fence
	// StationRefresh is the period at which stations (SignalStrength,
	// rates, counters), the channel survey (Noise, ChannelsInUse) and the
	// radio state are re-read; events refresh them at once as well. Zero
	// means DefaultStationRefresh.
	StationRefresh time.Duration
	// SurveySmoothing is the time constant of the smoothed survey figures
	// of Radio.{i}.Stats. (X_USPMESH_ChannelBusy, X_USPMESH_Airtime,
	// X_USPMESH_SurveyBusy): a medium that changes is fully reflected
	// after about three time constants. Zero means
	// DefaultSurveySmoothing; the leader plans every few minutes, and a
	// minute keeps one busy burst from moving a plan.
	SurveySmoothing time.Duration
	// ScanChannels, when set for a band, restricts
	// NeighboringWiFiDiagnostic() scans of radios of that band to these
	// channels (intersected with the radio's enabled channels).
	ScanChannels map[radio.Band][]int
	// Logger receives warnings about failed radio reads and refused
	// radio changes. Nil discards.
	Logger *slog.Logger
	// OwnerFile, when set, keeps what Controllers fixed on the radios
	// (a channel pinned by AutoChannelEnable false, a power fixed by
	// TransmitPower or X_USPMESH_AutoTransmitPower false) across
	// restarts: Start restores it (owner.go). Empty: until the next
	// start only.
	OwnerFile string
	// Now is the clock of AssociationTime and of the survey smoothing.
	// Nil means time.Now.
	Now func() time.Time
}

// DefaultConfig returns the configuration of a production node (without
// its Fence, which the node supplies).
func DefaultConfig() Config {
	return Config{StationRefresh: DefaultStationRefresh, SurveySmoothing: DefaultSurveySmoothing}
}

// Binding keeps the Wi-Fi objects of one model in step with one node's
// radios. Its methods are safe for concurrent use.
type Binding struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	model   *datamodel.Model
	radios  []*radioRow
	byPath  map[string]*radioRow // by Radio row path, with trailing dot
	seq     uint64               // numbers pending changes
	started bool
	closed  bool
	// owner is the owner file's content, by ownerKey (owner.go);
	// saveMu serialises its writes.
	owner  map[string]ownerRadio
	saveMu sync.Mutex
	ctx    context.Context // the binding's run context, set by Start
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Binding that is not yet bound: give its Hooks to the
// schema, then Start it on the model.
func New(cfg Config) *Binding {
	if cfg.StationRefresh <= 0 {
		cfg.StationRefresh = DefaultStationRefresh
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SurveySmoothing <= 0 {
		cfg.SurveySmoothing = DefaultSurveySmoothing
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Binding{cfg: cfg, log: log, byPath: map[string]*radioRow{}}
}

// Hooks returns the functions the TR-181 schema calls for the Wi-Fi
// objects: the Radio rows' commit hook, X_USPMESH_Switch() and
// NeighboringWiFiDiagnostic(). Before Start (and for rows not bound to a
// radio) the hook accepts every write and the commands fail with 7022.
func (b *Binding) Hooks() tr181.WiFiHooks {
	return tr181.WiFiHooks{
		RadioChange:               b.radioChange,
		Switch:                    b.switchCommand,
		NeighboringWiFiDiagnostic: b.neighborDiagnostic,
	}
}

// Start binds radios to model, whose schema was built with b's Hooks: it
// creates (or, for SSID and AccessPoint rows restored from the state
// store, reuses) the rows, fills them from the radios, and keeps them
// current until ctx ends or Close. Start may be called once.
func (b *Binding) Start(ctx context.Context, model *datamodel.Model, radios []radio.Radio) error {
	b.mu.Lock()
	if b.started || b.closed {
		b.mu.Unlock()
		return errors.New("bind: already started or closed")
	}
	b.started = true
	b.model = model
	b.ctx, b.cancel = context.WithCancel(ctx)
	runCtx := b.ctx
	b.mu.Unlock()

	rows := make([]*radioRow, 0, len(radios))
	for _, r := range radios {
		info, err := r.Info(ctx)
		if err != nil {
			b.cancel()
			return fmt.Errorf("bind: radio info: %w", err)
		}
		rr := &radioRow{r: r, info: info, air: newAirtime(b.cfg.SurveySmoothing)}
		// Subscribe before the first read so that no change is missed.
		rr.events = r.Events(runCtx)
		if st, err := r.State(ctx); err == nil {
			rr.state = st
		} else {
			b.log.Warn("radio state", "radio", info.Name, "err", err)
		}
		rows = append(rows, rr)
	}
	if err := b.createRows(ctx, rows); err != nil {
		b.cancel()
		return fmt.Errorf("bind: create Wi-Fi rows: %w", err)
	}
	owner := b.loadOwner()
	b.mu.Lock()
	b.radios = rows
	b.owner = owner
	for _, rr := range rows {
		b.byPath[rr.path] = rr
	}
	b.mu.Unlock()
	if len(owner) > 0 {
		b.log.Info("owner's radio settings restored", "radios", slices.Sorted(maps.Keys(owner)))
		b.restoreOwner(runCtx, rows)
	}
	for _, rr := range rows {
		b.refresh(ctx, rr, true)
		b.refreshStations(ctx, rr)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("bind: closed during start")
	}
	for _, rr := range rows {
		b.wg.Add(1)
		go b.run(runCtx, rr)
	}
	return nil
}

// Close stops keeping the rows current and waits for the binding's
// goroutines (switches under way are no longer followed; the radio
// completes them). It is safe to call more than once.
func (b *Binding) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	cancel := b.cancel
	b.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	b.wg.Wait()
	return nil
}

// goLocked runs fn on a goroutine the Binding waits for at Close; it
// reports false (and does not run fn) once the Binding is closed or not
// started. The caller holds b.mu.
func (b *Binding) goLocked(fn func(ctx context.Context)) bool {
	if b.closed || !b.started {
		return false
	}
	ctx := b.ctx
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		fn(ctx)
	}()
	return true
}

// run follows one radio: its events, and the periodic refresh.
func (b *Binding) run(ctx context.Context, rr *radioRow) {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.StationRefresh)
	defer t.Stop()
	events := rr.events
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				b.log.Warn("radio event stream ended; polling only", "radio", rr.info.Name)
				events = nil
				continue
			}
			b.handle(ctx, rr, ev)
		case <-t.C:
			b.refresh(ctx, rr, true)
			b.refreshStations(ctx, rr)
		}
	}
}

// handle applies one radio event to the model.
func (b *Binding) handle(ctx context.Context, rr *radioRow, ev radio.Event) {
	switch ev.Kind {
	case radio.EventStationJoined, radio.EventStationLeft:
		b.refreshStations(ctx, rr)
	default:
		// Channel switches (ours, DFS moves, another tool's), CAC,
		// radar, power and state changes: re-read the radio.
		b.refresh(ctx, rr, ev.Kind == radio.EventChannelSwitched)
	}
}

// internalKey marks the context of the binding's own writes, which its
// commit hook lets through.
type internalKey struct{}

func (b *Binding) internal(ctx context.Context) context.Context {
	return context.WithValue(ctx, internalKey{}, b)
}

func (b *Binding) isInternal(ctx context.Context) bool {
	v, _ := ctx.Value(internalKey{}).(*Binding)
	return v == b
}
