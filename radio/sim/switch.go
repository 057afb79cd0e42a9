package sim

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// switchOp is a channel switch under way: first the channel-switch
// announcement (count beacons), then, for a DFS target, the channel
// availability check during which the radio is silent.
type switchOp struct {
	channel, width int
	span           span
	count          int
	res            chan radio.SwitchResult // buffered: never blocks the radio
	inCAC          bool
	radar          chan int // radar during the CAC, buffered
}

// Switch validates req and starts the switch. The switch then runs to its
// end independently of ctx (a real AP does not take back an announced
// switch); Close fails it with radio.ErrDown.
func (r *Radio) Switch(ctx context.Context, req radio.SwitchRequest) (<-chan radio.SwitchResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, r.opErr("switch", err)
	}
	if r.hasUplink {
		// The station moves with its AP's channel switch, not at the
		// backend's next poll of the air: read the uplink now, so that
		// a switch to where it just went is not refused on a stale view.
		r.observeUplink(r.b.view.snapshot())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	width := req.Width
	if width == 0 {
		width = r.width
	}
	s, ok := block(r.spec.Band, r.spec.Channels, r.spec.Widths, req.Channel, width)
	switch {
	case !ok:
		return nil, r.opErr("switch", fmt.Errorf("channel %d width %d MHz: %w", req.Channel, width, radio.ErrInvalidChannel))
	case !r.enabled || r.b.closed():
		return nil, r.opErr("switch", radio.ErrDown)
	case r.sw != nil:
		return nil, r.opErr("switch", radio.ErrBusy)
	case r.nopLocked(s):
		return nil, r.opErr("switch", fmt.Errorf("channel %d in its non-occupancy period: %w", req.Channel, radio.ErrRadar))
	}
	if err := r.uplinkRefusesLocked(req.Channel, width); err != nil {
		return nil, r.opErr("switch", err)
	}
	count := req.CSACount
	if count <= 0 {
		count = r.b.cfg.CSACount
	}
	op, err := r.startLocked(req.Channel, width, s, count)
	if err != nil {
		return nil, err
	}
	return op.res, nil
}

// startLocked begins a switch; the caller holds r.mu.
func (r *Radio) startLocked(ch, width int, s span, count int) (*switchOp, error) {
	op := &switchOp{
		channel: ch, width: width, span: s, count: count,
		res:   make(chan radio.SwitchResult, 1),
		radar: make(chan int, 1),
	}
	r.sw = op
	if !r.b.spawn(func() { r.run(op) }) {
		r.sw = nil
		return nil, r.opErr("switch", radio.ErrDown)
	}
	r.b.log.Info("channel switch started", "radio", r.info.Name, "from", r.channel, "to", ch, "width", width, "csa_count", count)
	return op, nil
}

// run carries a switch through CSA and, on DFS channels, the CAC.
func (r *Radio) run(op *switchOp) {
	if !r.b.sleep(time.Duration(op.count) * r.b.cfg.CSAInterval) {
		r.finish(op, radio.ErrDown)
		return
	}
	if !spanDFS(r.spec.Band, op.span) {
		r.mu.Lock()
		r.channel, r.width, r.up, r.sw = op.channel, op.width, r.enabled, nil
		r.mu.Unlock()
		r.announce(op, nil, radio.EventChannelSwitched)
		return
	}
	r.mu.Lock()
	r.channel, r.width, r.up, op.inCAC = op.channel, op.width, false, true
	r.mu.Unlock()
	r.announce(nil, nil, radio.EventStateChanged, radio.EventCACStarted)
	select {
	case <-r.b.done:
		r.finish(op, radio.ErrDown)
	case ch := <-op.radar:
		r.cacRadar(op, ch)
	case <-r.b.cfg.Clock.After(r.b.cfg.CACTime):
		r.mu.Lock()
		r.up, r.sw = r.enabled, nil
		r.mu.Unlock()
		r.announce(op, nil, radio.EventCACFinished, radio.EventStateChanged, radio.EventChannelSwitched)
	}
}

// announce publishes the air, emits events in order and delivers the
// switch result (when op is set), in that order: whoever reads the result
// finds the new channel already in the air.
func (r *Radio) announce(op *switchOp, err error, kinds ...radio.EventKind) {
	r.b.publishLogged()
	r.mu.Lock()
	for _, k := range kinds {
		r.emitLocked(k)
	}
	r.mu.Unlock()
	if op != nil {
		r.deliver(op, err)
	}
}

func (r *Radio) deliver(op *switchOp, err error) {
	if err != nil {
		err = r.opErr("switch", err)
	}
	op.res <- radio.SwitchResult{Channel: op.channel, Width: op.width, Err: err}
	close(op.res)
}

// finish ends a switch that did not complete.
func (r *Radio) finish(op *switchOp, err error) {
	r.mu.Lock()
	if r.sw == op {
		r.sw = nil
	}
	r.mu.Unlock()
	r.deliver(op, err)
}

