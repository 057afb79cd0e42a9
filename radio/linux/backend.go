package linux

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/hostapd"
)

// Config configures the backend. The zero value manages every AP
// interface with hostapd's default control directory.
type Config struct {
	// Interfaces names the AP interfaces to manage, one radio each; empty
	// means every interface nl80211 reports in AP mode.
	Interfaces []string
	// HostapdCtrlDir is hostapd's ctrl_interface directory; empty means
	// hostapd.DefaultCtrlDir (/var/run/hostapd).
	HostapdCtrlDir string
	// CSACount is the number of beacons announcing a switch when the
	// request leaves it 0; 0 means 5.
	CSACount int
	// SwitchTimeout bounds a switch without a CAC; 0 means 10 s. A switch
	// to a DFS channel gets the CAC time hostapd announces on top.
	SwitchTimeout time.Duration
	// ScanTimeout bounds a scan; 0 means 15 s.
	ScanTimeout time.Duration
	// Logger receives the backend's few messages; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig is the configuration of a typical AP.
func DefaultConfig() Config {
	return Config{HostapdCtrlDir: hostapd.DefaultCtrlDir, CSACount: 5, SwitchTimeout: 10 * time.Second, ScanTimeout: 15 * time.Second}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.HostapdCtrlDir == "" {
		c.HostapdCtrlDir = d.HostapdCtrlDir
	}
	if c.CSACount <= 0 {
		c.CSACount = d.CSACount
	}
	if c.SwitchTimeout <= 0 {
		c.SwitchTimeout = d.SwitchTimeout
	}
	if c.ScanTimeout <= 0 {
		c.ScanTimeout = d.ScanTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Backend is the linux radio backend of one node.
type Backend struct {
	cfg    Config
	nl     *nl
	radios []*Radio
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

var _ radio.Backend = (*Backend)(nil)

// Open finds the configured AP interfaces through nl80211 and starts one
// hostapd event monitor per radio. hostapd need not run yet: the monitor
// attaches when its control socket appears.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	dial := func() (*genetlink.Conn, error) { return genetlink.Dial(nil) }
	c, err := dial()
	if err != nil {
		return nil, fmt.Errorf("linux radio: dial generic netlink: %w", err)
	}
	b, err := openWith(ctx, cfg, c, dial)
	if err != nil {
		c.Close()
		return nil, err
	}
	return b, nil
}

// openWith is Open over a given generic netlink socket (a fake in tests).
func openWith(ctx context.Context, cfg Config, c *genetlink.Conn, dial func() (*genetlink.Conn, error)) (*Backend, error) {
	cfg = cfg.withDefaults()
	n, err := newNL(c, dial)
	if err != nil {
		return nil, fmt.Errorf("linux radio: %w", err)
	}
	ifs, err := n.interfaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("linux radio: %w", err)
	}
	bctx, cancel := context.WithCancel(context.Background())
	b := &Backend{cfg: cfg, nl: n, ctx: bctx, cancel: cancel}
	for _, it := range ifs {
		if len(cfg.Interfaces) > 0 && !slices.Contains(cfg.Interfaces, it.Name) {
			continue
		}
		if len(cfg.Interfaces) == 0 && it.Type != iftypeAP {
			continue
		}
		w, err := n.wiphy(ctx, it.Wiphy)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("linux radio: %s: %w", it.Name, err)
		}
		b.radios = append(b.radios, newRadio(b, it, w.Name))
	}
	for _, want := range cfg.Interfaces {
		if !slices.ContainsFunc(b.radios, func(r *Radio) bool { return r.ifname == want }) {
			cancel()
			return nil, fmt.Errorf("linux radio: interface %s: %w", want, errNoInterface)
		}
	}
	for _, r := range b.radios {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			r.monitor(bctx)
		}()
	}
	if n.mlmeGroup != 0 {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.followUplinks(bctx)
		}()
	}
	return b, nil
}

var errNoInterface = errors.New("no such wireless interface")

// Radios returns one radio per managed AP interface.
func (b *Backend) Radios(ctx context.Context) ([]radio.Radio, error) {
	out := make([]radio.Radio, len(b.radios))
	for i, r := range b.radios {
		out[i] = r
	}
	return out, nil
}

// Radio returns the radio of AP interface name, or nil.
func (b *Backend) Radio(name string) *Radio {
	for _, r := range b.radios {
		if r.ifname == name {
			return r
		}
	}
	return nil
}

// Close stops the event monitors and pending switches and closes the
// sockets; it is safe to call more than once.
func (b *Backend) Close() error {
	var err error
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for _, r := range b.radios {
			r.liftDenials(ctx)
		}
		cancel()
		b.cancel()
		b.wg.Wait()
		err = b.nl.c.Close()
	})
	return err
}
