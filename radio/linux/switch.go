package linux

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/hostapd"
)

// switchPlan is a validated channel switch.
type switchPlan struct {
	Channel, FreqMHz, Width int
	CenterFreqMHz           int
	SecOffset               int // HT40 secondary channel: 1 above, -1 below
	DFS                     bool
}

// planSwitch validates channel ch at width against caps and computes the
// bonded channel's centre.
func planSwitch(caps radio.Capabilities, ch, width int) (switchPlan, error) {
	freq := radio.ChannelFreq(caps.Band, ch)
	if freq == 0 {
		return switchPlan{}, fmt.Errorf("channel %d is not in %s: %w", ch, caps.Band, radio.ErrInvalidChannel)
	}
	if !slices.Contains(caps.Widths, width) {
		return switchPlan{}, fmt.Errorf("width %d MHz unsupported: %w", width, radio.ErrInvalidChannel)
	}
	p := switchPlan{Channel: ch, FreqMHz: freq, Width: width, CenterFreqMHz: freq}
	first := freq // lowest 20 MHz subchannel of the block
	if width > 20 {
		var ok bool
		first, ok = blockStart(caps.Band, freq, width)
		if !ok {
			return switchPlan{}, fmt.Errorf("channel %d cannot be %d MHz wide: %w", ch, width, radio.ErrInvalidChannel)
		}
		p.CenterFreqMHz = first + (width-20)/2
		if ((freq-first)/20)%2 == 0 {
			p.SecOffset = 1
		} else {
			p.SecOffset = -1
		}
	}
	for f := first; f < first+width; f += 20 {
		c, ok := findChannel(caps.Channels, f)
		if !ok || c.Disabled {
			return switchPlan{}, fmt.Errorf("channel at %d MHz not allowed: %w", f, radio.ErrInvalidChannel)
		}
		p.DFS = p.DFS || c.DFS
	}
	return p, nil
}

func findChannel(chs []radio.Channel, freq int) (radio.Channel, bool) {
	for _, c := range chs {
		if c.FreqMHz == freq {
			return c, true
		}
	}
	return radio.Channel{}, false
}

// blockStart returns the frequency of the lowest 20 MHz channel of the
// width-MHz block holding freq.
func blockStart(b radio.Band, freq, width int) (int, bool) {
	switch b {
	case radio.Band2G4:
		// HT40 on 2.4 GHz: secondary above for channels 1-7, below above 7.
		if width != 40 {
			return 0, false
		}
		if freq <= 2442 {
			return freq, true
		}
		return freq - 20, true
	case radio.Band5G:
		starts := map[int][]int{
			40:  {5180, 5220, 5260, 5300, 5500, 5540, 5580, 5620, 5660, 5700, 5745, 5785, 5825, 5865},
			80:  {5180, 5260, 5500, 5580, 5660, 5745, 5825},
			160: {5180, 5500, 5745},
		}[width]
		for _, s := range starts {
			if freq >= s && freq < s+width {
				return s, true
			}
		}
	case radio.Band6G:
		if width >= 40 && width <= 320 {
			base := 5955
			return base + (freq-base)/width*width, true
		}
	}
	return 0, false
}

// Switch validates req and asks hostapd to switch with a channel-switch
// announcement; the result arrives on the returned channel.
func (r *Radio) Switch(ctx context.Context, req radio.SwitchRequest) (<-chan radio.SwitchResult, error) {
	it, err := r.b.nl.iface(ctx, r.ifindex)
	if err != nil {
		return nil, r.opErr("switch", err)
	}
	if it.FreqMHz == 0 {
		return nil, r.opErr("switch", radio.ErrDown)
	}
	caps, err := r.caps(ctx, it)
	if err != nil {
		return nil, r.opErr("switch", err)
	}
	width := req.Width
	if width == 0 {
		width = max(it.Width, 20)
	}
	p, err := planSwitch(caps, req.Channel, width)
	if err != nil {
		return nil, r.opErr("switch", err)
	}
	r.mu.Lock()
	f := r.following
	r.mu.Unlock()
	if f != nil && f.p.FreqMHz == p.FreqMHz && f.p.Width == p.Width {
		// The AP is already following its uplink there: that switch is
		// this one.
		out := make(chan radio.SwitchResult, 1)
		r.b.wg.Add(1)
		go func() {
			defer r.b.wg.Done()
			var err error
			select {
			case <-f.done:
				if err = r.verify(r.b.ctx, p); err != nil {
					err = r.opErr("switch", err)
				}
			case <-r.b.ctx.Done():
				err = r.opErr("switch", fmt.Errorf("backend closed: %w", r.b.ctx.Err()))
			}
			out <- radio.SwitchResult{Channel: p.Channel, Width: p.Width, Err: err}
			close(out)
		}()
		return out, nil
	}
	up, upFreq, err := r.uplink(ctx, it)
	if err != nil {
		return nil, r.opErr("switch", err)
	}
	if target := radio.ChannelFreq(caps.Band, req.Channel); up != nil && upFreq != target {
		_, upCh, _ := radio.FreqChannel(upFreq)
		return nil, r.opErr("switch", fmt.Errorf("station %s is associated to %s on channel %d: %w", up.Interface, up.BSSID, upCh, radio.ErrUplink))
	}
	csa := req.CSACount
	if csa <= 0 {
		csa = r.b.cfg.CSACount
	}
	return r.launch(ctx, p, csa)
}