// cacRadar handles radar during the CAC: the switch fails with
// radio.ErrRadar and the radio moves to a non-DFS channel at once (it is
// silent, so there is nothing to announce).
func (r *Radio) cacRadar(op *switchOp, ch int) {
	heard := r.b.home.emitters(r.b.view.snapshot(), r.b.cfg.Node, r.spec.Band)
	r.mu.Lock()
	r.markNOPLocked(op.span)
	r.hub.publish(radio.Event{Kind: radio.EventRadarDetected, Radio: r.info.Name, Time: r.b.cfg.Clock.Now(),
		Channel: ch, FreqMHz: radio.ChannelFreq(r.spec.Band, ch), Width: op.width})
	r.sw = nil
	fch, fw, _, ok := r.fallbackLocked(heard)
	if ok {
		r.channel, r.width, r.up = fch, fw, r.enabled
	}
	r.mu.Unlock()
	r.b.log.Warn("radar during channel availability check", "radio", r.info.Name, "channel", ch, "moved_to", fch)
	if ok {
		r.announce(nil, nil, radio.EventStateChanged, radio.EventChannelSwitched)
	} else {
		r.announce(nil, nil, radio.EventStateChanged)
	}
	r.deliver(op, fmt.Errorf("channel %d: %w", ch, radio.ErrRadar))
}

// radar handles radar detected on channel ch: when the radio operates on
// it, it reports radar and switches (with a CSA) to a non-DFS channel;
// radar during a CAC of ch aborts it. It reports whether the radio was
// affected.
func (r *Radio) radar(ch int) bool {
	if !isDFS(r.spec.Band, ch) {
		return false
	}
	heard := r.b.home.emitters(r.b.view.snapshot(), r.b.cfg.Node, r.spec.Band)
	r.mu.Lock()
	defer r.mu.Unlock()
	if op := r.sw; op != nil {
		if op.inCAC && slices.Contains(op.span.channels, ch) {
			select {
			case op.radar <- ch:
			default:
			}
			return true
		}
		// A CSA is under way: the radio leaves its channel anyway.
		return false
	}
	cur := r.spanLocked()
	if !r.up || !slices.Contains(cur.channels, ch) {
		return false
	}
	r.markNOPLocked(cur)
	r.hub.publish(radio.Event{Kind: radio.EventRadarDetected, Radio: r.info.Name, Time: r.b.cfg.Clock.Now(),
		Channel: ch, FreqMHz: radio.ChannelFreq(r.spec.Band, ch), Width: r.width})
	fch, fw, fs, ok := r.fallbackLocked(heard)
	if !ok {
		r.up = false
		r.emitLocked(radio.EventStateChanged)
		r.b.log.Warn("radar and no non-DFS channel: radio silent", "radio", r.info.Name, "channel", ch)
		return true
	}
	if _, err := r.startLocked(fch, fw, fs, r.b.cfg.CSACount); err != nil {
		r.b.log.Warn("radar: cannot leave the channel", "radio", r.info.Name, "err", err)
	}
	return true
}

func (r *Radio) markNOPLocked(s span) {
	until := r.b.cfg.Clock.Now().Add(r.b.cfg.NOPTime)
	for _, c := range s.channels {
		if isDFS(r.spec.Band, c) {
			r.nop[c] = until
		}
	}
}

// nopLocked reports whether a channel of s is in its non-occupancy period.
func (r *Radio) nopLocked(s span) bool {
	now := r.b.cfg.Clock.Now()
	for _, c := range s.channels {
		if until, ok := r.nop[c]; ok && now.Before(until) {
			return true
		}
	}
	return false
}

// fallbackLocked picks the non-DFS channel to flee radar to: the widest
// usable width up to the current one, then the least busy primary (the
// busiest 20 MHz of its span counts), then the lowest number.
func (r *Radio) fallbackLocked(heard []emitter) (int, int, span, bool) {
	entries := survey(r.info.Caps, span{}, 0, 0, heard, time.Second)
	busy := map[int]time.Duration{}
	for _, e := range entries {
		busy[e.Channel] = e.BusyTime
	}
	widths := slices.Clone(r.spec.Widths)
	slices.Sort(widths)
	slices.Reverse(widths)
	for _, w := range widths {
		if w > r.width {
			continue
		}
		best, bestBusy, bestSpan := 0, time.Duration(-1), span{}
		for _, c := range r.info.Caps.Channels {
			s, ok := block(r.spec.Band, r.spec.Channels, r.spec.Widths, c.Number, w)
			if !ok || spanDFS(r.spec.Band, s) || r.nopLocked(s) {
				continue
			}
			var b time.Duration
			for _, sc := range s.channels {
				b = max(b, busy[sc])
			}
			if bestBusy < 0 || b < bestBusy {
				best, bestBusy, bestSpan = c.Number, b, s
			}
		}
		if bestBusy >= 0 {
			return best, w, bestSpan, true
		}
	}
	return 0, 0, span{}, false
}

// external applies a channel change made by another tool. It reports
// false when a switch is under way and the change must wait.
func (r *Radio) external(ch, width int) bool {
	r.mu.Lock()
	if r.sw != nil {
		r.mu.Unlock()
		return false
	}
	if width == 0 {
		width = r.width
	}
	if _, ok := block(r.spec.Band, r.spec.Channels, r.spec.Widths, ch, width); !ok {
		r.mu.Unlock()
		r.b.log.Warn("ignoring external change to an invalid channel", "radio", r.info.Name, "channel", ch, "width", width)
		return true
	}
	r.channel, r.width, r.up = ch, width, r.enabled
	r.mu.Unlock()
	r.b.log.Info("channel changed by another tool", "radio", r.info.Name, "channel", ch, "width", width)
	r.announce(nil, nil, radio.EventChannelSwitched)
	return true
}
