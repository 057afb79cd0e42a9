package swmod

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Config configures an Env. Its zero value, with Dir set, is usable.
type Config struct {
	// Dir is the node's state directory; swmod keeps everything in
	// Dir/swmod. Required.
	Dir string
	// Name is the ExecEnv's name; "default" when empty.
	Name string
	// Limits bound every EU of this ExecEnv; a DU's manifest may only
	// ask for less. Zero kinds are unlimited.
	Limits Limits
	// DiskBudget bounds the bytes all unpacked bundles may occupy;
	// 256 MiB when zero.
	DiskBudget int64
	// MaxDownload bounds a DU archive's size; 64 MiB when zero.
	MaxDownload int64
	// FetchTimeout bounds one download; 60 s when zero.
	FetchTimeout time.Duration
	// LogBytes bounds each EU's log file; 64 KiB when zero.
	LogBytes int64
	// StopGrace is how long an EU has to end after SIGTERM; 5 s when zero.
	StopGrace time.Duration
	// RestartMin and RestartMax bound the back-off between automatic
	// restarts of an EU that died (doubling from min); 1 s and 60 s when
	// zero. An EU that ran longer than RestartMax starts over at min.
	RestartMin, RestartMax time.Duration
	// HTTPClient fetches DUs; http.DefaultClient's transport when nil.
	HTTPClient *http.Client
	// Events, when set, receives every DUStateChange and EU state
	// change. It is called without Env's locks held and should not block.
	Events func(Event)
	// Logger is scoped by the caller; slog's discard logger when nil.
	Logger *slog.Logger
}

// TestConfig returns a Config with fast timers for tests.
func TestConfig(dir string) Config {
	return Config{Dir: dir, StopGrace: 2 * time.Second, RestartMin: 50 * time.Millisecond,
		RestartMax: 400 * time.Millisecond, FetchTimeout: 10 * time.Second}
}

