package linux

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/hostapd"
)

var _ radio.Steerer = (*Radio)(nil)

// defaultValidInt is the candidate list's validity when the request
// leaves it 0: 100 beacon intervals, about 10 s (hostapd's own default
// of one beacon interval expires before most stations have scanned).
const defaultValidInt = 100

// pendingTTL is how long a sent transition request waits for its
// response; later responses are treated as unsolicited.
const pendingTTL = time.Minute

// steerState is a radio's steering bookkeeping, guarded by Radio.mu.
type steerState struct {
	token   int                    // last dialog token used
	pending map[string]pendingBTM  // station → request awaiting a response
	denied  map[string]*time.Timer // station → timer lifting its refusal
}

type pendingBTM struct {
	token int
	sent  time.Time
}

// phyType is the neighbour report PHY type of a BSS in band b: HT on
// 2.4 GHz, VHT on 5 GHz, HE on 6 GHz (what the lab's and typical
// dual-band APs run).
func phyType(b radio.Band) int {
	switch b {
	case radio.Band5G:
		return 9
	case radio.Band6G:
		return 14
	}
	return 7
}

// bssidInfoReachable is the BSSID information of a mesh candidate: AP
// reachable (bits 0-1 = 3), same security (bit 2), same key scope (bit 3).
const bssidInfoReachable = 0x0f

// RequestTransition sends an 802.11v BSS transition management request
// through hostapd. The station's answer arrives as an
// EventTransitionResponse.
func (r *Radio) RequestTransition(ctx context.Context, req radio.TransitionRequest) error {
	if err := req.Validate(); err != nil {
		return r.opErr("transition", fmt.Errorf("%w: %w", radio.ErrUnsupported, err))
	}
	hr := hostapd.BSSTMReq{
		Station: req.Station, DisassocImminent: req.DisassocImminent, DisassocTimer: req.DisassocTimer,
		ValidInt: req.ValidityInterval, DialogToken: req.DialogToken,
	}
	if hr.ValidInt == 0 {
		hr.ValidInt = defaultValidInt
	}
	for _, c := range req.Candidates {
		oc := c.OpClass
		if oc == 0 {
			oc = radio.OpClass(c.Band, c.Channel)
		}
		band := c.Band
		if band == "" {
			band = radio.OpClassBand(oc)
		}
		hr.Neighbors = append(hr.Neighbors, hostapd.Neighbor{
			BSSID: c.BSSID, BSSIDInfo: bssidInfoReachable, OpClass: oc, Channel: c.Channel,
			PHYType: phyType(band), Preference: c.Preference,
		})
	}
	key := req.Station.String()
	r.mu.Lock()
	if hr.DialogToken == 0 {
		r.steer.token = r.steer.token%255 + 1
		hr.DialogToken = r.steer.token
	}
	// Pending before the request leaves: the station may answer before
	// hostapd's reply to the command reaches us.
	prev, hadPrev := r.steer.pending[key]
	r.steer.pending[key] = pendingBTM{token: hr.DialogToken, sent: time.Now()}
	r.mu.Unlock()
	err := r.withHostapd(ctx, func(c *hostapd.Conn) error { return c.RequestTransition(ctx, hr) })
	if err != nil {
		r.mu.Lock()
		if p, ok := r.steer.pending[key]; ok && p.token == hr.DialogToken {
			delete(r.steer.pending, key)
			if hadPrev {
				r.steer.pending[key] = prev
			}
		}
		r.mu.Unlock()
		return r.opErr("transition", err)
	}
	return nil
}

// RequestBeaconReport asks the station for an active beacon report on
// req's channel. hostapd refuses stations without beacon report
// capability; that refusal is returned wrapping radio.ErrUnsupported.
func (r *Radio) RequestBeaconReport(ctx context.Context, req radio.BeaconReportRequest) error {
	d := req.Duration
	if d <= 0 {
		d = 50 * time.Millisecond
	}
	br := hostapd.BeaconReq{Station: req.Station, OpClass: req.OpClass, Channel: req.Channel,
		DurationTU: int(d / (1024 * time.Microsecond)), Mode: 1, BSSID: req.BSSID}
	err := r.withHostapd(ctx, func(c *hostapd.Conn) error {
		_, err := c.RequestBeacon(ctx, br)
		return err
	})
	if errors.Is(err, hostapd.ErrFailed) {
		err = fmt.Errorf("%w: %w", radio.ErrUnsupported, err)
	}
	if err != nil {
		return r.opErr("beacon-report", err)
	}
	return nil
}

