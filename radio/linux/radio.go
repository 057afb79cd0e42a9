package linux

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/hostapd"
)

// Radio is one wiphy with its AP interface. It is safe for concurrent use.
type Radio struct {
	b       *Backend
	ifname  string
	ifindex int
	wiphy   int
	name    string

	mu        sync.Mutex
	switching bool
	// following is the switch by which the AP follows its uplink while it
	// is under way (follow.go), closed when it ends; nil otherwise.
	following *followingSwitch
	subs      map[chan radio.Event]struct{}
	waiters   map[chan hostapd.Event]struct{}
	steer     steerState
}

var _ radio.Radio = (*Radio)(nil)

func newRadio(b *Backend, it iface, wiphyName string) *Radio {
	if wiphyName == "" {
		wiphyName = fmt.Sprintf("phy%d", it.Wiphy)
	}
	return &Radio{
		b: b, ifname: it.Name, ifindex: it.Index, wiphy: it.Wiphy, name: wiphyName,
		subs:    map[chan radio.Event]struct{}{},
		waiters: map[chan hostapd.Event]struct{}{},
		steer:   steerState{pending: map[string]pendingBTM{}, denied: map[string]*time.Timer{}},
	}
}

func (r *Radio) opErr(op string, err error) error {
	return &radio.OpError{Op: op, Radio: r.name, Err: err}
}

// Interface is the AP interface's name.
func (r *Radio) Interface() string { return r.ifname }

// Info reports identity and the capabilities of the band the AP operates
// in (a wiphy serving several bands reports the one in use, since a CSA
// cannot leave it; 2.4 GHz when the AP is not operating).
func (r *Radio) Info(ctx context.Context) (radio.Info, error) {
	it, err := r.b.nl.iface(ctx, r.ifindex)
	if err != nil {
		return radio.Info{}, r.opErr("info", err)
	}
	caps, err := r.caps(ctx, it)
	if err != nil {
		return radio.Info{}, r.opErr("info", err)
	}
	return radio.Info{Name: r.name, Interface: r.ifname, MAC: it.MAC, Caps: caps}, nil
}

func (r *Radio) caps(ctx context.Context, it iface) (radio.Capabilities, error) {
	w, err := r.b.nl.wiphy(ctx, r.wiphy)
	if err != nil {
		return radio.Capabilities{}, err
	}
	bd, _, _ := radio.FreqChannel(it.FreqMHz)
	if bd == "" {
		bd = radio.Band2G4
	}
	b, ok := w.Bands[bd]
	if !ok {
		return radio.Capabilities{}, fmt.Errorf("wiphy %s has no %s band: %w", w.Name, bd, radio.ErrUnsupported)
	}
	c := b.caps(bd)
	c.TxPowerMinDBm = 0
	return c, nil
}

// State reports the operating state from nl80211 and rtnetlink, with SSID
// and the switching flag. On 5 GHz it also reads the wiphy's channels for
// their DFS state (Unavailable).
func (r *Radio) State(ctx context.Context) (radio.State, error) {
	it, err := r.b.nl.iface(ctx, r.ifindex)
	if err != nil {
		return radio.State{}, r.opErr("state", err)
	}
	l, err := linkState(r.ifindex)
	if err != nil {
		return radio.State{}, r.opErr("state", err)
	}
	_, ch, _ := radio.FreqChannel(it.FreqMHz)
	st := radio.State{
		Enabled: l.AdminUp, Up: l.AdminUp && l.OperUp && it.FreqMHz != 0,
		Channel: ch, FreqMHz: it.FreqMHz, Width: it.Width, CenterFreqMHz: it.CenterFreqMHz,
		TxPowerDBm: float64(it.TxPowerMBm) / 100, SSID: it.SSID, BSSID: it.MAC,
	}
	if bd, _, _ := radio.FreqChannel(it.FreqMHz); bd == radio.Band5G {
		caps, err := r.caps(ctx, it)
		if err != nil {
			return radio.State{}, r.opErr("state", err)
		}
		for _, c := range caps.Channels {
			if c.Unavailable {
				st.Unavailable = append(st.Unavailable, c.Number)
			}
		}
		slices.Sort(st.Unavailable)
	}
	up, _, err := r.uplink(ctx, it)
	if err != nil {
		return radio.State{}, r.opErr("state", err)
	}
	st.Uplink = up
	r.mu.Lock()
	st.Switching = r.switching
	r.mu.Unlock()
	return st, nil
}

// uplink finds the radio's wireless backhaul: a station interface on the
// AP interface's wiphy that is associated (nl80211 reports it operating
// on a frequency) and the entry of its AP in that interface's station
// list. It returns nil when there is none, with the station's frequency
// when there is. The AP interface shares that frequency: a single-channel
// radio cannot put its two interfaces on different channels.
func (r *Radio) uplink(ctx context.Context, ap iface) (*radio.Uplink, int, error) {
	ifs, err := r.b.nl.interfaces(ctx)
	if err != nil {
		return nil, 0, err
	}
	for _, it := range ifs {
		if it.Wiphy != ap.Wiphy || it.Type != iftypeSTA || it.Index == ap.Index || it.FreqMHz == 0 {
			continue
		}
		stas, err := r.b.nl.stations(ctx, it.Index)
		if err != nil {
			return nil, 0, err
		}
		if len(stas) == 0 {
			continue // not associated (yet)
		}
		s := stas[0]
		return &radio.Uplink{Interface: it.Name, BSSID: s.MAC, SignalDBm: float64(s.SignalDBm),
			TxRateKbps: s.TxBitrateKbps, RxRateKbps: s.RxBitrateKbps}, it.FreqMHz, nil
	}
	return nil, 0, nil
}