func (c Config) withDefaults() Config {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.DiskBudget, 256<<20)
	def(&c.MaxDownload, 64<<20)
	def(&c.LogBytes, 64<<10)
	defD(&c.FetchTimeout, 60*time.Second)
	defD(&c.StopGrace, 5*time.Second)
	defD(&c.RestartMin, time.Second)
	defD(&c.RestartMax, time.Minute)
	if c.Name == "" {
		c.Name = "default"
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Env is one execution environment (TR-181's ExecEnv.{i}) with the DUs
// installed in it and their EUs, run on a Runtime.
type Env struct {
	cfg  Config
	rt   Runtime
	root string // Dir/swmod
	log  *slog.Logger

	opMu sync.Mutex // serialises DU operations
	mu   sync.Mutex // guards st, runners, closed
	st   state
	runs map[string]*runner // by EUID

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// New opens the ExecEnv kept in cfg.Dir: it finishes or rolls back what
// an interrupted process left (a DU Installing is removed, one
// Uninstalling is removed, one Updating keeps its old version), removes
// leftover runtime instances, and starts the EUs whose requested state is
// Active.
func New(ctx context.Context, cfg Config, rt Runtime) (*Env, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("swmod: Config.Dir is required")
	}
	cfg = cfg.withDefaults()
	e := &Env{cfg: cfg, rt: rt, root: filepath.Join(cfg.Dir, "swmod"), log: cfg.Logger, runs: map[string]*runner{}}
	for _, d := range []string{e.root, e.path(".tmp"), e.path("run"), e.path("logs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("swmod: %w", err)
		}
	}
	st, err := loadState(e.path("state.json"))
	if err != nil {
		return nil, err
	}
	e.st = st
	e.recover(ctx)
	// Saved only when the recovery changed it: a node whose state dir
	// turned read-only still starts with the units it has.
	if err := e.saveIfChanged(); err != nil {
		return nil, err
	}
	e.ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	e.mu.Lock()
	for _, eu := range e.st.EUs {
		e.startRunner(eu.EUID)
	}
	e.mu.Unlock()
	return e, nil
}

func (e *Env) path(p ...string) string { return filepath.Join(append([]string{e.root}, p...)...) }

// recover cleans up after an interrupted process (mu not needed: not yet shared).
func (e *Env) recover(ctx context.Context) {
	os.RemoveAll(e.path(".tmp"))
	os.MkdirAll(e.path(".tmp"), 0o700)
	var dus []DU
	keep := map[string]bool{}
	for _, du := range e.st.DUs {
		switch du.Status {
		case DUInstalling, DUUninstalling, DUUninstalled:
			e.log.Info("removing interrupted DU", "duid", du.DUID, "status", du.Status)
			continue
		case DUUpdating:
			du.Status = DUInstalled
		}
		keep[du.DUID] = true
		dus = append(dus, du)
	}
	e.st.DUs = dus
	var eus []EU
	for _, eu := range e.st.EUs {
		_ = e.rt.Remove(ctx, containerID(eu.EUID))
		if !keep[eu.DUID] {
			os.RemoveAll(e.path("run", eu.EUID))
			os.Remove(e.path("logs", eu.EUID+".log"))
			continue
		}
		eu.Status, eu.Pid = EUIdle, 0
		eus = append(eus, eu)
	}
	e.st.EUs = eus
	// Directories of DUs the state does not know are half-installed.
	ents, _ := os.ReadDir(e.root)
	for _, d := range ents {
		if n := d.Name(); d.IsDir() && len(n) == 16 && !keep[n] {
			os.RemoveAll(e.path(n))
		}
	}
	// So are versions other than the one each DU runs (an update caught
	// between placing the new version and switching to it).
	for _, du := range e.st.DUs {
		vs, _ := os.ReadDir(e.path(du.DUID))
		for _, v := range vs {
			if v.Name() != fmt.Sprintf("v%d", du.Gen) {
				os.RemoveAll(e.path(du.DUID, v.Name()))
			}
		}
	}
}

// save writes the state atomically; callers hold mu or own e alone.
func (e *Env) save() error {
	b, err := json.MarshalIndent(e.st, "", "  ")
	if err != nil {
		return fmt.Errorf("swmod: state: %w", err)
	}
	if err := writeAtomic(e.path("state.json"), b); err != nil {
		return diskFault("state", err)
	}
	return nil
}

// saveIfChanged is save when the state file does not already hold e.st.
func (e *Env) saveIfChanged() error {
	b, err := json.MarshalIndent(e.st, "", "  ")
	if err != nil {
		return fmt.Errorf("swmod: state: %w", err)
	}
	if old, err := os.ReadFile(e.path("state.json")); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := writeAtomic(e.path("state.json"), b); err != nil {
		return diskFault("state", err)
	}
	return nil
}

func containerID(euid string) string { return "swmod-" + euid }

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// RuntimeName is the ExecEnv's Type: the Runtime's name.
func (e *Env) RuntimeName() string { return e.rt.Name() }

// DUs returns the installed DUs.
func (e *Env) DUs() []DU {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]DU, len(e.st.DUs))
	for i, d := range e.st.DUs {
		d.EUIDs = slices.Clone(d.EUIDs)
		out[i] = d
	}
	return out
}

// EUs returns the EUs of the installed DUs.
func (e *Env) EUs() []EU {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.st.EUs)
}

// EU returns one EU by EUID.
func (e *Env) EU(euid string) (EU, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i := e.euIndex(euid); i >= 0 {
		return e.st.EUs[i], true
	}
	return EU{}, false
}

// Log returns what an EU wrote to stdout and stderr lately (at most
// Config.LogBytes).
func (e *Env) Log(euid string) ([]byte, error) {
	e.mu.Lock()
	r := e.runs[euid]
	e.mu.Unlock()
	if r == nil {
		return nil, fault(FaultUnknownDU, "no EU %q", euid)
	}
	return r.log.Bytes()
}

// DiskUsed is the bytes all installed bundles occupy.
func (e *Env) DiskUsed() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var n int64
	for _, d := range e.st.DUs {
		n += d.DiskUsed
	}
	return n
}

func (e *Env) duIndex(duid string) int {
	return slices.IndexFunc(e.st.DUs, func(d DU) bool { return d.DUID == duid })
}

func (e *Env) euIndex(euid string) int {
	return slices.IndexFunc(e.st.EUs, func(u EU) bool { return u.EUID == euid })
}

func (e *Env) emit(ev Event) {
	if e.cfg.Events != nil {
		e.cfg.Events(ev)
	}
}

// Close stops every running EU (their requested state stays as it is, so
// a new Env over the same Dir starts them again) and waits for that.
// It is safe to call more than once.
func (e *Env) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	return nil
}