// launch sends the switch of p to hostapd and waits for its result in a
// goroutine; the result arrives on the returned channel.
func (r *Radio) launch(ctx context.Context, p switchPlan, csa int) (<-chan radio.SwitchResult, error) {
	waiter := make(chan hostapd.Event, 16)
	r.mu.Lock()
	if r.switching {
		r.mu.Unlock()
		return nil, r.opErr("switch", radio.ErrBusy)
	}
	r.switching = true
	r.waiters[waiter] = struct{}{}
	r.mu.Unlock()
	if err := r.sendSwitch(ctx, p, csa); err != nil {
		r.endSwitch(waiter)
		return nil, r.opErr("switch", err)
	}
	out := make(chan radio.SwitchResult, 1)
	r.b.wg.Add(1)
	go func() {
		defer r.b.wg.Done()
		err := r.awaitSwitch(r.b.ctx, p, waiter)
		r.endSwitch(waiter)
		if err != nil {
			err = r.opErr("switch", err)
		}
		out <- radio.SwitchResult{Channel: p.Channel, Width: p.Width, Err: err}
		close(out)
	}()
	return out, nil
}

func (r *Radio) sendSwitch(ctx context.Context, p switchPlan, csa int) error {
	c, err := hostapd.Dial(ctx, r.b.cfg.HostapdCtrlDir, r.ifname)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	cs := hostapd.ChanSwitch{CSCount: csa, FreqMHz: p.FreqMHz, BandwidthMHz: p.Width, HT: st.HT, VHT: st.VHT, HE: st.HE}
	if p.Width > 20 {
		cs.SecChannelOffset, cs.CenterFreq1MHz = p.SecOffset, p.CenterFreqMHz
	}
	r.b.cfg.Logger.Debug("channel switch", "radio", r.name, "cmd", cs.Command())
	return c.SwitchChannel(ctx, cs)
}

func (r *Radio) endSwitch(waiter chan hostapd.Event) {
	r.mu.Lock()
	r.switching = false
	delete(r.waiters, waiter)
	r.mu.Unlock()
}

var errSwitchTimeout = errors.New("switch not confirmed in time")

// awaitSwitch waits for hostapd to finish the switch of p, then confirms
// the channel through nl80211.
func (r *Radio) awaitSwitch(ctx context.Context, p switchPlan, events <-chan hostapd.Event) error {
	timer := time.NewTimer(r.b.cfg.SwitchTimeout)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("backend closed: %w", ctx.Err())
		case <-timer.C:
			// The event may have been lost (hostapd restarted, monitor
			// reattaching): trust the kernel.
			if r.verify(ctx, p) == nil {
				return nil
			}
			return errSwitchTimeout
		case ev := <-events:
			freq, _ := ev.Int("freq")
			switch ev.Name {
			case hostapd.EventCSAFinished:
				if freq == p.FreqMHz {
					return r.verify(ctx, p)
				}
			case hostapd.EventCACStart:
				cac, ok := ev.Int("cac_time")
				if !ok {
					cac = 600
				}
				timer.Reset(time.Duration(cac)*time.Second + r.b.cfg.SwitchTimeout)
			case hostapd.EventCACCompleted:
				if ok, _ := ev.Int("success"); ok != 1 {
					return fmt.Errorf("channel availability check failed on %d MHz: %w", freq, radio.ErrRadar)
				}
				if freq == p.FreqMHz {
					return r.verify(ctx, p)
				}
			case hostapd.EventRadarDetected:
				if freq >= p.CenterFreqMHz-p.Width/2 && freq <= p.CenterFreqMHz+p.Width/2 {
					return fmt.Errorf("on %d MHz: %w", freq, radio.ErrRadar)
				}
			}
		}
	}
}

// verify checks through nl80211 that the AP operates as p says.
func (r *Radio) verify(ctx context.Context, p switchPlan) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	it, err := r.b.nl.iface(ctx, r.ifindex)
	if err != nil {
		return err
	}
	if it.FreqMHz != p.FreqMHz || (it.Width != 0 && it.Width != p.Width) {
		return fmt.Errorf("operating on %d MHz/%d MHz wide after switch to %d MHz/%d MHz", it.FreqMHz, it.Width, p.FreqMHz, p.Width)
	}
	return nil
}
