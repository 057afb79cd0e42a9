package linux

import (
	"context"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/hostapd"
)

// monitor attaches to hostapd's control socket (retrying while hostapd is
// absent) and turns its events into radio events until ctx ends.
func (r *Radio) monitor(ctx context.Context) {
	log := r.b.cfg.Logger.With("radio", r.name, "iface", r.ifname)
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	warned := false
	for ctx.Err() == nil {
		m, err := hostapd.Attach(ctx, r.b.cfg.HostapdCtrlDir, r.ifname)
		if err != nil {
			if !warned {
				log.Warn("hostapd control socket unavailable; retrying", "err", err)
				warned = true
			}
			select {
			case <-ctx.Done():
				return
			case <-retry.C:
			}
			continue
		}
		warned = false
		log.Debug("attached to hostapd")
		r.drain(ctx, m)
		m.Close()
	}
}

// drain reads events from m until it fails or ctx ends.
func (r *Radio) drain(ctx context.Context, m *hostapd.Monitor) {
	for {
		ev, err := m.Next(ctx)
		if err != nil {
			return
		}
		r.mu.Lock()
		for w := range r.waiters {
			select {
			case w <- ev:
			default:
			}
		}
		r.mu.Unlock()
		if ev.Name == hostapd.EventBeaconRespRx {
			if rev, ok := r.beaconEvent(ev, time.Now()); ok {
				r.publish(rev)
			}
			continue
		}
		if ev.Name == hostapd.EventBSSTMResp {
			if rev, ok := r.transitionEvent(ev, time.Now()); ok {
				r.publish(rev)
			}
			continue
		}
		if rev, ok := toRadioEvent(ev, r.name, time.Now()); ok {
			r.publish(rev)
		}
		if ev.Name == "CTRL-EVENT-TERMINATING" {
			return
		}
	}
}

// toRadioEvent maps a hostapd event to a radio event.
func toRadioEvent(ev hostapd.Event, name string, now time.Time) (radio.Event, bool) {
	out := radio.Event{Radio: name, Time: now}
	switch ev.Name {
	case hostapd.EventStationConnected:
		out.Kind, out.Station = radio.EventStationJoined, ev.Station()
		return out, out.Station != nil
	case hostapd.EventStationDisconnected:
		out.Kind, out.Station = radio.EventStationLeft, ev.Station()
		return out, out.Station != nil
	case hostapd.EventCSAFinished:
		out.Kind = radio.EventChannelSwitched
	case hostapd.EventChannelSwitchStart, hostapd.EventAPEnabled, hostapd.EventAPDisabled:
		out.Kind = radio.EventStateChanged
		out.Width, _ = ev.Int("ch_width")
	case hostapd.EventRadarDetected:
		out.Kind = radio.EventRadarDetected
	case hostapd.EventCACStart:
		out.Kind = radio.EventCACStarted
	case hostapd.EventCACCompleted:
		out.Kind = radio.EventCACFinished
	default:
		return radio.Event{}, false
	}
	out.FreqMHz, _ = ev.Int("freq")
	_, out.Channel, _ = radio.FreqChannel(out.FreqMHz)
	return out, true
}
