package linux

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// Following a wireless uplink. A radio whose AP interface shares the
// wiphy with an associated station interface (the node's wireless
// backhaul) has one channel for both. When the uplink AP announces a
// channel switch, the station reserves the new channel in place of the
// shared one, and mac80211 moves the channel only when every interface on
// it moves. Nothing moves the AP, so the kernel drops the station
// (measured on mac80211_hwsim: "CTRL-EVENT-STARTED-CHANNEL-SWITCH", then
// "CTRL-EVENT-DISCONNECTED … reason=4 locally_generated=1", the AP left
// on the old channel, where the supplicant cannot authenticate to the
// uplink's new one). The node is then cut off: the mesh leader reaches it
// over that backhaul, so it cannot ask the AP to follow. The backend
// therefore follows on its own: on the station's
// NL80211_CMD_CH_SWITCH_STARTED_NOTIFY it announces the AP's switch to
// the same channel, which joins the station's reservation, and the two
// move together (the radio lab: the station stays associated, on the new
// channel 0.4-0.6 s after the uplink's announcement began).

// followCSACount is the number of beacons with which the AP announces a
// switch that follows its uplink: the station has already lost its AP,
// so sooner is better, and the AP's own clients still get an
// announcement.
const followCSACount = 2

// followUplinks listens to nl80211's "mlme" notifications until ctx ends
// and makes each radio follow its uplink's channel switches.
func (b *Backend) followUplinks(ctx context.Context) {
	log := b.cfg.Logger
	for ctx.Err() == nil {
		if err := b.listenSwitches(ctx); err != nil && ctx.Err() == nil {
			log.Warn("nl80211 channel switch notifications; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// listenSwitches receives channel switch notifications on one socket
// until it fails or ctx ends.
func (b *Backend) listenSwitches(ctx context.Context) error {
	ev, err := b.nl.dial()
	if err != nil {
		return err
	}
	defer ev.Close()
	if err := ev.JoinGroup(b.nl.mlmeGroup); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { ev.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		msgs, _, err := ev.Receive()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Command != cmdChSwitchStartedNotify {
				continue
			}
			to, err := decodeInterface(m.Data)
			if err != nil || to.Index == 0 || to.FreqMHz == 0 {
				continue
			}
			b.uplinkSwitching(ctx, to)
		}
	}
}

// uplinkSwitching handles the start of interface to.Index's channel
// switch to to's frequency and width: when it is a station on the wiphy
// of a managed radio, that radio's AP follows.
func (b *Backend) uplinkSwitching(ctx context.Context, to iface) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	sta, err := b.nl.iface(ctx, to.Index)
	if err != nil || sta.Type != iftypeSTA {
		return
	}
	for _, r := range b.radios {
		if r.wiphy == sta.Wiphy && r.ifindex != sta.Index {
			r.follow(ctx, sta.Name, to)
		}
	}
}

// follow switches r's AP to where its uplink station (interface sta) is
// moving, at the station's width when the radio can use it, otherwise at
// the AP's own width or 20 MHz.
func (r *Radio) follow(ctx context.Context, sta string, to iface) {
	log := r.b.cfg.Logger.With("radio", r.name, "iface", r.ifname, "station", sta)
	it, err := r.b.nl.iface(ctx, r.ifindex)
	if err != nil {
		log.Warn("follow uplink: interface", "err", err)
		return
	}
	if it.FreqMHz == to.FreqMHz && (to.Width == 0 || it.Width == to.Width) {
		return
	}
	caps, err := r.caps(ctx, it)
	if err != nil {
		log.Warn("follow uplink: capabilities", "err", err)
		return
	}
	band, ch, ok := radio.FreqChannel(to.FreqMHz)
	if !ok || band != caps.Band {
		log.Warn("follow uplink: the uplink moves out of the radio's band", "freq", to.FreqMHz)
		return
	}
	var p switchPlan
	for _, w := range slices.Compact([]int{to.Width, it.Width, 20}) {
		if p, err = planSwitch(caps, ch, max(w, 20)); err == nil {
			break
		}
	}
	if err != nil {
		log.Warn("follow uplink: the radio cannot use the uplink's channel", "channel", ch, "err", err)
		return
	}
	log.Info("the uplink announced a channel switch; the AP follows", "channel", p.Channel, "width", p.Width)
	r.b.wg.Add(1)
	go func() {
		defer r.b.wg.Done()
		r.followSwitch(r.b.ctx, log, p)
	}()
}

// followAttempts and followRetry bound the AP's attempts to follow its
// uplink: an attempt fails when the radio is busy with another switch, or
// when the kernel refuses it (EBUSY); a later one, once the other switch
// ended or the kernel dropped the station, may go through.
const (
	followAttempts = 10
	followRetry    = 300 * time.Millisecond
)

// followingSwitch is a follow under way: where to, and closed when over.
type followingSwitch struct {
	p    switchPlan
	done chan struct{}
}

// followSwitch switches r's AP as p says, retrying a failed attempt.
// While it runs, a Switch to the same channel and width waits for it
// (the mesh leader asks the follower to go where its uplink went).
func (r *Radio) followSwitch(ctx context.Context, log *slog.Logger, p switchPlan) {
	f := &followingSwitch{p: p, done: make(chan struct{})}
	r.mu.Lock()
	prev := r.following
	r.following = f
	r.mu.Unlock()
	if prev != nil {
		<-prev.done // an earlier follow ends first (bounded by its attempts)
	}
	defer func() {
		r.mu.Lock()
		if r.following == f {
			r.following = nil
		}
		r.mu.Unlock()
		close(f.done)
	}()
	var err error
	for range followAttempts {
		var done <-chan radio.SwitchResult
		if done, err = r.launch(ctx, p, followCSACount); err == nil {
			if err = (<-done).Err; err == nil {
				return
			}
		}
		if r.verify(ctx, p) == nil {
			return // there already (a switch whose result was lost)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(followRetry):
		}
	}
	log.Warn("follow uplink: switch failed", "channel", p.Channel, "width", p.Width, "attempts", followAttempts, "err", err)
}