// Deny puts the station on hostapd's deny list until the given time
// (hostapd disconnects it if associated); the backend lifts the refusal
// at until, on Allow, or when it closes.
func (r *Radio) Deny(ctx context.Context, mac net.HardwareAddr, until time.Time) error {
	if len(mac) != 6 {
		return r.opErr("deny", fmt.Errorf("%q is not a MAC address: %w", mac, radio.ErrUnsupported))
	}
	if err := r.withHostapd(ctx, func(c *hostapd.Conn) error { return c.DenyMAC(ctx, mac) }); err != nil {
		return r.opErr("deny", err)
	}
	key := mac.String()
	hw := append(net.HardwareAddr(nil), mac...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.steer.denied[key]; t != nil {
		t.Stop()
	}
	r.steer.denied[key] = time.AfterFunc(max(time.Until(until), 0), func() {
		ctx, cancel := context.WithTimeout(r.b.ctx, 5*time.Second)
		defer cancel()
		if err := r.allow(ctx, hw); err != nil {
			r.b.cfg.Logger.Warn("lifting association refusal failed", "radio", r.name, "station", key, "err", err)
		}
	})
	return nil
}

// Allow lifts a refusal made by Deny.
func (r *Radio) Allow(ctx context.Context, mac net.HardwareAddr) error {
	if len(mac) != 6 {
		return r.opErr("allow", fmt.Errorf("%q is not a MAC address: %w", mac, radio.ErrUnsupported))
	}
	if err := r.allow(ctx, mac); err != nil {
		return r.opErr("allow", err)
	}
	return nil
}

func (r *Radio) allow(ctx context.Context, mac net.HardwareAddr) error {
	r.mu.Lock()
	if t := r.steer.denied[mac.String()]; t != nil {
		t.Stop()
		delete(r.steer.denied, mac.String())
	}
	r.mu.Unlock()
	return r.withHostapd(ctx, func(c *hostapd.Conn) error { return c.AllowMAC(ctx, mac) })
}

// liftDenials lifts every refusal still in force; Close calls it so a
// stopped backend leaves no station locked out.
func (r *Radio) liftDenials(ctx context.Context) {
	r.mu.Lock()
	var macs []net.HardwareAddr
	for k, t := range r.steer.denied {
		t.Stop()
		m, _ := net.ParseMAC(k)
		macs = append(macs, m)
	}
	r.steer.denied = map[string]*time.Timer{}
	r.mu.Unlock()
	for _, m := range macs {
		if err := r.withHostapd(ctx, func(c *hostapd.Conn) error { return c.AllowMAC(ctx, m) }); err != nil {
			r.b.cfg.Logger.Warn("lifting association refusal at close failed", "radio", r.name, "station", m, "err", err)
		}
	}
}

// withHostapd runs f on a fresh control connection to the radio's hostapd.
func (r *Radio) withHostapd(ctx context.Context, f func(*hostapd.Conn) error) error {
	c, err := hostapd.Dial(ctx, r.b.cfg.HostapdCtrlDir, r.ifname)
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// transitionEvent turns a BSS-TM-RESP into an EventTransitionResponse.
// Malformed responses and responses from stations this radio sent no
// request to (or whose request expired) are logged at debug level and
// dropped.
func (r *Radio) transitionEvent(ev hostapd.Event, now time.Time) (radio.Event, bool) {
	log := r.b.cfg.Logger.With("radio", r.name)
	resp, err := hostapd.ParseBSSTMResp(ev)
	if err != nil {
		log.Debug("ignoring malformed BSS transition response", "err", err)
		return radio.Event{}, false
	}
	key := resp.Station.String()
	r.mu.Lock()
	for k, q := range r.steer.pending {
		if now.Sub(q.sent) > pendingTTL {
			delete(r.steer.pending, k)
		}
	}
	p, ok := r.steer.pending[key]
	ok = ok && (resp.DialogToken < 0 || resp.DialogToken == p.token)
	if ok {
		delete(r.steer.pending, key)
	}
	r.mu.Unlock()
	if !ok {
		log.Debug("ignoring BSS transition response without a pending request", "station", key, "token", resp.DialogToken)
		return radio.Event{}, false
	}
	tok := resp.DialogToken
	if tok < 0 {
		tok = p.token
	}
	return radio.Event{
		Kind: radio.EventTransitionResponse, Radio: r.name, Time: now, Station: resp.Station,
		Transition: &radio.Transition{DialogToken: tok, Status: resp.Status, Target: resp.Target},
	}, true
}

// beaconEvent turns a measured BEACON-RESP-RX into an EventBeaconReport;
// refusals and malformed reports are logged at debug level and dropped.
func (r *Radio) beaconEvent(ev hostapd.Event, now time.Time) (radio.Event, bool) {
	resp, err := hostapd.ParseBeaconResp(ev)
	if err != nil || resp.BSSID == nil {
		r.b.cfg.Logger.Debug("ignoring beacon report", "radio", r.name, "err", err, "mode", resp.ReportMode)
		return radio.Event{}, false
	}
	return radio.Event{
		Kind: radio.EventBeaconReport, Radio: r.name, Time: now, Station: resp.Station,
		Beacon: &radio.BeaconReport{DialogToken: resp.DialogToken, OpClass: resp.OpClass, Channel: resp.Channel, BSSID: resp.BSSID, RCPIDBm: resp.RCPIDBm()},
	}, true
}