// Survey returns the channel survey of every channel the driver reports.
// Drivers that do not flag the operating channel (mac80211_hwsim) get
// InUse set on the entry of the frequency nl80211 reports in use. Some
// drivers (mac80211_hwsim again) only survey channels a scan visited.
func (r *Radio) Survey(ctx context.Context) ([]radio.SurveyEntry, error) {
	s, err := r.b.nl.survey(ctx, r.ifindex)
	if err != nil {
		return nil, r.opErr("survey", err)
	}
	if slices.ContainsFunc(s, func(e radio.SurveyEntry) bool { return e.InUse }) {
		return s, nil
	}
	it, err := r.b.nl.iface(ctx, r.ifindex)
	if err != nil {
		return nil, r.opErr("survey", err)
	}
	for i := range s {
		s[i].InUse = it.FreqMHz != 0 && s[i].FreqMHz == it.FreqMHz
	}
	return s, nil
}

// Scan scans req.FreqsMHz (every enabled channel of the band when empty)
// without disconnecting the AP's clients.
func (r *Radio) Scan(ctx context.Context, req radio.ScanRequest) ([]radio.BSS, error) {
	ctx, cancel := context.WithTimeout(ctx, r.b.cfg.ScanTimeout)
	defer cancel()
	freqs := req.FreqsMHz
	if len(freqs) == 0 {
		info, err := r.Info(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range info.Caps.Channels {
			if !c.Disabled {
				freqs = append(freqs, c.FreqMHz)
			}
		}
	}
	bss, err := r.b.nl.scan(ctx, r.ifindex, freqs)
	if err != nil {
		return nil, r.opErr("scan", err)
	}
	return bss, nil
}

// Stations lists the associated stations.
func (r *Radio) Stations(ctx context.Context) ([]radio.Station, error) {
	s, err := r.b.nl.stations(ctx, r.ifindex)
	if err != nil {
		return nil, r.opErr("stations", err)
	}
	r.addCaps(ctx, s)
	return s, nil
}

// addCaps fills each station's capabilities from hostapd's STA reply,
// with the band of the association among its bands. A station hostapd
// cannot describe (hostapd restarting, the station just left) keeps what
// is known; the list itself never fails for it.
func (r *Radio) addCaps(ctx context.Context, stas []radio.Station) {
	if len(stas) == 0 {
		return
	}
	var band radio.Band
	if it, err := r.b.nl.iface(ctx, r.ifindex); err == nil {
		band, _, _ = radio.FreqChannel(it.FreqMHz)
	}
	c, err := hostapd.Dial(ctx, r.b.cfg.HostapdCtrlDir, r.ifname)
	if err != nil {
		r.b.cfg.Logger.Debug("station capabilities unavailable", "radio", r.name, "err", err)
	}
	for i := range stas {
		if c != nil {
			info, err := c.Station(ctx, stas[i].MAC)
			if err != nil {
				r.b.cfg.Logger.Debug("station capabilities unavailable", "radio", r.name, "station", stas[i].MAC, "err", err)
			} else {
				stas[i].Caps = info.Caps()
			}
		}
		if band != "" && !stas[i].Caps.SupportsBand(band) {
			stas[i].Caps.Bands = append(stas[i].Caps.Bands, band)
		}
	}
	if c != nil {
		c.Close()
	}
}

// SetTxPower fixes the radio's transmit power, rounded to whole dBm
// steps of 0.01 (nl80211's mBm).
func (r *Radio) SetTxPower(ctx context.Context, dBm float64) error {
	info, err := r.Info(ctx)
	if err != nil {
		return err
	}
	c := info.Caps
	if math.IsNaN(dBm) || dBm < c.TxPowerMinDBm || (c.TxPowerMaxDBm > 0 && dBm > c.TxPowerMaxDBm) {
		return r.opErr("set-txpower", fmt.Errorf("%.2f dBm outside [%.2f, %.2f]: %w", dBm, c.TxPowerMinDBm, c.TxPowerMaxDBm, radio.ErrUnsupported))
	}
	if err := r.b.nl.setTxPower(ctx, r.wiphy, int(math.Round(dBm*100))); err != nil {
		return r.opErr("set-txpower", err)
	}
	r.publish(radio.Event{Kind: radio.EventTxPowerChanged, Radio: r.name, Time: time.Now()})
	return nil
}

// Events streams the radio's events until ctx ends.
func (r *Radio) Events(ctx context.Context) <-chan radio.Event {
	ch := make(chan radio.Event, 64)
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	context.AfterFunc(ctx, func() {
		r.mu.Lock()
		delete(r.subs, ch)
		r.mu.Unlock()
		close(ch)
	})
	return ch
}

// publish hands ev to every subscriber that has room.
func (r *Radio) publish(ev radio.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ch := range r.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}
